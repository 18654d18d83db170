import { beforeAll, expect, it } from 'vitest';
import { toSearchDocument } from '@/lib/help/search/documents';
import { EmbeddedSearchEngine } from '@/lib/help/search/embedded';
import { MeilisearchSearchEngine } from '@/lib/help/search/meilisearch';
import { correctorFor } from '@/lib/help/search/spelling';
import { loadArticles } from '@/lib/help/articles';
import { describeWithMeilisearch } from '../support/meilisearch';
import { shippedLanguage } from '../contract/search-engine';
import { RELEVANCE_FLOORS } from '../search/floors';
import { describeMisses, evaluateEngine, loadJudgments, percent, type Scores } from '../search/relevance';
import path from 'node:path';

// The judged questions against a real Meilisearch (the run's server: tests/support/meilisearch.ts),
// held to the same kind of floor as the embedded engine, and kept close to it.
describeWithMeilisearch('meilisearch relevance', (server) => {
  const judgments = loadJudgments();
  const language = shippedLanguage();
  const documents = loadArticles(path.resolve(import.meta.dirname, '../../content')).articles.map(toSearchDocument);
  const corrector = correctorFor(documents, language);
  let meili: Scores;
  let embedded: Scores;

  beforeAll(async () => {
    const { url, apiKey, indexName } = server();
    const engine = new MeilisearchSearchEngine({ url, apiKey, indexName, language });
    await engine.index(documents);
    meili = await evaluateEngine(engine, corrector, judgments);
    const local = new EmbeddedSearchEngine({ language });
    await local.index(documents);
    embedded = await evaluateEngine(local, corrector, judgments);
  }, 120_000);

  it(`answers at least ${percent(RELEVANCE_FLOORS.meilisearch.hitAt3)} of the judged questions in the top 3`, () => {
    expect(meili.hitAt3, `hit@3 ${percent(meili.hitAt3)}; misses:\n${describeMisses(meili).join('\n')}`).toBeGreaterThanOrEqual(RELEVANCE_FLOORS.meilisearch.hitAt3);
    expect(meili.ndcgAt3).toBeGreaterThanOrEqual(RELEVANCE_FLOORS.meilisearch.ndcgAt3);
  });

  it('stays within 3 points of the embedded engine', () => {
    expect(Math.abs(meili.hitAt3 - embedded.hitAt3)).toBeLessThanOrEqual(0.03);
  });
});
