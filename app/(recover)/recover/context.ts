import { cookies, headers } from 'next/headers';
import { after } from 'next/server';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { getDelivery } from '@/lib/delivery';
import { clientIp, requestNow } from '@/lib/http/request';
import { RESET_TTL_SECONDS } from '@/lib/recovery/resets';
import type { VerificationDeps } from '@/lib/verification/challenges';

/** The browser's current recovery challenge: an HttpOnly cookie, never a URL anyone could share. */
export const CHALLENGE_COOKIE = 'regain_recovery';

export async function verificationDeps(): Promise<VerificationDeps> {
  const jar = await cookies();
  return {
    db: getPrisma(),
    hmacKey: getConfig().hmacKey,
    delivery: getDelivery(),
    now: () => requestNow(jar),
    // Codes go out after the response, so a slow provider cannot reveal that an account exists.
    schedule: (work) => after(work),
  };
}

export async function requestContext() {
  const list = await headers();
  return { ip: clientIp(list), userAgent: list.get('user-agent') };
}

export async function currentChallengeId() {
  return (await cookies()).get(CHALLENGE_COOKIE)?.value;
}

export async function rememberChallenge(challengeId: string) {
  (await cookies()).set(CHALLENGE_COOKIE, challengeId, {
    httpOnly: true,
    sameSite: 'lax',
    secure: getConfig().isProduction,
    path: '/',
    maxAge: 30 * 60,
  });
}

/**
 * The browser's factor reset in progress (lib/recovery/resets): the reset's secret key, held only
 * by this browser in an HttpOnly cookie. The reset's id, which audit lines may show, opens nothing.
 */
const RESET_COOKIE = 'regain_reset';

export async function currentReset() {
  return (await cookies()).get(RESET_COOKIE)?.value;
}

export async function rememberReset(resetToken: string) {
  (await cookies()).set(RESET_COOKIE, resetToken, { httpOnly: true, sameSite: 'lax', secure: getConfig().isProduction, path: '/recover', maxAge: RESET_TTL_SECONDS });
}

/**
 * The browser an approval link was first opened in (lib/recovery/tickets/reset-token.ts): a secret
 * kept in an HttpOnly cookie for as long as the link lives, so closing the tab loses nothing and no
 * other browser can use the link. The ticket stores only its keyed hash.
 */
const LINK_COOKIE = 'regain_link';

export async function currentLinkBrowserKey() {
  return (await cookies()).get(LINK_COOKIE)?.value;
}

export async function rememberLinkBrowserKey(browserKey: string, until: Date, now: Date) {
  const maxAge = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
  (await cookies()).set(LINK_COOKIE, browserKey, { httpOnly: true, sameSite: 'lax', secure: getConfig().isProduction, path: '/recover', maxAge });
}
