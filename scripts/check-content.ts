// Validates every article in content/ (front matter, links, related slugs, top issues) and the
// synonym table (content/_synonyms.yml); runs before `next build`.
import path from 'node:path';
import { loadArticles } from '@/lib/help/articles';
import { loadSearchLanguage, SYNONYMS_FILE } from '@/lib/help/search/language';

try {
  const { articles } = loadArticles(path.resolve('content'));
  const language = loadSearchLanguage(path.resolve('content'));
  console.log(`content: ${articles.length} articles are valid; ${SYNONYMS_FILE} has ${language.size} entries.`);
} catch (error) {
  console.error(`\n${(error as Error).message}\n`);
  process.exit(1);
}
