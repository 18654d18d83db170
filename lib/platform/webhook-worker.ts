import type { Db } from '@/lib/db/client';
import { log } from '@/lib/log';
import { deliverPendingWebhooks, type WebhookEndpoint } from '@/lib/platform/webhooks';

/**
 * A hold must reach the host within seconds (withdrawals stop at the host, not here), while an idle
 * run costs one indexed UPDATE, so a short interval is cheap.
 */
export const WEBHOOK_WORKER_INTERVAL_MS = 5_000;

export type WebhookWorker = {
  /** Stops scheduling runs and resolves once a run in progress (if any) has finished. */
  stop(): Promise<void>;
};

/**
 * Delivers queued webhooks in the background of a server process. The next run is scheduled only
 * after the previous one finished, so runs never overlap even when a slow host makes one run take
 * longer than the interval. Several processes may each run a worker: deliverPendingWebhooks claims
 * rows with SKIP LOCKED and a lease, so a delivery is posted by one of them only.
 */
export function startWebhookWorker({
  db,
  endpoint,
  intervalMs = WEBHOOK_WORKER_INTERVAL_MS,
  now = () => new Date(),
  fetch,
}: {
  db: Db;
  endpoint: WebhookEndpoint;
  intervalMs?: number;
  /** The clock; tests pass a fixed one to make a retry due without waiting a minute. */
  now?: () => Date;
  fetch?: typeof globalThis.fetch;
}): WebhookWorker {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  async function runOnce() {
    try {
      const summary = await deliverPendingWebhooks({ db, endpoint, now: now(), ...(fetch ? { fetch } : {}) });
      if (summary.delivered || summary.retrying || summary.failed) log.info('webhooks_run', summary);
    } catch (error) {
      // A database outage must not take the server down; the rows stay due and the next run retries.
      log.error('webhook_worker_failed', { error });
    }
  }

  function schedule(delayMs: number) {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce().finally(() => {
        running = undefined;
        schedule(intervalMs);
      });
    }, delayMs);
    // The worker never keeps a process alive on its own (a script or test exits when its work is done).
    timer.unref();
  }

  // The first run starts right away, so deliveries queued while the server was down go out promptly.
  schedule(0);
  log.info('webhook_worker_started', { intervalMs, host: new URL(endpoint.url).host });

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
