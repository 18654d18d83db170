import { getConfig } from '@/lib/config';
import { AppError } from '@/lib/errors';

export const TEST_CLOCK_COOKIE = 'regain_test_now';

/** Headers-like access, so pages (headers()) and route handlers (request.headers) share it. */
type HeaderSource = { get(name: string): string | null };
type CookieSource = { get(name: string): { value: string } | undefined };

/**
 * The client's address for rate limits. Next.js passes a client-sent X-Forwarded-For through
 * unchanged, so the left end of that header is whatever the client wrote; the right end is what
 * the nearest proxy saw (nginx's $proxy_add_x_forwarded_for and cloud load balancers append).
 * Run Regain behind such a proxy.
 */
export function clientIp(headers: HeaderSource): string {
  const hops = headers.get('x-forwarded-for')?.split(',').map((hop) => hop.trim()).filter(Boolean) ?? [];
  return hops.at(-1) || headers.get('x-real-ip') || 'unknown';
}

/**
 * "Now" for this request. Always the server clock, except on a localhost test server started with
 * ENABLE_TEST_CLOCK, where a browser test may pin the date with a cookie.
 */
export function requestNow(cookies: CookieSource): Date {
  if (getConfig().testClock) {
    const pinned = cookies.get(TEST_CLOCK_COOKIE)?.value;
    const date = pinned ? new Date(pinned) : undefined;
    if (date && !Number.isNaN(date.getTime())) return date;
  }
  return new Date();
}

/**
 * State-changing JSON endpoints refuse cross-site browser requests (security.md rule 16): a browser
 * always sends Origin on a cross-origin POST; clients that are not browsers send none.
 */
export function assertSameOrigin(request: Request) {
  const origin = request.headers.get('origin');
  if (origin && origin !== new URL(getConfig().appUrl).origin) {
    throw new AppError({ code: 'forbidden', userMessage: 'This request came from another site and was refused.' });
  }
}
