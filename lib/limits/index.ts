import type { Db } from '@/lib/db/client';
import { AppError } from '@/lib/errors';
import { type Limit, RATE_LIMIT_MAX_BLOCK_SECONDS, RATE_LIMITS, type RateLimitName } from './policy';

/**
 * Fixed-window counters in PostgreSQL, so every app instance shares them (docs/security.md rules
 * 4, 14, 23). A key that goes over its limit is blocked until the window ends, and each further
 * time it does, for twice as long (a growing cooldown), up to RATE_LIMIT_MAX_BLOCK_SECONDS (rule
 * 23: never an open-ended lever). A window that passes without hitting the limit forgives earlier
 * strikes.
 *
 * One check is one SQL statement: an INSERT … ON CONFLICT DO UPDATE computes the new window, count,
 * strikes and block from the row as it is under the row lock PostgreSQL takes for the update, so
 * concurrent requests on one key are decided one after the other and cannot slip past the limit
 * together. It runs on the client or inside a caller's transaction (a Prisma transaction client
 * fits LimitDb).
 */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** The part of a Prisma client (or transaction client) the counters use. */
export type LimitDb = Pick<Db, '$queryRawUnsafe' | '$executeRaw'>;

export { RATE_LIMITS, type Limit, type RateLimitName } from './policy';

function limitOf(limit: Limit | RateLimitName): Limit {
  return typeof limit === 'string' ? RATE_LIMITS[limit] : limit;
}

// $1 key, $2 now (epoch ms), $3 window (ms), $4 limit, $5 longest block (ms). Instants travel as
// epoch milliseconds and become timestamps by integer arithmetic from the epoch, so the answer does
// not depend on the database session's time zone (Prisma stores DateTime as UTC without a zone).
// Inside DO UPDATE, b is the row as locked now, not as the statement's snapshot saw it.
// The text is a constant built at load time; every value is a bound parameter ($queryRawUnsafe is
// used only so parameters can be reused by number).
const MS = (column: string) => `round(EXTRACT(EPOCH FROM ${column}) * 1000)`;
const TS = (ms: string) => `(timestamp 'epoch' + (${ms}) * interval '1 millisecond')`;
const BLOCKED = `(b."blockedUntil" IS NOT NULL AND ${MS('b."blockedUntil"')} > $2)`;
const EXPIRED = `(${MS('b."windowStart"')} + $3 <= $2)`;
const WINDOW_START = `(CASE WHEN ${EXPIRED} THEN $2 ELSE ${MS('b."windowStart"')} END)`;
const COUNT = `((CASE WHEN ${EXPIRED} THEN 0 ELSE b."count" END) + 1)`;
const OVER = `(${COUNT} > $4)`;
const CONSUME_SQL = `
  INSERT INTO "RateLimitBucket" AS b ("key", "count", "windowStart", "strikes", "blockedUntil", "updatedAt")
  VALUES ($1, 1, ${TS('$2')},
          CASE WHEN 1 > $4 THEN 1 ELSE 0 END,
          CASE WHEN 1 > $4 THEN ${TS('$2 + LEAST($3, $5)')} END,
          ${TS('$2')})
  ON CONFLICT ("key") DO UPDATE SET
    "count" = CASE WHEN ${BLOCKED} THEN b."count" ELSE ${COUNT} END,
    "windowStart" = CASE WHEN ${BLOCKED} THEN b."windowStart" ELSE ${TS(WINDOW_START)} END,
    "strikes" = CASE WHEN ${BLOCKED} THEN b."strikes"
                     WHEN ${OVER} THEN b."strikes" + 1
                     WHEN ${EXPIRED} AND b."count" <= $4 THEN 0
                     ELSE b."strikes" END,
    "blockedUntil" = CASE WHEN ${BLOCKED} THEN b."blockedUntil"
                          WHEN ${OVER} THEN ${TS(`GREATEST(${WINDOW_START} + $3, $2 + LEAST($3::numeric * power(2::numeric, b."strikes"), $5))`)}
                          ELSE NULL END,
    "updatedAt" = CASE WHEN ${BLOCKED} THEN b."updatedAt" ELSE ${TS('$2')} END
  RETURNING ${MS('b."blockedUntil"')}::float8 AS "blockedUntilMs"`
  // Parameters arrive untyped; each use names its type.
  .replace(/\$([1-5])\b/g, (_, n: string) => `$${n}::${['text', 'bigint', 'bigint', 'int', 'bigint'][Number(n) - 1]}`);

export async function consumeRateLimit(db: LimitDb, key: string, limit: Limit | RateLimitName, now: Date): Promise<RateDecision> {
  const { limit: max, windowSeconds } = limitOf(limit);
  const nowMs = now.getTime();
  const windowMs = windowSeconds * 1000;
  const capMs = Math.max(windowMs, RATE_LIMIT_MAX_BLOCK_SECONDS * 1000);
  const [row] = await db.$queryRawUnsafe<{ blockedUntilMs: number | null }[]>(CONSUME_SQL, key, nowMs, windowMs, max, capMs);
  const blockedUntilMs = row?.blockedUntilMs == null ? null : Number(row.blockedUntilMs);
  if (blockedUntilMs !== null && blockedUntilMs > nowMs) return { allowed: false, retryAfterSeconds: Math.ceil((blockedUntilMs - nowMs) / 1000) };
  return { allowed: true };
}

export async function resetRateLimit(db: LimitDb, key: string) {
  await db.$executeRaw`DELETE FROM "RateLimitBucket" WHERE "key" = ${key}`;
}

/** Gives back one counted try: it turned out to be a success, and only failures should add up. */
export async function refundRateLimit(db: LimitDb, key: string) {
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
