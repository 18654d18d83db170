import { NextResponse, type NextRequest } from 'next/server';
import { contentSecurityPolicy, contentSecurityPolicyFor, isPrivatePath } from '@/lib/http/security-headers';

// Next.js 16 calls middleware "proxy". A fresh nonce per request; Next reads it from the
// request-side CSP header and stamps it on its own scripts.
export function proxy(request: NextRequest) {
  const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  const csp = contentSecurityPolicy(nonce, { development: process.env.NODE_ENV === 'development' });

  const requestHeaders = new Headers(request.headers);
  requestHeaders.set('x-nonce', nonce);
  requestHeaders.set('Content-Security-Policy', csp);

  const response = NextResponse.next({ request: { headers: requestHeaders } });
  // A document download keeps its sandbox policy; everything else gets the page policy.
  response.headers.set('Content-Security-Policy', contentSecurityPolicyFor(request.nextUrl.pathname, nonce, { development: process.env.NODE_ENV === 'development' }));
  if (isPrivatePath(request.nextUrl.pathname)) response.headers.set('Cache-Control', 'no-store');
  return response;
}

export const config = {
  matcher: [{ source: '/((?!_next/static|_next/image|favicon.ico|icon.svg).*)' }],
};
