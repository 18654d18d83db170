import { daysBefore, inBatches, type RetentionRun } from '@/lib/db/batches';
import type { Db } from '@/lib/db/client';

/**
 * Sent messages keep the address in clear (`to`) and the text; after `days` days the row is deleted.
 * A provider's status callback comes within hours and retries of a message within a day, so
 * nothing reads a row that old. Rows still QUEUED are kept: the message queue owns them.
 */
export function purgeOutboundMessages({ db, now, days, batchSize }: RetentionRun): Promise<number> {
  const before = daysBefore(now, days);
  return inBatches(
    (limit) => db.$executeRaw`
      DELETE FROM "OutboundMessage" WHERE "id" IN (
        SELECT "id" FROM "OutboundMessage"
        WHERE "createdAt" < ${before}::timestamp(3) AND "status" <> 'QUEUED'
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)`,
    batchSize,
  );
}
