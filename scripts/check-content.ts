// Validates every article in content/ (front matter, links, related slugs); runs before `next build`.
import path from 'node:path';
import { loadArticles } from '@/lib/help/articles';

try {
  const { articles } = loadArticles(path.resolve('content'));
  console.log(`content: ${articles.length} articles are valid.`);
} catch (error) {
  console.error(`\n${(error as Error).message}\n`);
  process.exit(1);
}
