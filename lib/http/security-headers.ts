/**
 * The security baseline (docs/security.md rule 16): a strict script policy, no framing, and
 * `no-store` for anything that shows private data. Two script policies, by page kind:
 *
 * - a page rendered per request (account, console, recovery, sign-in, anything posted) gets a
 *   fresh nonce, which Next stamps on its own scripts;
 * - a public help page prerendered at build time (home, categories, articles, the search page's
 *   shell) is the same file for everyone, so its policy lists the SHA-256 of each inline script in
 *   that file: no nonce, so page and header can be cached together.
 */
import { createHash } from 'node:crypto';

type Options = { development: boolean };

function policy(scriptSources: string[], options: Options & { strictDynamic: boolean }) {
  return [
    "default-src 'self'",
    // 'strict-dynamic': scripts the trusted ones load (Next's chunks) may run; nothing else does.
    `script-src 'self' ${scriptSources.join(' ')}${options.strictDynamic ? " 'strict-dynamic'" : ''}${options.development ? " 'unsafe-eval'" : ''}`,
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

/** The policy of a page rendered per request: scripts only with this request's nonce. */
export function contentSecurityPolicy(nonce: string, options: Options) {
  return policy([`'nonce-${nonce}'`], { ...options, strictDynamic: true });
}

/**
 * The policy of a prerendered page: inline scripts only when their hash is listed (`scriptHashes` of
 * the page's file), script files only from this origin. Without 'strict-dynamic', which would make
 * the browser ignore 'self' and demand a matching hash of every script tag in the file: Next 16.4
 * writes integrity attributes on its runtime chunks but not on the tags of client-component chunks,
 * so those would be blocked. Files from this origin are what the nonce policy's chunks are too; an
 * injected inline script or event handler, or a script from anywhere else, still never runs.
 *
 * `nonce`, when given, is also accepted: for an address that may be answered either by a
 * prerendered file or by a page rendered for the request (an unknown address gets the prerendered
 * "not found" page).
 */
export function prerenderedPagePolicy(hashes: readonly string[], options: Options & { nonce?: string | undefined }) {
  return policy([...(options.nonce ? [`'nonce-${options.nonce}'`] : []), ...hashes.map((h) => `'${h}'`)], { ...options, strictDynamic: false });
}

const SCRIPT = /<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi;
const JAVASCRIPT_TYPES = new Set(['', 'text/javascript', 'application/javascript', 'module']);

/**
 * The hash sources that let every script of an HTML document run under `prerenderedPagePolicy`:
 * `sha256-…` of each inline script's text exactly as written (what a browser hashes), and the
 * `integrity` value of each script file tag that has one (Next's subresource integrity,
 * next.config.mjs `experimental.sri`), which a CSP hash source matches too. Data blocks (JSON) do
 * not run and are left out.
 */
export function scriptHashes(html: string): string[] {
  const hashes = new Set<string>();
  for (const [, attributes = '', body = ''] of html.matchAll(SCRIPT)) {
    const type = /\btype\s*=\s*["']?([^"'\s>]*)/i.exec(attributes)?.[1]?.toLowerCase() ?? '';
    if (!JAVASCRIPT_TYPES.has(type)) continue;
    if (/\bsrc\s*=/i.test(attributes)) {
      const integrity = /\bintegrity\s*=\s*["']([^"']+)["']/i.exec(attributes)?.[1];
      for (const value of integrity?.split(/\s+/) ?? []) if (/^sha(256|384|512)-[A-Za-z0-9+/=]+$/.test(value)) hashes.add(value);
    } else {
      hashes.add(`sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}`);
    }
  }
  return [...hashes];
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
export function contentSecurityPolicyFor(pathname: string, nonce: string, options: Options) {
  return DOCUMENT_PATH.test(pathname) ? DOCUMENT_CONTENT_SECURITY_POLICY : contentSecurityPolicy(nonce, options);
}

/**
 * The policy of a JSON answer from /api (Auth.js's own pages under /api/auth excepted): it is data,
 * so nothing in it may run, load or be framed, and no per-request nonce is made for it.
 */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";

export function isJsonApiPath(pathname: string) {
  return pathname.startsWith('/api/') && !pathname.startsWith('/api/auth/') && pathname !== '/api/auth';
}

// Pages under these prefixes show or change private data; they must never be cached.
const PRIVATE_PREFIXES = ['/account', '/console', '/recover', '/signin', '/dev', '/api'];

export function isPrivatePath(pathname: string) {
  return PRIVATE_PREFIXES.some((prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`));
}
