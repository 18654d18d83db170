import type { Article } from '../articles';
import type { SearchDocument } from './types';

export function toSearchDocument(article: Article): SearchDocument {
  return {
    slug: article.slug,
    title: article.title,
    summary: article.summary,
    body: article.text,
    category: article.category,
    tags: article.tags,
    published: article.published,
    updated: article.updated,
  };
}
