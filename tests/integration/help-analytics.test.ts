import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getHelpAnalytics } from '@/lib/help/analytics';
import { loadArticles } from '@/lib/help/articles';
import { voteOnArticle } from '@/lib/help/engagement';
import { useTestDatabase } from '../support/db';
import { nextIp } from '../support/factories';

// Readers' "What was missing?" answers reach the people who write the articles.
const { db } = await useTestDatabase();
const hmacKey = randomBytes(32);
const library = loadArticles(path.resolve(import.meta.dirname, '../../content'));
const NOW = new Date('2026-06-10T12:00:00Z');
const visitor = () => randomBytes(16).toString('hex');

describe('help analytics: what readers said was missing', () => {
  it('lists the comments left with a "No", newest first, with the article title; never a "Yes", an empty comment or one older than the window', async () => {
    const supervisor = await db.agent.create({ data: { email: `sup-${randomBytes(4).toString('hex')}@example.com`, name: 'Supervisor', role: 'SUPERVISOR' }, select: { id: true } });
    // The vote's time is the database's; each is moved to the day the test says it was cast.
    const vote = async (slug: string, helpful: boolean, comment: string | undefined, at: Date) => {
      const voterId = visitor();
      await voteOnArticle({ db, hmacKey, slug, voterId, helpful, comment, ip: nextIp(), now: at });
      await db.$executeRaw`UPDATE "ArticleVote" SET "createdAt" = ${at}, "updatedAt" = ${at} WHERE "id" = (SELECT "id" FROM "ArticleVote" ORDER BY "createdAt" DESC, "id" DESC LIMIT 1) AND "slug" = ${slug}`;
    };
    await vote('rename-passkey', false, 'It does not say what happens on my other devices.', new Date('2026-06-08T10:00:00Z'));
    await vote('buying-a-security-key', false, 'Which keys work with iPhone?', new Date('2026-06-09T10:00:00Z'));
    await vote('rename-passkey', true, undefined, new Date('2026-06-09T11:00:00Z'));
    await vote('rename-passkey', false, undefined, new Date('2026-06-09T12:00:00Z'));
    await vote('buying-a-security-key', false, 'An old complaint', new Date('2026-04-01T10:00:00Z'));

    const analytics = await getHelpAnalytics({ db, actor: { agentId: supervisor.id }, library, now: NOW });
    expect(analytics.missing.map((m) => [m.slug, m.comment])).toEqual([
      ['buying-a-security-key', 'Which keys work with iPhone?'],
      ['rename-passkey', 'It does not say what happens on my other devices.'],
    ]);
    expect(analytics.missing[0]!.title).toBe(library.bySlug.get('buying-a-security-key')!.title);
  });
});
