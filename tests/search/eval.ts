// `npm run eval:search`: every judged query of tests/search/relevance.json against both engines,
// the embedded one in process and a real Meilisearch (MEILISEARCH_URL on loopback, or the project's
// throwaway test server: tests/bench/meilisearch-server.ts), each through the help center's
// spelling correction. Prints nDCG@3, MRR and hit@3 per engine and every miss, and exits 1 when a
// target is missed: hit@3 of at least 95 % on each engine, and the engines within 3 points.
// CONTENT_DIR evaluates another content folder (for a before/after comparison).
import path from 'node:path';
import { loadArticles } from '@/lib/help/articles';
import { toSearchDocument } from '@/lib/help/search/documents';
import { EmbeddedSearchEngine } from '@/lib/help/search/embedded';
import { loadSearchLanguage } from '@/lib/help/search/language';
import { MeilisearchSearchEngine } from '@/lib/help/search/meilisearch';
import { correctorFor } from '@/lib/help/search/spelling';
import { benchMeilisearch, deleteIndexes } from '../bench/meilisearch-server';
import { describeMisses, evaluateEngine, loadJudgments, percent, type Scores, unknownSlugs } from './relevance';

const HIT_TARGET = 0.95;
const MAX_GAP = 0.03;

const contentDir = path.resolve(process.env.CONTENT_DIR ?? 'content');
const library = loadArticles(contentDir);
const judgments = loadJudgments();
const missing = unknownSlugs(judgments, library);
if (missing.length) console.log(`Judged articles missing from ${contentDir} (their queries can only miss): ${missing.join(', ')}\n`);

const documents = library.articles.map(toSearchDocument);
const language = loadSearchLanguage(contentDir);
const corrector = correctorFor(documents, language);
const results: Scores[] = [];

const embedded = new EmbeddedSearchEngine({ language });
await embedded.index(documents);
results.push(await evaluateEngine(embedded, corrector, judgments));

const meili = await benchMeilisearch();
let meiliNote = '';
if ('skipped' in meili) meiliNote = `Meilisearch: ${meili.skipped}`;
else {
  const prefix = `eval_search_${Date.now()}`;
  try {
    const engine = new MeilisearchSearchEngine({ url: meili.url, apiKey: meili.apiKey, indexName: prefix, requestTimeoutMs: 30_000, language });
    await engine.index(documents);
    results.push(await evaluateEngine(engine, corrector, judgments));
  } finally {
    await deleteIndexes(meili, prefix).catch(() => undefined);
    await meili.stop();
  }
}

console.log(`${judgments.length} judged queries, ${library.articles.length} articles (${path.relative(process.cwd(), contentDir) || '.'})\n`);
console.log('| engine | hit@3 | nDCG@3 | MRR |\n| --- | --- | --- | --- |');
for (const s of results) console.log(`| ${s.engine} | ${percent(s.hitAt3)} | ${s.ndcgAt3.toFixed(3)} | ${s.mrr.toFixed(3)} |`);
if (meiliNote) console.log(`\n${meiliNote}`);
for (const s of results) {
  const misses = describeMisses(s);
  console.log(`\n${s.engine}: ${misses.length} miss(es)${misses.length ? ':' : ''}`);
  for (const line of misses) console.log(`  - ${line}`);
}

const problems = results.filter((s) => s.hitAt3 < HIT_TARGET).map((s) => `${s.engine} hit@3 ${percent(s.hitAt3)} is under ${percent(HIT_TARGET)}`);
if (results.length === 2) {
  const gap = Math.abs(results[0]!.hitAt3 - results[1]!.hitAt3);
  if (gap > MAX_GAP) problems.push(`the engines are ${(gap * 100).toFixed(1)} points apart on hit@3 (at most ${MAX_GAP * 100})`);
}
if (problems.length) {
  console.log(`\nTargets missed: ${problems.join('; ')}.`);
  process.exitCode = 1;
} else console.log(`\nTargets met: hit@3 ≥ ${percent(HIT_TARGET)} on ${results.map((s) => s.engine).join(' and ')}${results.length === 2 ? `, within ${MAX_GAP * 100} points` : ''}.`);
