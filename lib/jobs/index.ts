import { Logger, run, runMigrations, runOnce, type Job, type JobHelpers, type Runner, type TaskList } from 'graphile-worker';
import type { Db } from '@/lib/db/client';
import type { Prisma } from '@/lib/db/generated/client';
import { log } from '@/lib/log';

/**
 * Background work as rows in PostgreSQL (graphile-worker). A job is added with the SQL function
 * `graphile_worker.add_job`, so adding one inside a Prisma interactive transaction commits or rolls
 * back with the change it belongs to: a notice, a webhook or a mail can never go missing after its
 * change committed, nor go out for a change that rolled back. Every app instance runs a runner; a
 * job is taken by exactly one of them (row locks with SKIP LOCKED), failed jobs are retried with
 * exponential back-off, and cron items run once per cluster.
 *
 * This module knows no capability: each capability exports its task handlers, and lib/worker puts
 * them together with the schedule.
 */
export type JobDb = Db | Prisma.TransactionClient;

export type JobOptions = {
  /** Not before this time. */
  runAt?: Date | undefined;
  /** At most this many tries (graphile-worker's default is 25). */
  maxAttempts?: number | undefined;
  /**
   * One live job per key. `replace` (default) updates a waiting job with this key; `keep` leaves a
   * waiting or running job alone and adds nothing.
   */
  jobKey?: string | undefined;
  jobKeyMode?: 'replace' | 'keep' | undefined;
  /** Jobs of one queue run one at a time, in order. */
  queue?: string | undefined;
};

export async function enqueueJob(db: JobDb, task: string, payload: Record<string, unknown>, options: JobOptions = {}): Promise<void> {
  const mode = options.jobKey ? (options.jobKeyMode === 'keep' ? 'unsafe_dedupe' : 'replace') : null;
  await db.$executeRaw`
    SELECT graphile_worker.add_job(
      ${task}::text,
      payload => ${JSON.stringify(payload)}::json,
      queue_name => ${options.queue ?? null}::text,
      run_at => ${options.runAt ?? null}::timestamptz,
      max_attempts => ${options.maxAttempts ?? null}::int,
      job_key => ${options.jobKey ?? null}::text,
      job_key_mode => ${mode ?? 'replace'}::text
    )`;
}

export type { Job, JobHelpers, Runner, TaskList };

/** True when this try is the job's last: a failure now is final (the job becomes a dead letter). */
export function isLastAttempt(helpers: JobHelpers): boolean {
  return helpers.job.attempts >= helpers.job.max_attempts;
}

const logger = new Logger(() => (level, message, meta) => {
  const fields = { message, ...(meta && typeof meta === 'object' ? { scope: Object.keys(meta).join(',') } : {}) };
  // graphile-worker reports every failed try as an error; one that will be tried again is a warning,
  // and only the last (the job becomes a dead letter) is an error.
  if (level === 'error' && !isRetriedFailure(meta)) log.error('jobs', fields);
  else if (level === 'warning' || level === 'error') log.warn('jobs', fields);
  else if (level === 'debug') log.debug('jobs', fields);
  else log.debug('jobs', fields);
});

function isRetriedFailure(meta: unknown): boolean {
  if (!meta || typeof meta !== 'object') return false;
  const { failure, job } = meta as { failure?: unknown; job?: { attempts?: unknown; max_attempts?: unknown } };
  return failure === true && typeof job?.attempts === 'number' && typeof job.max_attempts === 'number' && job.attempts < job.max_attempts;
}

/** Creates or updates the job tables (schema graphile_worker). Safe to run on every start. */
export async function migrateJobs(connectionString: string): Promise<void> {
  await runMigrations({ connectionString, logger });
}

export type RunnerSetup = {
  connectionString: string;
  taskList: TaskList;
  /** graphile-worker crontab lines; each item runs once per cluster. */
  crontab?: string | undefined;
  /** Jobs run at the same time by this instance. */
  concurrency?: number | undefined;
  /** Fallback poll when LISTEN/NOTIFY missed a job (ms). */
  pollIntervalMs?: number | undefined;
};

/** Runs jobs in this process until stopped. */
export function startJobRunner(setup: RunnerSetup): Promise<Runner> {
  return run({
    connectionString: setup.connectionString,
    taskList: setup.taskList,
    crontab: setup.crontab ?? '',
    concurrency: setup.concurrency ?? 4,
    pollInterval: setup.pollIntervalMs ?? 2_000,
    maxPoolSize: (setup.concurrency ?? 4) + 2,
    noHandleSignals: true,
    logger,
  });
}

/** Runs every job that is due now, then returns (tests, one-shot commands). */
export async function runDueJobs(setup: Pick<RunnerSetup, 'connectionString' | 'taskList'>): Promise<void> {
  await runOnce({ connectionString: setup.connectionString, taskList: setup.taskList, logger, maxPoolSize: 2 });
}

/**
 * Dead letters (jobs that used up their attempts) kept `days` days after their last failure, for an
 * operator to read `last_error`, then deleted in batches. A locked job is never touched.
 */
export async function purgeDeadJobs({ db, now, days, batchSize = 1_000 }: { db: JobDb; now: Date; days: number; batchSize?: number }): Promise<number> {
  if (!Number.isFinite(days) || days < 0) throw new Error('purgeDeadJobs: days must be 0 or more');
  const before = new Date(now.getTime() - days * 86_400_000);
  let total = 0;
  for (;;) {
    const deleted = await db.$executeRaw`
      DELETE FROM graphile_worker._private_jobs WHERE id IN (
        SELECT id FROM graphile_worker._private_jobs
        WHERE attempts >= max_attempts AND locked_at IS NULL AND updated_at < ${before}::timestamptz
        LIMIT ${batchSize})`;
    total += deleted;
    if (deleted < batchSize) return total;
  }
}

export type JobCounts = { waiting: number; retrying: number; dead: number };

/** What the queue holds: due or future jobs, jobs that failed and will be tried again, dead letters. */
export async function countJobs(db: JobDb, task?: string): Promise<JobCounts> {
  const [row] = await db.$queryRaw<{ waiting: bigint; retrying: bigint; dead: bigint }[]>`
    SELECT
      count(*) FILTER (WHERE attempts = 0) AS waiting,
      count(*) FILTER (WHERE attempts > 0 AND attempts < max_attempts) AS retrying,
      count(*) FILTER (WHERE attempts >= max_attempts) AS dead
    FROM graphile_worker.jobs
    WHERE ${task ?? null}::text IS NULL OR task_identifier = ${task ?? null}::text`;
  return { waiting: Number(row?.waiting ?? 0), retrying: Number(row?.retrying ?? 0), dead: Number(row?.dead ?? 0) };
}
