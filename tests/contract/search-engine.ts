import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadArticles } from '@/lib/help/articles';
import { CATEGORIES } from '@/lib/help/categories';
import { toSearchDocument } from '@/lib/help/search/documents';
import { loadSearchLanguage, type SearchLanguage } from '@/lib/help/search/language';
import { plainText, segmentsToHtml } from '@/lib/help/search/text';
import type { SearchDocument, SearchEngine, SearchQuery } from '@/lib/help/search/types';

/**
 * One contract for every search engine: the same corpus (the real articles plus one hostile
 * document), the same queries, the same expectations.
 */
const hostile: SearchDocument = {
  slug: 'hostile-markup-sample',
  title: 'Markup <b>sample</b> & friends',
  summary: 'A document whose text looks like markup.',
  body: 'This zanzibar paragraph mentions <script>alert("x")</script> and <img src=x onerror=alert(1)> as plain text.',
  category: 'faq',
  tags: ['zanzibar'],
  published: '2025-01-01',
  updated: '2025-01-01',
};

const contentDir = path.resolve(import.meta.dirname, '../../content');

export function corpus(): SearchDocument[] {
  const library = loadArticles(contentDir);
  return [...library.articles.map(toSearchDocument), hostile];
}

/** The synonym table and contractions the help center runs with (content/_synonyms.yml). */
export function shippedLanguage(): SearchLanguage {
  return loadSearchLanguage(contentDir);
}

const q = (query: string, extra: Partial<SearchQuery> = {}): SearchQuery => ({ query, page: 1, pageSize: 10, ...extra });

export function searchEngineContract(name: string, makeEngine: () => Promise<SearchEngine>) {
  describe(`search engine contract: ${name}`, () => {
    let engine: SearchEngine;
    const docs = corpus();

    beforeAll(async () => {
      engine = await makeEngine();
      await engine.index(docs);
    }, 60_000);

    const topSlugs = async (query: string, n = 3, extra: Partial<SearchQuery> = {}) =>
      (await engine.search(q(query, extra))).hits.slice(0, n).map((h) => h.slug);

    it.each([
      ['50162', 'fix-passkey-error-50162-android'],
      ['error 50110', 'fix-api-error-50110'],
      ['paskey error android', 'fix-passkey-error-50162-android'],
      ['authentcator reset', 'reset-authenticator-app'],
      ['video call appointment', 'join-support-video-call'],
      ['call me instead', 'call-me-instead-voice-codes'],
      ['rename passkey', 'rename-passkey'],
    ])('finds the right article for "%s"', async (query, slug) => {
      expect(await topSlugs(query, 3)).toContain(slug);
    });

    it.each([
      ['paskey', /passkey/i], // one typo in a 6-letter word
      ['authentcator', /authenticator/i], // one typo
      ['authnticatr', /authenticator/i], // two typos in an 11-letter word
      ['withdrawl', /withdrawal/i], // one typo in a 9-letter word
      ['passk', /passkey/i], // prefix
      ['authent', /authenticator/i], // prefix
    ])('tolerates typos and prefixes: "%s"', async (query, titlePattern) => {
      const result = await engine.search(q(query));
      expect(result.total).toBeGreaterThan(0);
      expect(plainText(result.hits[0]!.title)).toMatch(titlePattern);
    });

    it('does not bend error codes into other codes', async () => {
      expect(await topSlugs('50162', 1)).toEqual(['fix-passkey-error-50162-android']);
      const hits = (await engine.search(q('50163'))).hits.map((h) => h.slug);
      expect(hits).not.toContain('fix-passkey-error-50162-android');
    });

    it('weights titles above bodies', async () => {
      const [first] = (await engine.search(q('security key'))).hits;
      expect(plainText(first!.title)).toMatch(/security key/i);
    });

    it.each([
      ['cant sign in', 'can-not-sign-in-recovery-options'],
      ['didnt get sms code', 'sms-code-not-received'],
      ['i cant receive text messages', 'sms-code-not-received'],
    ])('reads "%s" as a negation, never as "can" or "did"', async (query, slug) => {
      expect(await topSlugs(query, 3)).toContain(slug);
    });

    it.each([
      ['hacked', 'secure-account-after-unusual-activity'],
      ['google authenticator', 'link-authenticator-app'],
      ['yubikey', 'physical-security-keys'],
      ['withdrawal locked', 'withdrawal-hold-after-security-reset'],
      ['login', 'authorize-new-device'],
    ])('expands "%s" with the synonym table', async (query, slug) => {
      expect(await topSlugs(query, 5)).toContain(slug);
    });

    it('puts the article a title is all about first ("passkey" → What is a passkey?)', async () => {
      expect(await topSlugs('passkey', 1)).toEqual(['what-is-a-passkey']);
    });

    it('expands synonyms such as 2fa', async () => {
      const titles = (await engine.search(q('2fa'))).hits.slice(0, 5).map((h) => plainText(h.title));
      expect(titles.some((t) => /authenticator|two-factor/i.test(t))).toBe(true);
    });

    it('highlights the matched words in the title and a cropped snippet', async () => {
      const [hit] = (await engine.search(q('passkey'))).hits;
      expect(hit!.title.some((s) => s.highlight && /passkey/i.test(s.text))).toBe(true);
      const marked = hit!.snippet.filter((s) => s.highlight).map((s) => s.text.toLowerCase());
      expect(marked.length).toBeGreaterThan(0);
      expect(marked.every((t) => t.startsWith('passkey'))).toBe(true);
      const words = plainText(hit!.snippet).split(/\s+/).filter(Boolean).length;
      expect(words).toBeLessThanOrEqual(40);
    });

    it('narrows by category and counts every category for the tabs', async () => {
      const all = await engine.search(q('passkey'));
      const counts = all.categoryCounts;
      expect(CATEGORIES.reduce((sum, c) => sum + counts[c], 0)).toBe(all.total);
      expect(counts.announcements).toBeGreaterThan(0);
      const narrowed = await engine.search(q('passkey', { category: 'announcements' }));
      expect(narrowed.total).toBe(counts.announcements);
      expect(narrowed.hits.length).toBeGreaterThan(0);
      expect(narrowed.hits.every((h) => h.category === 'announcements')).toBe(true);
      expect(narrowed.categoryCounts).toEqual(counts);
    });

    it('paginates without overlap and reports the same total on every page', async () => {
      const first = await engine.search(q('account', { pageSize: 5 }));
      const second = await engine.search(q('account', { pageSize: 5, page: 2 }));
      expect(first.total).toBeGreaterThan(10);
      expect(second.total).toBe(first.total);
      expect(first.hits).toHaveLength(5);
      expect(second.hits).toHaveLength(5);
      const overlap = first.hits.filter((h) => second.hits.some((s) => s.slug === h.slug));
      expect(overlap).toEqual([]);
      const beyond = await engine.search(q('account', { pageSize: 5, page: 100 }));
      expect(beyond.hits).toEqual([]);
      expect(beyond.total).toBe(first.total);
    });

    it('returns dates and categories with every hit', async () => {
      const [hit] = (await engine.search(q('withdrawal hold'))).hits;
      expect(hit!.published).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(hit!.updated >= hit!.published).toBe(true);
      expect(CATEGORIES).toContain(hit!.category);
    });

    it('returns nothing for an empty query or nonsense, without failing', async () => {
      for (const query of ['', '   ', '?!', 'qzxwvkjh']) {
        const result = await engine.search(q(query));
        expect(result.hits).toEqual([]);
        expect(result.total).toBe(0);
      }
    });

    it('survives hostile queries and never turns text into markup', async () => {
      for (const query of ['<script>alert(1)</script>', '"unterminated', 'a AND OR NOT -x *', '🔑 passkey', 'x'.repeat(200), "' OR 1=1 --"]) {
        await expect(engine.search(q(query))).resolves.toBeDefined();
      }
      const [hit] = (await engine.search(q('zanzibar'))).hits;
      expect(hit!.slug).toBe('hostile-markup-sample');
      const html = segmentsToHtml(hit!.snippet) + segmentsToHtml(hit!.title);
      expect(html).not.toMatch(/<(?!\/?mark>)/);
      expect(html).toContain('&lt;script&gt;');
      expect(html).toContain('<mark>zanzibar</mark>');
    });

    it('suggests articles while typing', async () => {
      const suggestions = await engine.suggest('passk', 5);
      expect(suggestions.length).toBeGreaterThan(0);
      expect(suggestions.length).toBeLessThanOrEqual(5);
      expect(suggestions.every((s) => /passkey/i.test(plainText(s.title)))).toBe(true);
      expect(suggestions[0]!.title.some((s) => s.highlight)).toBe(true);
      expect(await engine.suggest('', 5)).toEqual([]);
      expect((await engine.suggest('authentcator', 5))[0]).toBeDefined();
    });

    it('replaces the corpus on re-index', async () => {
      await engine.index([{ ...hostile, slug: 'only-one', title: 'Lonely zanzibar article' }]);
      const result = await engine.search(q('zanzibar'));
      expect(result.hits.map((h) => h.slug)).toEqual(['only-one']);
      expect((await engine.search(q('passkey'))).total).toBe(0);
      await engine.index(docs);
      expect((await engine.search(q('passkey'))).total).toBeGreaterThan(5);
    });
  });
}
