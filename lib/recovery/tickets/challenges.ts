import { randomUUID } from 'node:crypto';
import { keyedHash, logReference } from '@/lib/crypto';
import type { Db } from '@/lib/db/client';
import { codeEmail } from '@/lib/delivery/templates';
import type { Delivery } from '@/lib/delivery/types';
import { log } from '@/lib/log';
import { codeMatches, generateCode, hashCode } from '@/lib/verification/codes';
import { type Admission, admitAttempt, released, succeeded } from '@/lib/verification/failures';
import { CODE_FAILURES, CODE_TTL_SECONDS, MAX_ATTEMPTS, type Limit, VERIFY_FAILURES_PER_IP } from '@/lib/verification/policy';
import { consumeRateLimit, rateLimited } from '@/lib/verification/rate-limit';

/**
 * Email-code challenges that prove control of a ticket's contact address: one to open the status
 * page (TICKET_STATUS), one to join a video call (VIDEO_CALL). They follow lib/verification's rules
 * and reuse its code generation, keyed hashing, limits and rate limiter:
 *
 * - a 6-digit CSPRNG code, stored only as an HMAC bound to the challenge (rule 1);
 * - 10 minutes, single use, attempts counted in the same statement that reads the hash (rule 2);
 * - 5 wrong codes kill a challenge; asking again invalidates the previous code and carries its
 *   attempts over (rule 3); failures are limited per ticket AND client by lib/verification/failures
 *   with CODE_FAILURES, so strangers who know a reference cannot lock its owner out (rule 23);
 * - an unknown reference (or a wrong email) gets a decoy challenge that is stored, rate limited and
 *   answered exactly like a real one and never verifies (rule 13).
 *
 * Binding. VerificationChallenge has no ticket column, so a real challenge records its ticket in
 * `identifierHash` as the ticket id's 16 bytes (a decoy holds 16 bytes of an HMAC of what was
 * typed). `userId` stays null on purpose: lib/verification's verifyCode treats a challenge with a
 * user as a recovery proof for that user, and a code sent to a ticket's contact address (which the
 * person typed themselves) must never become one. With a null user, verifyCode can only ever
 * answer "wrong" for these rows.
 */
export type TicketCodePurpose = 'TICKET_STATUS' | 'VIDEO_CALL' | 'TICKET_CONTACT';

const PURPOSE_WORDS: Record<TicketCodePurpose, { label: string; deliveryPurpose: string }> = {
  TICKET_STATUS: { label: 'that you want to see your recovery request', deliveryPurpose: 'ticket-status-code' },
  VIDEO_CALL: { label: 'that you want to join your video call', deliveryPurpose: 'video-call-code' },
  // The first and, until it is entered, only mail to a typed contact address (security.md rule 27).
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function ticketIdentifier(ticketId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(ticketId.replace(/-/g, ''), 'hex'));
}

function ticketIdFrom(identifier: Uint8Array): string | undefined {
  if (identifier.length !== 16) return undefined;
  const hex = Buffer.from(identifier).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function decoyIdentifier(hmacKey: Buffer, ...parts: string[]): Uint8Array<ArrayBuffer> {
  return new Uint8Array(keyedHash(hmacKey, 'ticket-decoy', ...parts).subarray(0, 16));
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
  identifier: Uint8Array<ArrayBuffer>;
  /** The contact address for a real challenge; undefined for a decoy (nothing is sent). */
  to: string | undefined;
  destinationMasked: string;
  ip: string;
  userAgent: string | null | undefined;
  now: Date;
  schedule: Schedule;
  newCode?: (() => string) | undefined;
}): Promise<CodeRequest & { sent: boolean }> {
  const { db, now } = options;
  const earlier = await db.$queryRaw<{ attempts: number }[]>`
    UPDATE "VerificationChallenge" SET "expiresAt" = ${now}
    WHERE "identifierHash" = ${options.identifier} AND "purpose" = ${options.purpose}::"ChallengePurpose"
      AND "requestIp" = ${options.ip} AND "consumedAt" IS NULL AND "expiresAt" > ${now}
    RETURNING "attempts"`;
  const attempts = Math.min(MAX_ATTEMPTS, Math.max(0, ...earlier.map((row) => row.attempts)));

  const challengeId = randomUUID();
  const code = (options.newCode ?? generateCode)();
  const expiresAt = new Date(now.getTime() + CODE_TTL_SECONDS * 1000);
  await db.verificationChallenge.create({
    data: {
      id: challengeId,
      purpose: options.purpose,
      userId: null, // see the module comment: never a recovery proof
      identifierHash: options.identifier,
      channel: 'EMAIL',
      destinationMasked: options.destinationMasked,
      codeHash: options.to ? hashCode(options.hmacKey, challengeId, code) : null,
      attempts,
      maxAttempts: MAX_ATTEMPTS,
      sendCount: 1,
      lastSentAt: now,
      expiresAt,
      requestIp: options.ip,
      requestUserAgent: options.userAgent?.slice(0, 300) ?? null,
    },
    select: { id: true },
  });

  // A dead challenge (attempts carried over to the limit) sends nothing: its code could not work.
  const to = options.to;
  const sent = Boolean(to) && attempts < MAX_ATTEMPTS;
  if (to && sent) {
    const words = PURPOSE_WORDS[options.purpose];
    options.schedule(async () => {
      const content = codeEmail({ code, purposeLabel: words.label, expiresInMinutes: CODE_TTL_SECONDS / 60 });
      await options.delivery
        .send({ channel: 'email', to, purpose: words.deliveryPurpose, challengeId, sensitive: [code], ...content })
        .catch((error) => log.warn('ticket_code_send_failed', { challengeRef: logReference(options.hmacKey, challengeId), error: (error as Error).message }));
    });
  }
  return { challengeId, expiresAt: expiresAt.toISOString(), attemptsLeft: MAX_ATTEMPTS - attempts, sent };
}

type Admitted = Extract<Admission, { allowed: true }>;

export type TicketCodeAttempt =
  | { status: 'match'; ticketId: string; attemptsLeft: number; admission: Admitted }
  | { status: 'mismatch'; ticketId: string | undefined; attemptsLeft: number; admission: Admitted }
  | { status: 'expired' | 'used' | 'locked' };

/**
 * Counts one attempt and checks the email code (ASVS 6.5.1, 6.6.2). The attempt is counted and the
 * stored hash read in one UPDATE, so no two requests share an attempt; the per-IP bucket counts
 * every try (rule 14). A match is not consumed here: the caller may need a second proof first
 * (consumeTicketCode does it, once).
 */
export async function attemptTicketCode(options: {
  db: Db;
  hmacKey: Buffer;
  purpose: TicketCodePurpose;
  challengeId: string;
  code: string;
  ip: string;
  now: Date;
}): Promise<TicketCodeAttempt> {
  const { db, now } = options;
  const ip = await consumeRateLimit(db, `verify:ip:${options.ip}`, VERIFY_FAILURES_PER_IP, now);
  if (!ip.allowed) throw rateLimited(ip.retryAfterSeconds, 'attempts');
  if (!isUuid(options.challengeId)) return { status: 'expired' };
  const target = await db.verificationChallenge.findFirst({
    where: { id: options.challengeId, purpose: options.purpose },
    select: { identifierHash: true, consumedAt: true, attempts: true, maxAttempts: true },
  });
  if (!target) return { status: 'expired' };
  if (target.consumedAt) return { status: 'used' };
  if (target.attempts >= target.maxAttempts) return { status: 'locked' };

  // Failures per ticket (or, for a decoy, per typed value) AND client (rules 3, 14, 23): the one
  // failure limiter, with the numbers recovery codes use.
  const admission = await admitAttempt(db, CODE_FAILURES, { subject: `ticket-code:${Buffer.from(target.identifierHash).toString('base64url')}`, client: options.ip }, now);
  if (!admission.allowed) throw rateLimited(admission.retryAfterSeconds, 'wrong codes');

  const [attempt] = await db.$queryRaw<{ codeHash: Uint8Array | null; attempts: number; maxAttempts: number; identifierHash: Uint8Array }[]>`
    UPDATE "VerificationChallenge" SET "attempts" = "attempts" + 1
    WHERE "id" = ${options.challengeId}::uuid AND "purpose" = ${options.purpose}::"ChallengePurpose"
      AND "consumedAt" IS NULL AND "expiresAt" > ${now} AND "attempts" < "maxAttempts"
    RETURNING "codeHash", "attempts", "maxAttempts", "identifierHash"`;
  if (!attempt) {
    // The challenge ended before this try was counted: not a guess.
    await released(db, admission);
    const challenge = await db.verificationChallenge.findFirst({
      where: { id: options.challengeId, purpose: options.purpose },
      select: { consumedAt: true, attempts: true, maxAttempts: true },
    });
    if (challenge?.consumedAt) return { status: 'used' };
    if (challenge && challenge.attempts >= challenge.maxAttempts) return { status: 'locked' };
    return { status: 'expired' };
  }

  // Only a real challenge (one with a code) names a ticket; a decoy's 16 bytes are an HMAC.
  const ticketId = attempt.codeHash ? ticketIdFrom(attempt.identifierHash) : undefined;
  const attemptsLeft = Math.max(0, attempt.maxAttempts - attempt.attempts);
  if (ticketId && codeMatches(options.hmacKey, options.challengeId, options.code, attempt.codeHash)) {
    return { status: 'match', ticketId, attemptsLeft, admission };
  }
  return { status: 'mismatch', ticketId, attemptsLeft, admission };
}

/** Single use: of N concurrent correct submissions exactly one gets `true` (rule 2). */
export async function consumeTicketCode(db: Db, challengeId: string, attempt: Extract<TicketCodeAttempt, { status: 'match' }>, now: Date): Promise<boolean> {
  const { count } = await db.verificationChallenge.updateMany({ where: { id: challengeId, consumedAt: null }, data: { consumedAt: now } });
  if (count !== 1) {
    await released(db, attempt.admission);
    return false;
  }
  await succeeded(db, attempt.admission);
  return true;
}
