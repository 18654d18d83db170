// Spelling-correction cost: `npm run bench:spelling`. What the help center's search costs with
// correction (lib/help/search/corrected.ts: the corrector, then the engine once, or twice when the
// corrected query finds nothing) against a plain engine query, on the same queries, at 2,000
// generated articles (BENCH_ARTICLES) with the shipped synonym table. Queries: the benchmark's fixed
// set (tests/bench/search-corpus.ts: one in five has a typo) and every judged query of
// tests/search/relevance.json. Target: correction at most 2× a plain query (mean and p95).
// The embedded engine is the hard case (a plain query takes about a millisecond, so the corrector's
// own work shows); Meilisearch runs too when one is available (tests/bench/meilisearch-server.ts).
// Writes tests/bench/reports/spelling.{md,json}.
import path from 'node:path';
import { loadArticles } from '@/lib/help/articles';
import { searchWithCorrection } from '@/lib/help/search/corrected';
import { EmbeddedSearchEngine } from '@/lib/help/search/embedded';
import { loadSearchLanguage } from '@/lib/help/search/language';
import { MeilisearchSearchEngine } from '@/lib/help/search/meilisearch';
import { correctorFor, type SpellingCorrector } from '@/lib/help/search/spelling';
import type { SearchEngine } from '@/lib/help/search/types';
import { loadJudgments } from '../search/relevance';
import { benchMeilisearch, deleteIndexes } from './meilisearch-server';
import { benchQueries, corpusFrom } from './search-corpus';
import { type Row, summarize, writeReport } from './support';

const ARTICLES = Number(process.env.BENCH_ARTICLES ?? 2000);
const ROUNDS = 5;
const MAX_RATIO = 2;

const contentDir = path.resolve('content');
const base = loadArticles(contentDir).articles;
const language = loadSearchLanguage(contentDir);
const documents = corpusFrom(base).documents(ARTICLES);
const corrector = correctorFor(documents, language);
const queries = [...benchQueries(base, 300), ...loadJudgments().map((j) => j.query)];
const changed = queries.map((q) => corrector.correct(q) !== undefined);
const corrected = changed.filter(Boolean).length;

const ms = (n: number) => `${n.toFixed(3)} ms`;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/**
 * Plain and corrected searches of each query, alternated, so drift on a busy machine hits both
 * alike. Also the same for only the queries the corrector changes, where correction does its work.
 */
async function measure(engine: SearchEngine, spelling: SpellingCorrector) {
  const plain: number[] = [];
  const withCorrection: number[] = [];
  const plainChanged: number[] = [];
  const correctedChanged: number[] = [];
  const page = (query: string) => ({ query, page: 1, pageSize: 10 });
  for (const q of queries.slice(0, 30)) {
    await engine.search(page(q));
    await searchWithCorrection(engine, spelling, page(q));
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, q] of queries.entries()) {
      let start = performance.now();
      await engine.search(page(q));
      const a = performance.now() - start;
      start = performance.now();
      await searchWithCorrection(engine, spelling, page(q));
      const b = performance.now() - start;
      plain.push(a);
      withCorrection.push(b);
      if (changed[i]) {
        plainChanged.push(a);
        correctedChanged.push(b);
      }
    }
  }
  const stats = (xs: number[]) => ({ ...summarize(xs), mean: mean(xs) });
  return { plain: stats(plain), corrected: stats(withCorrection), changedPlain: stats(plainChanged), changedCorrected: stats(correctedChanged) };
}

/** The corrector alone, per query: its share of the cost. */
function correctorOnly() {
  const samples: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const q of queries) {
      const start = performance.now();
      corrector.correct(q);
      samples.push(performance.now() - start);
    }
  }
  return { ...summarize(samples), mean: mean(samples) };
}

const rows: Row[] = [];
const results: Record<string, unknown> = {};
const report = (engine: string, m: Awaited<ReturnType<typeof measure>>) => {
  const meanRatio = m.corrected.mean / m.plain.mean;
  const p95Ratio = m.corrected.p95 / m.plain.p95;
  const changedRatio = m.changedCorrected.mean / m.changedPlain.mean;
  rows.push(
    { measure: `${engine}: plain query, mean / p50 / p95`, value: `${ms(m.plain.mean)} / ${ms(m.plain.p50)} / ${ms(m.plain.p95)}`, target: '—', met: null },
    { measure: `${engine}: with spelling correction, mean / p50 / p95`, value: `${ms(m.corrected.mean)} / ${ms(m.corrected.p50)} / ${ms(m.corrected.p95)}`, target: '—', met: null },
    { measure: `${engine}: correction cost, mean ratio`, value: `${meanRatio.toFixed(2)}×`, target: `≤ ${MAX_RATIO}×`, met: meanRatio <= MAX_RATIO },
    { measure: `${engine}: correction cost, p95 ratio`, value: `${p95Ratio.toFixed(2)}×`, target: `≤ ${MAX_RATIO}×`, met: p95Ratio <= MAX_RATIO },
    { measure: `${engine}: correction cost on the ${corrected} corrected queries only, mean ratio`, value: `${changedRatio.toFixed(2)}× (${ms(m.changedPlain.mean)} → ${ms(m.changedCorrected.mean)})`, target: `≤ ${MAX_RATIO}×`, met: changedRatio <= MAX_RATIO },
  );
  results[engine] = { ...m, meanRatio, p95Ratio, changedRatio };
  console.log(`${engine}: plain mean ${ms(m.plain.mean)}, corrected mean ${ms(m.corrected.mean)} (${meanRatio.toFixed(2)}×), p95 ${p95Ratio.toFixed(2)}×, corrected queries only ${changedRatio.toFixed(2)}×`);
};

const embedded = new EmbeddedSearchEngine({ language });
await embedded.index(documents);
report('embedded', await measure(embedded, corrector));
const alone = correctorOnly();
rows.push({ measure: 'the corrector alone, mean / p95 per query', value: `${ms(alone.mean)} / ${ms(alone.p95)}`, target: '—', met: null });

const meili = await benchMeilisearch();
if ('skipped' in meili) rows.push({ measure: 'meilisearch', value: meili.skipped, target: '—', met: null });
else {
  const indexName = `bench_spelling_${Date.now()}`;
  try {
    const remote = new MeilisearchSearchEngine({ url: meili.url, apiKey: meili.apiKey, indexName, language, requestTimeoutMs: 30_000, taskTimeoutMs: 300_000 });
    await remote.index(documents);
    report('meilisearch', await measure(remote, corrector));
  } finally {
    await deleteIndexes(meili, indexName).catch(() => undefined);
    await meili.stop();
  }
}

writeReport('spelling', `Spelling-correction cost (${ARTICLES.toLocaleString('en-US')} articles, ${queries.length} queries × ${ROUNDS}, ${corrected} of them corrected)`, rows, {
  articles: ARTICLES,
  queries: queries.length,
  correctedQueries: corrected,
  rounds: ROUNDS,
  corrector: alone,
  ...results,
});
const missed = rows.filter((r) => r.met === false);
if (missed.length) {
  console.log(`\n${missed.length} target(s) missed: ${missed.map((r) => r.measure).join('; ')}`);
  process.exitCode = 1;
}
