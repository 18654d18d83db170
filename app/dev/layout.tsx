import { connection } from 'next/server';

// Rendered per request: these pages show or change private data, and a per-request render is what
// lets Next stamp this request's CSP nonce (proxy.ts) on their scripts.
export default async function PerRequestLayout({ children }: { children: React.ReactNode }) {
  await connection();
  return children;
}
