import { createServer } from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Meilisearch } from 'meilisearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GET as healthRoute } from '@/app/api/health/route';
import type { Db } from '@/lib/db/client';
import { checkHealth } from '@/lib/health';
import { buildHelpCenter, type HelpCenter, type MeilisearchSetup } from '@/lib/help/center';
import { searchArticles, suggestArticles } from '@/lib/help/search-articles';
import { setLogLevel } from '@/lib/log';
import { describeWithMeilisearch } from '../../support/meilisearch';
import { useTestDatabase } from '../../support/db';
import { freePort } from '../../support/ports';
import { severableMeilisearch, type SeverableMeilisearch } from './severable-meilisearch';

// Meilisearch configured but unreachable, at start-up and after it: the run's real Meilisearch
// behind a link this file cuts and restores, the real help center and the real /api/health route
// handler. Where nothing answers at all, no Meilisearch is needed.

const { db } = await useTestDatabase();
const contentDir = path.resolve(import.meta.dirname, '../../../content');
const FALLBACK = 'embedded (meilisearch unreachable)';

beforeAll(() => setLogLevel('error')); // the fallback warns on purpose
afterAll(() => setLogLevel('info'));

/** Quick re-checks (100 ms doubling to 400 ms) so a test sees Meilisearch come back within a second. */
function setup(overrides: Partial<MeilisearchSetup> & Pick<MeilisearchSetup, 'url'>): MeilisearchSetup {
  return {
    apiKey: 'unused-key',
    indexName: `fail_${randomBytes(4).toString('hex')}`,
    requestTimeoutMs: 1_000,
    retryMs: 100,
    maxRetryMs: 400,
    ...overrides,
  };
}

async function withCenter(meilisearch: MeilisearchSetup, work: (center: HelpCenter) => Promise<void>) {
  const center = await buildHelpCenter({ contentDir, meilisearch });
  try {
    await work(center);
  } finally {
    center.close();
  }
}

const search = (center: HelpCenter, query = 'passkey') => searchArticles({ db, center, query, page: 1 });

/** GET /api/health as the server runs it, with this help center and database as the process's own. */
async function health(center: HelpCenter) {
  const store = globalThis as unknown as { regainHelpCenter?: Promise<HelpCenter>; regainPrisma?: Db };
  const saved = { center: store.regainHelpCenter, prisma: store.regainPrisma };
  store.regainHelpCenter = Promise.resolve(center);
  store.regainPrisma = db;
  try {
    const response = await healthRoute();
    return { status: response.status, body: (await response.json()) as unknown };
  } finally {
    store.regainHelpCenter = saved.center;
    store.regainPrisma = saved.prisma;
  }
}

// The time bounds below tell a timeout or a refused connection from a hang (a request left waiting
// for a server that never answers); building the help center itself takes seconds on a busy machine.
const NOT_A_HANG_MS = 15_000;

// A bound that only decides when to give up: on a busy machine the first index build of a server
// that comes back takes tens of seconds.
async function eventually(condition: () => boolean, what: string, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function expectFallingBack(center: HelpCenter) {
  expect(center.engineStatus).toBe(FALLBACK);
  const result = await search(center);
  expect(result.engine).toBe('embedded');
  expect(result.total).toBeGreaterThan(0);
  expect(result.hits[0]!.slug).toBeTruthy();
  expect((await suggestArticles(center, 'passk')).length).toBeGreaterThan(0);
  expect(await checkHealth({ db, searchEngine: center.engineStatus })).toEqual({ status: 'degraded', db: 'ok', search: FALLBACK, documentTickets: 'ok' });
  // Degraded but serving: a load balancer must keep sending people here.
  expect(await health(center)).toEqual({ status: 200, body: { status: 'degraded', db: 'ok', search: FALLBACK, documentTickets: 'ok' } });
}

async function expectMeilisearchServing(center: HelpCenter, meili: SeverableMeilisearch, indexName: string) {
  expect(center.engineStatus).toBe('meilisearch');
  const result = await search(center);
  expect(result.engine).toBe('meilisearch');
  expect(result.total).toBeGreaterThan(0);
  expect(await health(center)).toEqual({ status: 200, body: { status: 'ok', db: 'ok', search: 'meilisearch', documentTickets: 'ok' } });
  // Really there: the articles are in the server's index.
  const stats = await new Meilisearch({ host: meili.url, apiKey: meili.apiKey }).index(indexName).getStats();
  expect(stats.numberOfDocuments).toBe(center.library.articles.length);
}

describeWithMeilisearch('Meilisearch unreachable', (server) => {
  let meili: SeverableMeilisearch;
  beforeAll(async () => {
    meili = await severableMeilisearch(server());
  });
  afterAll(() => meili?.cut());

  it('at start-up (closed port): the embedded engine answers, health says so, and Meilisearch takes over when it comes back', async () => {
    await meili.cut();
    const meilisearch = setup({ url: meili.url, apiKey: meili.apiKey, indexName: `${server().indexName}_${randomBytes(4).toString('hex')}` });
    const started = Date.now();
    await withCenter(meilisearch, async (center) => {
      expect(Date.now() - started).toBeLessThan(NOT_A_HANG_MS); // refused at once
      await expectFallingBack(center);

      await meili.restore();
      // The first index build on a fresh server takes a few seconds (Meilisearch loads its tokenizers).
      await eventually(() => center.engineStatus === 'meilisearch', 'the re-check finds Meilisearch again');
      await expectMeilisearchServing(center, meili, meilisearch.indexName!);
    });
  }, 120_000);

  it('after start-up (the server stops): the next searches fall back at once, and Meilisearch is used again when it returns', async () => {
    await meili.restore(); // whatever the test before left behind
    const meilisearch = setup({ url: meili.url, apiKey: meili.apiKey, indexName: `${server().indexName}_${randomBytes(4).toString('hex')}` });
    await withCenter(meilisearch, async (center) => {
      await expectMeilisearchServing(center, meili, meilisearch.indexName!);
      const before = await search(center, 'security key');

      await meili.cut();
      const during = await search(center, 'security key');
      expect(during.engine).toBe('embedded');
      expect(during.total).toBeGreaterThan(0);
      // Not the same ranking engine, but the same articles are there to be found.
      expect(during.hits.map((h) => h.slug)).toEqual(expect.arrayContaining([before.hits[0]!.slug]));
      await expectFallingBack(center);

      // Re-checks while it stays down do not slow searches: the embedded engine answers directly.
      // A bound for a busy machine: five searches that each waited out the 1 s request timeout
      // would take at least 5 s.
      const t = Date.now();
      for (let i = 0; i < 5; i++) await search(center, 'authenticator');
      expect(Date.now() - t).toBeLessThan(4_000);

      await meili.restore();
      await eventually(() => center.engineStatus === 'meilisearch', 'Meilisearch is used again');
      await expectMeilisearchServing(center, meili, meilisearch.indexName!);
    });
  }, 120_000);
});

describe('Meilisearch never there', () => {
  it('accepting connections but never answering: the start-up check times out and the embedded engine serves', async () => {
    const silent = createServer(() => {}); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const started = Date.now();
      await withCenter(setup({ url: `http://127.0.0.1:${port}`, requestTimeoutMs: 300, retryMs: 60_000 }), async (center) => {
        expect(Date.now() - started).toBeLessThan(NOT_A_HANG_MS); // the 300 ms start-up check gave up
        await expectFallingBack(center);
      });
    } finally {
      silent.close();
    }
  });

  it('a port where nothing ever listens: the embedded engine serves and re-checks keep failing quietly', async () => {
    await withCenter(setup({ url: `http://127.0.0.1:${await freePort()}` }), async (center) => {
      await expectFallingBack(center);
      await new Promise((resolve) => setTimeout(resolve, 600)); // a few failed re-checks
      await expectFallingBack(center);
    });
  });
});
