import type { Category } from '../categories';

/** What an engine indexes: one article, body as plain text. */
export type SearchDocument = {
  slug: string;
  title: string;
  summary: string;
  body: string;
  category: Category;
  tags: string[];
  published: string;
  updated: string;
};

/**
 * Highlighted text as data, never as markup: engines return segments, and the page (React) or
 * `segmentsToHtml` (escaping everything) turns them into markup. A query or an article containing
 * `<script>` therefore cannot inject anything.
 */
export type TextSegment = { text: string; highlight: boolean };

export type SearchHit = {
  slug: string;
  title: TextSegment[];
  snippet: TextSegment[];
  category: Category;
  published: string;
  updated: string;
};

export type SearchQuery = {
  query: string;
  page: number; // 1-based
  pageSize: number;
  category?: Category;
};

export type SearchResult = {
  hits: SearchHit[];
  /** Matches in the selected category (or all, without one). */
  total: number;
  page: number;
  pageSize: number;
  /** Matches per category for the same query, ignoring the category filter (for the tabs). */
  categoryCounts: Record<Category, number>;
};

export type Suggestion = { slug: string; title: TextSegment[]; category: Category };

export interface SearchEngine {
  readonly name: 'embedded' | 'meilisearch';
  /** Replaces the whole corpus. */
  index(documents: SearchDocument[]): Promise<void>;
  search(query: SearchQuery): Promise<SearchResult>;
  /** Search-as-you-type: a few articles whose title or tags match the words typed so far. */
  suggest(prefix: string, limit: number): Promise<Suggestion[]>;
}
