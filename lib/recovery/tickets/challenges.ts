import { recordAudit } from '@/lib/audit';
import { keyedHash, logReference } from '@/lib/crypto';
import type { Db } from '@/lib/db/client';
import { codeEmail } from '@/lib/delivery/templates';
import type { Delivery } from '@/lib/delivery/types';
import { log } from '@/lib/log';
import type { Admission } from '@/lib/limits/failures';
import { attemptCode, type CodeSubject, issueCode, type MatchedCode } from '@/lib/verification/code-challenge';
import { CODE_TTL_SECONDS, type Limit } from '@/lib/verification/policy';
import { consumeRateLimit, rateLimited } from '@/lib/limits';

/**
 * Email-code challenges that prove control of a ticket's contact address: one to open the status
 * page (TICKET_STATUS), one to join a video call (VIDEO_CALL). They are lib/verification's
 * code challenges (code-challenge.ts) with the ticket as their subject:
 *
 * - a 6-digit CSPRNG code, stored only as an HMAC bound to the challenge (rule 1);
 * - 10 minutes, single use, attempts counted in the same statement that reads the hash (rule 2);
 * - 5 wrong codes kill a challenge; asking again invalidates the previous code and carries its
 *   attempts over (rule 3); failures are limited per ticket AND client by lib/limits/failures
 *   with CODE_FAILURES, so strangers who know a reference cannot lock its owner out (rule 23);
 * - an unknown reference (or a wrong email) gets a decoy challenge that is stored, rate limited and
 *   answered exactly like a real one and never verifies (rule 13).
 *
 * Binding. A real challenge's subject is its ticket (subjectType TICKET, subjectId); a decoy's is
 * a keyed hash of what was typed, so it names no ticket. `userId` stays null on purpose: a code sent
 * to a ticket's contact address (which the person typed themselves) must never become a recovery
 * proof for an account, and recovery codes are a purpose of their own besides.
 */
export type TicketCodePurpose = 'TICKET_STATUS' | 'VIDEO_CALL' | 'TICKET_CONTACT';

const PURPOSE_WORDS: Record<TicketCodePurpose, { label: string; deliveryPurpose: string }> = {
  TICKET_STATUS: { label: 'that you want to see your recovery request', deliveryPurpose: 'ticket-status-code' },
  VIDEO_CALL: { label: 'that you want to join your video call', deliveryPurpose: 'video-call-code' },
  // The first and, until it is entered, only mail to a typed contact address (docs/security.md rule 27).
  TICKET_CONTACT: { label: 'that this is your email address for a recovery request', deliveryPurpose: 'ticket-contact-code' },
};

export type Schedule = (work: () => Promise<void>) => void;

/**
 * The default when no scheduler is passed: send without waiting, so a slow mail server cannot make
 * a real request slower than a decoy. Routes pass Next's after(); tests pass a collector.
 */
export const backgroundSchedule: Schedule = (work) => {
  void work().catch((error) => log.error('ticket_delivery_failed', { error }));
};

export type CodeRequest = {
  challengeId: string;
  expiresAt: string;
  attemptsLeft: number;
};

export function ticketSubject(ticketId: string): CodeSubject {
  return { type: 'TICKET', id: ticketId };
}

/** A decoy's subject: 16 bytes of a keyed hash of what was typed, the same for the same input. */
export function decoySubject(hmacKey: Buffer, ...parts: string[]): CodeSubject {
  return { type: 'TICKET', hash: new Uint8Array(keyedHash(hmacKey, 'ticket-decoy', ...parts).subarray(0, 16)) };
}

export async function limitAll(db: Db, now: Date, checks: [string, Limit][], what: string) {
  for (const [key, limit] of checks) {
    const decision = await consumeRateLimit(db, key, limit, now);
    if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds, what);
  }
}

/** Per-destination key shared with every other email code, so features cannot add up past the limit. */
export function destinationKey(hmacKey: Buffer, email: string) {
  // Its own budget, apart from recovery codes: if a ticket lookup (which anyone can aim at any
  // address) spent the recovery budget, a 429 on "Can't sign in?" would reveal the account (rule 13).
  return keyedHash(hmacKey, 'ticket-destination', email).toString('base64url');
}

/**
 * Creates a challenge (real when `to` is given, a decoy otherwise) and schedules the email.
 * Live earlier challenges this client asked for, for the same ticket (or typed value) and purpose,
 * die here, and the new one starts with their attempts: asking again never buys more guesses
 * (rule 3). Other clients' challenges are left alone: a stranger who knows a reference must not be
 * able to kill the owner's code or hand them a dead one (rule 23); strangers' guesses are bounded
 * per ticket by the failure limits instead.
 */
export async function issueTicketCode(options: {
  db: Db;
  delivery: Delivery;
  hmacKey: Buffer;
  purpose: TicketCodePurpose;
  subject: CodeSubject;
  /** The contact address for a real challenge; undefined for a decoy (nothing is sent). */
  to: string | undefined;
  destinationMasked: string;
  ip: string;
  userAgent: string | null | undefined;
  now: Date;
  schedule: Schedule;
  newCode?: (() => string) | undefined;
  /** Put the request on record (rule 20): by someone not yet known, about the ticket when real. */
  auditAction?: 'ticket.status_code_requested' | 'ticket.video_code_requested' | undefined;
}): Promise<CodeRequest & { sent: boolean }> {
  const issued = await issueCode(options.db, {
    hmacKey: options.hmacKey,
    purpose: options.purpose,
    subject: options.subject,
    userId: null, // see the module comment: never a recovery proof
    real: Boolean(options.to),
    channel: 'EMAIL',
    destinationMasked: options.destinationMasked,
    requestIp: options.ip,
    requestUserAgent: options.userAgent,
    supersede: true,
    now: options.now,
    newCode: options.newCode,
  });
  const { challengeId, code, attemptsLeft } = issued;

  // A dead challenge (attempts carried over to the limit) sends nothing: its code could not work.
  const to = options.to;
  const sent = Boolean(to) && attemptsLeft > 0;
  if (to && sent) {
    const words = PURPOSE_WORDS[options.purpose];
    options.schedule(async () => {
      const content = codeEmail({ code, purposeLabel: words.label, expiresInMinutes: CODE_TTL_SECONDS / 60 });
      await options.delivery
        .send({ channel: 'email', to, purpose: words.deliveryPurpose, challengeId, sensitive: [code], ...content })
        .catch((error) => log.warn('ticket_code_send_failed', { challengeRef: logReference(options.hmacKey, challengeId), error: (error as Error).message }));
    });
  }
  if (options.auditAction) {
    const ticketId = options.subject.id ?? null;
    await recordAudit(options.db, {
      actorType: 'ANONYMOUS',
      action: options.auditAction,
      subjectType: ticketId ? 'ticket' : null,
      subjectId: ticketId,
      ip: options.ip,
      userAgent: options.userAgent?.slice(0, 300),
      data: { matched: ticketId !== null, sent },
      occurredAt: options.now,
    });
  }
  return { challengeId, expiresAt: issued.expiresAt.toISOString(), attemptsLeft, sent };
}

type Admitted = Extract<Admission, { allowed: true }> | undefined;

export type TicketCodeAttempt =
  | { status: 'match'; ticketId: string; attemptsLeft: number; admission: Admitted; matched: MatchedCode }
  | { status: 'mismatch'; ticketId: string | undefined; attemptsLeft: number; admission: Admitted }
  | { status: 'expired' | 'used' | 'locked' };

/**
 * Counts one attempt and checks the email code (ASVS 6.5.1, 6.6.2) with the code challenge's one
 * statement; every try counts per IP (rule 14) and failures per ticket (or, for a decoy, per typed
 * value) AND client (rules 3, 23). With `ticketId`, another ticket's challenge is unknown here.
 * A match is not consumed: the caller may need a second proof first (consumeCode does it, once).
 */
export async function attemptTicketCode(options: {
  db: Db;
  hmacKey: Buffer;
  purpose: TicketCodePurpose;
  challengeId: string;
  code: string;
  ip: string;
  now: Date;
  ticketId?: string | undefined;
}): Promise<TicketCodeAttempt> {
  const attempt = await attemptCode(options.db, {
    hmacKey: options.hmacKey,
    challengeId: options.challengeId,
    purpose: options.purpose,
    code: options.code,
    now: options.now,
    subject: options.ticketId === undefined ? undefined : { type: 'TICKET', id: options.ticketId },
    limits: { client: options.ip, scope: 'ticket-code' },
  });
  switch (attempt.outcome) {
    case 'unknown':
    case 'expired':
      return { status: 'expired' };
    case 'used':
      return { status: 'used' };
    case 'exhausted':
      return { status: 'locked' };
  }
  // Only a real challenge names a ticket; a decoy's subject is a keyed hash.
  const ticketId = attempt.challenge.subjectId ?? undefined;
  const { attemptsLeft, admission } = attempt;
  if (attempt.outcome === 'match' && ticketId) return { status: 'match', ticketId, attemptsLeft, admission, matched: attempt };
  return { status: 'mismatch', ticketId, attemptsLeft, admission };
}
