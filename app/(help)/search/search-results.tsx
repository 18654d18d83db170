'use client';

import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { useEffect, useState } from 'react';
import { CATEGORIES, CATEGORY_LABELS, isCategory, type Category } from '@/lib/help/categories';
import { Alert, Tabs } from '../../_components/ui';
import { ArticleLinks, ArticleMeta, CategoryBadge, Pagination } from '../_components/article-list';
import { usePopularArticles } from '../_components/most-viewed';
import { SearchBox } from '../_components/search-box';

/** GET /api/search's answer (app/api/search/route.ts); title and snippet are markup escaped by the server. */
type Hit = { slug: string; url: string; title: string; snippet: string; category: Category; published: string; updated: string; views: number | null };
type Answer = {
  query: string;
  correctedQuery: string | null;
  total: number;
  page: number;
  pageSize: number;
  category: Category | 'all';
  categoryCounts: Record<Category, number>;
  hits: Hit[];
};
type Outcome = { key: string; answer?: Answer; problem?: string };

const FORWARDED = ['q', 'page', 'category', 'exact'] as const;

function hrefFor(options: { q: string; category?: Category | undefined; page?: number; exact?: boolean }) {
  const params = new URLSearchParams();
  if (options.q) params.set('q', options.q);
  if (options.category) params.set('category', options.category);
  if (options.page && options.page > 1) params.set('page', String(options.page));
  if (options.exact) params.set('exact', '1');
  return `/search?${params}`;
}

/** The results for the address's query, asked of /api/search; a new query or page asks again. */
export function SearchResults({ recent, tools }: { recent: { slug: string; title: string }[]; tools: React.ReactNode }) {
  const params = useSearchParams();
  const api = new URLSearchParams();
  for (const name of FORWARDED) {
    const value = params.get(name);
    if (value !== null) api.set(name, value);
  }
  const key = api.toString();
  const q = params.get('q') ?? '';
  const exact = params.get('exact') === '1';
  const [outcome, setOutcome] = useState<Outcome>();

  useEffect(() => {
    document.title = `${q.trim() ? `Search: ${q.slice(0, 60)}` : 'All articles'} · Regain`;
    const controller = new AbortController();
    fetch(`/api/search?${key}`, { signal: controller.signal })
      .then(async (response) => {
        const body = (await response.json()) as Answer & { error?: { message?: string } };
        if (response.ok) setOutcome({ key, answer: body });
        else if (response.status < 500 && body.error?.message) setOutcome({ key, problem: body.error.message });
        else setOutcome({ key, problem: 'Search is not available right now. Please try again in a moment.' });
      })
      .catch(() => {
        if (!controller.signal.aborted) setOutcome({ key, problem: 'Search is not available right now. Check your connection and try again.' });
      });
    return () => controller.abort();
  }, [key, q]);

  const current = outcome?.key === key ? outcome : undefined;
  return (
    <>
      <SearchBox key={q} defaultValue={q} size="compact" />
      {!current && <p className="text-sm text-muted">Searching…</p>}
      {current?.problem && (
        <Alert tone="error" title="We couldn't run that search">
          {current.problem}
        </Alert>
      )}
      {current?.answer && <Results answer={current.answer} exact={exact} recent={recent} tools={tools} />}
    </>
  );
}

function Results({ answer, exact, recent, tools }: { answer: Answer; exact: boolean; recent: { slug: string; title: string }[]; tools: React.ReactNode }) {
  const { query, total, page, pageSize, hits, correctedQuery } = answer;
  const category = isCategory(answer.category) ? answer.category : undefined;
  const allCount = CATEGORIES.reduce((sum, c) => sum + answer.categoryCounts[c], 0);
  const tabs = [
    { href: hrefFor({ q: query, exact }), label: 'All', count: allCount, current: !category },
    ...CATEGORIES.map((c) => ({ href: hrefFor({ q: query, category: c, exact }), label: CATEGORY_LABELS[c], count: answer.categoryCounts[c], current: category === c })),
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
        <NoResults query={query} category={category} recent={recent} tools={tools} />
      ) : (
        <>
          <ResultList hits={hits} />
          <Pagination page={page} total={total} pageSize={pageSize} hrefFor={(p) => hrefFor({ q: query, category, page: p, exact })} />
        </>
      )}
    </div>
  );
}

// Titles and snippets are markup produced and escaped by the server (segmentsToHtml): only its own
// <mark> tags are markup, so they are safe to insert.
function ResultList({ hits }: { hits: Hit[] }) {
  return (
    <ol className="divide-y divide-line overflow-hidden rounded-xl border border-line bg-surface">
      {hits.map((hit) => (
        <li key={hit.slug} className="relative p-4 hover:bg-surface-muted/60 sm:p-5">
          <div className="mb-1 flex items-center gap-2">
            <CategoryBadge category={hit.category} />
          </div>
          <h2 className="text-base font-semibold leading-snug">
            <Link href={hit.url} className="text-accent after:absolute after:inset-0 hover:underline" dangerouslySetInnerHTML={{ __html: hit.title }} />
          </h2>
          <p className="mt-1 text-sm leading-relaxed text-fg/85" dangerouslySetInnerHTML={{ __html: hit.snippet }} />
          <div className="mt-2">
            <ArticleMeta published={hit.published} updated={hit.updated} views={hit.views ?? undefined} />
          </div>
        </li>
      ))}
    </ol>
  );
}

function NoResults({ query, category, recent, tools }: { query: string; category: Category | undefined; recent: { slug: string; title: string }[]; tools: React.ReactNode }) {
  const popular = usePopularArticles();
  const fallback = popular?.length ? popular : recent;
  return (
    <div className="space-y-8">
      <div className="rounded-xl border border-line bg-surface p-5">
        <p className="font-semibold">
          Nothing matches “{query}”{category ? ` in ${CATEGORY_LABELS[category]}` : ''}.
        </p>
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
        {tools}
      </section>
    </div>
  );
}
