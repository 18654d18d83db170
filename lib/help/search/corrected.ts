import type { SpellingCorrector } from './spelling';
import type { SearchEngine, SearchQuery, SearchResult } from './types';

/**
 * One search as a person sees it: when the corrector changes the query, the corrected query's
 * results win if it finds anything (or the typed one finds nothing too); otherwise the typed query's.
 * The help-center page and `npm run eval:search` both go through here, so the evaluation measures
 * what people get.
 */
export async function searchWithCorrection(
  engine: SearchEngine,
  corrector: SpellingCorrector,
  query: SearchQuery,
  options: { correctSpelling?: boolean } = {},
): Promise<{ result: SearchResult; correctedQuery: string | undefined }> {
  const corrected = options.correctSpelling === false ? undefined : corrector.correct(query.query);
  if (!corrected) return { result: await engine.search(query), correctedQuery: undefined };
  // The corrected query first: when it finds something it wins, so the typed query is only run
  // when it did not, and a correction costs one engine call in the usual case, never more than two.
  const alternative = await engine.search({ ...query, query: corrected });
  if (alternative.total > 0) return { result: alternative, correctedQuery: corrected };
  const typed = await engine.search(query);
  return typed.total > 0 ? { result: typed, correctedQuery: undefined } : { result: alternative, correctedQuery: corrected };
}
