import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '@/lib/errors';
import { buildHelpCenter, type HelpCenter } from '@/lib/help/center';
import { batchedSearchLog, cachedViewCounts, currentVote, isBot, mostViewedSlugs, recordArticleView, viewCounts, voteInput, voteOnArticle } from '@/lib/help/engagement';
import { browseArticles, searchAnswerCache, searchArticles, searchParams } from '@/lib/help/search-articles';
import type { SearchEngine } from '@/lib/help/search/types';
import { plainText } from '@/lib/help/search/text';
import { useTestDatabase } from '../support/db';

const { db } = await useTestDatabase();
const hmacKey = randomBytes(32);
const center = await buildHelpCenter({ contentDir: path.resolve(import.meta.dirname, '../../content') });
const chrome = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0 Safari/537.36';
const day1 = new Date('2026-03-01T09:00:00Z');
const day1Later = new Date('2026-03-01T23:59:00Z');
const day2 = new Date('2026-03-02T00:01:00Z');

describe('article views', () => {
  const view = (slug: string, now: Date, ip = '203.0.113.7', userAgent: string | null = chrome) => recordArticleView({ db, hmacKey, slug, ip, userAgent, now });

  it('count once per visitor per article per day, not per reload', async () => {
    expect(await view('rename-passkey', day1)).toBe(true);
    expect(await view('rename-passkey', day1Later)).toBe(false);
    expect(await view('rename-passkey', day2)).toBe(true);
    expect(await view('rename-passkey', day2, '198.51.100.9')).toBe(true);
    expect((await viewCounts(db, ['rename-passkey'])).get('rename-passkey')).toBe(3);
  });

  it('count a burst of simultaneous reloads once', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => view('buying-a-security-key', day1)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('ignore obvious bots and never store the IP address or user agent', async () => {
    expect(isBot('Googlebot/2.1 (+http://www.google.com/bot.html)')).toBe(true);
    expect(isBot('curl/8.5.0')).toBe(true);
    expect(isBot(null)).toBe(true);
    expect(isBot(chrome)).toBe(false);
    expect(await view('what-is-a-passkey', day1, '203.0.113.7', 'Googlebot/2.1')).toBe(false);
    const rows = await db.$queryRaw<{ row: string }[]>`SELECT row_to_json(v)::text AS row FROM "ArticleView" v`;
    for (const { row } of rows) {
      expect(row).not.toContain('203.0.113.7');
      expect(row).not.toContain('Chrome');
    }
  });

  it('rank the most viewed articles', async () => {
    expect((await mostViewedSlugs(db, 2)).map((r) => r.slug)).toEqual(['rename-passkey', 'buying-a-security-key']);
  });

  it('in lists, read each count at most once a minute', async () => {
    let clock = Date.parse('2026-03-02T12:00:00Z');
    const counts = cachedViewCounts({ ttlMs: 60_000, now: () => clock });
    expect(await counts(db, ['rename-passkey', 'sms-code-not-received'])).toEqual(new Map([['rename-passkey', 3], ['sms-code-not-received', 0]]));
    await view('sms-code-not-received', day2);
    clock += 59_000;
    expect((await counts(db, ['sms-code-not-received'])).get('sms-code-not-received')).toBe(0);
    clock += 1_000;
    expect((await counts(db, ['sms-code-not-received'])).get('sms-code-not-received')).toBe(1);
  });

  it('are left out of lists rendered without a database, and counted in lists with one', async () => {
    const withoutDb = await browseArticles({ library: center.library, page: 1, pageSize: 50 });
    expect(withoutDb.hits.every((hit) => hit.views === undefined)).toBe(true);
    const withDb = await browseArticles({ db, library: center.library, page: 1, pageSize: 50 });
    expect(withDb.hits.find((hit) => hit.slug === 'rename-passkey')?.views).toBe(3);
    expect(withDb.hits.find((hit) => hit.slug === 'sms-code-not-received')?.views).toBe(1);
  });
});

describe('helpfulness votes', () => {
  const voterId = randomBytes(16).toString('base64url');

  it('keep one vote per visitor, changeable, with a comment only on "no"', async () => {
    await voteOnArticle({ db, hmacKey, slug: 'rename-passkey', voterId, helpful: false, comment: 'Steps for iOS are missing', ip: '192.0.2.10' });
    expect(await currentVote(db, hmacKey, 'rename-passkey', voterId)).toEqual({ helpful: false, comment: 'Steps for iOS are missing' });
    await voteOnArticle({ db, hmacKey, slug: 'rename-passkey', voterId, helpful: true, comment: 'ignored', ip: '192.0.2.10' });
    expect(await currentVote(db, hmacKey, 'rename-passkey', voterId)).toEqual({ helpful: true, comment: null });
    expect(await db.articleVote.count({ where: { slug: 'rename-passkey' } })).toBe(1);
  });

  it('keep a comment as plain text: control characters such as NUL are dropped, line breaks stay', async () => {
    const input = voteInput.parse({ helpful: 'no', comment: ' Steps\u0000 for\u0007 iOS\nare missing ' });
    expect(input).toEqual({ helpful: false, comment: 'Steps for iOS\nare missing' });
    const voter = randomBytes(16).toString('base64url');
    await voteOnArticle({ db, hmacKey, slug: 'what-is-a-passkey', voterId: voter, ...input, ip: '192.0.2.11' });
    expect(await currentVote(db, hmacKey, 'what-is-a-passkey', voter)).toEqual({ helpful: false, comment: 'Steps for iOS\nare missing' });
    expect(voteInput.parse({ helpful: 'no', comment: '\u0000\u0001 ' })).toEqual({ helpful: false, comment: undefined });
  });

  it('are limited per client address: ten cookie-less votes from one client do not all count', async () => {
    const ip = '198.51.100.77';
    const now = new Date('2026-06-01T12:00:00Z');
    const outcomes = [];
    for (let i = 0; i < 10; i++) {
      // A fresh visitor id each time, as a script that drops the cookie would send.
      const voterId = randomBytes(16).toString('base64url');
      outcomes.push(await voteOnArticle({ db, hmacKey, slug: 'recover-account', voterId, helpful: false, comment: `spam ${i}`, ip, now }).then(() => 'counted', (e: AppError) => e.code));
    }
    expect(outcomes.filter((o) => o === 'counted')).toHaveLength(3);
    expect(outcomes.slice(3).every((o) => o === 'rate_limited')).toBe(true);
    expect(await db.articleVote.count({ where: { slug: 'recover-account' } })).toBe(3);
    // Someone else, elsewhere, still votes.
    await voteOnArticle({ db, hmacKey, slug: 'recover-account', voterId: randomBytes(16).toString('base64url'), helpful: true, ip: '203.0.113.200', now });
    expect(await db.articleVote.count({ where: { slug: 'recover-account' } })).toBe(4);
  });

  it('refuse a malformed visitor id', async () => {
    await expect(voteOnArticle({ db, hmacKey, slug: 'rename-passkey', voterId: 'x', helpful: true, ip: '192.0.2.12' })).rejects.toBeInstanceOf(AppError);
  });
});

describe('help-center search', () => {
  it('lands "pasky" on the passkey articles and says it corrected the spelling', async () => {
    const result = await searchArticles({ db, center, query: 'pasky', page: 1 });
    expect(result.correctedQuery).toBe('passkey');
    expect(plainText(result.hits[0]!.title)).toMatch(/passkey/i);
    const exact = await searchArticles({ db, center, query: 'pasky', page: 1, correctSpelling: false });
    expect(exact.correctedQuery).toBeUndefined();
  });

  it('attaches view counts and logs the normalized query with its hit count', async () => {
    const result = await searchArticles({ db, center, query: '  Rename   PASSKEY ', page: 1 });
    const hit = result.hits.find((h) => h.slug === 'rename-passkey');
    expect(hit?.views).toBe(3);
    const logged = await db.searchQuery.findFirst({ where: { query: 'rename passkey' } });
    expect(logged).toMatchObject({ hits: result.total, engine: 'embedded' });
  });

  it('logs zero-result queries for the analytics', async () => {
    const result = await searchArticles({ db, center, query: 'qzxwvkjh', page: 1 });
    expect(result.total).toBe(0);
    expect(await db.searchQuery.count({ where: { query: 'qzxwvkjh', hits: 0 } })).toBe(1);
  });

  it('runs the engine once per distinct search when given an answer cache, and still counts and logs every search', async () => {
    const searched: string[] = [];
    const engine: SearchEngine = {
      name: 'embedded',
      index: (documents) => center.engine.index(documents),
      search: (query) => (searched.push(query.query), center.engine.search(query)),
      suggest: (prefix, limit) => center.engine.suggest(prefix, limit),
    };
    const counting = { ...center, engine } as HelpCenter;
    const answers = searchAnswerCache(2);
    const search = (query: string, page = 1) => searchArticles({ db, center: counting, query, page, answers });

    const logged = await db.searchQuery.count({ where: { query: 'pasky' } });
    const first = await search('pasky');
    const again = await search('pasky');
    expect(again).toEqual(first);
    expect(again.correctedQuery).toBe('passkey');
    // The correction is searched first; the typed words only when it finds nothing (lib/help/search/corrected.ts).
    expect(searched).toEqual(['passkey']);
    expect(await db.searchQuery.count({ where: { query: 'pasky' } })).toBe(logged + 2);

    await search('pasky', 2);
    await search('authenticator');
    expect(answers.size).toBe(2);
    searched.length = 0;
    await search('pasky'); // the least recently used, dropped
    expect(searched).toEqual(['passkey']);
  });

  it('writes log lines of searches a moment apart together, after a short wait, each with the time of its search', async () => {
    let clock = Date.parse('2026-04-01T10:00:00Z');
    const writeLog = batchedSearchLog({ windowMs: 50, maxLines: 3, now: () => new Date((clock += 1000)) });
    const queries = ['batch one', 'batch two', 'batch three', 'batch four'];
    const written = queries.map((query) => writeLog(db, { query, hits: 1, engine: 'embedded' }));
    expect(await db.searchQuery.count({ where: { query: { in: queries } } })).toBe(0);
    await Promise.all(written);
    const rows = await db.searchQuery.findMany({ where: { query: { in: queries } }, orderBy: { createdAt: 'asc' } });
    expect(rows.map((r) => [r.query, r.createdAt.toISOString()])).toEqual([
      ['batch one', '2026-04-01T10:00:01.000Z'],
      ['batch two', '2026-04-01T10:00:02.000Z'],
      ['batch three', '2026-04-01T10:00:03.000Z'],
      ['batch four', '2026-04-01T10:00:04.000Z'],
    ]);
    await writeLog(db, { query: '   ', hits: 0, engine: 'embedded' });
  });

  it('refuses a page past the last one', async () => {
    await expect(searchArticles({ db, center, query: 'passkey', page: 50 })).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it.each([
    [{ q: 'x'.repeat(201) }, /at most 200/],
    [{ q: 'pass\u0000key' }, /control characters/],
    [{ q: 'a', page: '0' }, /1 or more/],
    [{ q: 'a', page: 'two' }, /number/],
    [{ q: 'a', category: 'blog' }, /Category must be one of/],
  ])('validates parameters %j', (input, message) => {
    const parsed = searchParams.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.message).toMatch(message);
  });
});
