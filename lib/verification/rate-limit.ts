import type { Db } from '@/lib/db/client';
import { AppError } from '@/lib/errors';
import { type Limit, RATE_LIMIT_MAX_BLOCK_SECONDS } from './policy';

/**
 * Fixed-window counters in PostgreSQL, so every app instance shares them. A key that goes over
 * its limit is blocked until the window ends, and each further time it does, for twice as long
 * (a growing cooldown), up to RATE_LIMIT_MAX_BLOCK_SECONDS (rule 23: never an open-ended lever). The row is locked for the decision, so concurrent requests cannot slip
 * past the limit together.
 */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export async function consumeRateLimit(db: Db, key: string, limit: Limit, now: Date): Promise<RateDecision> {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`
      INSERT INTO "RateLimitBucket" ("key", "count", "windowStart", "strikes", "updatedAt")
      VALUES (${key}, 0, ${now}, 0, ${now}) ON CONFLICT ("key") DO NOTHING`;
    const [bucket] = await tx.$queryRaw<{ count: number; windowStart: Date; strikes: number; blockedUntil: Date | null }[]>`
      SELECT "count", "windowStart", "strikes", "blockedUntil" FROM "RateLimitBucket" WHERE "key" = ${key} FOR UPDATE`;
    const nowMs = now.getTime();
    if (bucket!.blockedUntil && bucket!.blockedUntil.getTime() > nowMs) {
      return { allowed: false as const, retryAfterSeconds: Math.ceil((bucket!.blockedUntil.getTime() - nowMs) / 1000) };
    }
    const windowMs = limit.windowSeconds * 1000;
    const windowExpired = bucket!.windowStart.getTime() + windowMs <= nowMs;
    const windowStart = windowExpired ? now : bucket!.windowStart;
    const count = (windowExpired ? 0 : bucket!.count) + 1;
    if (count > limit.limit) {
      const strikes = bucket!.strikes + 1;
      const windowEnd = windowStart.getTime() + windowMs;
      const grown = Math.min(windowMs * 2 ** (strikes - 1), Math.max(windowMs, RATE_LIMIT_MAX_BLOCK_SECONDS * 1000));
      const blockedUntil = new Date(Math.max(windowEnd, nowMs + grown));
      await tx.rateLimitBucket.update({ where: { key }, data: { count, windowStart, strikes, blockedUntil } });
      return { allowed: false as const, retryAfterSeconds: Math.ceil((blockedUntil.getTime() - nowMs) / 1000) };
    }
    // A window that passed without hitting the limit forgives earlier strikes.
    const strikes = windowExpired && bucket!.count <= limit.limit ? 0 : bucket!.strikes;
    await tx.rateLimitBucket.update({ where: { key }, data: { count, windowStart, strikes, blockedUntil: null } });
    return { allowed: true as const };
  });
}

export async function resetRateLimit(db: Db, key: string) {
  await db.rateLimitBucket.deleteMany({ where: { key } });
}

/** Gives back one counted try: it turned out to be a success, and only failures should add up. */
export async function refundRateLimit(db: Db, key: string) {
  await db.$executeRaw`UPDATE "RateLimitBucket" SET "count" = GREATEST("count" - 1, 0) WHERE "key" = ${key}`;
}

export function rateLimited(retryAfterSeconds: number, what = 'requests') {
  const minutes = Math.ceil(retryAfterSeconds / 60);
  return new AppError({
    code: 'rate_limited',
    userMessage: `Too many ${what}. Please wait ${minutes === 1 ? 'a minute' : `${minutes} minutes`} and try again.`,
    retryAfterSeconds,
  });
}
