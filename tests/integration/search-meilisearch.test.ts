import { Meilisearch } from 'meilisearch';
import { describe, expect, it } from 'vitest';
import { ensureMeilisearchIndex, meilisearchSettings, MeilisearchSearchEngine } from '@/lib/help/search/meilisearch';
import type { SearchDocument } from '@/lib/help/search/types';
import { corpus, searchEngineContract, shippedLanguage } from '../contract/search-engine';
import { freePort } from '../support/ports';
import { describeWithMeilisearch } from '../support/meilisearch';

const doc = (slug: string, title: string, extra: Partial<SearchDocument> = {}): SearchDocument => ({
  slug,
  title,
  summary: `Summary of ${title}, long enough to be a summary.`,
  body: `Body text about ${title}.`,
  category: 'faq',
  tags: [],
  published: '2025-01-01',
  updated: '2025-01-02',
  ...extra,
});

describeWithMeilisearch('meilisearch engine', (server) => {
  const engineFor = (suffix = '') => {
    const { url, apiKey, indexName } = server();
    return new MeilisearchSearchEngine({ url, apiKey, indexName: `${indexName}${suffix}`, language: shippedLanguage() });
  };

  searchEngineContract('meilisearch', async () => engineFor('_contract'));

  it('applies its settings idempotently, and indexing twice keeps one working index', async () => {
    const engine = engineFor('_settings');
    const { url, apiKey } = server();
    const client = new Meilisearch({ host: url, apiKey });
    await engine.index([doc('first-doc', 'Quartz first')]);
    await engine.index([doc('second-doc', 'Quartz second')]);

    const settings = await client.index(engine.indexName).getSettings();
    const desired = meilisearchSettings(shippedLanguage());
    expect(settings.searchableAttributes).toEqual(desired.searchableAttributes);
    expect(settings.filterableAttributes).toEqual(['category']);
    expect(settings.typoTolerance).toMatchObject({ minWordSizeForTypos: { oneTypo: 4, twoTypos: 8 }, disableOnNumbers: true });
    expect(settings.synonyms?.['2fa']).toEqual(expect.arrayContaining(['authenticator', 'two factor']));
    expect(settings.rankingRules).toEqual(desired.rankingRules);
    expect((await client.getRawIndex(engine.indexName)).primaryKey).toBe('slug');
    // Already in place: nothing to update, and nothing left of the temporary build indexes.
    expect(await engine.ensureSettings()).toBe(false);
    const { results } = await client.getRawIndexes({ limit: 1000 });
    expect(results.map((i) => i.uid).filter((uid) => uid.startsWith(engine.indexName)).sort()).toEqual([
      engine.indexName,
      engine.metaIndexName,
    ]);
    expect((await engine.search({ query: 'quartz', page: 1, pageSize: 10 })).hits.map((h) => h.slug)).toEqual(['second-doc']);

    // Drifted settings (someone edited them by hand) are put back; a second call finds nothing to do.
    await client.index(engine.indexName).updateSynonyms({}).waitTask();
    expect(await engine.ensureSettings()).toBe(true);
    expect(await engine.ensureSettings()).toBe(false);
    expect((await client.index(engine.indexName).getSynonyms())['2fa']).toBeDefined();
  });

  it('keeps serving the old corpus while a new one is built, and leaves it intact when indexing fails', async () => {
    const engine = engineFor('_swap');
    const old = doc('old-doc', 'Obsidian old');
    await engine.index([old]);
    let building = true;
    const pending = engine.index([...corpus(), old]).finally(() => (building = false));
    const seen: number[] = [];
    while (building) seen.push((await engine.search({ query: 'obsidian', page: 1, pageSize: 1 })).total);
    await pending;
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((n) => n === 1)).toBe(true); // never an empty or half-built index in between

    // "bad id!" is not a valid Meilisearch document id: the build fails, the live corpus stays.
    await expect(engine.index([doc('bad id!', 'Broken')])).rejects.toThrow(/Meilisearch task .*failed.*invalid_document_id/);
    await expect(engine.index([doc('twin', 'One'), doc('twin', 'Two')])).rejects.toThrow(/two documents share the slug "twin"/);
    expect((await engine.search({ query: 'passkey', page: 1, pageSize: 10 })).total).toBeGreaterThan(5);
    // The failed build was deleted.
    const { url, apiKey } = server();
    const { results } = await new Meilisearch({ host: url, apiKey }).getRawIndexes({ limit: 1000 });
    expect(results.filter((i) => i.uid.startsWith(`${engine.indexName}__build_`))).toEqual([]);
  });

  it('ensureMeilisearchIndex re-indexes only when the content hash changes', async () => {
    const engine = engineFor('_ensure');
    const v1 = [doc('basalt-one', 'Basalt one')];
    const v2 = [...v1, doc('basalt-two', 'Basalt two')];
    const total = async () => (await engine.search({ query: 'basalt', page: 1, pageSize: 10 })).total;

    expect(await ensureMeilisearchIndex(engine, v1, 'hash-1')).toBe(true);
    expect(await total()).toBe(1);
    expect(await ensureMeilisearchIndex(engine, v1, 'hash-1')).toBe(false);
    // Same hash, different documents: trusted, not re-indexed.
    expect(await ensureMeilisearchIndex(engine, v2, 'hash-1')).toBe(false);
    expect(await total()).toBe(1);
    expect(await ensureMeilisearchIndex(engine, v2, 'hash-2')).toBe(true);
    expect(await total()).toBe(2);
    // A plain index() forgets the hash, so the next ensure re-indexes.
    await engine.index(v1);
    expect(await ensureMeilisearchIndex(engine, v2, 'hash-2')).toBe(true);
    expect(await total()).toBe(2);
    // An index stored by code that wrote other documents (the bare hash, as before titleWords) is rebuilt.
    await engine.replaceCorpus(v1, 'hash-2');
    expect(await ensureMeilisearchIndex(engine, v2, 'hash-2')).toBe(true);
    expect(await ensureMeilisearchIndex(engine, v2, 'hash-2')).toBe(false);
  });

  it('explains a bad API key', async () => {
    const { url, indexName } = server();
    const engine = new MeilisearchSearchEngine({ url, apiKey: 'not-the-key', indexName });
    await expect(engine.search({ query: 'passkey', page: 1, pageSize: 10 })).rejects.toThrow(/invalid_api_key.*MEILISEARCH_API_KEY/);
    await expect(engine.index([doc('x', 'Some title')])).rejects.toThrow(/MEILISEARCH_API_KEY/);
  });

  it('highlights whole words for prefixes and finds synonyms', async () => {
    const engine = engineFor('_words');
    await engine.index([
      doc('rename-a-passkey', 'Rename a passkey'),
      doc('reset-authenticator', 'Reset your authenticator app'),
      doc('unrelated', 'Something else entirely'),
    ]);
    const [hit] = await engine.suggest('passk', 1);
    expect(hit!.title).toEqual([
      { text: 'Rename a ', highlight: false },
      { text: 'passkey', highlight: true },
    ]);
    const result = await engine.search({ query: '2fa', page: 1, pageSize: 5 });
    expect(result.hits.map((h) => h.slug)).toEqual(['reset-authenticator']);
    expect(result.hits[0]!.title.some((s) => s.highlight && s.text === 'authenticator')).toBe(true);
  });
});

describe('meilisearch engine without a server', () => {
  it('fails fast and clearly when the server is unreachable', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const engine = new MeilisearchSearchEngine({ url, apiKey: 'k', requestTimeoutMs: 2_000 });
    const started = Date.now();
    await expect(engine.search({ query: 'passkey', page: 1, pageSize: 10 })).rejects.toThrow(/cannot reach Meilisearch at http:\/\/127\.0\.0\.1:\d+/);
    await expect(engine.suggest('pass', 5)).rejects.toThrow(/cannot reach/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('times out instead of hanging on a server that never answers', async () => {
    const { createServer } = await import('node:net');
    const silent = createServer(() => {}); // accepts connections, never responds
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const engine = new MeilisearchSearchEngine({ url: `http://127.0.0.1:${port}`, requestTimeoutMs: 500 });
      await expect(engine.search({ query: 'passkey', page: 1, pageSize: 10 })).rejects.toThrow(/timed out after 500 ms/);
    } finally {
      silent.close();
    }
  });
});
