import type { TestProject } from 'vitest/node';
import { startMeilisearch } from './meilisearch-server';

/**
 * One Meilisearch per test run for the tests that need one (tests/support/meilisearch.ts):
 * MEILISEARCH_URL (+ MEILISEARCH_API_KEY) when set, local hosts only unless
 * MEILISEARCH_TEST_ALLOW_REMOTE=1, since the tests create and delete indexes; otherwise the
 * project's own throwaway test server (tests/support/meilisearch-server.ts).
 *
 * When neither can be had, those tests are reported as not run, with the reason, here and in the
 * closing line of `npm test`: a missing service is never a quiet skip.
 */
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export type ProvidedMeilisearch = { url: string; apiKey: string | undefined } | { unavailable: string };

export default async function setup(project: TestProject) {
  const found = await findMeilisearch();
  if ('unavailable' in found) {
    const line = '!'.repeat(100);
    console.error(`\n${line}\n!! Meilisearch tests will NOT RUN: no Meilisearch server: ${found.unavailable}\n${line}\n`);
    project.provide('meilisearch', found);
    return;
  }
  project.provide('meilisearch', { url: found.url, apiKey: found.apiKey });
  return found.stop;
}

async function findMeilisearch() {
  const url = process.env.MEILISEARCH_URL;
  if (!url) return startMeilisearch();
  const host = new URL(url).hostname;
  if (!LOCAL_HOSTS.has(host) && process.env.MEILISEARCH_TEST_ALLOW_REMOTE !== '1') {
    throw new Error(
      `Refusing to run tests against a non-local Meilisearch (${host}): tests create and delete indexes. ` +
        'Point MEILISEARCH_URL at a throwaway server, or set MEILISEARCH_TEST_ALLOW_REMOTE=1 if this one is.',
    );
  }
  return { url, apiKey: process.env.MEILISEARCH_API_KEY || undefined, stop: async () => {} };
}

declare module 'vitest' {
  export interface ProvidedContext {
    meilisearch: ProvidedMeilisearch;
  }
}
