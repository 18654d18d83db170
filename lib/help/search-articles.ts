import { z } from 'zod';
import type { Db } from '@/lib/db/client';
import { validationError } from '@/lib/errors';
import { log } from '@/lib/log';
import { CATEGORIES, type Category } from './categories';
import type { ArticleLibrary } from './articles';
import type { HelpCenter } from './center';
import { logSearchQuery, type SearchLogEntry, viewCounts } from './engagement';
import { searchWithCorrection } from './search/corrected';
import type { SearchHit, SearchResult, Suggestion } from './search/types';

export const PAGE_SIZE = 10;
export const MAX_QUERY_LENGTH = 200;

// Control characters (other than ordinary spaces) have no place in a search.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

const queryText = z
  .string()
  .max(MAX_QUERY_LENGTH, { message: `Search for at most ${MAX_QUERY_LENGTH} characters.` })
  .refine((v) => !CONTROL.test(v), { message: 'Remove control characters from the search.' })
  .transform((v) => v.replace(/[\t\r\n]+/g, ' ').trim());

export const searchParams = z.object({
  q: queryText.default(''),
  page: z.coerce
    .number({ message: 'Page must be a number.' })
    .int({ message: 'Page must be a whole number.' })
    .min(1, { message: 'Page must be 1 or more.' })
    .max(1000, { message: 'Page is out of range.' })
    .default(1),
  category: z
    .enum([...CATEGORIES, 'all'], { message: `Category must be one of: all, ${CATEGORIES.join(', ')}.` })
    .default('all')
    .transform((v) => (v === 'all' ? undefined : v)),
  // "Search instead for <what I typed>": turns spelling correction off.
  exact: z.literal('1').optional().transform(Boolean),
});

export const suggestParams = z.object({ q: queryText.default('') });

export type ArticleSearch = {
  query: string;
  /** Set when the query was corrected ("pasky" → "passkey"); hits are for the corrected query. */
  correctedQuery: string | undefined;
  /** views: all-time reads; absent where the page was rendered without a database. */
  hits: (SearchHit & { views: number | undefined })[];
  total: number;
  page: number;
  pageSize: number;
  category: Category | undefined;
  categoryCounts: Record<Category, number>;
  engine: string;
};

type EngineAnswer = { result: SearchResult; correctedQuery: string | undefined };

/**
 * The engine's answers to recent searches, least recently used dropped beyond `size`. An answer
 * depends only on the search and the articles, which are loaded once per server process, so it
 * stays right for the life of the process; people search for the same few things, so the engine
 * (milliseconds of CPU per search) runs once per distinct search rather than once per request.
 * View counts and the query log are never cached: they are added to each answer.
 */
export function searchAnswerCache(size = 500) {
  const entries = new Map<string, EngineAnswer>();
  return {
    get(key: string) {
      const answer = entries.get(key);
      if (answer) {
        entries.delete(key);
        entries.set(key, answer);
      }
      return answer;
    },
    set(key: string, answer: EngineAnswer) {
      entries.set(key, answer);
      if (entries.size > size) entries.delete(entries.keys().next().value!);
    },
    get size() {
      return entries.size;
    },
  };
}

export type SearchAnswerCache = ReturnType<typeof searchAnswerCache>;

/** The help-center search: spelling correction, the engine, view counts, the query log. */
export async function searchArticles(options: {
  db: Db;
  center: HelpCenter;
  query: string;
  page: number;
  category?: Category | undefined;
  pageSize?: number;
  correctSpelling?: boolean;
  /** Runs the query log after the answer (Next's after() in routes); without it the search waits for it. */
  schedule?: ((work: () => Promise<void>) => void) | undefined;
  /** Where the hits' view counts come from (default: read now; the API passes `cachedViewCounts`). */
  views?: ((db: Db, slugs: string[]) => Promise<Map<string, number>>) | undefined;
  /** Recent engine answers to reuse (the API passes one `searchAnswerCache` per process). */
  answers?: SearchAnswerCache | undefined;
  /** How the query-log line is written (default: alone; the API passes `batchedSearchLog`). */
  writeLog?: ((db: Db, entry: SearchLogEntry) => Promise<void>) | undefined;
}): Promise<ArticleSearch> {
  const { db, center, query, page, category } = options;
  const pageSize = options.pageSize ?? PAGE_SIZE;
  const key = JSON.stringify([center.engine.name, query, page, pageSize, category ?? null, options.correctSpelling !== false]);
  const known = options.answers?.get(key);
  const { result, correctedQuery } =
    known ??
    (await searchWithCorrection(center.engine, center.corrector, { query, page, pageSize, category }, { correctSpelling: options.correctSpelling !== false }));
  if (!known) options.answers?.set(key, { result, correctedQuery });

  const lastPage = Math.max(1, Math.ceil(result.total / pageSize));
  if (page > lastPage) throw validationError({ page: [`Page is out of range: there ${lastPage === 1 ? 'is 1 page' : `are ${lastPage} pages`}.`] }, 'That page of results does not exist.');

  // Only the first page is a new search; a failed log line never fails the search, and the person
  // never waits for it when there is a way to write it after the answer.
  const logLine = async () => {
    await (options.writeLog ?? logSearchQuery)(db, { query, hits: result.total, category, engine: center.engine.name }).catch((error) => log.warn('search_log_failed', { error }));
  };
  const wanted = page === 1 && query;
  if (wanted && options.schedule) options.schedule(logLine);
  const readViews = options.views ?? viewCounts;
  const [views] = await Promise.all([readViews(db, result.hits.map((h) => h.slug)), wanted && !options.schedule ? logLine() : undefined]);
  return {
    query,
    correctedQuery,
    hits: result.hits.map((h) => ({ ...h, views: views.get(h.slug) ?? 0 })),
    total: result.total,
    page,
    pageSize,
    category,
    categoryCounts: result.categoryCounts,
    engine: center.engine.name,
  };
}

/** Type-ahead: a few article titles; a misspelled word is corrected first. */
export async function suggestArticles(center: HelpCenter, prefix: string, limit = 6): Promise<Suggestion[]> {
  const direct = await center.engine.suggest(prefix, limit);
  if (direct.length > 0) return direct;
  const corrected = center.corrector.correct(prefix);
  return corrected ? center.engine.suggest(corrected, limit) : [];
}

/**
 * Browsing without a query: every article (or one category), most recently updated first. With a
 * database the hits carry their view counts; without one (the prerendered help pages, rendered at
 * build time) they carry none.
 */
export async function browseArticles(options: {
  db?: Db | undefined;
  library: Pick<ArticleLibrary, 'articles'>;
  engine?: string | undefined;
  page: number;
  category?: Category | undefined;
  pageSize?: number;
  views?: ((db: Db, slugs: string[]) => Promise<Map<string, number>>) | undefined;
}): Promise<ArticleSearch> {
  const { db, library, page, category } = options;
  const pageSize = options.pageSize ?? PAGE_SIZE;
  const articles = [...library.articles].sort((a, b) => b.updated.localeCompare(a.updated) || a.title.localeCompare(b.title));
  const categoryCounts = Object.fromEntries(CATEGORIES.map((c) => [c, articles.filter((a) => a.category === c).length])) as Record<Category, number>;
  const matching = category ? articles.filter((a) => a.category === category) : articles;
  const lastPage = Math.max(1, Math.ceil(matching.length / pageSize));
  if (page > lastPage) throw validationError({ page: ['Page is out of range.'] }, 'That page of articles does not exist.');
  const slice = matching.slice((page - 1) * pageSize, page * pageSize);
  const views = db ? await (options.views ?? viewCounts)(db, slice.map((a) => a.slug)) : undefined;
  return {
    query: '',
    correctedQuery: undefined,
    hits: slice.map((a) => ({
      slug: a.slug,
      title: [{ text: a.title, highlight: false }],
      snippet: [{ text: a.summary, highlight: false }],
      category: a.category,
      published: a.published,
      updated: a.updated,
      views: views ? (views.get(a.slug) ?? 0) : undefined,
    })),
    total: matching.length,
    page,
    pageSize,
    category,
    categoryCounts,
    engine: options.engine ?? 'none',
  };
}
