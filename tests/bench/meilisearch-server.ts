// A Meilisearch server for the search benchmark, found the way tests/support/meilisearch.ts finds one:
// MEILISEARCH_URL (+ MEILISEARCH_API_KEY) if set (loopback only: the benchmark creates and deletes
// indexes), otherwise a throwaway server from ../shared/tools/meilisearch-server (MEILISEARCH_SERVER_SCRIPT
// overrides), stopped afterwards. BENCH_MEILISEARCH=0 skips Meilisearch altogether.
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Meilisearch } from 'meilisearch';

const execFileAsync = promisify(execFile);
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
  const script = process.env.MEILISEARCH_SERVER_SCRIPT ?? path.resolve('../shared/tools/meilisearch-server');
  if (!existsSync(script)) return { skipped: 'not run (MEILISEARCH_URL unset)' };
  try {
    const { stdout } = await execFileAsync('bash', [script, 'start'], { timeout: 90_000 });
    const env = Object.fromEntries([...stdout.matchAll(/([A-Z_]+)=(\S+)/g)].map(([, k, v]) => [k!, v!]));
    const { MEILISEARCH_URL: url, MEILISEARCH_API_KEY: apiKey, MEILISEARCH_PID: pid, MEILISEARCH_DATA: data } = env;
    if (!url || !pid) return { skipped: `not run (meilisearch-server printed: ${stdout.trim() || 'nothing'})` };
    return {
      url,
      apiKey,
      source: `throwaway server from ${path.relative(process.cwd(), script)}`,
      stop: async () => {
        await execFileAsync('bash', [script, 'stop', pid], { timeout: 10_000 }).catch(() => undefined);
        for (let i = 0; i < 50; i++) {
          try {
            process.kill(Number(pid), 0);
          } catch {
            break;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        if (data && path.basename(data).startsWith('meili.')) rmSync(data, { recursive: true, force: true });
      },
    };
  } catch (error) {
    return { skipped: `not run (could not start ${script}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)})` };
  }
}

/** Deletes the indexes whose uid starts with `prefix` (the benchmark's own, on a shared server). */
export async function deleteIndexes({ url, apiKey }: { url: string; apiKey: string | undefined }, prefix: string) {
  const client = new Meilisearch({ host: url, apiKey, timeout: 10_000 });
  const { results } = await client.getRawIndexes({ limit: 1000 });
  for (const { uid } of results) if (uid.startsWith(prefix)) await client.deleteIndex(uid).waitTask({ timeout: 60_000 });
}
