import type { Config } from '@/lib/config';
import type { Db } from '@/lib/db/client';
import { createDispatcher, createQueuedDelivery, messageTasks, type Delivery, type MessageDispatcher } from '@/lib/delivery';
import { runDueJobs } from '@/lib/jobs';

/**
 * The production message path for tests: the queued delivery (row + job in one transaction) and
 * the `send-message` task run by graphile-worker itself (runDueJobs), against real providers.
 */
export function messageQueue(options: {
  db: Db;
  url: string;
  hmacKey: Buffer;
  email: Config['email'];
  sms: Config['sms'];
  appUrl?: string;
  timeoutMs?: number;
  keepOutboxCopies?: boolean;
}) {
  const { db, url, hmacKey } = options;
  const dispatcher = createDispatcher({ email: options.email, sms: options.sms, appUrl: options.appUrl ?? 'https://regain.test', timeoutMs: options.timeoutMs });
  const delivery = createQueuedDelivery({ db, hmacKey, providerFor: dispatcher.providerFor });
  const taskList = (using: MessageDispatcher = dispatcher) => messageTasks({ db, hmacKey, dispatcher: using, keepOutboxCopies: options.keepOutboxCopies });
  /** One pass of the worker over every due job (optionally through other providers). */
  const drain = (using?: MessageDispatcher) => runDueJobs({ connectionString: url, taskList: taskList(using) });
  /** As the server behaves: the message is queued, and the worker picks it up straight away. */
  const sendingNow: Delivery = {
    async send(message, sendOptions) {
      const result = await delivery.send(message, sendOptions);
      await drain();
      return result;
    },
  };
  return { dispatcher, delivery, taskList, drain, sendingNow };
}

/** Back-off put failed jobs' next try in the future; bring every retry forward rather than wait. */
export async function bringRetriesForward(db: Db) {
  await db.$executeRaw`UPDATE graphile_worker._private_jobs SET run_at = now() WHERE locked_at IS NULL AND attempts > 0 AND attempts < max_attempts`;
}

/** Every job payload in the queue, as text. */
export async function jobPayloads(db: Db): Promise<string[]> {
  const rows = await db.$queryRaw<{ payload: string }[]>`SELECT payload::text AS payload FROM graphile_worker._private_jobs`;
  return rows.map((row) => row.payload);
}
