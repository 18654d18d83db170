import { getConfig } from '@/lib/config';

export const TEST_CLOCK_COOKIE = 'regain_test_now';

/** Headers-like access, so pages (headers()) and route handlers (request.headers) share it. */
type HeaderSource = { get(name: string): string | null };
type CookieSource = { get(name: string): { value: string } | undefined };

/** The client's address as the first proxy saw it (Next.js sets x-forwarded-for). */
export function clientIp(headers: HeaderSource): string {
  return headers.get('x-forwarded-for')?.split(',')[0]?.trim() || headers.get('x-real-ip') || 'unknown';
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
