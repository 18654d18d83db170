import { daysBefore, inBatches, type RetentionRun } from '@/lib/db/batches';
import type { Db } from '@/lib/db/client';

/**
 * Sessions `days` days after they expired or were revoked: neither can be used again, and the
 * sign-in history the account page shows comes from SignInEvent, not from sessions.
 */
export function purgeEndedSessions({ db, now, days, batchSize }: RetentionRun): Promise<number> {
  const before = daysBefore(now, days);
  return inBatches(
    (limit) => db.$executeRaw`
      DELETE FROM "Session" WHERE "id" IN (
        SELECT "id" FROM "Session"
        WHERE "expiresAt" < ${before}::timestamp(3) OR "revokedAt" < ${before}::timestamp(3)
        LIMIT ${limit})`,
    batchSize,
  );
}

/**
 * Sign-in history (success, failure, blocked) older than `days` days. The console's ticket review
 * reads the last 30 days of it, hence the 31-day floor on RETENTION_SIGN_IN_EVENT_DAYS.
 */
export function purgeSignInEvents({ db, now, days, batchSize }: RetentionRun): Promise<number> {
  const before = daysBefore(now, days);
  return inBatches(
    (limit) => db.$executeRaw`
      DELETE FROM "SignInEvent" WHERE "id" IN (
        SELECT "id" FROM "SignInEvent" WHERE "createdAt" < ${before}::timestamp(3)
        LIMIT ${limit})`,
    batchSize,
  );
}
