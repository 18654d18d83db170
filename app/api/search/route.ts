import { after } from 'next/server';
import { getPrisma } from '@/lib/db/client';
import { errorResponse } from '@/lib/errors';
import { getHelpCenter } from '@/lib/help/center';
import { searchArticles, searchParams } from '@/lib/help/search-articles';
import { segmentsToHtml } from '@/lib/help/search/text';

// GET /api/search?q=&page=&category= — highlight markup is ours, with every piece of text escaped.
export async function GET(request: Request) {
  try {
    const input = searchParams.parse(Object.fromEntries(new URL(request.url).searchParams));
    const result = await searchArticles({
      db: getPrisma(),
      center: await getHelpCenter(),
      query: input.q,
      page: input.page,
      category: input.category,
      schedule: (work) => after(work),
    });
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
        views: hit.views,
      })),
    });
  } catch (error) {
    return errorResponse(error, { route: '/api/search' });
  }
}
