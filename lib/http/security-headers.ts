/**
 * The security baseline (security.md rule 16): a per-request CSP nonce for scripts, no framing,
 * and `no-store` for anything that shows private data.
 */
export function contentSecurityPolicy(nonce: string, options: { development: boolean }) {
  return [
    "default-src 'self'",
    // 'strict-dynamic' lets Next's nonce-bearing bootstrap load its chunks; nothing else runs.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${options.development ? " 'unsafe-eval'" : ''}`,
    // React writes style attributes; styles cannot run code, so inline styles are accepted.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(options.development ? [] : ['upgrade-insecure-requests']),
  ].join('; ');
}

// Pages under these prefixes show or change private data; they must never be cached.
const PRIVATE_PREFIXES = ['/account', '/console', '/recover', '/signin', '/dev', '/api'];

export function isPrivatePath(pathname: string) {
  return PRIVATE_PREFIXES.some((prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`));
}
