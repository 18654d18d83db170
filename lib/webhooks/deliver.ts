import type { Db } from '@/lib/db/client';
import type { Task } from 'graphile-worker';
import { isLastAttempt, type JobHelpers } from '@/lib/jobs';
import { log } from '@/lib/log';
import { enqueueDeliveryJob, WEBHOOK_QUEUE, webhookJobKey } from './enqueue';
import { signWebhook } from './signing';

/**
 * The `deliver-webhook` task: posts one WebhookDelivery to the host.
 *
 * Once only, as far as this side can tell: a job stays locked by the one runner that took it until
 * the handler returns or throws (no lease that can run out mid-request, however slow the host), and
 * the jobs of WEBHOOK_QUEUE run one at a time across every app instance. What the host may still see
 * twice: a post that reached it and whose 2xx never came back (timeout, connection reset, the
 * process dying before the row is marked DELIVERED) is posted again on the retry, with the same
 * `Regain-Delivery` id and body. Delivery is at-least-once; the host de-duplicates on that id
 * (README, "Webhooks"). A process killed outright mid-post leaves its job and the queue locked until
 * graphile-worker resets locks older than 4 hours (a clean stop waits for the post to finish).
 *
 * In order: graphile-worker orders a queue only by run time, and a failed job goes to the back with
 * its back-off, so the order is kept here. A delivery with an earlier PENDING one (by `sequence`)
 * is not posted; its job is put back one second behind the earlier delivery's next try. An event is
 * therefore never posted before one written earlier, unless that one was given up (FAILED).
 */

export type WebhookEndpoint = { url: string; secret: string };

/** A host that does not answer within 5 s counts as a failed attempt; a slow host must not stall the queue. */
export const WEBHOOK_TIMEOUT_MS = 5_000;

export type DeliverWebhookDeps = {
  db: Db;
  /** Undefined when no host endpoint is configured: deliveries wait, and requeueWaitingWebhooks picks them up once one is. */
  endpoint: WebhookEndpoint | undefined;
  fetch?: typeof globalThis.fetch | undefined;
  timeoutMs?: number | undefined;
  now?: (() => Date) | undefined;
};

export function deliverWebhookTask(deps: DeliverWebhookDeps): Task {
  return async (payload, helpers) => {
    const deliveryId = (payload as { deliveryId?: unknown } | null)?.deliveryId;
    if (typeof deliveryId !== 'string') throw new Error('deliver-webhook: payload without deliveryId');
    await deliverWebhook(deps, deliveryId, helpers);
  };
}

async function deliverWebhook({ db, endpoint, fetch = globalThis.fetch, timeoutMs = WEBHOOK_TIMEOUT_MS, now = () => new Date() }: DeliverWebhookDeps, deliveryId: string, helpers: JobHelpers) {
  const delivery = await db.webhookDelivery.findUnique({
    where: { id: deliveryId },
    select: { id: true, sequence: true, event: true, payload: true, attempts: true, createdAt: true, status: true },
  });
  // Delivered or given up already (or purged): nothing to do.
  if (!delivery || delivery.status !== 'PENDING') return;
  // No host configured: the row waits; the cron re-enqueues it once HOST_WEBHOOK_URL is set.
  if (!endpoint) return;

  const earlier = await db.webhookDelivery.findFirst({
    where: { status: 'PENDING', sequence: { lt: delivery.sequence } },
    orderBy: { sequence: 'asc' },
    select: { id: true },
  });
  if (earlier) {
    await waitBehind(db, delivery.id, earlier.id);
    return;
  }

  const at = now();
  const outcome = await postOnce(delivery, endpoint, at, fetch, timeoutMs);
  const attempts = delivery.attempts + 1;
  if (outcome.ok) {
    await db.webhookDelivery.update({ where: { id: delivery.id }, data: { status: 'DELIVERED', attempts, deliveredAt: at, lastError: null } });
    return;
  }
  const giveUp = isLastAttempt(helpers);
  await db.webhookDelivery.update({
    where: { id: delivery.id },
    data: {
      status: giveUp ? 'FAILED' : 'PENDING',
      attempts,
      lastError: outcome.error.slice(0, 500),
      // For operators only: graphile-worker schedules the retry (exp(attempts) seconds after this one).
      nextAttemptAt: new Date(at.getTime() + Math.exp(Math.min(helpers.job.attempts, 10)) * 1000),
    },
  });
  // `webhookEvent`, not `event`: that field is the log line's own name.
  log.warn(giveUp ? 'webhook_failed' : 'webhook_retry', { deliveryId: delivery.id, webhookEvent: delivery.event, attempts, error: outcome.error });
  // Throwing hands the retry (and, on the last attempt, the dead letter) to graphile-worker.
  throw new Error(`webhook delivery failed: ${outcome.error}`);
}

/**
 * Puts this delivery's job back one second behind the next try of the earlier delivery, in one
 * transaction. An earlier delivery with no live job (it waited for a host URL, or its job died
 * without marking it) gets one first, so the line always moves.
 */
async function waitBehind(db: Db, deliveryId: string, earlierId: string) {
  await db.$transaction(async (tx) => {
    const [job] = await tx.$queryRaw<{ run_at: Date; dead: boolean }[]>`
      SELECT run_at, attempts >= max_attempts AS dead FROM graphile_worker.jobs WHERE key = ${webhookJobKey(earlierId)} AND queue_name = ${WEBHOOK_QUEUE}`;
    if (!job || job.dead) await enqueueDeliveryJob(tx, earlierId, { replace: true });
    const earliest = !job || job.dead ? Date.now() : Math.max(job.run_at.getTime(), Date.now());
    // replace: this job is running (locked), so graphile-worker adds a new job under the key.
    await enqueueDeliveryJob(tx, deliveryId, { runAt: new Date(earliest + 1_000), replace: true });
  });
}

async function postOnce(
  delivery: { id: string; event: string; payload: unknown; createdAt: Date },
  endpoint: WebhookEndpoint,
  now: Date,
  fetch: typeof globalThis.fetch,
  timeoutMs: number,
): Promise<{ ok: true } | { ok: false; error: string }> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const body = JSON.stringify({ id: delivery.id, event: delivery.event, createdAt: delivery.createdAt.toISOString(), data: delivery.payload });
  try {
    const response = await fetch(endpoint.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Regain-Event': delivery.event,
        'Regain-Delivery': delivery.id,
        'Regain-Timestamp': timestamp,
        'Regain-Signature': `v1=${signWebhook(endpoint.secret, timestamp, body)}`,
      },
      body,
      // A redirect is not an acknowledgement, and following one could send signed events elsewhere.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    // The host's answer body is not used; release the connection without reading it.
    await response.body?.cancel().catch(() => {});
    return response.status >= 200 && response.status < 300 ? { ok: true } : { ok: false, error: `HTTP ${response.status}` };
  } catch (error) {
    const name = (error as { name?: unknown } | null)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') return { ok: false, error: `timeout after ${timeoutMs} ms` };
    return { ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : 'request failed' };
  }
}

/**
 * Cron: gives every PENDING delivery without a live job one, oldest first, in batches. This is how
 * deliveries written while no host URL was configured (or before the job queue existed) go out once
 * HOST_WEBHOOK_URL is set. Returns how many jobs it added.
 */
export async function requeueWaitingWebhooks({ db, endpoint, batch = 500 }: { db: Db; endpoint: WebhookEndpoint | undefined; batch?: number }): Promise<number> {
  if (!endpoint) return 0;
  let added = 0;
  let after = -1n;
  for (;;) {
    const rows = await db.$queryRaw<{ id: string; sequence: bigint }[]>`
      SELECT d."id", d."sequence" FROM "WebhookDelivery" d
      WHERE d."status" = 'PENDING' AND d."sequence" > ${after}
        AND NOT EXISTS (SELECT 1 FROM graphile_worker.jobs j WHERE j.key = 'webhook:' || d."id"::text AND j.attempts < j.max_attempts)
      ORDER BY d."sequence" LIMIT ${batch}`;
    for (const row of rows) await enqueueDeliveryJob(db, row.id, { replace: true });
    added += rows.length;
    if (rows.length < batch) return added;
    after = rows[rows.length - 1]!.sequence;
  }
}
