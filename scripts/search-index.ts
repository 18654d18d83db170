// (Re)indexes content/ into the configured search engine: `npm run search:index`.
// With Meilisearch configured the index is replaced; the embedded engine is built in memory at
// every start, so for it this validates the content and reports how long a build takes.
import { getConfig } from '@/lib/config';
import { loadArticles } from '@/lib/help/articles';
import { toSearchDocument } from '@/lib/help/search/documents';
import { EmbeddedSearchEngine } from '@/lib/help/search/embedded';
import { loadSearchLanguage } from '@/lib/help/search/language';
import { MeilisearchSearchEngine } from '@/lib/help/search/meilisearch';

const config = getConfig();
const documents = loadArticles(config.contentDir).articles.map(toSearchDocument);
// The synonym table goes into the index settings, so it is read (and checked) here too.
const language = loadSearchLanguage(config.contentDir);
const started = performance.now();
if (config.search.engine === 'meilisearch') {
  await new MeilisearchSearchEngine({ url: config.search.url, apiKey: config.search.apiKey, language }).index(documents);
  console.log(`Indexed ${documents.length} articles into Meilisearch at ${config.search.url} in ${Math.round(performance.now() - started)} ms.`);
} else {
  await new EmbeddedSearchEngine({ language }).index(documents);
  console.log(`${documents.length} articles are valid; the embedded index builds in ${Math.round(performance.now() - started)} ms at every start. Set MEILISEARCH_URL to index into Meilisearch.`);
}
