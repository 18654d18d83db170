import type { Metadata } from 'next';
import Link from 'next/link';
import { after } from 'next/server';
import { getPrisma } from '@/lib/db/client';
import { describeError } from '@/lib/errors';
import { CATEGORIES, CATEGORY_LABELS, type Category } from '@/lib/help/categories';
import { getHelpCenter } from '@/lib/help/center';
import { mostViewedSlugs } from '@/lib/help/engagement';
import { browseArticles, searchArticles, searchParams as searchParamsSchema, type ArticleSearch } from '@/lib/help/search-articles';
import { ToolGrid } from '../../_components/tools';
import { Alert, PageContainer, Tabs } from '../../_components/ui';
import { ArticleLinks, ArticleList, Pagination } from '../_components/article-list';
import { SearchBox } from '../_components/search-box';

type Params = Record<string, string | string[] | undefined>;

export async function generateMetadata({ searchParams }: { searchParams: Promise<Params> }): Promise<Metadata> {
  const q = (await searchParams).q;
  return { title: typeof q === 'string' && q.trim() ? `Search: ${q.slice(0, 60)}` : 'All articles', robots: { index: false } };
}

function hrefFor(options: { q: string; category?: Category | undefined; page?: number; exact?: boolean }) {
  const params = new URLSearchParams();
  if (options.q) params.set('q', options.q);
  if (options.category) params.set('category', options.category);
  if (options.page && options.page > 1) params.set('page', String(options.page));
  if (options.exact) params.set('exact', '1');
  return `/search?${params}`;
}

export default async function SearchPage({ searchParams }: { searchParams: Promise<Params> }) {
  const raw = Object.fromEntries(Object.entries(await searchParams).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
  const parsed = searchParamsSchema.safeParse(raw);
  const center = await getHelpCenter();
  const db = getPrisma();

  let result: ArticleSearch | undefined;
  let problem: string | undefined;
  if (!parsed.success) {
    problem = parsed.error.issues[0]?.message;
  } else {
    const { q, page, category, exact } = parsed.data;
    try {
      result = q
        ? await searchArticles({ db, center, query: q, page, category, correctSpelling: !exact, schedule: (work) => after(work) })
        : await browseArticles({ db, center, page, category });
    } catch (error) {
      const described = describeError(error, { page: '/search' });
      if (described.status >= 500) throw error;
      problem = described.body.error.message;
    }
  }
  const q = parsed.success ? parsed.data.q : '';

  return (
    <PageContainer className="space-y-6 py-8">
      <SearchBox defaultValue={q} size="compact" />
      {problem && (
        <Alert tone="error" title="We couldn't run that search">
          {problem}
        </Alert>
      )}
      {result && <Results result={result} center={center} db={db} exact={parsed.success && parsed.data.exact} />}
    </PageContainer>
  );
}

async function Results({ result, center, db, exact }: { result: ArticleSearch; center: Awaited<ReturnType<typeof getHelpCenter>>; db: ReturnType<typeof getPrisma>; exact: boolean }) {
  const { query, category, total, page, pageSize, hits, correctedQuery } = result;
  const allCount = CATEGORIES.reduce((sum, c) => sum + result.categoryCounts[c], 0);
  const tabs = [
    { href: hrefFor({ q: query, exact }), label: 'All', count: allCount, current: !category },
    ...CATEGORIES.map((c) => ({ href: hrefFor({ q: query, category: c, exact }), label: CATEGORY_LABELS[c], count: result.categoryCounts[c], current: category === c })),
  ];
  const first = (page - 1) * pageSize + 1;
  const last = first + hits.length - 1;

  return (
    <div className="space-y-5">
      <div className="space-y-1">
        <h1 className="text-2xl font-bold tracking-tight">
          {query ? (
            <>
              Results for <q className="text-accent">{correctedQuery ?? query}</q>
            </>
          ) : category ? (
            CATEGORY_LABELS[category]
          ) : (
            'All articles'
          )}
        </h1>
        {correctedQuery && (
          <p className="text-sm text-muted">
            Showing results for <strong className="text-fg">{correctedQuery}</strong>.{' '}
            <Link className="font-semibold text-accent underline" href={hrefFor({ q: query, category, exact: true })}>
              Search instead for “{query}”
            </Link>
          </p>
        )}
      </div>
      <Tabs label="Filter by category" items={tabs} />
      <p className="text-sm font-medium text-muted" role="status">
        {total === 0 ? 'No articles found' : `Showing ${first}–${last} of ${total} ${total === 1 ? 'article' : 'articles'}`}
      </p>
      {total === 0 ? (
        <NoResults query={query} category={category} center={center} db={db} />
      ) : (
        <>
          <ArticleList items={hits} />
          <Pagination page={page} total={total} pageSize={pageSize} hrefFor={(p) => hrefFor({ q: query, category, page: p, exact })} />
        </>
      )}
    </div>
  );
}

async function NoResults({ query, category, center, db }: { query: string; category: Category | undefined; center: Awaited<ReturnType<typeof getHelpCenter>>; db: ReturnType<typeof getPrisma> }) {
  const popular = (await mostViewedSlugs(db, 5)).flatMap(({ slug }) => center.library.bySlug.get(slug) ?? []);
  const fallback = popular.length ? popular : [...center.library.articles].sort((a, b) => b.updated.localeCompare(a.updated)).slice(0, 5);
  return (
    <div className="space-y-8">
      <div className="rounded-xl border border-line bg-surface p-5">
        <p className="font-semibold">Nothing matches “{query}”{category ? ` in ${CATEGORY_LABELS[category]}` : ''}.</p>
        <ul className="mt-2 list-disc space-y-1 pl-5 text-sm text-muted">
          <li>Check the spelling, or try fewer or more general words.</li>
          <li>Searching for an error? Type just its number, such as 50162.</li>
          {category && (
            <li>
              <Link className="font-semibold text-accent underline" href={hrefFor({ q: query })}>
                Search all categories
              </Link>
            </li>
          )}
        </ul>
      </div>
      <section aria-labelledby="popular-heading" className="space-y-3">
        <h2 id="popular-heading" className="text-lg font-bold">
          Popular articles
        </h2>
        <ArticleLinks articles={fallback} columns={2} />
      </section>
      <section aria-labelledby="tools-heading" className="space-y-3">
        <h2 id="tools-heading" className="text-lg font-bold">
          Or use a self-service tool
        </h2>
        <ToolGrid />
      </section>
    </div>
  );
}
