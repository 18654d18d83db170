import { inTransaction } from '@/lib/db/transaction';
import type { Prisma } from '@/lib/db/generated/client';
import { enqueueJob, type JobDb } from '@/lib/jobs';

/**
 * Signed webhooks to the host platform (docs/product.md: "the host platform reads it via the API and
 * receives a webhook"). An event is a WebhookDelivery row plus a `deliver-webhook` job, both written
 * in the transaction that caused the event (docs/security.md rule 28): an event is never sent for a
 * change that rolled back and never lost for one that committed.
 */

export const DELIVER_WEBHOOK_TASK = 'deliver-webhook';
/**
 * Every job of the host endpoint runs in this graphile-worker queue, and the jobs of a queue run one
 * at a time across the cluster. The queue orders jobs by run time only (a retry goes to the back),
 * so the task itself keeps the write order (deliver.ts).
 */
export const WEBHOOK_QUEUE = 'webhooks:host';
/** After this many failed attempts a delivery is given up (status FAILED) and left for an operator. */
export const WEBHOOK_MAX_ATTEMPTS = 10;

/** One live job per delivery: the cron that re-enqueues waiting rows never doubles one. */
export const webhookJobKey = (deliveryId: string) => `webhook:${deliveryId}`;

export async function enqueueWebhook(db: JobDb, { event, payload, now }: { event: string; payload: Prisma.InputJsonObject; now: Date }): Promise<{ id: string }> {
  // Called with the client itself (no surrounding transaction): the row and its job still commit together.
  return inTransaction(db, async (tx) => {
    const row = await tx.webhookDelivery.create({
      data: { event, payload, status: 'PENDING', nextAttemptAt: now, createdAt: now },
      select: { id: true },
    });
    await enqueueDeliveryJob(tx, row.id);
    return row;
  });
}

/** The job that posts one delivery; `keep` so that asking twice for a waiting delivery adds one job. */
export function enqueueDeliveryJob(db: JobDb, deliveryId: string, options: { runAt?: Date | undefined; replace?: boolean } = {}) {
  return enqueueJob(
    db,
    DELIVER_WEBHOOK_TASK,
    { deliveryId },
    {
      queue: WEBHOOK_QUEUE,
      maxAttempts: WEBHOOK_MAX_ATTEMPTS,
      jobKey: webhookJobKey(deliveryId),
      jobKeyMode: options.replace ? 'replace' : 'keep',
      runAt: options.runAt,
    },
  );
}
