import type { Metadata } from 'next';
import Link from 'next/link';
import { Suspense } from 'react';
import { getArticleLibrary } from '@/lib/help/center';
import { ToolGrid } from '../../_components/tools';
import { PageContainer } from '../../_components/ui';
import { SearchBox } from '../_components/search-box';
import { SearchResults } from './search-results';

export const metadata: Metadata = { title: 'Search', robots: { index: false } };

// The search page is a prerendered shell, the same for every query: the results come from
// GET /api/search in the browser (search-results.tsx), which also writes the query log after
// answering. Without JavaScript there are no results here: the page says so and offers browsing.
export default function SearchPage() {
  const recent = [...getArticleLibrary().articles]
    .sort((a, b) => b.updated.localeCompare(a.updated) || a.title.localeCompare(b.title))
    .slice(0, 5)
    .map(({ slug, title }) => ({ slug, title }));

  return (
    <PageContainer className="space-y-6 py-8">
      <Suspense fallback={<SearchBox size="compact" />}>
        <SearchResults recent={recent} tools={<ToolGrid />} />
      </Suspense>
      <noscript>
        <p className="text-muted">
          Search results need JavaScript in your browser. Without it, browse the articles{' '}
          <Link className="font-semibold text-accent underline" href="/#browse">
            by category
          </Link>
          .
        </p>
      </noscript>
    </PageContainer>
  );
}
