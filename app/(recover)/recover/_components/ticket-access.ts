import { cookies } from 'next/headers';
import { getConfig } from '@/lib/config';
import { constantTimeEqual, keyedHash } from '@/lib/crypto';
import { isUuid } from '@/lib/db/ids';
import { requestNow } from '@/lib/http/request';

/**
 * Which recovery ticket this browser may act on, held in an HttpOnly cookie scoped to /recover.
 *
 * Two grants use it:
 * - `documents`: the ticket this browser opened on /recover/documents, so uploads attach to it
 *   (stage "upload"), then the confirmation is shown (stage "submitted");
 * - `status`: the ticket whose status-page code this browser verified (lib verifyStatusCode says to
 *   keep its ticketId server-side, never in a URL or a form field: rule 12, no IDOR).
 *
 * Why a signed value rather than the bare ticket id: HttpOnly keeps page scripts (and so XSS) away
 * from the cookie, but whoever sits at the keyboard, or a script outside any browser, can still
 * send any cookie they like. With a bare id, any ticket id seen elsewhere (a log line, an audit
 * export, an agent's console URL) would open that ticket's conversation and accept uploads into
 * it. The HMAC proves this server issued the value after the matching proof (opening the ticket
 * here, or a verified email code), binds it to one purpose and stage, and carries an expiry that
 * is enforced here rather than trusted to the browser's Max-Age. No new table is needed for it.
 */
export type TicketGrantPurpose = 'documents' | 'status';

const COOKIE: Record<TicketGrantPurpose, string> = {
  documents: 'regain_document_ticket',
  status: 'regain_ticket_access',
};

export type TicketGrant = { ticketId: string; stage: string; expiresAt: Date };

function mac(purpose: TicketGrantPurpose, ticketId: string, stage: string, expires: string) {
  return keyedHash(getConfig().hmacKey, 'recover-ticket-grant', purpose, ticketId, stage, expires);
}

export async function grantTicket(purpose: TicketGrantPurpose, grant: { ticketId: string; stage: string; ttlSeconds: number }) {
  const jar = await cookies();
  const now = requestNow(jar);
  const expires = String(Math.floor(now.getTime() / 1000) + grant.ttlSeconds);
  const value = [grant.ticketId, grant.stage, expires, mac(purpose, grant.ticketId, grant.stage, expires).toString('base64url')].join('.');
  jar.set(COOKIE[purpose], value, {
    httpOnly: true,
    sameSite: 'lax',
    secure: getConfig().isProduction,
    path: '/recover',
    maxAge: grant.ttlSeconds,
  });
}

/** The grant in this request's cookie, or undefined when it is missing, altered or out of date. */
export async function readTicketGrant(purpose: TicketGrantPurpose): Promise<TicketGrant | undefined> {
  const jar = await cookies();
  const raw = jar.get(COOKIE[purpose])?.value;
  if (!raw) return undefined;
  const [ticketId = '', stage = '', expires = '', signature = '', ...rest] = raw.split('.');
  if (rest.length > 0 || !isUuid(ticketId) || !/^[a-z]{1,16}$/.test(stage) || !/^\d{1,12}$/.test(expires)) return undefined;
  if (!constantTimeEqual(Buffer.from(signature, 'base64url'), mac(purpose, ticketId, stage, expires))) return undefined;
  const expiresAt = new Date(Number(expires) * 1000);
  if (expiresAt <= requestNow(jar)) return undefined;
  return { ticketId, stage, expiresAt };
}

export async function revokeTicketGrant(purpose: TicketGrantPurpose) {
  (await cookies()).set(COOKIE[purpose], '', { httpOnly: true, sameSite: 'lax', secure: getConfig().isProduction, path: '/recover', maxAge: 0 });
}

/**
 * A code step in progress (status page or video join): the challenge id the lib issued plus what
 * the page shows back. Not signed: the challenge id is a random 122-bit handle that only ever
 * verifies the code sent for it, and the rest is display text that was typed here anyway.
 */
export type PendingCode = { challengeId: string; expiresAt: string; attemptsLeft: number; destination?: string; reference?: string };

const PENDING_COOKIE = { status: 'regain_status_code', video: 'regain_video_code', documents: 'regain_documents_code' } as const;

export async function rememberPendingCode(kind: keyof typeof PENDING_COOKIE, pending: PendingCode) {
  (await cookies()).set(PENDING_COOKIE[kind], Buffer.from(JSON.stringify(pending)).toString('base64url'), {
    httpOnly: true,
    sameSite: 'lax',
    secure: getConfig().isProduction,
    path: '/recover',
    // Codes live 10 minutes; a little longer lets the page say "expired" instead of starting over silently.
    maxAge: 15 * 60,
  });
}

export async function readPendingCode(kind: keyof typeof PENDING_COOKIE): Promise<PendingCode | undefined> {
  const raw = (await cookies()).get(PENDING_COOKIE[kind])?.value;
  if (!raw) return undefined;
  try {
    const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<PendingCode>;
    if (typeof value.challengeId !== 'string' || !isUuid(value.challengeId)) return undefined;
    if (typeof value.expiresAt !== 'string' || Number.isNaN(new Date(value.expiresAt).getTime())) return undefined;
    return {
      challengeId: value.challengeId,
      expiresAt: value.expiresAt,
      attemptsLeft: typeof value.attemptsLeft === 'number' ? value.attemptsLeft : 5,
      ...(typeof value.destination === 'string' ? { destination: value.destination.slice(0, 120) } : {}),
      ...(typeof value.reference === 'string' ? { reference: value.reference.slice(0, 20) } : {}),
    };
  } catch {
    return undefined;
  }
}

export async function forgetPendingCode(kind: keyof typeof PENDING_COOKIE) {
  (await cookies()).set(PENDING_COOKIE[kind], '', { httpOnly: true, sameSite: 'lax', secure: getConfig().isProduction, path: '/recover', maxAge: 0 });
}
