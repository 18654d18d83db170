import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RETENTION_DAYS } from '@/lib/config';
import { purgeOutboundMessages } from '@/lib/delivery/retention';
import { mostViewedSlugs, viewCounts } from '@/lib/help/engagement';
import { purgeSearchQueries, rollUpArticleViews } from '@/lib/help/retention';
import { countJobs, enqueueJob, purgeDeadJobs } from '@/lib/jobs';
import { purgeRateLimitBuckets } from '@/lib/limits/retention';
import { DEFAULT_RETENTION, runMaintenance } from '@/lib/maintenance';
import { purgeEndedSessions, purgeSignInEvents } from '@/lib/sessions/retention';
import { purgeVerificationChallenges } from '@/lib/verification/retention';
import { purgeDeliveredWebhooks } from '@/lib/webhooks';
import { capturingDelivery } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { createUser } from '../support/factories';

const { db } = await useTestDatabase();
const DAY = 86_400_000;
const now = new Date('2026-12-04T12:00:00Z');
const ago = (days: number) => new Date(now.getTime() - days * DAY);
// Two rows per statement: every purge below deletes more than one batch, so the batching loop runs.
const batchSize = 2;

describe('retention purges: old rows go, recent rows stay', () => {
  it('RateLimitBucket: buckets idle past the period whose block ended as long ago', async () => {
    const make = async (key: string, updatedDaysAgo: number, blockedUntil: Date | null) => {
      await db.rateLimitBucket.create({ data: { key, count: 1, windowStart: ago(updatedDaysAgo), blockedUntil } });
      await db.$executeRaw`UPDATE "RateLimitBucket" SET "updatedAt" = ${ago(updatedDaysAgo)} WHERE "key" = ${key}`;
    };
    for (let i = 0; i < 5; i++) await make(`old:${i}`, 10, null);
    await make('old-block-ended', 10, ago(9));
    await make('old-but-blocked-lately', 10, ago(1));
    await make('recent', 0, null);
    expect(await purgeRateLimitBuckets({ db, now, days: 3, batchSize })).toBe(6);
    expect((await db.rateLimitBucket.findMany({ select: { key: true }, orderBy: { key: 'asc' } })).map((b) => b.key)).toEqual(['old-but-blocked-lately', 'recent']);
  });

  it('VerificationChallenge: real and decoy challenges alike, once past their expiry by the period', async () => {
    const user = await createUser(db);
    const make = (userId: string | null, expiresAt: Date) =>
      db.verificationChallenge.create({ data: { purpose: 'RECOVERY', userId, identifierHash: randomBytes(32), channel: 'EMAIL', expiresAt } });
    for (let i = 0; i < 3; i++) await make(user.id, ago(40));
    for (let i = 0; i < 2; i++) await make(null, ago(40)); // decoys
    const keptReal = await make(user.id, ago(5));
    const keptDecoy = await make(null, ago(5));
    expect(await purgeVerificationChallenges({ db, now, days: 30, batchSize })).toBe(5);
    expect((await db.verificationChallenge.findMany({ select: { id: true } })).map((c) => c.id).sort()).toEqual([keptReal.id, keptDecoy.id].sort());
  });

  it('OutboundMessage: sent messages (and their clear-text address) after the period; queued ones are left to the queue', async () => {
    const make = (createdAt: Date, status: 'SENT' | 'QUEUED' | 'FAILED') =>
      db.outboundMessage.create({ data: { channel: 'EMAIL', to: 'someone@example.com', bodyText: 'x', purpose: 'notice', provider: 'outbox', status, createdAt } });
    for (let i = 0; i < 3; i++) await make(ago(31), 'SENT');
    await make(ago(31), 'FAILED');
    const queued = await make(ago(31), 'QUEUED');
    const recent = await make(ago(1), 'SENT');
    expect(await purgeOutboundMessages({ db, now, days: 30, batchSize })).toBe(4);
    expect((await db.outboundMessage.findMany({ select: { id: true } })).map((m) => m.id).sort()).toEqual([queued.id, recent.id].sort());
  });

  it('WebhookDelivery: delivered rows after the period; failed (dead letters) and pending ones stay', async () => {
    const make = (status: 'DELIVERED' | 'FAILED' | 'PENDING', deliveredAt: Date | null) =>
      db.webhookDelivery.create({ data: { event: 'hold.started', payload: {}, status, deliveredAt, createdAt: ago(40) } });
    for (let i = 0; i < 3; i++) await make('DELIVERED', ago(31));
    const recent = await make('DELIVERED', ago(1));
    const failed = await make('FAILED', null);
    const pending = await make('PENDING', null);
    expect(await purgeDeliveredWebhooks({ db, now, days: 30, batchSize })).toBe(3);
    expect((await db.webhookDelivery.findMany({ select: { id: true } })).map((d) => d.id).sort()).toEqual([recent.id, failed.id, pending.id].sort());
  });

  it('SearchQuery and SignInEvent: rows older than the period', async () => {
    for (let i = 0; i < 3; i++) await db.searchQuery.create({ data: { query: `old ${i}`, hits: 1, engine: 'embedded', createdAt: ago(91) } });
    const search = await db.searchQuery.create({ data: { query: 'recent', hits: 0, engine: 'embedded', createdAt: ago(89) } });
    expect(await purgeSearchQueries({ db, now, days: 90, batchSize })).toBe(3);
    expect((await db.searchQuery.findMany({ select: { id: true } })).map((q) => q.id)).toEqual([search.id]);

    const user = await createUser(db);
    for (let i = 0; i < 3; i++) await db.signInEvent.create({ data: { userId: user.id, method: 'password', result: 'FAILURE', createdAt: ago(181) } });
    const signIn = await db.signInEvent.create({ data: { userId: user.id, method: 'password', result: 'SUCCESS', createdAt: ago(179) } });
    expect(await purgeSignInEvents({ db, now, days: 180, batchSize })).toBe(3);
    expect((await db.signInEvent.findMany({ select: { id: true } })).map((e) => e.id)).toEqual([signIn.id]);
  });

  it('Session: sessions expired or revoked longer ago than the period; live and lately ended ones stay', async () => {
    const user = await createUser(db);
    const make = (expiresAt: Date, revokedAt: Date | null = null) => db.session.create({ data: { userId: user.id, method: 'password+totp', expiresAt, revokedAt } });
    for (let i = 0; i < 2; i++) await make(ago(31));
    await make(new Date(now.getTime() + DAY), ago(31)); // revoked long ago
    const live = await make(new Date(now.getTime() + DAY));
    const endedLately = await make(ago(2));
    const revokedLately = await make(new Date(now.getTime() + DAY), ago(2));
    expect(await purgeEndedSessions({ db, now, days: 30, batchSize })).toBe(3);
    expect((await db.session.findMany({ select: { id: true } })).map((s) => s.id).sort()).toEqual([live.id, endedLately.id, revokedLately.id].sort());
  });

  it('ArticleView: old views are rolled into a per-article total, so all-time counts do not change', async () => {
    const view = (slug: string, day: Date, n: number) =>
      db.articleView.create({ data: { slug, visitorHash: `v${n}-${randomBytes(4).toString('hex')}`, day: new Date(`${day.toISOString().slice(0, 10)}T00:00:00Z`) } });
    for (let i = 0; i < 3; i++) await view('reset-passkey', ago(100), i);
    await view('reset-passkey', ago(2), 9);
    for (let i = 0; i < 2; i++) await view('sms-codes', ago(100), i);
    const before = { counts: await viewCounts(db, ['reset-passkey', 'sms-codes']), top: await mostViewedSlugs(db, 10) };
    expect(before.counts).toEqual(new Map([['reset-passkey', 4], ['sms-codes', 2]]));

    expect(await rollUpArticleViews({ db, now, days: 90, batchSize })).toBe(5);
    expect(await db.articleView.count()).toBe(1);
    expect(await viewCounts(db, ['reset-passkey', 'sms-codes'])).toEqual(before.counts);
    expect(await mostViewedSlugs(db, 10)).toEqual(before.top);
    // Running again changes nothing: a view is counted once.
    expect(await rollUpArticleViews({ db, now, days: 90, batchSize })).toBe(0);
    expect(await viewCounts(db, ['reset-passkey', 'sms-codes'])).toEqual(before.counts);
  });

  it('graphile-worker dead jobs: permanently failed jobs after the period; waiting and lately failed jobs stay', async () => {
    for (let i = 0; i < 3; i++) await enqueueJob(db, 'test-dead-old', { i });
    await enqueueJob(db, 'test-dead-recent', {});
    await enqueueJob(db, 'test-waiting', {});
    await db.$executeRaw`
      UPDATE graphile_worker._private_jobs SET attempts = max_attempts, updated_at = ${ago(31)}
      WHERE task_id IN (SELECT id FROM graphile_worker._private_tasks WHERE identifier = 'test-dead-old')`;
    await db.$executeRaw`
      UPDATE graphile_worker._private_jobs SET attempts = max_attempts, updated_at = ${ago(1)}
      WHERE task_id IN (SELECT id FROM graphile_worker._private_tasks WHERE identifier = 'test-dead-recent')`;
    expect(await purgeDeadJobs({ db, now, days: 30, batchSize })).toBe(3);
    expect(await countJobs(db, 'test-dead-old')).toEqual({ waiting: 0, retrying: 0, dead: 0 });
    expect(await countJobs(db, 'test-dead-recent')).toEqual({ waiting: 0, retrying: 0, dead: 1 });
    expect(await countJobs(db, 'test-waiting')).toEqual({ waiting: 1, retrying: 0, dead: 0 });
  });

  it('runMaintenance runs every purge with the configured periods; the audit log is never purged', async () => {
    expect(Object.keys(DEFAULT_RETENTION).sort()).toEqual(Object.values(RETENTION_DAYS).map((r) => r.field).sort());
    const auditRows = await db.auditEvent.count();
    const summary = await runMaintenance({ db, ...capturingDelivery(), hmacKey: randomBytes(32), appUrl: 'https://help.example.com', now });
    expect(summary.failed).toEqual([]);
    expect(Object.keys(summary.purged).sort()).toEqual([
      'retention:article-views',
      'retention:dead-jobs',
      'retention:outbound-messages',
      'retention:rate-limit-buckets',
      'retention:search-queries',
      'retention:sessions',
      'retention:sign-in-events',
      'retention:verification-challenges',
      'retention:webhook-deliveries',
    ]);
    expect(await db.auditEvent.count()).toBeGreaterThanOrEqual(auditRows);
  });
});
