import { getConfig, getContentDir } from '@/lib/config';
import { log } from '@/lib/log';
import { type ArticleLibrary, loadArticles } from './articles';
import { toSearchDocument } from './search/documents';
import { EmbeddedSearchEngine } from './search/embedded';
import { loadSearchLanguage } from './search/language';
import { FallbackSearchEngine } from './search/fallback';
import { ensureMeilisearchIndex, MeilisearchSearchEngine } from './search/meilisearch';
import { correctorFor, type SpellingCorrector } from './search/spelling';
import type { SearchEngine } from './search/types';

export type HelpCenter = {
  library: ArticleLibrary;
  engine: SearchEngine;
  corrector: SpellingCorrector;
  /** What /api/health reports, e.g. "meilisearch" or "embedded (meilisearch unreachable)"; read it each time, it changes. */
  readonly engineStatus: string;
  /** Stops background re-checks of Meilisearch (tests, shutdown). */
  close(): void;
};

export type MeilisearchSetup = {
  url: string;
  apiKey: string | undefined;
  /** Live index uid (default 'articles'). */
  indexName?: string | undefined;
  /** Per-request timeout (default 5 s). */
  requestTimeoutMs?: number | undefined;
  /** First wait before re-checking an unreachable Meilisearch (default 2 s), doubled up to `maxRetryMs` (default 60 s). */
  retryMs?: number | undefined;
  maxRetryMs?: number | undefined;
};

/**
 * Loads content/, builds the spelling vocabulary and readies the search engine: the embedded one,
 * or Meilisearch when configured (re-indexed only when the content changed). With Meilisearch the
 * embedded engine is built too and stands by: if Meilisearch cannot be reached at start-up, or
 * stops answering later, searches go to the embedded engine, health says so, and Meilisearch is
 * re-checked in the background until it serves again (lib/help/search/fallback.ts).
 */
export async function buildHelpCenter(options: { contentDir: string; meilisearch?: MeilisearchSetup | undefined }): Promise<HelpCenter> {
  const library = loadArticles(options.contentDir);
  const documents = library.articles.map(toSearchDocument);
  const language = loadSearchLanguage(options.contentDir);
  const corrector = correctorFor(documents, language);
  const embedded = new EmbeddedSearchEngine({ language });
  await embedded.index(documents);

  const setup = options.meilisearch;
  if (!setup) {
    log.info('search_ready', { engine: 'embedded', articles: documents.length });
    return { library, engine: embedded, corrector, engineStatus: 'embedded', close() {} };
  }

  const meilisearch = new MeilisearchSearchEngine({
    url: setup.url,
    apiKey: setup.apiKey,
    language,
    ...(setup.indexName ? { indexName: setup.indexName } : {}),
    ...(setup.requestTimeoutMs ? { requestTimeoutMs: setup.requestTimeoutMs } : {}),
  });
  const engine = new FallbackSearchEngine({
    primary: meilisearch,
    fallback: embedded,
    // Also after an outage: a Meilisearch that lost its data (a new volume) is re-indexed here.
    prepare: async () => {
      const reindexed = await ensureMeilisearchIndex(meilisearch, documents, library.contentHash);
      log.info('search_ready', { engine: 'meilisearch', reindexed, articles: documents.length });
    },
    retryMs: setup.retryMs,
    maxRetryMs: setup.maxRetryMs,
  });
  await engine.check();
  return {
    library,
    engine,
    corrector,
    get engineStatus() {
      return engine.status;
    },
    close: () => engine.close(),
  };
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

const globalForLibrary = globalThis as unknown as { regainArticleLibrary?: ArticleLibrary };

/**
 * The articles alone, without a search engine or any other configuration: what the prerendered help
 * pages (home, categories, articles, the search page's shell) are rendered from at build time. At
 * run time, route handlers use getHelpCenter().library, loaded once at start-up.
 */
export function getArticleLibrary(): ArticleLibrary {
  globalForLibrary.regainArticleLibrary ??= loadArticles(getContentDir());
  return globalForLibrary.regainArticleLibrary;
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
