import Link from 'next/link';
import { topIssues } from '@/lib/help/articles';
import { CATEGORIES, CATEGORY_LABELS, isCategory } from '@/lib/help/categories';
import { getArticleLibrary } from '@/lib/help/center';
import { browseArticles } from '@/lib/help/search-articles';
import { ArrowRightIcon } from '../_components/icons';
import { ToolGrid } from '../_components/tools';
import { PageContainer, Tabs } from '../_components/ui';
import { ArticleList } from './_components/article-list';
import { MostViewed } from './_components/most-viewed';
import { SearchBox } from './_components/search-box';

const BROWSE_LIMIT = 6;

// Prerendered at build time, once for / and once per category (categories/[category]/page.tsx):
// the most viewed list is the only part that changes with use, and it loads in the browser.
export default async function HomePage({ params }: { params: Promise<{ category?: string }> }) {
  const { category: rawCategory } = await params;
  const category = isCategory(rawCategory) ? rawCategory : undefined;
  const browse = await browseArticles({ library: getArticleLibrary(), page: 1, category, pageSize: BROWSE_LIMIT });

  const top = category ? [] : topIssues(getArticleLibrary().articles);

  const all = CATEGORIES.reduce((sum, c) => sum + browse.categoryCounts[c], 0);
  const tabs = [
    { href: '/#browse', label: 'All', count: all, current: !category },
    ...CATEGORIES.map((c) => ({ href: `/categories/${c}#browse`, label: CATEGORY_LABELS[c], count: browse.categoryCounts[c], current: category === c })),
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
          <MostViewed />
        </aside>
      </PageContainer>

      <PageContainer className="pb-6">
        <h2 className="mb-4 text-xl font-bold">Self-service tools</h2>
        <ToolGrid />
      </PageContainer>
    </>
  );
}
