import { daysBefore, inBatches, type RetentionRun } from '@/lib/db/batches';
import type { Db } from '@/lib/db/client';

/**
 * Rate-limit and failure buckets nobody has touched for `days` days, whose block (if any) also ended
 * that long ago. Such a bucket says nothing any more: its window (24 h at most) has passed and its
 * strikes are forgotten a day after the last lock ended (policy.ts, forgetAfterSeconds), so deleting
 * it gives the same answer as keeping it. Hence the 2-day floor on RETENTION_RATE_LIMIT_DAYS.
 */
export function purgeRateLimitBuckets({ db, now, days, batchSize }: RetentionRun): Promise<number> {
  const before = daysBefore(now, days);
  return inBatches(
    (limit) => db.$executeRaw`
      DELETE FROM "RateLimitBucket" WHERE "key" IN (
        SELECT "key" FROM "RateLimitBucket"
        WHERE "updatedAt" < ${before}::timestamp(3)
          AND ("blockedUntil" IS NULL OR "blockedUntil" < ${before}::timestamp(3))
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)`,
    batchSize,
  );
}
