'use client';

import Link from 'next/link';
import { useEffect, useState } from 'react';
import { formatViews } from './format';

export type PopularArticle = { slug: string; url: string; title: string; views: number };

/** The most viewed articles from /api/help/popular, asked for once the prerendered page has loaded. */
export function usePopularArticles() {
  const [articles, setArticles] = useState<PopularArticle[]>();
  useEffect(() => {
    const controller = new AbortController();
    fetch('/api/help/popular', { signal: controller.signal })
      .then((response) => (response.ok ? (response.json() as Promise<{ articles: PopularArticle[] }>) : undefined))
      .then((body) => setArticles(body?.articles ?? []))
      .catch(() => {
        if (!controller.signal.aborted) setArticles([]);
      });
    return () => controller.abort();
  }, []);
  return articles;
}

/** The home page's "Most viewed" list. */
export function MostViewed() {
  const popular = usePopularArticles();
  if (!popular) return <p className="text-sm text-muted" aria-busy="true">Loading…</p>;
  if (popular.length === 0) return <p className="text-sm text-muted">Popular articles will appear here once people start reading.</p>;
  return (
    <ol className="space-y-1">
      {popular.map((article, i) => (
        <li key={article.slug}>
          <Link href={article.url} className="flex min-h-11 gap-3 rounded-lg p-2 hover:bg-surface-muted">
            <span className="w-5 shrink-0 text-right font-bold text-accent" aria-hidden="true">
              {i + 1}
            </span>
            <span className="min-w-0">
              <span className="block text-sm font-semibold leading-snug">{article.title}</span>
              <span className="block text-xs text-muted">{formatViews(article.views)}</span>
            </span>
          </Link>
        </li>
      ))}
    </ol>
  );
}
