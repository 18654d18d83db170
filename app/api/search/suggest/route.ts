import { errorResponse } from '@/lib/errors';
import { getHelpCenter } from '@/lib/help/center';
import { suggestArticles, suggestParams } from '@/lib/help/search-articles';
import { segmentsToHtml } from '@/lib/help/search/text';

// GET /api/search/suggest?q= — type-ahead from the same engine.
export async function GET(request: Request) {
  try {
    const { q } = suggestParams.parse(Object.fromEntries(new URL(request.url).searchParams));
    const suggestions = await suggestArticles(await getHelpCenter(), q);
    return Response.json({
      suggestions: suggestions.map((s) => ({ slug: s.slug, url: `/articles/${s.slug}`, title: segmentsToHtml(s.title), category: s.category })),
    });
  } catch (error) {
    return errorResponse(error, { route: '/api/search/suggest' });
  }
}
