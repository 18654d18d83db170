'use client';

import { createContext, useContext, useEffect, useState } from 'react';
import { formatViews } from '../../_components/format';

export type Visit = { views: number; vote: { helpful: boolean; comment: string | null } | null };

const VisitContext = createContext<Visit | undefined>(undefined);

/**
 * The article page is prerendered and the same for everyone. Once it is shown, the browser tells
 * the server (POST /api/help/articles/<slug>/visit), which counts the view (once per visitor per
 * article per day, lib/help/engagement.ts) and answers with the count and this visitor's vote, for
 * the components below. Router prefetches never mount this, so they are never counted.
 */
export function ArticleVisit({ slug, children }: { slug: string; children: React.ReactNode }) {
  const [visit, setVisit] = useState<Visit>();
  useEffect(() => {
    const controller = new AbortController();
    fetch(`/api/help/articles/${encodeURIComponent(slug)}/visit`, { method: 'POST', signal: controller.signal })
      .then((response) => (response.ok ? (response.json() as Promise<Visit>) : undefined))
      .then((body) => body && setVisit(body))
      .catch(() => {
        // Aborted (the reader moved on) or offline: the article reads the same without it.
      });
    return () => controller.abort();
  }, [slug]);
  return <VisitContext value={visit}>{children}</VisitContext>;
}

/** This visitor's earlier vote on the article, once the visit answered. */
export function useRememberedVote() {
  return useContext(VisitContext)?.vote ?? undefined;
}

/** "12 views" in the article's header; nothing while unknown or when nobody has read it yet. */
export function ViewCount() {
  const label = formatViews(useContext(VisitContext)?.views);
  return label ? <span>{label}</span> : null;
}
