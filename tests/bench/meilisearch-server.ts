// A Meilisearch server for the search benchmark, found the way the tests find one
// (tests/support/global-meilisearch.ts): MEILISEARCH_URL (+ MEILISEARCH_API_KEY) if set (loopback
// only: the benchmark creates and deletes indexes), otherwise the project's throwaway test server
// (tests/support/meilisearch-server.ts), stopped afterwards. BENCH_MEILISEARCH=0 skips Meilisearch.
import { Meilisearch } from 'meilisearch';
import { startMeilisearch } from '../support/meilisearch-server';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export type BenchMeilisearch = { url: string; apiKey: string | undefined; source: string; stop: () => Promise<void> };

/** A server, or the reason there is none (for the report). */
export async function benchMeilisearch(): Promise<BenchMeilisearch | { skipped: string }> {
  if (process.env.BENCH_MEILISEARCH === '0') return { skipped: 'not run (BENCH_MEILISEARCH=0)' };
  if (process.env.MEILISEARCH_URL) {
    const url = process.env.MEILISEARCH_URL;
    if (!LOCAL_HOSTS.has(new URL(url).hostname)) return { skipped: `not run (MEILISEARCH_URL is not on loopback: ${new URL(url).hostname})` };
    return { url, apiKey: process.env.MEILISEARCH_API_KEY || undefined, source: 'MEILISEARCH_URL', stop: async () => undefined };
  }
  const server = await startMeilisearch();
  if ('unavailable' in server) return { skipped: `not run (no Meilisearch server: ${server.unavailable})` };
  return { ...server, source: 'the throwaway test server of tests/support/meilisearch-server.ts' };
}

/** Deletes the indexes whose uid starts with `prefix` (the benchmark's own, on a shared server). */
export async function deleteIndexes({ url, apiKey }: { url: string; apiKey: string | undefined }, prefix: string) {
  const client = new Meilisearch({ host: url, apiKey, timeout: 10_000 });
  const { results } = await client.getRawIndexes({ limit: 1000 });
  for (const { uid } of results) if (uid.startsWith(prefix)) await client.deleteIndex(uid).waitTask({ timeout: 60_000 });
}
