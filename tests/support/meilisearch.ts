import { randomBytes } from 'node:crypto';
import { Meilisearch } from 'meilisearch';
import { afterAll, describe, inject } from 'vitest';

/** The run's Meilisearch (tests/support/global-meilisearch.ts) and this suite's own index name. */
export type MeilisearchTestServer = { url: string; apiKey: string | undefined; indexName: string };

declare module 'vitest' {
  interface TaskMeta {
    /** Why the test did not run; `npm test` counts these apart from passes, failures and skips. */
    notRun?: string;
  }
}

/**
 * A suite of tests that need a Meilisearch server. With one, `body` registers its tests as usual and
 * `server()` (valid inside tests and hooks) gives the server and an index name no other suite
 * uses; the indexes whose uid starts with it are deleted after the suite. Without one, the tests
 * are registered as not run, with the reason in their `notRun` meta.
 */
export function describeWithMeilisearch(name: string, body: (server: () => MeilisearchTestServer) => void) {
  const provided = inject('meilisearch');
  if ('unavailable' in provided) {
    const reason = `no Meilisearch server: ${provided.unavailable}`;
    describe(name, { skip: true, meta: { notRun: reason } }, () =>
      body(() => {
        throw new Error(reason);
      }),
    );
    return;
  }
  const server = { ...provided, indexName: `test_${name.replace(/[^A-Za-z0-9]+/g, '_').slice(0, 40)}_${randomBytes(4).toString('hex')}` };
  // Indexing waits for Meilisearch's own task queue, which a busy machine slows to tens of seconds.
  describe(name, { timeout: 120_000 }, () => {
    afterAll(() => deleteIndexesStartingWith(server, server.indexName), 30_000);
    body(() => server);
  });
}

async function deleteIndexesStartingWith({ url, apiKey }: MeilisearchTestServer, prefix: string) {
  const client = new Meilisearch({ host: url, apiKey, timeout: 5_000 });
  const { results } = await client.getRawIndexes({ limit: 1000 });
  for (const { uid } of results) if (uid.startsWith(prefix)) await client.deleteIndex(uid).waitTask();
}
