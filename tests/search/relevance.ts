// The judged relevance set (tests/search/relevance.json) and the measures computed over it, shared
// by `npm run eval:search` (tests/search/eval.ts) and the relevance floor tests.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ArticleLibrary } from '@/lib/help/articles';
import { searchWithCorrection } from '@/lib/help/search/corrected';
import type { SpellingCorrector } from '@/lib/help/search/spelling';
import type { SearchEngine } from '@/lib/help/search/types';

/** Grade 2: the article answers the query. Grade 1: useful alongside the answer. */
export type Judgment = { query: string; relevant: Record<string, 1 | 2> };

export function loadJudgments(file = path.resolve(import.meta.dirname, 'relevance.json')): Judgment[] {
  const { queries } = JSON.parse(readFileSync(file, 'utf8')) as { queries: Judgment[] };
  return queries;
}

/** Judgments naming an article the library lacks are a mistake in the set, not a miss of the engine. */
export function unknownSlugs(judgments: Judgment[], library: ArticleLibrary): string[] {
  return [...new Set(judgments.flatMap((j) => Object.keys(j.relevant)).filter((slug) => !library.bySlug.has(slug)))];
}

export type QueryOutcome = { query: string; ranked: string[]; answers: string[]; correctedQuery: string | undefined; hit: boolean; reciprocalRank: number; ndcg: number };
export type Scores = { engine: string; queries: number; hitAt3: number; ndcgAt3: number; mrr: number; outcomes: QueryOutcome[] };

const CUTOFF = 3;
const MRR_DEPTH = 10;

/** nDCG at `k` with graded gains 2^grade − 1 and the ideal ranking of the judged articles. */
export function ndcgAt(ranked: string[], relevant: Record<string, number>, k = CUTOFF): number {
  const gain = (grade: number) => 2 ** grade - 1;
  const dcg = ranked.slice(0, k).reduce((sum, slug, i) => sum + gain(relevant[slug] ?? 0) / Math.log2(i + 2), 0);
  const ideal = Object.values(relevant)
    .sort((a, b) => b - a)
    .slice(0, k)
    .reduce((sum, grade, i) => sum + gain(grade) / Math.log2(i + 2), 0);
  return ideal === 0 ? 0 : dcg / ideal;
}

/** The measures for one query: hit@3 and MRR look for an answer (grade 2); nDCG@3 uses every grade. */
export function scoreQuery(judgment: Judgment, ranked: string[], correctedQuery?: string): QueryOutcome {
  const answers = Object.entries(judgment.relevant).filter(([, grade]) => grade === 2).map(([slug]) => slug);
  const firstAnswer = ranked.slice(0, MRR_DEPTH).findIndex((slug) => answers.includes(slug));
  return {
    query: judgment.query,
    ranked,
    answers,
    correctedQuery,
    hit: firstAnswer >= 0 && firstAnswer < CUTOFF,
    reciprocalRank: firstAnswer >= 0 ? 1 / (firstAnswer + 1) : 0,
    ndcg: ndcgAt(ranked, judgment.relevant),
  };
}

/** Runs every judged query the way the help center does (spelling correction included). */
export async function evaluateEngine(engine: SearchEngine, corrector: SpellingCorrector, judgments: Judgment[]): Promise<Scores> {
  const outcomes: QueryOutcome[] = [];
  for (const judgment of judgments) {
    const { result, correctedQuery } = await searchWithCorrection(engine, corrector, { query: judgment.query, page: 1, pageSize: MRR_DEPTH });
    outcomes.push(scoreQuery(judgment, result.hits.map((h) => h.slug), correctedQuery));
  }
  const mean = (pick: (o: QueryOutcome) => number) => outcomes.reduce((sum, o) => sum + pick(o), 0) / Math.max(1, outcomes.length);
  return {
    engine: engine.name,
    queries: outcomes.length,
    hitAt3: mean((o) => (o.hit ? 1 : 0)),
    ndcgAt3: mean((o) => o.ndcg),
    mrr: mean((o) => o.reciprocalRank),
    outcomes,
  };
}

export const percent = (n: number) => `${(n * 100).toFixed(1)} %`;

/** One line per query whose answer is not in the top 3. */
export function describeMisses(scores: Scores): string[] {
  return scores.outcomes
    .filter((o) => !o.hit)
    .map((o) => {
      const asked = o.correctedQuery ? `"${o.query}" (corrected to "${o.correctedQuery}")` : `"${o.query}"`;
      return `${asked}: wanted ${o.answers.join(' or ')}; got ${o.ranked.slice(0, 3).join(', ') || 'nothing'}`;
    });
}
