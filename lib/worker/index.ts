import type { Db } from '@/lib/db/client';
import type { Delivery } from '@/lib/delivery/types';
import { startJobRunner, type Runner, type TaskList } from '@/lib/jobs';

/**
 * The background worker of an app instance: every capability's job handlers, and the schedule of
 * housekeeping (cron items run once per cluster, whatever the number of instances). Nothing in lib
 * imports this module; the server start (instrumentation.ts) and the commands in scripts/ do.
 */
export type WorkerDeps = {
  db: Db;
  /** Hands a message to its provider (SMTP, Twilio, or the development outbox). */
  delivery: Delivery;
  hmacKey: Buffer;
  appUrl: string;
  cancelWindowHours?: number | undefined;
};

export function buildTaskList(deps: WorkerDeps): TaskList {
  void deps;
  return {
    // messages (lib/delivery, lib/notifications)
    // webhooks, housekeeping and retention
  };
}

/** graphile-worker crontab: minute hour day month weekday task ?options */
export const CRONTAB = [
  // housekeeping and retention
].join('\n');

export function startWorker(deps: WorkerDeps & { connectionString: string; concurrency?: number }): Promise<Runner> {
  return startJobRunner({ connectionString: deps.connectionString, taskList: buildTaskList(deps), crontab: CRONTAB, concurrency: deps.concurrency });
}
