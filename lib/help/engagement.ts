import { z } from 'zod';
import { keyedHash } from '@/lib/crypto';
import type { Db } from '@/lib/db/client';
import { validationError } from '@/lib/errors';
import { ARTICLE_VOTE_LIMITS } from '@/lib/limits/policy';
import { consumeRateLimit, rateLimited } from '@/lib/limits';

/**
 * Views, helpfulness votes and the search log. No IP address or user agent is stored: a view is
 * keyed by a hash of (day, IP, user agent) under the server's HMAC key, which changes every day,
 * so a visitor counts once per article per day and cannot be followed across days.
 */

// Obvious automated clients; real browsers (headless ones included) are counted.
const BOT = /bot\b|bot\/|crawl|spider|slurp|facebookexternalhit|preview|monitor|curl\/|wget\/|python-requests|go-http-client|okhttp|axios\/|node-fetch|httpclient|java\//i;

export function isBot(userAgent: string | null | undefined) {
  return !userAgent || BOT.test(userAgent);
}

export function utcDay(now: Date) {
  return now.toISOString().slice(0, 10);
}

export async function recordArticleView(options: {
  db: Db;
  hmacKey: Buffer;
  slug: string;
  ip: string;
  userAgent: string | null;
  now: Date;
}): Promise<boolean> {
  if (isBot(options.userAgent)) return false;
  const day = utcDay(options.now);
  const visitorHash = keyedHash(options.hmacKey, 'article-view', day, options.ip, options.userAgent ?? '').toString('base64url');
  const { count } = await options.db.articleView.createMany({
    data: [{ slug: options.slug, visitorHash, day: new Date(`${day}T00:00:00Z`) }],
    skipDuplicates: true,
  });
  return count === 1;
}

// All-time counts: the views still kept as rows plus those rolled up into ArticleViewTotal once
// past retention (lib/help/retention.ts).
export async function viewCounts(db: Db, slugs: string[]): Promise<Map<string, number>> {
  if (slugs.length === 0) return new Map();
  const [rows, totals] = await Promise.all([
    db.articleView.groupBy({ by: ['slug'], where: { slug: { in: slugs } }, _count: { _all: true } }),
    db.articleViewTotal.findMany({ where: { slug: { in: slugs } } }),
  ]);
  const counts = new Map(totals.map((t) => [t.slug, t.views]));
  for (const r of rows) counts.set(r.slug, (counts.get(r.slug) ?? 0) + r._count._all);
  return counts;
}

/**
 * View counts for result lists, each article's read at most once per `ttlMs` (a minute by default)
 * in this process: a list may show a count up to that old, and a busy search endpoint does not read
 * the view table on every request. Keys are only the slugs asked for, so the cache stays as small
 * as the library.
 */
export function cachedViewCounts(options: { ttlMs?: number; now?: () => number } = {}) {
  const ttlMs = options.ttlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { views: number; readAt: number }>();
  return async (db: Db, slugs: string[]): Promise<Map<string, number>> => {
    const at = now();
    const stale = slugs.filter((slug) => {
      const entry = cache.get(slug);
      return !entry || at - entry.readAt >= ttlMs;
    });
    if (stale.length > 0) {
      const fresh = await viewCounts(db, stale);
      for (const slug of stale) cache.set(slug, { views: fresh.get(slug) ?? 0, readAt: at });
    }
    return new Map(slugs.map((slug) => [slug, cache.get(slug)!.views]));
  };
}

export async function mostViewedSlugs(db: Db, limit: number): Promise<{ slug: string; views: number }[]> {
  return db.$queryRaw<{ slug: string; views: number }[]>`
    SELECT slug, sum(views)::int AS views FROM (
      SELECT "slug" AS slug, count(*) AS views FROM "ArticleView" GROUP BY "slug"
      UNION ALL
      SELECT "slug", "views" FROM "ArticleViewTotal"
    ) v
    GROUP BY slug
    ORDER BY views DESC, slug ASC
    LIMIT ${limit}`;
}

export const voteInput = z.object({
  helpful: z.enum(['yes', 'no'], { message: 'Choose yes or no.' }).transform((v) => v === 'yes'),
  comment: z
    .string()
    // Plain text: control characters (NUL, which PostgreSQL cannot store, among them) are dropped;
    // line breaks and tabs stay.
    .transform((v) => v.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, ''))
    .pipe(z.string().trim().max(500, { message: 'Keep the comment under 500 characters.' }))
    .optional()
    .transform((v) => v || undefined),
});

function voterHash(hmacKey: Buffer, voterId: string) {
  return keyedHash(hmacKey, 'article-vote', voterId).toString('base64url');
}

/**
 * One vote per visitor per article; voting again changes it. A comment is kept only with "no".
 * The visitor id is a cookie the client can drop, so votes are also limited per client address
 * (ARTICLE_VOTE_LIMITS); over the limit nothing is stored and the answer is 429.
 */
export async function voteOnArticle(options: {
  db: Db;
  hmacKey: Buffer;
  slug: string;
  voterId: string;
  helpful: boolean;
  comment?: string | undefined;
  /** The client address (lib/http/request clientIp); keyed before it reaches the limiter table. */
  ip: string;
  now?: Date | undefined;
}) {
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(options.voterId)) throw validationError({ voterId: ['Invalid visitor id.'] });
  const now = options.now ?? new Date();
  const client = keyedHash(options.hmacKey, 'article-vote-client', options.ip).toString('base64url');
  for (const [key, limit] of [
    [`vote:ip:${client}`, ARTICLE_VOTE_LIMITS.perClient],
    [`vote:ip:${client}:${options.slug}`, ARTICLE_VOTE_LIMITS.perClientPerArticle],
  ] as const) {
    const decision = await consumeRateLimit(options.db, key, limit, now);
    if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds, 'votes');
  }
  const visitorHash = voterHash(options.hmacKey, options.voterId);
  const comment = options.helpful ? null : (options.comment ?? null);
  await options.db.articleVote.upsert({
    where: { slug_visitorHash: { slug: options.slug, visitorHash } },
    create: { slug: options.slug, visitorHash, helpful: options.helpful, comment },
    update: { helpful: options.helpful, comment },
  });
}

export async function currentVote(db: Db, hmacKey: Buffer, slug: string, voterId: string | undefined) {
  if (!voterId) return undefined;
  const vote = await db.articleVote.findUnique({
    where: { slug_visitorHash: { slug, visitorHash: voterHash(hmacKey, voterId) } },
    select: { helpful: true, comment: true },
  });
  return vote ?? undefined;
}

export function normalizeQuery(query: string) {
  return query.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim().slice(0, 200);
}

export type SearchLogEntry = { query: string; hits: number; category?: string | undefined; engine: string };

export async function logSearchQuery(db: Db, entry: SearchLogEntry) {
  const query = normalizeQuery(entry.query);
  if (!query) return;
  await db.searchQuery.create({ data: { query, hits: entry.hits, category: entry.category ?? null, engine: entry.engine } });
}

/**
 * The search log for a busy endpoint: lines that arrive within `windowMs` of one another (up to
 * `maxLines`) are written by one INSERT instead of one each. Each line keeps the time of its search,
 * and the promise a line gets settles once its batch is written, so a caller running it after the
 * answer (Next's after()) keeps the same guarantee as writing the line alone.
 */
export function batchedSearchLog(options: { windowMs?: number; maxLines?: number; now?: () => Date } = {}) {
  const windowMs = options.windowMs ?? 250;
  const maxLines = options.maxLines ?? 200;
  const now = options.now ?? (() => new Date());
  type Row = { query: string; hits: number; category: string | null; engine: string; createdAt: Date };
  let open: { rows: Row[]; written: Promise<void> } | undefined;

  return (db: Db, entry: SearchLogEntry): Promise<void> => {
    const query = normalizeQuery(entry.query);
    if (!query) return Promise.resolve();
    const row = { query, hits: entry.hits, category: entry.category ?? null, engine: entry.engine, createdAt: now() };
    if (open) {
      open.rows.push(row);
    } else {
      const rows = [row];
      const written = new Promise((resolve) => setTimeout(resolve, windowMs)).then(async () => {
        if (open?.rows === rows) open = undefined;
        await db.searchQuery.createMany({ data: rows });
      });
      open = { rows, written };
    }
    const batch = open;
    if (batch.rows.length >= maxLines) open = undefined;
    return batch.written;
  };
}
