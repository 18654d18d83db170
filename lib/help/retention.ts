import { daysBefore, inBatches, type RetentionRun } from '@/lib/db/batches';
import type { Db } from '@/lib/db/client';
import { utcDay } from './engagement';

/** Search-log entries older than `days` days (analytics read the last 30). */
export function purgeSearchQueries({ db, now, days, batchSize }: RetentionRun): Promise<number> {
  const before = daysBefore(now, days);
  return inBatches(
    (limit) => db.$executeRaw`
      DELETE FROM "SearchQuery" WHERE "id" IN (
        SELECT "id" FROM "SearchQuery" WHERE "createdAt" < ${before}::timestamp(3)
        LIMIT ${limit})`,
    batchSize,
  );
}

/**
 * Article views on days more than `days` days ago: each batch deletes its rows and adds them to the
 * article's ArticleViewTotal in the same statement, so all-time view counts (viewCounts,
 * mostViewedSlugs) read the same before and after. Per-day analytics read the last 30 days only,
 * hence the 31-day floor on RETENTION_ARTICLE_VIEW_DAYS.
 */
export function rollUpArticleViews({ db, now, days, batchSize }: RetentionRun): Promise<number> {
  const beforeDay = new Date(`${utcDay(daysBefore(now, days))}T00:00:00Z`);
  return inBatches(async (limit) => {
    const [row] = await db.$queryRaw<{ n: number }[]>`
      WITH gone AS (
        DELETE FROM "ArticleView" WHERE "id" IN (
          SELECT "id" FROM "ArticleView" WHERE "day" < ${beforeDay}::date
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)
        RETURNING "slug"
      ), added AS (
        INSERT INTO "ArticleViewTotal" ("slug", "views")
        SELECT "slug", count(*)::int FROM gone GROUP BY "slug"
        ON CONFLICT ("slug") DO UPDATE SET "views" = "ArticleViewTotal"."views" + EXCLUDED."views"
        RETURNING 1
      )
      SELECT count(*)::int AS n FROM gone`;
    return row?.n ?? 0;
  }, batchSize);
}
