import { getPrisma } from '@/lib/db/client';
import { errorResponse } from '@/lib/errors';
import { getHelpCenter } from '@/lib/help/center';
import { mostViewedSlugs } from '@/lib/help/engagement';

const LIMIT = 5;

// GET /api/help/popular — the most viewed articles, for the prerendered help pages' "Most viewed"
// and "Popular articles" lists. Views are all-time counts; an article removed since is skipped.
export async function GET() {
  try {
    const { library } = await getHelpCenter();
    const popular = await mostViewedSlugs(getPrisma(), LIMIT);
    return Response.json({
      articles: popular.flatMap(({ slug, views }) => {
        const article = library.bySlug.get(slug);
        return article ? [{ slug, url: `/articles/${slug}`, title: article.title, views }] : [];
      }),
    });
  } catch (error) {
    return errorResponse(error, { route: '/api/help/popular' });
  }
}
