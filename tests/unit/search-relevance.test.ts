import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadArticles } from '@/lib/help/articles';
import { toSearchDocument } from '@/lib/help/search/documents';
import { EmbeddedSearchEngine } from '@/lib/help/search/embedded';
import { loadSearchLanguage } from '@/lib/help/search/language';
import { correctorFor } from '@/lib/help/search/spelling';
import { RELEVANCE_FLOORS } from '../search/floors';
import { describeMisses, evaluateEngine, loadJudgments, ndcgAt, percent, type Scores, scoreQuery, unknownSlugs } from '../search/relevance';

const contentDir = path.resolve(import.meta.dirname, '../../content');
const library = loadArticles(contentDir);
const judgments = loadJudgments();

describe('the judged relevance set', () => {
  it('has at least 150 queries, each judging articles that exist, with an answer', () => {
    expect(judgments.length).toBeGreaterThanOrEqual(150);
    expect(unknownSlugs(judgments, library)).toEqual([]);
    expect(judgments.filter((j) => !Object.values(j.relevant).includes(2)).map((j) => j.query)).toEqual([]);
    expect(new Set(judgments.map((j) => j.query.toLowerCase())).size).toBe(judgments.length);
  });

  it('scores rankings the way the report says', () => {
    const judged = { query: 'q', relevant: { a: 2, b: 1 } } as const;
    expect(scoreQuery(judged, ['a', 'b', 'c'])).toMatchObject({ hit: true, reciprocalRank: 1, ndcg: 1 });
    expect(scoreQuery(judged, ['c', 'd', 'e', 'a'])).toMatchObject({ hit: false, reciprocalRank: 0.25, ndcg: 0 });
    expect(scoreQuery(judged, ['b', 'a'])).toMatchObject({ hit: true, reciprocalRank: 0.5 });
    expect(ndcgAt(['b', 'a'], judged.relevant)).toBeCloseTo((1 + 3 / Math.log2(3)) / (3 + 1 / Math.log2(3)), 10);
  });
});

describe('embedded engine relevance', () => {
  let scores: Scores;

  beforeAll(async () => {
    const language = loadSearchLanguage(contentDir);
    const documents = library.articles.map(toSearchDocument);
    const engine = new EmbeddedSearchEngine({ language });
    await engine.index(documents);
    scores = await evaluateEngine(engine, correctorFor(documents, language), judgments);
  });

  it(`answers at least ${percent(RELEVANCE_FLOORS.embedded.hitAt3)} of the judged questions in the top 3`, () => {
    expect(scores.hitAt3, `hit@3 ${percent(scores.hitAt3)}; misses:\n${describeMisses(scores).join('\n')}`).toBeGreaterThanOrEqual(RELEVANCE_FLOORS.embedded.hitAt3);
    expect(scores.ndcgAt3).toBeGreaterThanOrEqual(RELEVANCE_FLOORS.embedded.ndcgAt3);
  });

  it('answers the questions that used to go wrong', () => {
    const top = (query: string) => scores.outcomes.find((o) => o.query === query)!;
    expect(top('cant recieve sms')).toMatchObject({ correctedQuery: "can't receive sms", hit: true });
    expect(top('cant recieve sms').ranked[0]).toBe('sms-code-not-received');
    expect(top('passkey').ranked[0]).toBe('what-is-a-passkey');
    for (const query of ['hacked', 'forgot password', 'google authenticator', 'change phone number']) expect(top(query).hit, query).toBe(true);
  });
});
