import Link from 'next/link';
import { getPrisma } from '@/lib/db/client';
import { topIssues } from '@/lib/help/articles';
import { CATEGORIES, CATEGORY_LABELS, isCategory } from '@/lib/help/categories';
import { getHelpCenter } from '@/lib/help/center';
import { mostViewedSlugs } from '@/lib/help/engagement';
import { browseArticles } from '@/lib/help/search-articles';
import { ArrowRightIcon } from '../_components/icons';
import { ToolGrid } from '../_components/tools';
import { PageContainer, Tabs } from '../_components/ui';
import { ArticleList } from './_components/article-list';
import { formatViews } from './_components/format';
import { SearchBox } from './_components/search-box';

const BROWSE_LIMIT = 6;

export default async function HomePage({ searchParams }: { searchParams: Promise<{ category?: string }> }) {
  const { category: rawCategory } = await searchParams;
  const category = isCategory(rawCategory) ? rawCategory : undefined;
  const db = getPrisma();
  const center = await getHelpCenter();
  const [browse, popular] = await Promise.all([
    browseArticles({ db, center, page: 1, category, pageSize: BROWSE_LIMIT }),
    mostViewedSlugs(db, 5),
  ]);
  const popularArticles = popular.flatMap(({ slug, views }) => {
    const article = center.library.bySlug.get(slug);
    return article ? [{ article, views }] : [];
  });

  const top = topIssues(center.library.articles);

  const all = CATEGORIES.reduce((sum, c) => sum + browse.categoryCounts[c], 0);
  const tabs = [
    { href: '/?category=all#browse', label: 'All', count: all, current: !category },
    ...CATEGORIES.map((c) => ({ href: `/?category=${c}#browse`, label: CATEGORY_LABELS[c], count: browse.categoryCounts[c], current: category === c })),
  ];

  return (
    <>
      <section className="border-b border-line bg-gradient-to-b from-accent-soft to-bg">
        <PageContainer className="py-12 sm:py-16">
          <h1 className="text-3xl font-bold tracking-tight sm:text-4xl">How can we help?</h1>
          <p className="mt-2 mb-6 max-w-2xl text-muted">
            Search answers about passkeys, authenticator apps, verification codes and getting back into your account.
          </p>
          <SearchBox />
        </PageContainer>
      </section>

      {top.length > 0 && (
        <PageContainer className="pt-10">
          <section aria-labelledby="top-issues-heading" className="space-y-4">
            <h2 id="top-issues-heading" className="text-xl font-bold">
              Top issues
            </h2>
            <ol className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
              {top.map((article) => (
                <li key={article.slug} className="relative rounded-xl border border-line bg-surface p-4 hover:bg-surface-muted/60">
                  <h3 className="font-semibold leading-snug">
                    <Link href={`/articles/${article.slug}`} className="text-accent after:absolute after:inset-0 hover:underline">
                      {article.title}
                    </Link>
                  </h3>
                  <p className="mt-1 text-sm leading-relaxed text-muted">{article.summary}</p>
                </li>
              ))}
            </ol>
          </section>
        </PageContainer>
      )}

      <PageContainer className="grid gap-10 py-10 lg:grid-cols-[1fr_18rem]">
        <section id="browse" aria-labelledby="browse-heading" className="min-w-0 scroll-mt-20 space-y-4">
          <h2 id="browse-heading" className="text-xl font-bold">
            Browse articles
          </h2>
          <Tabs label="Article categories" items={tabs} />
          <ArticleList headingLevel={3} items={browse.hits} />
          {browse.total > BROWSE_LIMIT && (
            <Link href={`/search?category=${category ?? 'all'}`} className="inline-flex min-h-11 items-center gap-1 font-semibold text-accent hover:underline">
              See all {browse.total} {category ? CATEGORY_LABELS[category] : ''} articles
              <ArrowRightIcon className="h-4 w-4" />
            </Link>
          )}
        </section>

        <aside aria-labelledby="popular-heading" className="space-y-3">
          <h2 id="popular-heading" className="text-xl font-bold">
            Most viewed
          </h2>
          {popularArticles.length === 0 ? (
            <p className="text-sm text-muted">Popular articles will appear here once people start reading.</p>
          ) : (
            <ol className="space-y-1">
              {popularArticles.map(({ article, views }, i) => (
                <li key={article.slug}>
                  <Link href={`/articles/${article.slug}`} className="flex min-h-11 gap-3 rounded-lg p-2 hover:bg-surface-muted">
                    <span className="w-5 shrink-0 text-right font-bold text-accent" aria-hidden="true">
                      {i + 1}
                    </span>
                    <span className="min-w-0">
                      <span className="block text-sm font-semibold leading-snug">{article.title}</span>
                      <span className="block text-xs text-muted">{formatViews(views)}</span>
                    </span>
                  </Link>
                </li>
              ))}
            </ol>
          )}
        </aside>
      </PageContainer>

      <PageContainer className="pb-6">
        <h2 className="mb-4 text-xl font-bold">Self-service tools</h2>
        <ToolGrid />
      </PageContainer>
    </>
  );
}
