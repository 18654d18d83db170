import type { Db } from '@/lib/db/client';
import { messageTasks, type MessageDispatcher } from '@/lib/delivery';
import type { Delivery } from '@/lib/delivery/types';
import { startJobRunner, type Runner, type TaskList } from '@/lib/jobs';
import type { RetentionDays } from '@/lib/config';
import { housekeepingTaskList, type HousekeepingTask } from '@/lib/maintenance';
import { ticketResetTasks } from '@/lib/recovery/ticket-reset';
import { appointmentTasks } from '@/lib/recovery/tickets';
import { DELIVER_WEBHOOK_TASK, deliverWebhookTask, requeueWaitingWebhooks, type WebhookEndpoint } from '@/lib/webhooks';

/**
 * The background worker of an app instance: every capability's job handlers, and the schedule of
 * housekeeping (cron items run once per cluster, whatever the number of instances). Nothing in lib
 * imports this module; the server start (instrumentation.ts) and the commands in scripts/ do.
 */
export type WorkerDeps = {
  db: Db;
  /** Queues messages (tasks that send notices use it like any use case). */
  delivery: Delivery;
  /** Hands a queued message to its provider (SMTP, Twilio, or the development outbox). */
  dispatcher: MessageDispatcher;
  /** Development: keep unmasked copies of outbox messages in memory for /dev/outbox. */
  keepOutboxCopies?: boolean | undefined;
  hmacKey: Buffer;
  appUrl: string;
  cancelWindowHours?: number | undefined;
  /** The host's webhook endpoint (config hostWebhook); without it deliveries wait in their table. */
  hostWebhook?: WebhookEndpoint | undefined;
  /** Days each table keeps its rows (config retention). */
  retention?: RetentionDays | undefined;
};

export function buildTaskList(deps: WorkerDeps): TaskList {
  void deps;
  return {
    // messages (lib/delivery, lib/notifications)
    ...messageTasks({ db: deps.db, hmacKey: deps.hmacKey, dispatcher: deps.dispatcher, keepOutboxCopies: deps.keepOutboxCopies }),
    // an approved ticket's reset and its link (lib/recovery/ticket-reset)
    ...ticketResetTasks({ db: deps.db, delivery: deps.delivery, hmacKey: deps.hmacKey, appUrl: deps.appUrl, cancelWindowHours: deps.cancelWindowHours }),
    // a cancelled video call's email and calendar cancellation (lib/recovery/tickets/appointments)
    ...appointmentTasks({ db: deps.db, delivery: deps.delivery, appUrl: deps.appUrl }),
    // webhooks, housekeeping and retention
    [DELIVER_WEBHOOK_TASK]: deliverWebhookTask({ db: deps.db, endpoint: deps.hostWebhook }),
    'webhooks:requeue-waiting': async () => {
      await requeueWaitingWebhooks({ db: deps.db, endpoint: deps.hostWebhook });
    },
    ...housekeepingTaskList({ db: deps.db, delivery: deps.delivery, hmacKey: deps.hmacKey, appUrl: deps.appUrl, cancelWindowHours: deps.cancelWindowHours, retention: deps.retention }),
  };
}

/** graphile-worker crontab: minute hour day month weekday task ?options */
export const CRONTAB = [
  // housekeeping and retention
  // Deliveries written while no host URL was set (or whose job died) get a job once one is.
  '*/5 * * * * webhooks:requeue-waiting ?max=1',
  ...housekeeping([
    // An approval whose cancel window passed, or whose reset stalled, gets its link soon.
    ['*/10 * * * *', 'housekeeping:retry-approvals'],
    ['5 * * * *', 'housekeeping:expire-tickets'],
    ['10 * * * *', 'housekeeping:purge-documents'],
    ['15 * * * *', 'housekeeping:purge-webauthn-challenges'],
    ['15 * * * *', 'housekeeping:purge-resets'],
    // Retention: nightly, one table after another, away from the hour's housekeeping.
    ['20 3 * * *', 'retention:rate-limit-buckets'],
    ['22 3 * * *', 'retention:verification-challenges'],
    ['24 3 * * *', 'retention:outbound-messages'],
    ['26 3 * * *', 'retention:webhook-deliveries'],
    ['28 3 * * *', 'retention:search-queries'],
    ['30 3 * * *', 'retention:article-views'],
    ['32 3 * * *', 'retention:sign-in-events'],
    ['34 3 * * *', 'retention:sessions'],
    ['36 3 * * *', 'retention:dead-jobs'],
    // Hourly, and made up within the hour if the cluster was down at the tick (docs/security.md rule 20).
    ['0 * * * *', 'housekeeping:anchor-audit', 'fill=1h&'],
  ]),
].join('\n');

/**
 * Crontab lines for housekeeping tasks. A failed run is tried at most three times; the next tick
 * comes anyway. graphile-worker's known_crontabs table makes each tick run once per cluster.
 */
function housekeeping(items: [schedule: string, task: HousekeepingTask, options?: string][]): string[] {
  return items.map(([schedule, task, options = '']) => `${schedule} ${task} ?${options}max=3`);
}

export function startWorker(deps: WorkerDeps & { connectionString: string; concurrency?: number }): Promise<Runner> {
  return startJobRunner({ connectionString: deps.connectionString, taskList: buildTaskList(deps), crontab: CRONTAB, concurrency: deps.concurrency });
}
