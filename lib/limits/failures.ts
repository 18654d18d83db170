import { recordAudit } from '@/lib/audit';
import type { Db } from '@/lib/db/client';
import { refundRateLimit } from './index';
import type { FailurePolicy, FailureTier } from './policy';

/**
 * The one home of failure limits for secrets a person types: recovery codes, ticket codes and
 * sign-in (docs/security.md rules 3, 14, 23). The numbers live in lib/limits/policy.ts.
 *
 * A counter anyone can drive must never lock the owner out (rule 23), so failures are counted per
 * subject AND client (rule 14): the client that keeps guessing is the one that waits. The
 * subject-wide tier exists because a distributed guesser rotates clients; its lock is time-boxed,
 * grows with repeats up to a cap, and still lets clients with a clean record try (a few tries per
 * lock in total), so the owner on their own device gets through while the guesser stays bounded.
 *
 * Race-free by reservation: admitAttempt counts the try as a failure up front, under row locks, so
 * N parallel guesses cannot all slip under a limit; a success or a try that turned out not to be a
 * guess gives the reservation back (so only failures count, not attempts).
 */
export type FailureScope = {
  /** What is being guessed at, already keyed (hashed) by the caller, e.g. `verify:<identifierHash>`. */
  subject: string;
  /** Who is guessing: the client address (rule 24: from the trusted proxy count or the socket). */
  client: string;
};

export type Admission =
  | { allowed: true; subjectKey: string; clientKey: string; whileLocked: boolean }
  | { allowed: false; retryAfterSeconds: number; scope: 'client' | 'subject' };

type Bucket = { count: number; windowStart: Date; strikes: number; blockedUntil: Date | null };

const keysOf = (scope: FailureScope) => ({ subjectKey: `failures:${scope.subject}`, clientKey: `failures:${scope.subject}:client:${scope.client}` });

export function lockSecondsFor(tier: FailureTier, strikes: number) {
  return Math.min(tier.lockSeconds * 2 ** Math.max(strikes - 1, 0), tier.maxLockSeconds);
}

const lockedAt = (bucket: Bucket, nowMs: number) => bucket.blockedUntil !== null && bucket.blockedUntil.getTime() > nowMs;

/**
 * Brings a bucket up to `now`: a lock that ran out starts a new window where it ended (its strikes
 * stay, so the next lock is longer), a window that passed starts over, and strikes are forgotten
 * once the last lock ended long enough ago.
 */
export function settle(bucket: Bucket, tier: FailureTier, forgetAfterSeconds: number, now: Date): Bucket {
  const nowMs = now.getTime();
  let { count, windowStart, strikes } = bucket;
  const { blockedUntil } = bucket;
  if (blockedUntil && blockedUntil.getTime() <= nowMs && windowStart < blockedUntil) {
    count = 0;
    windowStart = blockedUntil;
  }
  if (!lockedAt(bucket, nowMs) && windowStart.getTime() + tier.windowSeconds * 1000 <= nowMs) {
    count = 0;
    windowStart = now;
  }
  if (strikes > 0 && blockedUntil && blockedUntil.getTime() + forgetAfterSeconds * 1000 <= nowMs) strikes = 0;
  return { count, windowStart, strikes, blockedUntil };
}

function lock(bucket: Bucket, tier: FailureTier, now: Date): Bucket {
  const strikes = bucket.strikes + 1;
  return { count: 0, windowStart: now, strikes, blockedUntil: new Date(now.getTime() + lockSecondsFor(tier, strikes) * 1000) };
}

const retryAfter = (bucket: Bucket, now: Date) => Math.max(1, Math.ceil((bucket.blockedUntil!.getTime() - now.getTime()) / 1000));

/**
 * Decides whether this client may try once more against this subject, and if so reserves the try
 * as a failure. Call succeeded() or released() when it turns out otherwise.
 */
export async function admitAttempt(db: Db, policy: FailurePolicy, scope: FailureScope, now: Date): Promise<Admission> {
  const { subjectKey, clientKey } = keysOf(scope);
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`
      INSERT INTO "RateLimitBucket" ("key", "count", "windowStart", "strikes", "updatedAt")
      VALUES (${subjectKey}, 0, ${now}, 0, ${now}), (${clientKey}, 0, ${now}, 0, ${now}) ON CONFLICT ("key") DO NOTHING`;
    // Always the subject row first, then the client row: one lock order, no deadlocks.
    const [subjectRow] = await tx.$queryRaw<Bucket[]>`
      SELECT "count", "windowStart", "strikes", "blockedUntil" FROM "RateLimitBucket" WHERE "key" = ${subjectKey} FOR UPDATE`;
    const [clientRow] = await tx.$queryRaw<Bucket[]>`
      SELECT "count", "windowStart", "strikes", "blockedUntil" FROM "RateLimitBucket" WHERE "key" = ${clientKey} FOR UPDATE`;
    let subject = settle(subjectRow!, policy.perSubject, policy.forgetAfterSeconds, now);
    let client = settle(clientRow!, policy.perClient, policy.forgetAfterSeconds, now);
    const save = async () => {
      await tx.rateLimitBucket.update({ where: { key: subjectKey }, data: { ...subject, updatedAt: now } });
      await tx.rateLimitBucket.update({ where: { key: clientKey }, data: { ...client, updatedAt: now } });
    };
    const nowMs = now.getTime();

    // Rule 20: a lock is on record, committed with it; the client that drove it is the actor. The
    // subject is already a keyed hash (never an identifier or a bearer value, rule 26).
    const auditLock = (tier: 'client' | 'subject', bucket: Bucket) =>
      recordAudit(tx, {
        actorType: 'ANONYMOUS',
        action: 'failures.locked',
        subjectType: 'failure_subject',
        subjectId: scope.subject.slice(0, 80),
        ip: scope.client,
        data: { tier, strikes: bucket.strikes, lockedUntil: bucket.blockedUntil!.toISOString() },
        occurredAt: now,
      });

    // The guessing client: its own budget, its own growing wait.
    if (!lockedAt(client, nowMs) && client.count >= policy.perClient.limit) {
      client = lock(client, policy.perClient, now);
      await auditLock('client', client);
    }
    if (lockedAt(client, nowMs)) {
      await save();
      return { allowed: false as const, retryAfterSeconds: retryAfter(client, now), scope: 'client' as const };
    }

    // Everyone together: a time-boxed lock, during which only clients with a clean record try.
    if (!lockedAt(subject, nowMs) && subject.count >= policy.perSubject.limit) {
      subject = lock(subject, policy.perSubject, now);
      await auditLock('subject', subject);
    }
    const whileLocked = lockedAt(subject, nowMs);
    if (whileLocked && (client.count > 0 || subject.count >= policy.triesWhileLocked)) {
      await save();
      return { allowed: false as const, retryAfterSeconds: retryAfter(subject, now), scope: 'subject' as const };
    }
    subject = { ...subject, count: subject.count + 1 };
    client = { ...client, count: client.count + 1 };
    await save();
    return { allowed: true as const, subjectKey, clientKey, whileLocked };
  });
}

/** The right secret: this client's record is clean again, and the subject gets its try back. */
export async function succeeded(db: Db, admission: Extract<Admission, { allowed: true }>) {
  await db.rateLimitBucket.deleteMany({ where: { key: admission.clientKey } });
  await refundRateLimit(db, admission.subjectKey);
}

/** The try was not a guess after all (the challenge had already ended): nothing is counted. */
export async function released(db: Db, admission: Extract<Admission, { allowed: true }>) {
  await refundRateLimit(db, admission.clientKey);
  await refundRateLimit(db, admission.subjectKey);
}
