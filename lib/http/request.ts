import { getConfig } from '@/lib/config';
import { AppError } from '@/lib/errors';
import { PEER_ADDRESS_HEADER, peerAddressStamped, resolveClientAddress, type ProxyTrust } from '@/lib/net/client-address';
import { log } from '@/lib/log';

export const TEST_CLOCK_COOKIE = 'regain_test_now';

/** Headers-like access, so pages (headers()) and route handlers (request.headers) share it. */
type HeaderSource = { get(name: string): string | null };
type CookieSource = { get(name: string): { value: string } | undefined };

/**
 * The client's address: the one source for per-IP limits and for the address stored on sessions,
 * sign-in events, audit lines and approval prompts (docs/security.md rules 14, 20, 24).
 *
 * The socket address comes from the header the server entry (scripts/serve.ts) stamps on every
 * request; X-Forwarded-For counts only behind the proxies TRUSTED_PROXY_HOPS or TRUSTED_PROXIES
 * name (rules in lib/net/client-address.ts). X-Real-IP and Forwarded are never read.
 *
 * Without the entry (plain `next start`/`next dev`) there is no trustworthy address: Next passes a
 * client-sent X-Forwarded-For through unchanged and the peer header would be the client's too.
 * Guessing is unsafe either way (a forged header escapes every per-IP limit; one shared bucket
 * lets one client throttle everyone), so requests that need the address are refused with 503 and
 * the cause is logged once.
 */
export function clientIp(headers: HeaderSource, options: { trust?: ProxyTrust; stamped?: boolean } = {}): string {
  const stamped = options.stamped ?? peerAddressStamped();
  const address = stamped
    ? resolveClientAddress({ peer: headers.get(PEER_ADDRESS_HEADER), forwardedFor: headers.get('x-forwarded-for') }, options.trust ?? getConfig().trustedProxy)
    : undefined;
  if (address) return address;
  if (stamped) warnOnce('client_address_unusable', 'the socket address stamped by the server entry is not an IP address; the request was refused');
  else warnIfClientAddressUnavailable();
  throw new AppError({
    code: 'unavailable',
    userMessage: "This service can't take requests right now. Please try again later.",
    internalMessage: 'no trustworthy client address (docs/security.md rule 24)',
  });
}

/** One log line, at start-up (instrumentation.ts) or at the first refused request, when the entry is missing. */
export function warnIfClientAddressUnavailable() {
  if (peerAddressStamped()) return;
  warnOnce(
    'client_address_unavailable',
    'started without the server entry (plain `next start`/`next dev`?): start with `npm start` (scripts/serve.ts), which stamps the socket address. Until then every request that needs the client address (sign-in, recovery, account pages) is refused with 503 (docs/security.md rule 24)',
  );
}

// Per process, on globalThis: Next may load this module more than once (one copy per bundle).
const WARNED = Symbol.for('regain.clientAddressWarned');

function warnOnce(event: string, detail: string) {
  const flags = globalThis as Record<symbol, unknown>;
  if (flags[WARNED]) return;
  flags[WARNED] = true;
  log.error(event, { detail });
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
 * State-changing JSON endpoints refuse cross-site browser requests (docs/security.md rule 16): a browser
 * always sends Origin on a cross-origin POST; clients that are not browsers send none.
 */
export function assertSameOrigin(request: Request) {
  const origin = request.headers.get('origin');
  if (origin && origin !== new URL(getConfig().appUrl).origin) {
    throw new AppError({ code: 'forbidden', userMessage: 'This request came from another site and was refused.' });
  }
}
