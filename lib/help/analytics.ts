import type { Db } from '@/lib/db/client';
import { requireAgentRole } from '@/lib/access';
import type { ArticleLibrary } from './articles';
import { utcDay } from './engagement';

/**
 * Help-center analytics for the console (docs/product.md A and D): what people search for, what they search for
 * and do not find, which articles do not help, and how many read at all. Everything comes from
 * what lib/help/engagement.ts records, which holds no IP address or user agent, so nothing here
 * can point at a person.
 */

export const ANALYTICS_DAYS = 30;
/** Below this many votes a "helpful" share says more about chance than about the article. */
export const MIN_VOTES = 5;

export type QueryStat = { query: string; searches: number; zeroResults: number; lastSearchedAt: Date };
export type ArticleHelpfulness = { slug: string; title: string | null; votes: number; helpful: number; notHelpful: number; helpfulShare: number };
export type DayViews = { day: string; views: number };
/** What a reader wrote after "No, it didn't help": the gap to fill in that article. */
export type ReaderComment = { slug: string; title: string | null; comment: string; at: Date };

export type HelpAnalytics = {
  since: Date;
  days: number;
  minVotes: number;
  topQueries: QueryStat[];
  zeroResultQueries: QueryStat[];
  leastHelpful: ArticleHelpfulness[];
  missing: ReaderComment[];
  viewsPerDay: DayViews[];
  totals: { searches: number; zeroResultSearches: number; views: number };
};

/**
 * Everything the analytics page shows, for the last `days` days ending today (UTC). Throws
 * `unauthorized` without an active agent and `forbidden` for an agent's role.
 */
export async function getHelpAnalytics({
  db,
  actor,
  library,
  now,
  days = ANALYTICS_DAYS,
  minVotes = MIN_VOTES,
  limit = 10,
}: {
  db: Db;
  actor: { agentId: string } | undefined;
  library: Pick<ArticleLibrary, 'bySlug'>;
  now: Date;
  days?: number;
  minVotes?: number;
  limit?: number;
}): Promise<HelpAnalytics> {
  await requireAgentRole(db, actor, 'analytics', 'see help analytics');
  const since = startOfWindow(now, days);
  const [topQueries, zeroResultQueries, leastHelpful, missing, viewsPerDay, totals] = await Promise.all([
    topSearchQueries(db, { since, limit }),
    zeroResultSearchQueries(db, { since, limit }),
    leastHelpfulArticles(db, { minVotes, limit, library }),
    whatWasMissing(db, { since, limit: limit * 2, library }),
    articleViewsPerDay(db, { now, days }),
    searchTotals(db, { since }),
  ]);
  return {
    since,
    days,
    minVotes,
    topQueries,
    zeroResultQueries,
    leastHelpful,
    missing,
    viewsPerDay,
    totals: { ...totals, views: viewsPerDay.reduce((sum, d) => sum + d.views, 0) },
  };
}

/**
 * The newest "What was missing?" answers left with a "No" vote since `since`, newest first. The
 * comment is shown as the reader wrote it (the page renders it as text, never as markup).
 */
export async function whatWasMissing(db: Db, { since, limit, library }: { since: Date; limit: number; library: Pick<ArticleLibrary, 'bySlug'> }): Promise<ReaderComment[]> {
  const rows = await db.articleVote.findMany({
    where: { helpful: false, comment: { not: null }, updatedAt: { gte: since } },
    select: { slug: true, comment: true, updatedAt: true },
    orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
    take: limit,
  });
  return rows
    .filter((r) => r.comment && r.comment.trim())
    .map((r) => ({ slug: r.slug, title: library.bySlug.get(r.slug)?.title ?? null, comment: r.comment!.trim(), at: r.updatedAt }));
}

/** The most frequent searches since `since`, with how many of them found nothing. */
export async function topSearchQueries(db: Db, { since, limit }: { since: Date; limit: number }): Promise<QueryStat[]> {
  return db.$queryRaw<QueryStat[]>`
    SELECT query,
           COUNT(*)::int AS searches,
           (COUNT(*) FILTER (WHERE hits = 0))::int AS "zeroResults",
           MAX("createdAt") AS "lastSearchedAt"
    FROM "SearchQuery"
    WHERE "createdAt" >= ${since}
    GROUP BY query
    ORDER BY searches DESC, "lastSearchedAt" DESC, query ASC
    LIMIT ${limit}`;
}

/** Searches that found nothing since `since`, most frequent first: each one is an article to write. */
export async function zeroResultSearchQueries(db: Db, { since, limit }: { since: Date; limit: number }): Promise<QueryStat[]> {
  return db.$queryRaw<QueryStat[]>`
    SELECT query,
           COUNT(*)::int AS searches,
           COUNT(*)::int AS "zeroResults",
           MAX("createdAt") AS "lastSearchedAt"
    FROM "SearchQuery"
    WHERE "createdAt" >= ${since} AND hits = 0
    GROUP BY query
    ORDER BY searches DESC, "lastSearchedAt" DESC, query ASC
    LIMIT ${limit}`;
}

/**
 * Articles with at least `minVotes` votes, lowest share of "helpful" first (ties: more votes first,
 * as more people were let down). All time: a vote is one per visitor and can be changed, so it
 * describes the article as it is now rather than a moment.
 */
export async function leastHelpfulArticles(
  db: Db,
  { minVotes, limit, library }: { minVotes: number; limit: number; library?: Pick<ArticleLibrary, 'bySlug'> | undefined },
): Promise<ArticleHelpfulness[]> {
  const rows = await db.$queryRaw<{ slug: string; votes: number; helpful: number }[]>`
    SELECT slug, COUNT(*)::int AS votes, (COUNT(*) FILTER (WHERE helpful))::int AS helpful
    FROM "ArticleVote"
    GROUP BY slug
    HAVING COUNT(*) >= ${Math.max(1, minVotes)}
    ORDER BY (COUNT(*) FILTER (WHERE helpful))::float / COUNT(*) ASC, COUNT(*) DESC, slug ASC
    LIMIT ${limit}`;
  return rows.map((r) => ({
    slug: r.slug,
    title: library?.bySlug.get(r.slug)?.title ?? null,
    votes: r.votes,
    helpful: r.helpful,
    notHelpful: r.votes - r.helpful,
    helpfulShare: r.helpful / r.votes,
  }));
}

/** Article views per UTC day for the `days` days ending today, oldest first, days without views as 0. */
export async function articleViewsPerDay(db: Db, { now, days }: { now: Date; days: number }): Promise<DayViews[]> {
  const since = startOfWindow(now, days);
  const today = new Date(`${utcDay(now)}T00:00:00Z`);
  const rows = await db.articleView.groupBy({
    by: ['day'],
    where: { day: { gte: since, lte: today } },
    _count: { _all: true },
  });
  const counts = new Map(rows.map((r) => [utcDay(r.day), r._count._all]));
  return Array.from({ length: days }, (_, i) => {
    const day = utcDay(new Date(since.getTime() + i * 86_400_000));
    return { day, views: counts.get(day) ?? 0 };
  });
}

async function searchTotals(db: Db, { since }: { since: Date }) {
  const [row] = await db.$queryRaw<{ searches: number; zeroResultSearches: number }[]>`
    SELECT COUNT(*)::int AS searches, (COUNT(*) FILTER (WHERE hits = 0))::int AS "zeroResultSearches"
    FROM "SearchQuery" WHERE "createdAt" >= ${since}`;
  return row ?? { searches: 0, zeroResultSearches: 0 };
}

/** Midnight UTC at the start of a window of `days` days that ends with today. */
function startOfWindow(now: Date, days: number) {
  const today = new Date(`${utcDay(now)}T00:00:00Z`);
  return new Date(today.getTime() - (Math.max(1, Math.floor(days)) - 1) * 86_400_000);
}

