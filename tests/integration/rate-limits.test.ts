import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consumeRateLimit, type Limit, RATE_LIMITS, refundRateLimit, resetRateLimit } from '@/lib/limits';
import { RATE_LIMIT_MAX_BLOCK_SECONDS } from '@/lib/limits/policy';
import { useTestDatabase } from '../support/db';

// docs/security.md rules 4, 14 and 23: fixed windows, a growing cooldown capped at
// RATE_LIMIT_MAX_BLOCK_SECONDS, strikes forgiven after a clean window, and no way for concurrent
// requests to slip past a limit together.

const { db } = await useTestDatabase();
const newKey = () => `test:${randomBytes(6).toString('hex')}`;

type Bucket = { count: number; windowStart: number; strikes: number; blockedUntil: number | null };

/** The rule as a plain model (how the limiter has always behaved), to compare the SQL against. */
function model(bucket: Bucket | undefined, limit: Limit, now: number): { bucket: Bucket; allowed: boolean; retryAfterSeconds?: number } {
  const b = bucket ?? { count: 0, windowStart: now, strikes: 0, blockedUntil: null };
  if (b.blockedUntil !== null && b.blockedUntil > now) return { bucket: b, allowed: false, retryAfterSeconds: Math.ceil((b.blockedUntil - now) / 1000) };
  const windowMs = limit.windowSeconds * 1000;
  const expired = b.windowStart + windowMs <= now;
  const windowStart = expired ? now : b.windowStart;
  const count = (expired ? 0 : b.count) + 1;
  if (count > limit.limit) {
    const strikes = b.strikes + 1;
    const grown = Math.min(windowMs * 2 ** (strikes - 1), Math.max(windowMs, RATE_LIMIT_MAX_BLOCK_SECONDS * 1000));
    const blockedUntil = Math.max(windowStart + windowMs, now + grown);
    return { bucket: { count, windowStart, strikes, blockedUntil }, allowed: false, retryAfterSeconds: Math.ceil((blockedUntil - now) / 1000) };
  }
  const strikes = expired && b.count <= limit.limit ? 0 : b.strikes;
  return { bucket: { count, windowStart, strikes, blockedUntil: null }, allowed: true };
}

describe('consumeRateLimit', () => {
  it('counts up to the limit, then blocks for a window from the breach', async () => {
    const key = newKey();
    const now = new Date('2026-05-01T00:00:00Z');
    const limit = { limit: 3, windowSeconds: 60 };
    for (let i = 0; i < 3; i++) expect(await consumeRateLimit(db, key, limit, now)).toEqual({ allowed: true });
    expect(await consumeRateLimit(db, key, limit, new Date(now.getTime() + 10_000))).toEqual({ allowed: false, retryAfterSeconds: 60 });
    // While blocked, a try changes nothing: the same deadline.
    expect(await consumeRateLimit(db, key, limit, new Date(now.getTime() + 20_000))).toEqual({ allowed: false, retryAfterSeconds: 50 });
  });

  it('grows the block with every breach and caps it at RATE_LIMIT_MAX_BLOCK_SECONDS', async () => {
    const key = newKey();
    const limit = { limit: 1, windowSeconds: 3600 };
    let now = Date.parse('2026-05-01T00:00:00Z');
    const waits: number[] = [];
    for (let round = 0; round < 6; round++) {
      expect((await consumeRateLimit(db, key, limit, new Date(now))).allowed).toBe(true);
      const refused = await consumeRateLimit(db, key, limit, new Date(now));
      expect(refused.allowed).toBe(false);
      const wait = refused.allowed ? 0 : refused.retryAfterSeconds;
      waits.push(wait);
      now += wait * 1000;
    }
    expect(waits).toEqual([3600, 7200, 14400, 14400, 14400, 14400]);
    expect(Math.max(...waits)).toBe(RATE_LIMIT_MAX_BLOCK_SECONDS);
  });

  it('forgives strikes after a window that stays under the limit', async () => {
    const key = newKey();
    const limit = { limit: 1, windowSeconds: 60 };
    let now = Date.parse('2026-05-01T00:00:00Z');
    const take = async () => consumeRateLimit(db, key, limit, new Date(now));
    await take();
    expect(await take()).toEqual({ allowed: false, retryAfterSeconds: 60 });
    now += 60_000;
    await take();
    expect(await take()).toEqual({ allowed: false, retryAfterSeconds: 120 });
    now += 120_000;
    expect(await take()).toEqual({ allowed: true }); // a clean window: one try, no breach
    now += 60_000;
    expect(await take()).toEqual({ allowed: true }); // the window before stayed under: strikes forgiven
    expect(await take()).toEqual({ allowed: false, retryAfterSeconds: 60 });
  });

  it('matches the model on random sequences of tries and waits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ limit: fc.integer({ min: 0, max: 4 }), windowSeconds: fc.constantFrom(1, 60, 3600, 20_000) }),
        fc.array(fc.integer({ min: 0, max: 30_000_000 }), { minLength: 1, maxLength: 25 }),
        async (limit, gaps) => {
          const key = newKey();
          let now = Date.parse('2026-05-01T00:00:00.123Z');
          let bucket: Bucket | undefined;
          for (const gap of gaps) {
            now += gap;
            const expected = model(bucket, limit, now);
            bucket = expected.bucket;
            const actual = await consumeRateLimit(db, key, limit, new Date(now));
            expect(actual).toEqual(expected.allowed ? { allowed: true } : { allowed: false, retryAfterSeconds: expected.retryAfterSeconds });
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('lets exactly 10 of 50 concurrent tries through a limit of 10', async () => {
    const key = newKey();
    const now = new Date();
    const results = await Promise.all(Array.from({ length: 50 }, () => consumeRateLimit(db, key, { limit: 10, windowSeconds: 60 }, now)));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    const [bucket] = await db.$queryRaw<{ count: number; strikes: number }[]>`SELECT "count", "strikes" FROM "RateLimitBucket" WHERE "key" = ${key}`;
    // The first refusal counts a breach and blocks; the rest find the block and change nothing.
    expect(bucket).toEqual({ count: 11, strikes: 1 });
  });

  it('is one statement: it runs inside a caller transaction and rolls back with it', async () => {
    const key = newKey();
    const now = new Date();
    await expect(
      db.$transaction(async (tx) => {
        expect((await consumeRateLimit(tx, key, { limit: 1, windowSeconds: 60 }, now)).allowed).toBe(true);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await db.rateLimitBucket.count({ where: { key } })).toBe(0);
  });

  it('does not depend on the session time zone', async () => {
    const key = newKey();
    const now = new Date('2026-05-01T00:00:00Z');
    const decisions = await db.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`SET LOCAL TIME ZONE 'Pacific/Kiritimati'`);
      const first = await consumeRateLimit(tx, key, { limit: 1, windowSeconds: 60 }, now);
      const second = await consumeRateLimit(tx, key, { limit: 1, windowSeconds: 60 }, new Date(now.getTime() + 1000));
      return [first, second];
    });
    expect(decisions).toEqual([{ allowed: true }, { allowed: false, retryAfterSeconds: 60 }]);
    const row = await db.rateLimitBucket.findUniqueOrThrow({ where: { key } });
    expect(row.windowStart.toISOString()).toBe(now.toISOString());
  });

  it('takes limits by name from the registry', async () => {
    const key = newKey();
    const now = new Date();
    const { limit } = RATE_LIMITS['ticket.upload'];
    for (let i = 0; i < limit; i++) expect((await consumeRateLimit(db, key, 'ticket.upload', now)).allowed).toBe(true);
    expect((await consumeRateLimit(db, key, 'ticket.upload', now)).allowed).toBe(false);
  });
});

describe('refundRateLimit and resetRateLimit', () => {
  it('a refund gives back one try; a reset forgets the bucket', async () => {
    const key = newKey();
    const now = new Date();
    const limit = { limit: 2, windowSeconds: 60 };
    await consumeRateLimit(db, key, limit, now);
    await consumeRateLimit(db, key, limit, now);
    await refundRateLimit(db, key);
    expect((await consumeRateLimit(db, key, limit, now)).allowed).toBe(true);
    expect((await consumeRateLimit(db, key, limit, now)).allowed).toBe(false);
    await resetRateLimit(db, key);
    expect((await consumeRateLimit(db, key, limit, now)).allowed).toBe(true);
  });
});
