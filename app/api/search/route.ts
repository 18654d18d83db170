import { after } from 'next/server';
import { getPrisma } from '@/lib/db/client';
import { errorResponse } from '@/lib/errors';
import { getHelpCenter } from '@/lib/help/center';
import { batchedSearchLog, cachedViewCounts } from '@/lib/help/engagement';
import { browseArticles, searchAnswerCache, searchArticles, searchParams } from '@/lib/help/search-articles';
import { segmentsToHtml } from '@/lib/help/search/text';

// Counts in result lists may be a minute old; the search never waits on the view table for them.
const views = cachedViewCounts();
// The engine runs once per distinct search in this process (lib/help/search-articles.ts).
const answers = searchAnswerCache();
// Log lines of searches a moment apart go in one INSERT, still after each answer is sent.
const writeLog = batchedSearchLog();

// GET /api/search?q=&page=&category=&exact= — highlight markup is ours, with every piece of text
// escaped. Without q: every article (or one category), most recently updated first. The query log
// line is written after the answer is sent (after()), so nobody waits for it.
export async function GET(request: Request) {
  try {
    const input = searchParams.parse(Object.fromEntries(new URL(request.url).searchParams));
    const db = getPrisma();
    const center = await getHelpCenter();
    const result = input.q
      ? await searchArticles({
          db,
          center,
          query: input.q,
          page: input.page,
          category: input.category,
          correctSpelling: !input.exact,
          schedule: (work) => after(work),
          views,
          answers,
          writeLog,
        })
      : await browseArticles({ db, library: center.library, engine: center.engine.name, page: input.page, category: input.category, views });
    return Response.json({
      query: result.query,
      correctedQuery: result.correctedQuery ?? null,
      total: result.total,
      page: result.page,
      pageSize: result.pageSize,
      category: result.category ?? 'all',
      categoryCounts: result.categoryCounts,
      engine: result.engine,
      hits: result.hits.map((hit) => ({
        slug: hit.slug,
        url: `/articles/${hit.slug}`,
        title: segmentsToHtml(hit.title),
        snippet: segmentsToHtml(hit.snippet),
        category: hit.category,
        published: hit.published,
        updated: hit.updated,
        views: hit.views ?? null,
      })),
    });
  } catch (error) {
    return errorResponse(error, { route: '/api/search' });
  }
}
