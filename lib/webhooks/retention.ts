import { daysBefore, inBatches, type RetentionRun } from '@/lib/db/batches';
import type { Db } from '@/lib/db/client';

/**
 * Delivered events are kept `days` days after delivery (for support questions from the host), then
 * deleted. FAILED rows are dead letters for an operator and are not purged here.
 */
export function purgeDeliveredWebhooks({ db, now, days, batchSize }: RetentionRun): Promise<number> {
  const before = daysBefore(now, days);
  return inBatches(
    (limit) => db.$executeRaw`
      DELETE FROM "WebhookDelivery" WHERE "id" IN (
        SELECT "id" FROM "WebhookDelivery"
        WHERE "status" = 'DELIVERED' AND "deliveredAt" < ${before}::timestamp(3)
        LIMIT ${limit})`,
    batchSize,
  );
}
