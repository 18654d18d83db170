import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '@/lib/crypto';
import type { Db } from '@/lib/db/client';
import type { Prisma } from '@/lib/db/generated/client';
import { log } from '@/lib/log';

/**
 * Signed webhooks to the host platform (product.md: "the host platform reads it via the API and
 * receives a webhook"). Events are written to an outbox table inside the transaction that caused
 * them, and a worker delivers them later, so an event is never sent for a change that rolled back
 * and never lost for one that committed.
 */

export type WebhookEndpoint = { url: string; secret: string };

/** Anything that can insert a delivery row: the client itself or an interactive transaction. */
type WebhookWriter = Pick<Prisma.TransactionClient, 'webhookDelivery'>;

/** A host that does not answer within 5 s counts as a failed attempt; a slow host must not stall the queue. */
export const WEBHOOK_TIMEOUT_MS = 5_000;
/** After this many failed attempts a delivery is given up (status FAILED) and left for an operator. */
export const WEBHOOK_MAX_ATTEMPTS = 10;
const FIRST_RETRY_SECONDS = 60;
const MAX_RETRY_SECONDS = 60 * 60;
/**
 * A claimed delivery is invisible to other workers for this long, so two app instances never post
 * the same delivery at once; if a worker dies mid-request the delivery becomes due again after it.
 */
const CLAIM_LEASE_SECONDS = 120;

export async function enqueueWebhook(
  tx: WebhookWriter,
  { event, payload, now }: { event: string; payload: Prisma.InputJsonObject; now: Date },
) {
  return tx.webhookDelivery.create({
    data: { event, payload, status: 'PENDING', nextAttemptAt: now, createdAt: now },
    select: { id: true },
  });
}

/** Wait after the n-th failed attempt: 1 min, 2, 4 … capped at 1 h. */
export function retryDelaySeconds(attempts: number) {
  return Math.min(FIRST_RETRY_SECONDS * 2 ** Math.max(attempts - 1, 0), MAX_RETRY_SECONDS);
}

export function signWebhook(secret: string, timestamp: string, body: string) {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * For hosts (and our tests): accepts `v1=<hex>` (several, comma-separated, during a secret
 * rotation) over exactly `timestamp + "." + body`. The timestamp window stops a captured request
 * from being replayed later.
 */
export function verifyWebhookSignature({
  secret,
  timestamp,
  body,
  signature,
  now,
  toleranceSeconds = 300,
}: {
  secret: string;
  timestamp: string | null;
  body: string;
  signature: string | null;
  now: Date;
  toleranceSeconds?: number;
}): boolean {
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(Math.floor(now.getTime() / 1000) - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body), 'hex');
  return signature
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1=') && /^[0-9a-f]{64}$/i.test(part.slice(3)))
    .some((part) => constantTimeEqual(Buffer.from(part.slice(3), 'hex'), expected));
}

export type DeliveryRunSummary = { delivered: number; retrying: number; failed: number };

/**
 * Posts due deliveries to the host. One bad delivery (host down, 500, timeout, bad URL) is recorded
 * on its row and never stops the others or throws to the caller.
 */
export async function deliverPendingWebhooks({
  db,
  endpoint,
  now,
  fetch = globalThis.fetch,
  limit = 50,
  timeoutMs = WEBHOOK_TIMEOUT_MS,
}: {
  db: Db;
  /** Undefined when no host endpoint is configured: deliveries stay queued until one is. */
  endpoint: WebhookEndpoint | undefined;
  now: Date;
  fetch?: typeof globalThis.fetch;
  limit?: number;
  timeoutMs?: number;
}): Promise<DeliveryRunSummary> {
  const summary: DeliveryRunSummary = { delivered: 0, retrying: 0, failed: 0 };
  if (!endpoint) return summary;

  const leaseUntil = new Date(now.getTime() + CLAIM_LEASE_SECONDS * 1000);
  // SKIP LOCKED lets several instances claim disjoint batches without waiting on each other.
  const claimed = await db.$queryRaw<{ id: string; event: string; payload: Prisma.JsonValue; attempts: number; createdAt: Date }[]>`
    UPDATE "WebhookDelivery" SET "nextAttemptAt" = ${leaseUntil}
    WHERE "id" IN (
      SELECT "id" FROM "WebhookDelivery"
      WHERE "status" = 'PENDING' AND "nextAttemptAt" <= ${now}
      ORDER BY "nextAttemptAt", "id"
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    RETURNING "id", "event", "payload", "attempts", "createdAt"`;
  claimed.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));

  for (const delivery of claimed) {
    const outcome = await postOnce(delivery, endpoint, now, fetch, timeoutMs);
    if (outcome.ok) {
      await db.webhookDelivery.update({
        where: { id: delivery.id },
        data: { status: 'DELIVERED', attempts: delivery.attempts + 1, deliveredAt: now, lastError: null },
      });
      summary.delivered++;
      continue;
    }
    const attempts = delivery.attempts + 1;
    const giveUp = attempts >= WEBHOOK_MAX_ATTEMPTS;
    await db.webhookDelivery.update({
      where: { id: delivery.id },
      data: {
        status: giveUp ? 'FAILED' : 'PENDING',
        attempts,
        lastError: outcome.error.slice(0, 500),
        nextAttemptAt: new Date(now.getTime() + retryDelaySeconds(attempts) * 1000),
      },
    });
    // `webhookEvent`, not `event`: that field is the log line's own name.
    log.warn(giveUp ? 'webhook_failed' : 'webhook_retry', { deliveryId: delivery.id, webhookEvent: delivery.event, attempts, error: outcome.error });
    if (giveUp) summary.failed++;
    else summary.retrying++;
  }
  return summary;
}

async function postOnce(
  delivery: { id: string; event: string; payload: Prisma.JsonValue; createdAt: Date },
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
