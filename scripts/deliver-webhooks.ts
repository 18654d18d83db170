// Posts every due webhook to the host once and prints what happened: `npm run webhooks:deliver`.
// For cron, or to flush the queue by hand; a running server with HOST_WEBHOOK_URL set already does
// this every few seconds, and the two never post the same delivery twice (rows are claimed with
// SKIP LOCKED). Uses the server's environment (DATABASE_URL, HOST_WEBHOOK_URL, HOST_WEBHOOK_SECRET).
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { deliverPendingWebhooks, type DeliveryRunSummary } from '@/lib/platform/webhooks';

const BATCH = 50;

const endpoint = getConfig().hostWebhook;
if (!endpoint) {
  console.error('HOST_WEBHOOK_URL is not set: there is no host to deliver to. Deliveries stay queued.');
  process.exit(1);
}

const db = getPrisma();
const total: DeliveryRunSummary = { delivered: 0, retrying: 0, failed: 0 };
// A full batch means more may be due. A failed attempt is rescheduled at least a minute ahead, so
// the loop never picks the same delivery up again and ends once the due backlog is drained.
for (;;) {
  const run = await deliverPendingWebhooks({ db, endpoint, now: new Date(), limit: BATCH });
  total.delivered += run.delivered;
  total.retrying += run.retrying;
  total.failed += run.failed;
  if (run.delivered + run.retrying + run.failed < BATCH) break;
}
await db.$disconnect();
console.log(`Webhooks: ${total.delivered} delivered, ${total.retrying} failed and will be retried, ${total.failed} given up.`);
