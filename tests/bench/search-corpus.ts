// Generated help-center corpora for the search benchmark: seeded, so every run measures the same
// articles, and nested (the first 1,000 of the 50,000 are the 1,000), so sizes compare fairly.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Article } from '@/lib/help/articles';
import { analyzeMarkdown } from '@/lib/help/markdown';
import { words } from '@/lib/help/search/text';
import type { SearchDocument } from '@/lib/help/search/types';
import { seededRandom } from './support';

const SEED = 20261122;

export type Corpus = {
  /** What the engines index, built without parsing Markdown per article (so 50,000 take about a second). */
  documents(size: number): SearchDocument[];
  /** The same articles as Markdown files in `dir`, for `npm start` (CONTENT_DIR). */
  writeMarkdown(size: number, dir: string): void;
};

export function corpusFrom(base: Article[]): Corpus {
  // Paragraphs of the shipped articles, article links flattened to their text; each one's plain text
  // (as `analyzeMarkdown` extracts it when the article is loaded) is computed once, not per use.
  const paragraphs = base
    .flatMap((a) => a.markdown.split(/\n\n+/))
    .map((p) => p.replace(/\[([^\]]+)\]\(\/articles\/[^)]+\)/g, '$1'));
  const plain = paragraphs.map((p) => analyzeMarkdown(p).text);

  // Article i: its source article, its title, and 8–15 paragraphs drawn with its own seed.
  const article = (i: number) => {
    const random = seededRandom(SEED + i * 7919);
    const source = base[i % base.length]!;
    const picks = Array.from({ length: 8 + Math.floor(random() * 8) }, () => Math.floor(random() * paragraphs.length));
    return { source, picks, slug: `${source.slug}-${i}`, title: `${source.title} (${i})` };
  };

  return {
    documents(size) {
      return Array.from({ length: size }, (_, i) => {
        const { source, picks, slug, title } = article(i);
        return {
          slug,
          title,
          summary: source.summary,
          body: picks.map((p) => plain[p]).filter(Boolean).join(' ').replace(/\s+/g, ' ').trim(),
          category: source.category,
          tags: source.tags,
          published: source.published,
          updated: source.updated,
        };
      });
    },
    writeMarkdown(size, dir) {
      mkdirSync(dir, { recursive: true });
      for (let i = 0; i < size; i++) {
        const { source, picks, slug, title } = article(i);
        const body = picks.map((p) => paragraphs[p]).join('\n\n');
        writeFileSync(
          path.join(dir, `${slug}.md`),
          `---\ntitle: ${JSON.stringify(title)}\nslug: ${slug}\ncategory: ${source.category}\ntags: ${JSON.stringify(source.tags)}\nsummary: ${JSON.stringify(source.summary)}\npublished: ${source.published}\nupdated: ${source.updated}\nrelated: []\n---\n\n${body}\n`,
        );
      }
    },
  };
}

/**
 * A fixed set of queries, in five kinds taken in turn: a word, a word with one letter dropped (typo),
 * a five-letter prefix, an error code or short phrase people type, and two words.
 */
export function benchQueries(base: Article[], count: number): string[] {
  const random = seededRandom(SEED);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const vocabulary = [...new Set(base.flatMap((a) => words(`${a.title} ${a.tags.join(' ')}`)).filter((w) => w.length >= 5 && !/^\d+$/.test(w)))].sort();
  const typo = (w: string) => {
    const i = 1 + Math.floor(random() * (w.length - 2));
    return w.slice(0, i) + w.slice(i + 1);
  };
  return Array.from({ length: count }, (_, i) => {
    switch (i % 5) {
      case 0: return pick(vocabulary);
      case 1: return typo(pick(vocabulary));
      case 2: return pick(vocabulary).slice(0, 5);
      case 3: return pick(['50162', '50110', 'error 50162', 'p2p hold', '2fa reset']);
      default: return `${pick(vocabulary)} ${pick(vocabulary)}`;
    }
  });
}
