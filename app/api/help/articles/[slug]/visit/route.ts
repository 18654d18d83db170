import { cookies } from 'next/headers';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { AppError, errorResponse } from '@/lib/errors';
import { getHelpCenter } from '@/lib/help/center';
import { currentVote, recordArticleView, viewCounts } from '@/lib/help/engagement';
import { assertSameOrigin, clientIp, requestNow } from '@/lib/http/request';

// POST /api/help/articles/<slug>/visit — sent by the prerendered article page once it is shown
// (app/(help)/articles/[slug]/article-visit.tsx): counts the view, once per visitor per article per
// day, and answers with the all-time count and this visitor's vote. The page never waits for it.
export async function POST(request: Request, { params }: { params: Promise<{ slug: string }> }) {
  try {
    assertSameOrigin(request);
    const { slug } = await params;
    if (!(await getHelpCenter()).library.bySlug.has(slug)) throw new AppError({ code: 'not_found', userMessage: 'That article does not exist.' });
    const db = getPrisma();
    const config = getConfig();
    const jar = await cookies();
    await recordArticleView({ db, hmacKey: config.hmacKey, slug, ip: clientIp(request.headers), userAgent: request.headers.get('user-agent'), now: requestNow(jar) });
    const [views, vote] = await Promise.all([viewCounts(db, [slug]), currentVote(db, config.hmacKey, slug, jar.get('regain_voter')?.value)]);
    return Response.json({ views: views.get(slug) ?? 0, vote: vote ?? null });
  } catch (error) {
    return errorResponse(error, { route: '/api/help/articles/[slug]/visit' });
  }
}
