import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll } from 'vitest';

/**
 * A Meilisearch server for one test file.
 *
 * - MEILISEARCH_URL (+ MEILISEARCH_API_KEY) set: that server is used (local hosts only, like the
 *   database tests, unless MEILISEARCH_TEST_ALLOW_REMOTE=1).
 * - Otherwise the throwaway server script `shared/tools/meilisearch-server` (checked out beside the
 *   repository, so `../shared/...` from the repo root; MEILISEARCH_SERVER_SCRIPT overrides) is started
 *   before the file's tests and stopped after them.
 * - Neither possible: the file's tests fail with a message saying how to provide one.
 *
 * Every call gets its own index name, so files running in parallel never share an index; on a
 * shared server the indexes whose uid starts with it are deleted after the file.
 */
export type MeilisearchTestServer = { url: string; apiKey: string | undefined; indexName: string };

const execFileAsync = promisify(execFile);
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
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
      const host = new URL(process.env.MEILISEARCH_URL).hostname;
      if (!LOCAL_HOSTS.has(host) && process.env.MEILISEARCH_TEST_ALLOW_REMOTE !== '1') {
        failure = new Error(
          `Refusing to run tests against a non-local Meilisearch (${host}): tests create and delete indexes. ` +
            'Point MEILISEARCH_URL at a throwaway server, or set MEILISEARCH_TEST_ALLOW_REMOTE=1 if this one is.',
        );
        return;
      }
      server = { url: process.env.MEILISEARCH_URL, apiKey: process.env.MEILISEARCH_API_KEY || undefined, indexName };
      return;
    }
    const script = serverScriptPath();
    if (!existsSync(script)) {
      failure = new Error(`No Meilisearch server for tests: MEILISEARCH_URL is not set and ${script} does not exist. ${HOW_TO}`);
      return;
    }
    try {
      const { stdout } = await execFileAsync('bash', [script, 'start'], { timeout: 90_000 });
      const env = parseExports(stdout);
      const { MEILISEARCH_URL: url, MEILISEARCH_API_KEY: apiKey, MEILISEARCH_PID: pid, MEILISEARCH_DATA: data } = env;
      if (!url || !pid) throw new Error(`unexpected output: ${stdout.trim() || '(none)'}`);
      server = { url, apiKey, indexName };
      stop = async () => {
        await execFileAsync('bash', [script, 'stop', pid], { timeout: 10_000 }).catch(() => undefined);
        await waitForExit(Number(pid));
        if (data && path.basename(data).startsWith('meili.')) rmSync(data, { recursive: true, force: true });
      };
    } catch (error) {
      const detail = error instanceof Error ? `${error.message}${'stderr' in error ? `\n${String(error.stderr)}` : ''}` : String(error);
      failure = new Error(`Could not start a Meilisearch server with ${script}: ${detail}\n${HOW_TO}`);
    }
  }, 120_000);

  afterAll(async () => {
    if (stop) return stop();
    // A shared server: drop every index this file created (all start with its unique name).
    if (server) await deleteIndexesStartingWith(server, indexName).catch(() => undefined);
  }, 30_000);

  return () => {
    if (server) return server;
    throw failure ?? new Error(`Meilisearch server not ready (use the getter inside tests or hooks). ${HOW_TO}`);
  };
}

async function deleteIndexesStartingWith({ url, apiKey }: MeilisearchTestServer, prefix: string) {
  const client = new Meilisearch({ host: url, apiKey, timeout: 5_000 });
  const { results } = await client.getRawIndexes({ limit: 1000 });
  for (const { uid } of results) if (uid.startsWith(prefix)) await client.deleteIndex(uid).waitTask();
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
