import type { Metadata } from 'next';
import { cookies, headers } from 'next/headers';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { CATEGORY_LABELS } from '@/lib/help/categories';
import { getHelpCenter } from '@/lib/help/center';
import { currentVote, recordArticleView, viewCounts } from '@/lib/help/engagement';
import { clientIp, requestNow } from '@/lib/http/request';
import { PageContainer } from '../../../_components/ui';
import { ArticleLinks, ArticleMeta, CategoryBadge } from '../../_components/article-list';
import { VoteWidget } from './vote-widget';

type Props = { params: Promise<{ slug: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { slug } = await params;
  const article = (await getHelpCenter()).library.bySlug.get(slug);
  return article ? { title: article.title, description: article.summary } : { title: 'Article not found' };
}

export default async function ArticlePage({ params }: Props) {
  const { slug } = await params;
  const { library } = await getHelpCenter();
  const article = library.bySlug.get(slug);
  if (!article) notFound();

  const db = getPrisma();
  const config = getConfig();
  const [headerList, jar] = await Promise.all([headers(), cookies()]);
  // Router prefetches are not reads; count only real page loads.
  const prefetch = headerList.get('next-router-prefetch') || headerList.get('purpose') === 'prefetch';
  if (!prefetch) {
    await recordArticleView({ db, hmacKey: config.hmacKey, slug, ip: clientIp(headerList), userAgent: headerList.get('user-agent'), now: requestNow(jar) });
  }
  const related = article.related.flatMap((s) => library.bySlug.get(s) ?? []);
  const [views, vote] = await Promise.all([
    viewCounts(db, [slug]),
    currentVote(db, config.hmacKey, slug, jar.get('regain_voter')?.value),
  ]);

  return (
    <PageContainer className="py-8">
      <nav aria-label="Breadcrumb" className="mb-5 text-sm">
        <ol className="flex flex-wrap items-center gap-1 text-muted">
          <li>
            <Link href="/" className="inline-flex min-h-6 items-center hover:text-fg hover:underline">Help center</Link>
          </li>
          <li aria-hidden="true">/</li>
          <li>
            <Link href={`/search?category=${article.category}`} className="inline-flex min-h-6 items-center hover:text-fg hover:underline">
              {CATEGORY_LABELS[article.category]}
            </Link>
          </li>
          <li aria-hidden="true">/</li>
          <li aria-current="page" className="truncate text-fg">{article.title}</li>
        </ol>
      </nav>

      <div className="grid gap-10 lg:grid-cols-[minmax(0,1fr)_16rem]">
        <article className="min-w-0 space-y-6">
          <header className="space-y-3 border-b border-line pb-5">
            <CategoryBadge category={article.category} />
            <h1 className="text-3xl font-bold leading-tight tracking-tight">{article.title}</h1>
            <p className="text-lg text-muted">{article.summary}</p>
            <ArticleMeta published={article.published} updated={article.updated} views={views.get(slug) ?? 0} />
          </header>
          <div className="article-body" dangerouslySetInnerHTML={{ __html: library.html(slug) }} />
          <VoteWidget slug={slug} initial={vote} />
        </article>

        {related.length > 0 && (
          <aside aria-labelledby="related-heading" className="space-y-3 lg:sticky lg:top-24 lg:self-start">
            <h2 id="related-heading" className="text-base font-bold">
              Related articles
            </h2>
            <ArticleLinks articles={related} />
          </aside>
        )}
      </div>
    </PageContainer>
  );
}
