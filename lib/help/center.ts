import { getConfig } from '@/lib/config';
import { log } from '@/lib/log';
import { type ArticleLibrary, loadArticles } from './articles';
import { toSearchDocument } from './search/documents';
import { EmbeddedSearchEngine } from './search/embedded';
import { ensureMeilisearchIndex, MeilisearchSearchEngine } from './search/meilisearch';
import { SpellingCorrector } from './search/spelling';
import type { SearchEngine } from './search/types';

export type HelpCenter = {
  library: ArticleLibrary;
  engine: SearchEngine;
  corrector: SpellingCorrector;
  /** What /api/health reports, e.g. "meilisearch" or "embedded (meilisearch unreachable)". */
  engineStatus: string;
};

/**
 * Loads content/, builds the spelling vocabulary and readies the search engine: the embedded one,
 * or Meilisearch when configured (re-indexed only when the content changed). If Meilisearch cannot
 * be reached at start-up the embedded engine serves instead, and health says so.
 */
export async function buildHelpCenter(options: {
  contentDir: string;
  meilisearch?: { url: string; apiKey: string | undefined } | undefined;
}): Promise<HelpCenter> {
  const library = loadArticles(options.contentDir);
  const documents = library.articles.map(toSearchDocument);
  const corrector = new SpellingCorrector(documents.flatMap((d) => [d.title, d.summary, d.body, d.tags.join(' ')]));

  if (options.meilisearch) {
    const engine = new MeilisearchSearchEngine({ url: options.meilisearch.url, apiKey: options.meilisearch.apiKey });
    try {
      const reindexed = await ensureMeilisearchIndex(engine, documents, library.contentHash);
      log.info('search_ready', { engine: 'meilisearch', reindexed, articles: documents.length });
      return { library, engine, corrector, engineStatus: 'meilisearch' };
    } catch (error) {
      log.error('search_meilisearch_unavailable', { error });
    }
  }
  const engine = new EmbeddedSearchEngine();
  await engine.index(documents);
  const engineStatus = options.meilisearch ? 'embedded (meilisearch unreachable)' : 'embedded';
  log.info('search_ready', { engine: engineStatus, articles: documents.length });
  return { library, engine, corrector, engineStatus };
}

// One help center per server process; the global survives dev-server module reloads.
const globalForHelp = globalThis as unknown as { regainHelpCenter?: Promise<HelpCenter> };

export function getHelpCenter(): Promise<HelpCenter> {
  if (!globalForHelp.regainHelpCenter) {
    const config = getConfig();
    const meilisearch = config.search.engine === 'meilisearch' ? { url: config.search.url, apiKey: config.search.apiKey } : undefined;
    globalForHelp.regainHelpCenter = buildHelpCenter({ contentDir: config.contentDir, meilisearch }).catch((error) => {
      globalForHelp.regainHelpCenter = undefined; // let the next request try again
      throw error;
    });
  }
  return globalForHelp.regainHelpCenter;
}

/** Called once at server start-up: a broken article stops the server with its file and field. */
export async function startHelpCenterAtStartup() {
  try {
    await getHelpCenter();
  } catch (error) {
    console.error(`\nThe help center could not start: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
