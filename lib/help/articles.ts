import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CATEGORIES, type Category } from './categories';
import { analyzeMarkdown, renderMarkdown } from './markdown';

const isoDate = z
  .union([z.string(), z.date()])
  .transform((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v))
  .pipe(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date like 2026-03-01' }));

const frontMatterSchema = z
  .object({
    title: z.string().min(5).max(120),
    slug: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, { message: 'must be lower-case words joined by hyphens' }),
    category: z.enum(CATEGORIES),
    tags: z.array(z.string().min(1)).default([]),
    summary: z.string().min(20).max(200),
    published: isoDate,
    updated: isoDate,
    related: z.array(z.string()).default([]),
    // Editor-promoted "Top issues" on the help home page, in this order (1 first).
    top: z.number().int().min(1).max(20).optional(),
  })
  .strict()
  .refine((fm) => fm.updated >= fm.published, { path: ['updated'], message: 'must not be before published' });

export type Article = {
  slug: string;
  title: string;
  category: Category;
  tags: string[];
  summary: string;
  published: string;
  updated: string;
  related: string[];
  /** Position in the home page's "Top issues" list, when an editor promoted the article. */
  top?: number | undefined;
  markdown: string;
  /** Plain text of the body, for search. */
  text: string;
  /** Slugs this article links to. */
  links: string[];
};

export class ArticleError extends Error {
  constructor(file: string, problems: string[]) {
    super(`${file}: ${problems.join('; ')}`);
    this.name = 'ArticleError';
  }
}

export function parseArticle(file: string, source: string): Article {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(source);
  if (!match) throw new ArticleError(file, ['front matter is missing (the file must start with ---)']);
  let data: unknown;
  try {
    data = parseYaml(match[1]!);
  } catch (error) {
    throw new ArticleError(file, [`front matter is not valid YAML: ${(error as Error).message.split('\n')[0]}`]);
  }
  const parsed = frontMatterSchema.safeParse(data);
  if (!parsed.success) {
    throw new ArticleError(file, parsed.error.issues.map((i) => `${i.path.join('.') || 'front matter'} ${i.message}`));
  }
  const expectedSlug = path.basename(file, '.md');
  if (parsed.data.slug !== expectedSlug) throw new ArticleError(file, [`slug must match the file name ("${expectedSlug}")`]);
  const markdown = match[2]!.trim();
  const { text, articleLinks } = analyzeMarkdown(markdown);
  return { ...parsed.data, markdown, text, links: articleLinks };
}

/** Checks that hold across articles: unique top-issue positions, and every link and related slug leads somewhere. */
export function checkCorpus(articles: Article[]) {
  const slugs = new Set(articles.map((a) => a.slug));
  const problems: string[] = [];
  const tops = new Map<number, string>();
  for (const article of articles) {
    if (article.top !== undefined) {
      const other = tops.get(article.top);
      if (other) problems.push(`${article.slug}.md: top ${article.top} is already taken by ${other}.md`);
      tops.set(article.top, article.slug);
    }
    for (const related of article.related) {
      if (!slugs.has(related)) problems.push(`${article.slug}.md: related "${related}" does not exist`);
      if (related === article.slug) problems.push(`${article.slug}.md: related lists the article itself`);
    }
    for (const link of article.links) {
      if (!slugs.has(link)) problems.push(`${article.slug}.md: link to /articles/${link} leads nowhere`);
    }
  }
  if (problems.length) throw new Error(`Help-center content has problems:\n  ${problems.join('\n  ')}`);
}

/** The articles editors promoted with `top:` in their front matter, in that order (help home page). */
export function topIssues(articles: Article[]): Article[] {
  return articles.filter((a) => a.top !== undefined).sort((a, b) => a.top! - b.top!);
}

export type ArticleLibrary = {
  articles: Article[];
  bySlug: Map<string, Article>;
  /** Changes whenever any article changes: decides whether a remote index must be rebuilt. */
  contentHash: string;
  html(slug: string): string;
};

export function loadArticles(directory: string): ArticleLibrary {
  // Markdown files only: content/_synonyms.yml is read by the search engines, not as an article.
  const files = readdirSync(directory).filter((f) => f.endsWith('.md')).sort();
  const hash = createHash('sha256');
  const articles = files.map((file) => {
    const source = readFileSync(path.join(directory, file), 'utf8');
    hash.update(file).update('\0').update(source).update('\0');
    return parseArticle(file, source);
  });
  checkCorpus(articles);
  const bySlug = new Map(articles.map((a) => [a.slug, a]));
  const rendered = new Map<string, string>();
  return {
    articles,
    bySlug,
    contentHash: hash.digest('hex'),
    html(slug) {
      let html = rendered.get(slug);
      if (html === undefined) {
        const article = bySlug.get(slug);
        if (!article) throw new Error(`No article "${slug}"`);
        html = renderMarkdown(article.markdown);
        rendered.set(slug, html);
      }
      return html;
    },
  };
}
