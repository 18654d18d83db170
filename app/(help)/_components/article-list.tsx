import Link from 'next/link';
import { CATEGORY_LABELS, type Category } from '@/lib/help/categories';
import type { ArticleSearch } from '@/lib/help/search-articles';
import { formatDate, formatViews } from './format';
import { Highlighted } from './highlighted';

export type ArticleListItem = ArticleSearch['hits'][number];

export function CategoryBadge({ category }: { category: Category }) {
  return <span className="inline-flex items-center rounded-full bg-surface-muted px-2 py-0.5 text-xs font-semibold text-muted">{CATEGORY_LABELS[category]}</span>;
}

/** Dates and, when known and not zero, the view count; `children` adds to the same line (a count loaded later). */
export function ArticleMeta({ published, updated, views, children }: { published: string; updated: string; views?: number | undefined; children?: React.ReactNode }) {
  const viewsLabel = formatViews(views);
  return (
    <p className="flex flex-wrap gap-x-3 gap-y-1 text-xs text-muted">
      <span>
        Published <time dateTime={published}>{formatDate(published)}</time>
      </span>
      {updated !== published && (
        <span>
          Updated <time dateTime={updated}>{formatDate(updated)}</time>
        </span>
      )}
      {viewsLabel && <span>{viewsLabel}</span>}
      {children}
    </p>
  );
}

export function ArticleList({ items, headingLevel = 2 }: { items: ArticleListItem[]; headingLevel?: 2 | 3 }) {
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  return (
    <ol className="divide-y divide-line overflow-hidden rounded-xl border border-line bg-surface">
      {items.map((item) => (
        <li key={item.slug} className="relative p-4 hover:bg-surface-muted/60 sm:p-5">
          <div className="mb-1 flex items-center gap-2">
            <CategoryBadge category={item.category} />
          </div>
          <Heading className="text-base font-semibold leading-snug">
            <Link href={`/articles/${item.slug}`} className="text-accent after:absolute after:inset-0 hover:underline">
              <Highlighted segments={item.title} />
            </Link>
          </Heading>
          <p className="mt-1 text-sm leading-relaxed text-fg/85">
            <Highlighted segments={item.snippet} />
          </p>
          <div className="mt-2">
            <ArticleMeta published={item.published} updated={item.updated} views={item.views} />
          </div>
        </li>
      ))}
    </ol>
  );
}

export function Pagination({ page, total, pageSize, hrefFor }: { page: number; total: number; pageSize: number; hrefFor: (page: number) => string }) {
  const pages = Math.ceil(total / pageSize);
  if (pages <= 1) return null;
  const numbers = Array.from({ length: pages }, (_, i) => i + 1).filter((n) => n === 1 || n === pages || Math.abs(n - page) <= 1);
  const link = 'inline-flex min-h-11 min-w-11 items-center justify-center rounded-lg border border-line px-3 text-sm font-semibold';
  return (
    <nav aria-label="Pagination" className="flex flex-wrap items-center justify-center gap-1">
      {page > 1 ? (
        <Link href={hrefFor(page - 1)} className={`${link} bg-surface hover:bg-surface-muted`} rel="prev">
          Previous
        </Link>
      ) : (
        <span className={`${link} text-muted opacity-60`} aria-disabled="true">
          Previous
        </span>
      )}
      {numbers.map((n, i) => (
        <span key={n} className="flex items-center gap-1">
          {i > 0 && n - numbers[i - 1]! > 1 && <span className="px-1 text-muted" aria-hidden="true">…</span>}
          <Link
            href={hrefFor(n)}
            aria-current={n === page ? 'page' : undefined}
            aria-label={`Page ${n}`}
            className={`${link} ${n === page ? 'border-accent bg-accent text-on-accent' : 'bg-surface hover:bg-surface-muted'}`}
          >
            {n}
          </Link>
        </span>
      ))}
      {page < pages ? (
        <Link href={hrefFor(page + 1)} className={`${link} bg-surface hover:bg-surface-muted`} rel="next">
          Next
        </Link>
      ) : (
        <span className={`${link} text-muted opacity-60`} aria-disabled="true">
          Next
        </span>
      )}
    </nav>
  );
}

/** A compact list of article links (related articles, popular articles). */
export function ArticleLinks({ articles, columns = 1 }: { articles: { slug: string; title: string }[]; columns?: 1 | 2 }) {
  return (
    <ul className={columns === 2 ? 'grid gap-2 sm:grid-cols-2' : 'space-y-2'}>
      {articles.map((a) => (
        <li key={a.slug}>
          <Link
            href={`/articles/${a.slug}`}
            className="flex min-h-11 items-center rounded-lg border border-line bg-surface px-3 py-2 text-sm font-semibold text-accent hover:bg-surface-muted"
          >
            {a.title}
          </Link>
        </li>
      ))}
    </ul>
  );
}
