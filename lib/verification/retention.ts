import { daysBefore, inBatches, type RetentionRun } from '@/lib/db/batches';
import type { Db } from '@/lib/db/client';

/**
 * Verification challenges `days` days past their expiry, real and decoy alike (a decoy has no
 * userId; it must not outlive a real one, or its age would tell them apart). An expired challenge
 * can no longer be verified, resent or approved; its row only held keyed hashes and masks.
 */
export function purgeVerificationChallenges({ db, now, days, batchSize }: RetentionRun): Promise<number> {
  const before = daysBefore(now, days);
  return inBatches(
    (limit) => db.$executeRaw`
      DELETE FROM "VerificationChallenge" WHERE "id" IN (
        SELECT "id" FROM "VerificationChallenge" WHERE "expiresAt" < ${before}::timestamp(3)
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)`,
    batchSize,
  );
}
