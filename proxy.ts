import path from 'node:path';
import { NextResponse, type NextRequest } from 'next/server';
import { CATEGORIES } from '@/lib/help/categories';
import { prerenderedPages } from '@/lib/http/prerendered-pages';
import {
  API_CONTENT_SECURITY_POLICY,
  contentSecurityPolicy,
  contentSecurityPolicyFor,
  isJsonApiPath,
  isPrivatePath,
  prerenderedPagePolicy,
} from '@/lib/http/security-headers';

const pages = prerenderedPages(path.join(process.cwd(), '.next'));
const NOT_FOUND_PAGE = '/_not-found';
// Per prerendered address: its policy never changes while this build is served.
const prerenderedPolicies = new Map<string, string>();

/**
 * Next.js 16 calls middleware "proxy". Picks each response's content security policy by page kind
 * (lib/http/security-headers.ts):
 * - a public page prerendered at build time (home, categories, articles, the search shell, tools)
 *   gets the hashes of its own scripts and no nonce, so the file is served as is and can be cached;
 * - everything else (account, console, recovery, sign-in, any POST such as a server action) gets a
 *   fresh nonce, which Next reads from the request-side header and stamps on its scripts;
 * - a JSON answer from /api runs nothing: a fixed policy that allows nothing, and no-store.
 */
export function proxy(request: NextRequest) {
  const { pathname, searchParams } = request.nextUrl;
  const development = process.env.NODE_ENV === 'development';

  // The home page's category tabs used to be /?category=…; each category is its own page now.
  if (pathname === '/' && searchParams.has('category')) {
    const category = searchParams.get('category');
    const url = request.nextUrl.clone();
    url.pathname = CATEGORIES.includes(category as (typeof CATEGORIES)[number]) ? `/categories/${category}` : '/';
    url.searchParams.delete('category');
    return NextResponse.redirect(url, 308);
  }

  if (isJsonApiPath(pathname)) {
    const response = NextResponse.next();
    response.headers.set('Content-Security-Policy', API_CONTENT_SECURITY_POLICY);
    response.headers.set('Cache-Control', 'no-store');
    return response;
  }

  const reads = request.method === 'GET' || request.method === 'HEAD';
  if (reads && !development && !isPrivatePath(pathname)) {
    let policy = prerenderedPolicies.get(pathname);
    if (!policy) {
      const hashes = pages.scriptHashes(pathname);
      if (hashes) prerenderedPolicies.set(pathname, (policy = prerenderedPagePolicy(hashes, { development })));
    }
    if (policy) {
      const response = NextResponse.next();
      response.headers.set('Content-Security-Policy', policy);
      return response;
    }
  }

  const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  // A public address that is not a prerendered page is, today, an unknown one: Next answers with
  // the prerendered "not found" page, whose scripts carry no nonce, so its hashes are accepted too.
  const notFound = reads && !development && !isPrivatePath(pathname) ? pages.scriptHashes(NOT_FOUND_PAGE) : undefined;
  const csp = notFound ? prerenderedPagePolicy(notFound, { development, nonce }) : contentSecurityPolicy(nonce, { development });

  const requestHeaders = new Headers(request.headers);
  requestHeaders.set('x-nonce', nonce);
  requestHeaders.set('Content-Security-Policy', csp);

  const response = NextResponse.next({ request: { headers: requestHeaders } });
  // A document download keeps its sandbox policy; everything else gets the page policy.
  response.headers.set('Content-Security-Policy', notFound ? csp : contentSecurityPolicyFor(pathname, nonce, { development }));
  if (isPrivatePath(pathname)) response.headers.set('Cache-Control', 'no-store');
  return response;
}

export const config = {
  matcher: [{ source: '/((?!_next/static|_next/image|favicon.ico|icon.svg).*)' }],
};
