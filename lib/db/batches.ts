import type { Db } from './client';

/** Rows per statement for retention purges: each DELETE stays short and holds few locks. */
export const PURGE_BATCH = 1_000;

/**
 * Runs `step` (one bounded statement that handles at most `batchSize` rows and says how many it
 * handled) until a step handles fewer than a full batch. Returns the total.
 */
export async function inBatches(step: (limit: number) => Promise<number>, batchSize: number = PURGE_BATCH): Promise<number> {
  let total = 0;
  for (;;) {
    const handled = await step(batchSize);
    total += handled;
    if (handled < batchSize) return total;
  }
}

const DAY_MS = 86_400_000;

/** The moment `days` days before `now`. */
export function daysBefore(now: Date, days: number): Date {
  if (!Number.isFinite(days) || days < 0) throw new Error('retention period must be 0 days or more');
  return new Date(now.getTime() - days * DAY_MS);
}

/** What every retention purge takes: the database, the time, the period in days, and (tests) the batch size. */
export type RetentionRun = { db: Db; now: Date; days: number; batchSize?: number | undefined };
