import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';

/**
 * A Meilisearch server for one test file.
 *
 * - MEILISEARCH_URL (+ MEILISEARCH_API_KEY) set: that server is used as is.
 * - Otherwise the throwaway server script `shared/tools/meilisearch-server` (checked out beside the
 *   repository, so `../shared/...` from the repo root; MEILISEARCH_SERVER_SCRIPT overrides) is started
 *   before the file's tests and stopped after them.
 * - Neither possible: the file's tests fail with a message saying how to provide one.
 *
 * Every call gets its own index name, so files running in parallel never share an index.
 */
export type MeilisearchTestServer = { url: string; apiKey: string | undefined; indexName: string };

const execFileAsync = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '../..');

export function serverScriptPath(): string {
  return process.env.MEILISEARCH_SERVER_SCRIPT ?? path.resolve(repoRoot, '../shared/tools/meilisearch-server');
}

const HOW_TO =
  'Start one with `eval "$(../shared/tools/meilisearch-server start)"` from the repository root and export ' +
  'MEILISEARCH_URL and MEILISEARCH_API_KEY, or make the script available at ' +
  '../shared/tools/meilisearch-server (or set MEILISEARCH_SERVER_SCRIPT to its path).';

/**
 * Call at the top level of a test file. The returned getter is valid inside tests and hooks
 * registered after this call; it throws (failing the test) when no server could be provided.
 */
export function useMeilisearchServer(label: string): () => MeilisearchTestServer {
  const indexName = `test_${label.replace(/[^A-Za-z0-9_-]/g, '_')}_${randomBytes(4).toString('hex')}`;
  let server: MeilisearchTestServer | undefined;
  let failure: Error | undefined;
  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    if (process.env.MEILISEARCH_URL) {
      server = { url: process.env.MEILISEARCH_URL, apiKey: process.env.MEILISEARCH_API_KEY || undefined, indexName };
      return;
    }
    const script = serverScriptPath();
    if (!existsSync(script)) {
      failure = new Error(`No Meilisearch server for tests: MEILISEARCH_URL is not set and ${script} does not exist. ${HOW_TO}`);
      return;
    }
    try {
      const { stdout } = await execFileAsync(script, ['start'], { timeout: 90_000 });
      const env = parseExports(stdout);
      const { MEILISEARCH_URL: url, MEILISEARCH_API_KEY: apiKey, MEILISEARCH_PID: pid, MEILISEARCH_DATA: data } = env;
      if (!url || !pid) throw new Error(`unexpected output: ${stdout.trim() || '(none)'}`);
      server = { url, apiKey, indexName };
      stop = async () => {
        await execFileAsync(script, ['stop', pid], { timeout: 10_000 }).catch(() => undefined);
        await waitForExit(Number(pid));
        if (data && path.basename(data).startsWith('meili.')) rmSync(data, { recursive: true, force: true });
      };
    } catch (error) {
      const detail = error instanceof Error ? `${error.message}${'stderr' in error ? `\n${String(error.stderr)}` : ''}` : String(error);
      failure = new Error(`Could not start a Meilisearch server with ${script}: ${detail}\n${HOW_TO}`);
    }
  }, 120_000);

  afterAll(async () => {
    await stop?.();
  }, 30_000);

  return () => {
    if (server) return server;
    throw failure ?? new Error(`Meilisearch server not ready (use the getter inside tests or hooks). ${HOW_TO}`);
  };
}

function parseExports(stdout: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [, key, value] of stdout.matchAll(/([A-Z_]+)=(\S+)/g)) env[key!] = value!;
  return env;
}

async function waitForExit(pid: number) {
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
