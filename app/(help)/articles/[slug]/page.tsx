import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { CATEGORY_LABELS } from '@/lib/help/categories';
import { getArticleLibrary } from '@/lib/help/center';
import { PageContainer } from '../../../_components/ui';
import { ArticleLinks, ArticleMeta, CategoryBadge } from '../../_components/article-list';
import { ArticleVisit, ViewCount } from './article-visit';
import { VoteWidget } from './vote-widget';

type Props = { params: Promise<{ slug: string }> };

// Every article is prerendered at build time from content/; an unknown slug is a 404. What changes
// per reader (the view count, their vote) comes from the browser's visit request (article-visit.tsx).
export const dynamicParams = false;

export function generateStaticParams() {
  return getArticleLibrary().articles.map((article) => ({ slug: article.slug }));
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { slug } = await params;
  const article = getArticleLibrary().bySlug.get(slug);
  return article ? { title: article.title, description: article.summary } : { title: 'Article not found' };
}

export default async function ArticlePage({ params }: Props) {
  const { slug } = await params;
  const library = getArticleLibrary();
  const article = library.bySlug.get(slug);
  if (!article) notFound();
  const related = article.related.flatMap((s) => library.bySlug.get(s) ?? []);

  return (
    <PageContainer className="py-8">
      <nav aria-label="Breadcrumb" className="mb-5 text-sm">
        <ol className="flex flex-wrap items-center gap-1 text-muted">
          <li>
            <Link href="/" className="inline-flex min-h-6 items-center hover:text-fg hover:underline">Help center</Link>
          </li>
          <li aria-hidden="true">/</li>
          <li>
            <Link href={`/categories/${article.category}`} className="inline-flex min-h-6 items-center hover:text-fg hover:underline">
              {CATEGORY_LABELS[article.category]}
            </Link>
          </li>
          <li aria-hidden="true">/</li>
          <li aria-current="page" className="truncate text-fg">{article.title}</li>
        </ol>
      </nav>

      <div className="grid gap-10 lg:grid-cols-[minmax(0,1fr)_16rem]">
        <ArticleVisit slug={slug}>
          <article className="min-w-0 space-y-6">
            <header className="space-y-3 border-b border-line pb-5">
              <CategoryBadge category={article.category} />
              <h1 className="text-3xl font-bold leading-tight tracking-tight">{article.title}</h1>
              <p className="text-lg text-muted">{article.summary}</p>
              <ArticleMeta published={article.published} updated={article.updated}>
                <ViewCount />
              </ArticleMeta>
            </header>
            <div className="article-body" dangerouslySetInnerHTML={{ __html: library.html(slug) }} />
            <VoteWidget slug={slug} />
          </article>
        </ArticleVisit>

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
