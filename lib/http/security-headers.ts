/**
 * The security baseline (docs/security.md rule 16): a per-request CSP nonce for scripts, no framing,
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

/**
 * The policy for an identity document served to the console (rules 19 and 29): whatever the bytes
 * are, nothing in them runs, loads anything, or is framed. A response's own policy must reach the
 * browser as is, so the proxy sends this one, not the page policy, for these paths (a header the
 * proxy sets on NextResponse.next() replaces the one the route handler set).
 */
export const DOCUMENT_CONTENT_SECURITY_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'";

/**
 * /console/tickets/<id>/documents/<documentId>: the route handler that serves a document, and
 * /console/tickets/<id>/faces/<documentId>: the face cut out of one.
 */
const DOCUMENT_PATH = /^\/console\/tickets\/[^/]+\/(?:documents|faces)\/[^/]+\/?$/;

/** The policy the response for `pathname` carries: the document sandbox, or the page policy. */
export function contentSecurityPolicyFor(pathname: string, nonce: string, options: { development: boolean }) {
  return DOCUMENT_PATH.test(pathname) ? DOCUMENT_CONTENT_SECURITY_POLICY : contentSecurityPolicy(nonce, options);
}

// Pages under these prefixes show or change private data; they must never be cached.
const PRIVATE_PREFIXES = ['/account', '/console', '/recover', '/signin', '/dev', '/api'];

export function isPrivatePath(pathname: string) {
  return PRIVATE_PREFIXES.some((prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`));
}
