import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordAudit } from '@/lib/audit';
import { anchorAuditLog, auditActionNames, type ConsoleActor, searchAuditLog, shortenIp, summarizeData, verifyAuditLogChain } from '@/lib/audit/console';
import type { Db } from '@/lib/db/client';
import { AppError } from '@/lib/errors';
import { getHelpAnalytics } from '@/lib/help/analytics';
import { loadArticles } from '@/lib/help/articles';
import { logSearchQuery, recordArticleView, voteOnArticle } from '@/lib/help/engagement';
import { createHostApiKey, listAgents, listHostApiKeys, revokeHostApiKey, updateAgentAccess } from '@/lib/platform/admin';
import { authenticateApiKey } from '@/lib/platform/api-keys';
import { loadAgent } from '@/lib/access';
import { useTestDatabase } from '../support/db';
import { nextIp } from '../support/factories';

/**
 * The console's audit log, help analytics and administration (docs/product.md D): who may use each of them,
 * and what they do. Use cases are called the way the pages and server actions call them.
 */

const { db } = await useTestDatabase();
// Tampering breaks a chain for good; that test gets a database of its own.
const { db: tamperDb } = await useTestDatabase();
const { db: anchorDb } = await useTestDatabase();
const hmacKey = randomBytes(32);
const library = loadArticles(path.resolve(import.meta.dirname, '../../content'));
const NOW = new Date('2026-05-20T12:00:00Z');

type Role = 'AGENT' | 'SUPERVISOR' | 'ADMIN';
async function agent(role: Role, options: { active?: boolean; on?: Db } = {}) {
  const tag = randomBytes(4).toString('hex');
  return (options.on ?? db).agent.create({
    data: { email: `${role.toLowerCase()}-${tag}@example.com`, name: `${role} ${tag}`, role, active: options.active ?? true },
  });
}
const actorOf = (a: { id: string } | undefined): ConsoleActor | undefined => (a ? { agentId: a.id, ip: nextIp(), userAgent: 'Mozilla/5.0 Chrome/142.0' } : undefined);

// ── Who may do what ─────────────────────────────────────────────────────────

type Who = 'anonymous' | 'agent' | 'supervisor' | 'admin' | 'deactivated supervisor' | 'deactivated admin';
type Outcome = 'ok' | 'unauthorized' | 'forbidden';

const who: Record<Who, () => Promise<ConsoleActor | undefined>> = {
  anonymous: async () => undefined,
  agent: async () => actorOf(await agent('AGENT')),
  supervisor: async () => actorOf(await agent('SUPERVISOR')),
  admin: async () => actorOf(await agent('ADMIN')),
  'deactivated supervisor': async () => actorOf(await agent('SUPERVISOR', { active: false })),
  'deactivated admin': async () => actorOf(await agent('ADMIN', { active: false })),
};

/** Each use case the console pages and actions call, run as `actor` against something that exists. */
const useCases: Record<string, (actor: ConsoleActor | undefined) => Promise<unknown>> = {
  'search the audit log': (actor) => searchAuditLog({ db, actor, params: {}, now: NOW }),
  'verify the audit chain': (actor) => verifyAuditLogChain({ db, actor, now: NOW }),
  'anchor the audit chain': (actor) => anchorAuditLog({ db, actor, now: NOW }),
  'list audit event types': (actor) => auditActionNames({ db, actor }),
  'see help analytics': (actor) => getHelpAnalytics({ db, actor, library, now: NOW }),
  'list agents': (actor) => listAgents({ db, actor }),
  "change an agent's role": async (actor) => updateAgentAccess({ db, actor, agentId: (await agent('AGENT')).id, change: { role: 'SUPERVISOR' }, now: NOW }),
  'deactivate an agent': async (actor) => updateAgentAccess({ db, actor, agentId: (await agent('AGENT')).id, change: { active: false }, now: NOW }),
  'list API keys': (actor) => listHostApiKeys({ db, actor }),
  'create an API key': (actor) => createHostApiKey({ db, hmacKey, actor, name: 'Matrix key', now: NOW }),
  'revoke an API key': async (actor) => {
    const key = await db.apiKey.create({ data: { name: 'to revoke', prefix: randomBytes(4).toString('hex'), keyHash: new Uint8Array(randomBytes(32)) } });
    return revokeHostApiKey({ db, actor, apiKeyId: key.id, now: NOW });
  },
};

const supervisorsAndAdmins: Record<Who, Outcome> = {
  anonymous: 'unauthorized',
  agent: 'forbidden',
  supervisor: 'ok',
  admin: 'ok',
  'deactivated supervisor': 'unauthorized',
  'deactivated admin': 'unauthorized',
};
const adminsOnly: Record<Who, Outcome> = { ...supervisorsAndAdmins, supervisor: 'forbidden' };

const rules: Record<keyof typeof useCases, Record<Who, Outcome>> = {
  'search the audit log': supervisorsAndAdmins,
  'verify the audit chain': supervisorsAndAdmins,
  'list audit event types': supervisorsAndAdmins,
  'see help analytics': supervisorsAndAdmins,
  'list agents': adminsOnly,
  "change an agent's role": adminsOnly,
  'deactivate an agent': adminsOnly,
  'list API keys': adminsOnly,
  'create an API key': adminsOnly,
  'revoke an API key': adminsOnly,
};

const matrix = Object.entries(rules).flatMap(([useCase, outcomes]) =>
  Object.entries(outcomes).map(([person, outcome]) => ({ useCase, person: person as Who, outcome })),
);

describe('console roles: every use case × every kind of person', () => {
  it.each(matrix)('$person → $useCase: $outcome', async ({ useCase, person, outcome }) => {
    const actor = await who[person]();
    const auditBefore = await db.auditEvent.count();
    const run = useCases[useCase]!(actor);
    if (outcome === 'ok') {
      await expect(run).resolves.toBeDefined();
    } else {
      await expect(run).rejects.toBeInstanceOf(AppError);
      await expect(run.catch((e: AppError) => e.code)).resolves.toBe(outcome);
      // A refused request changes nothing and reads nothing, so it leaves no audit entry either.
      expect(await db.auditEvent.count()).toBe(auditBefore);
    }
  });

  it('a demotion takes effect on the next call', async () => {
    const admin = actorOf(await agent('ADMIN'))!;
    const supervisor = await agent('SUPERVISOR');
    await expect(searchAuditLog({ db, actor: actorOf(supervisor), params: {}, now: NOW })).resolves.toMatchObject({ ok: true });
    await updateAgentAccess({ db, actor: admin, agentId: supervisor.id, change: { role: 'AGENT' }, now: NOW });
    await expect(searchAuditLog({ db, actor: actorOf(supervisor), params: {}, now: NOW })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(getHelpAnalytics({ db, actor: actorOf(supervisor), library, now: NOW })).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('deactivation ends every console session of the agent, in the same change (lib/sessions)', async () => {
    const admin = actorOf(await agent('ADMIN'))!;
    const target = await agent('SUPERVISOR');
    const other = await agent('AGENT');
    const expiresAt = new Date(NOW.getTime() + 3_600_000);
    await db.session.createMany({ data: [{ agentId: target.id, method: 'passkey', expiresAt }, { agentId: target.id, method: 'password+totp', expiresAt }, { agentId: other.id, method: 'passkey', expiresAt }] });
    const before = await db.agent.findUniqueOrThrow({ where: { id: target.id }, select: { sessionVersion: true } });
    await updateAgentAccess({ db, actor: admin, agentId: target.id, change: { active: false }, now: NOW });
    const after = await db.agent.findUniqueOrThrow({ where: { id: target.id }, select: { sessionVersion: true } });
    expect(after.sessionVersion).toBe(before.sessionVersion + 1);
    expect(await db.session.count({ where: { agentId: target.id, revokedAt: null } })).toBe(0);
    expect(await db.session.count({ where: { agentId: other.id, revokedAt: null } })).toBe(1);
    expect(await loadAgent(db, target.id)).toBeNull();
  });
});

// ── Audit log ───────────────────────────────────────────────────────────────

describe('audit log search', () => {
  it('filters by subject, actor, event type and UTC time range, newest first, older pages by cursor, and records the search', async () => {
    const supervisor = await agent('SUPERVISOR');
    const actor = actorOf(supervisor)!;
    const subject = `user-${randomBytes(4).toString('hex')}`;
    const at = (minute: number) => new Date(Date.UTC(2026, 3, 2, 9, minute));
    for (let i = 0; i < 60; i++) {
      await recordAudit(db, {
        actorType: i % 2 ? 'USER' : 'SYSTEM',
        actorId: i % 2 ? subject : null,
        action: i % 3 === 0 ? 'code.sent' : 'sign_in.failed',
        subjectType: 'user',
        subjectId: subject,
        ip: '203.0.113.77',
        data: { channel: 'sms', attempt: i },
        occurredAt: at(i),
      });
    }

    const first = await searchAuditLog({ db, actor, params: { subject }, now: NOW });
    if (!first.ok) throw new Error('expected results');
    expect(first.rows).toHaveLength(50);
    // jsonb hands keys back shortest first, then in byte order.
    expect(first.rows[0]!.summary).toBe('attempt: 59, channel: sms');
    expect(first.rows[0]!.ipShort).toBe('203.0.113.x');
    expect(first.nextCursor).not.toBeNull();
    const older = await searchAuditLog({ db, actor, params: { subject, before: first.nextCursor! }, now: NOW });
    if (!older.ok) throw new Error('expected results');
    expect(older.rows.map((r) => r.summary.match(/attempt: (\d+)/)![1])).toEqual(['9', '8', '7', '6', '5', '4', '3', '2', '1', '0']);
    expect(older.nextCursor).toBeNull();
    expect(older.firstPage).toBe(false);

    const narrowed = await searchAuditLog({ db, actor, params: { subject, actor: subject, action: 'code.sent', from: '2026-04-02T09:10', to: '2026-04-02 09:40' }, now: NOW });
    if (!narrowed.ok) throw new Error('expected results');
    // Odd minutes are the user's; every third is a code; 10 ≤ minute < 40: 15, 21, 27, 33, 39.
    expect(narrowed.rows.map((r) => r.occurredAt.getUTCMinutes())).toEqual([39, 33, 27, 21, 15]);

    const searched = await db.auditEvent.findFirst({ where: { action: 'audit.searched', actorId: supervisor.id }, orderBy: { seq: 'desc' } });
    expect(searched).toMatchObject({
      actorType: 'AGENT',
      subjectType: 'audit_log',
      ip: actor.ip,
      occurredAt: NOW,
      data: {
        filters: { subjectId: subject, actorId: subject, action: 'code.sent', from: '2026-04-02T09:10:00.000Z', to: '2026-04-02T09:40:00.000Z' },
        olderThanSeq: null,
        results: 5,
      },
    });
    expect(await db.auditEvent.count({ where: { action: 'audit.searched', actorId: supervisor.id } })).toBe(3);
    // The search record comes after the search: it is not among its own results.
    const again = await searchAuditLog({ db, actor, params: { action: 'audit.searched', actor: supervisor.id }, now: NOW });
    expect(again.ok && again.rows).toHaveLength(3);
  });

  it('names the agent who acted', async () => {
    const supervisor = await agent('SUPERVISOR');
    const other = await agent('AGENT');
    await recordAudit(db, { actorType: 'AGENT', actorId: other.id, action: 'document.viewed', subjectType: 'ticket', subjectId: 't-9', occurredAt: NOW });
    const result = await searchAuditLog({ db, actor: actorOf(supervisor), params: { actor: other.id }, now: NOW });
    expect(result.ok && result.rows[0]).toMatchObject({ actorName: other.name, action: 'document.viewed', subjectId: 't-9' });
  });

  it('returns field errors for bad input and searches nothing', async () => {
    const supervisor = await agent('SUPERVISOR');
    const result = await searchAuditLog({ db, actor: actorOf(supervisor), params: { from: 'yesterday', to: '2026-01-01', action: 'drop table;' }, now: NOW });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.fieldErrors).sort()).toEqual(['action', 'from']);
    expect(result.form.from).toBe('yesterday');
    const reversed = await searchAuditLog({ db, actor: actorOf(supervisor), params: { from: '2026-02-01', to: '2026-01-01' }, now: NOW });
    expect(!reversed.ok && reversed.fieldErrors).toEqual({ to: ['The end must be after the start.'] });
    // PostgreSQL cannot compare text holding NUL: a field error, not a database error.
    const control = await searchAuditLog({ db, actor: actorOf(supervisor), params: { subject: 'a\u0000b', actor: 'x\u0007' }, now: NOW });
    expect(!control.ok && Object.keys(control.fieldErrors).sort()).toEqual(['actor', 'subject']);
    expect(await db.auditEvent.count({ where: { action: 'audit.searched', actorId: supervisor.id } })).toBe(0);
  });

  it('suggests the event types in the log', async () => {
    const names = await auditActionNames({ db, actor: actorOf(await agent('ADMIN')) });
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['audit.searched', 'code.sent', 'document.viewed', 'sign_in.failed']));
  });

  it('shortens addresses to their network and summarises data', () => {
    expect(shortenIp('198.51.100.23')).toBe('198.51.100.x');
    expect(shortenIp('::ffff:198.51.100.23')).toBe('198.51.100.x');
    expect(shortenIp('2001:db8:85a3:8d3:1319:8a2e:370:7348')).toBe('2001:db8:85a3:8d3:…');
    expect(shortenIp('2001:db8::1')).toBe('2001:db8:…');
    expect(shortenIp('::1')).toBe('::1');
    expect(shortenIp('unknown')).toBeNull();
    expect(shortenIp(null)).toBeNull();
    expect(summarizeData({})).toBe('');
    expect(summarizeData({ method: 'password+totp', nested: { a: 1, b: null, c: [1, 2] } })).toBe('method: password+totp, nested.a: 1, nested.c: [1,2]');
    expect(summarizeData({ filters: { action: 'agent.sign_in', actorId: null }, results: 3 })).toBe('filters.action: agent.sign_in, results: 3');
    expect(summarizeData({ long: 'x'.repeat(300) }).length).toBeLessThanOrEqual(140);
  });
});

describe('audit chain verification through the console', () => {
  it('reports an intact chain with the number of events, then the seq of a row edited with SQL', async () => {
    const supervisor = await agent('SUPERVISOR', { on: tamperDb });
    const actor = actorOf(supervisor)!;
    const seqs: bigint[] = [];
    for (let i = 0; i < 5; i++) {
      seqs.push((await recordAudit(tamperDb, { actorType: 'USER', actorId: 'u-1', action: 'passkey.added', subjectId: 'u-1', data: { i }, occurredAt: NOW })).seq);
    }
    const intact = await verifyAuditLogChain({ db: tamperDb, actor, now: NOW, batchSize: 2 });
    expect(intact).toEqual({ ok: true, checked: 5, verifiedAt: NOW.toISOString(), lastAnchor: null });
    const recorded = await tamperDb.auditEvent.findFirst({ where: { action: 'audit.verified' }, orderBy: { seq: 'desc' } });
    expect(recorded).toMatchObject({ actorId: supervisor.id, data: { intact: true, checked: 5 } });

    // Someone with database access rewrites what a user did.
    await tamperDb.$executeRaw`UPDATE "AuditEvent" SET "actorId" = 'someone-else' WHERE seq = ${seqs[2]!}`;
    const broken = await verifyAuditLogChain({ db: tamperDb, actor, now: NOW });
    expect(broken).toMatchObject({ ok: false, checked: 2, firstBrokenSeq: seqs[2]!.toString(), reason: 'hash_mismatch', verifiedAt: NOW.toISOString(), anchor: null });
    const flagged = await tamperDb.auditEvent.findFirst({ where: { action: 'audit.verified' }, orderBy: { seq: 'desc' } });
    expect(flagged?.data).toEqual({ intact: false, checked: 2, firstBrokenSeq: seqs[2]!.toString(), reason: 'hash_mismatch', anchorId: null });
  });

  it('a supervisor anchors the head on demand; rows cut off after it are reported against that anchor', async () => {
    const fresh = anchorDb;
    const supervisor = await agent('SUPERVISOR', { on: fresh });
    const actor = actorOf(supervisor)!;
    for (let i = 0; i < 3; i++) await recordAudit(fresh, { actorType: 'USER', actorId: 'u-1', action: 'passkey.added', data: { i }, occurredAt: NOW });
    const anchor = await anchorAuditLog({ db: fresh, actor, now: NOW });
    const head = await fresh.auditEvent.findFirstOrThrow({ orderBy: { seq: 'desc' } });
    // The anchor covers the request for it.
    expect(head).toMatchObject({ action: 'audit.anchored', actorId: supervisor.id });
    expect(anchor).toMatchObject({ headSeq: head.seq.toString(), reason: 'manual', headHash: Buffer.from(head.hash).toString('hex') });
    expect(await fresh.webhookDelivery.count({ where: { event: 'audit.anchor' } })).toBe(1);

    await fresh.$executeRaw`DELETE FROM "AuditEvent" WHERE seq >= ${head.seq - 1n}`;
    const broken = await verifyAuditLogChain({ db: fresh, actor, now: NOW });
    expect(broken).toMatchObject({ ok: false, reason: 'anchor_missing', anchor: { id: anchor.id, headSeq: anchor.headSeq } });
    expect(broken.ok === false && broken.explanation).toMatch(new RegExp(`anchor #${anchor.id} .*cut off`));
  });
});

// ── Help analytics ──────────────────────────────────────────────────────────

describe('help analytics', () => {
  it('ranks queries, lists zero-result queries, finds the least helpful articles and counts views per day', async () => {
    const fresh = db;
    await fresh.searchQuery.deleteMany();
    await fresh.articleView.deleteMany();
    await fresh.articleVote.deleteMany();
    const supervisor = actorOf(await agent('SUPERVISOR'));
    const now = new Date();

    const search = (query: string, hits: number, times: number) =>
      Promise.all(Array.from({ length: times }, () => logSearchQuery(fresh, { query, hits, engine: 'embedded' })));
    await search('rename passkey', 4, 6);
    await search('Lost Phone', 3, 4);
    await search('lost phone', 0, 1);
    await search('withdraw to iban', 0, 3);
    await search('sim swap', 0, 2);
    // Older than the 30-day window: not counted.
    await fresh.searchQuery.create({ data: { query: 'ancient', hits: 0, engine: 'embedded', createdAt: new Date(now.getTime() - 40 * 86_400_000) } });

    const vote = (slug: string, helpful: boolean) => voteOnArticle({ db: fresh, hmacKey, slug, voterId: randomBytes(16).toString('base64url'), helpful, ip: nextIp() });
    const votes = async (slug: string, yes: number, no: number) => {
      for (let i = 0; i < yes; i++) await vote(slug, true);
      for (let i = 0; i < no; i++) await vote(slug, false);
    };
    await votes('rename-passkey', 1, 5); // 17 % helpful
    await votes('what-is-a-passkey', 4, 4); // 50 %
    await votes('buying-a-security-key', 9, 1); // 90 %
    await votes('lost-phone-authenticator', 0, 3); // too few votes to judge
    await votes('retired-article', 0, 6); // no longer in content/

    const daysAgo = (n: number) => new Date(now.getTime() - n * 86_400_000);
    const view = (slug: string, at: Date, visitor: string) => recordArticleView({ db: fresh, hmacKey, slug, ip: visitor, userAgent: 'Mozilla/5.0 Chrome/142.0', now: at });
    for (const visitor of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) await view('rename-passkey', now, visitor);
    await view('what-is-a-passkey', daysAgo(2), '203.0.113.1');
    await view('what-is-a-passkey', daysAgo(29), '203.0.113.1');
    await view('what-is-a-passkey', daysAgo(30), '203.0.113.1'); // the day before the window

    const analytics = await getHelpAnalytics({ db: fresh, actor: supervisor, library, now, minVotes: 5 });
    expect(analytics.topQueries.map((q) => [q.query, q.searches, q.zeroResults])).toEqual([
      ['rename passkey', 6, 0],
      ['lost phone', 5, 1],
      ['withdraw to iban', 3, 3],
      ['sim swap', 2, 2],
    ]);
    expect(analytics.zeroResultQueries.map((q) => [q.query, q.searches])).toEqual([
      ['withdraw to iban', 3],
      ['sim swap', 2],
      ['lost phone', 1],
    ]);
    expect(analytics.zeroResultQueries[0]!.lastSearchedAt).toBeInstanceOf(Date);
    expect(analytics.totals).toEqual({ searches: 16, zeroResultSearches: 6, views: 5 });

    expect(analytics.leastHelpful.map((a) => [a.slug, a.votes, a.helpful, a.notHelpful])).toEqual([
      ['retired-article', 6, 0, 6],
      ['rename-passkey', 6, 1, 5],
      ['what-is-a-passkey', 8, 4, 4],
      ['buying-a-security-key', 10, 9, 1],
    ]);
    expect(analytics.leastHelpful[0]!.title).toBeNull();
    expect(analytics.leastHelpful[1]!.title).toBe(library.bySlug.get('rename-passkey')!.title);
    expect(analytics.leastHelpful[1]!.helpfulShare).toBeCloseTo(1 / 6);

    expect(analytics.viewsPerDay).toHaveLength(30);
    expect(analytics.viewsPerDay.at(-1)).toEqual({ day: now.toISOString().slice(0, 10), views: 3 });
    expect(analytics.viewsPerDay.at(-3)).toEqual({ day: daysAgo(2).toISOString().slice(0, 10), views: 1 });
    expect(analytics.viewsPerDay[0]).toEqual({ day: daysAgo(29).toISOString().slice(0, 10), views: 1 });
    expect(analytics.viewsPerDay.reduce((sum, d) => sum + d.views, 0)).toBe(5);
  });

  it('is empty, not broken, without data', async () => {
    await db.searchQuery.deleteMany();
    await db.articleView.deleteMany();
    await db.articleVote.deleteMany();
    const analytics = await getHelpAnalytics({ db, actor: actorOf(await agent('ADMIN')), library, now: NOW });
    expect(analytics).toMatchObject({ topQueries: [], zeroResultQueries: [], leastHelpful: [], totals: { searches: 0, zeroResultSearches: 0, views: 0 } });
    expect(analytics.viewsPerDay.every((d) => d.views === 0)).toBe(true);
    expect(analytics.viewsPerDay.at(-1)!.day).toBe('2026-05-20');
  });
});

// ── Administration ──────────────────────────────────────────────────────────

describe('console administration', () => {
  it('refuses an admin demoting or deactivating themselves, and lets them change others with an audit record', async () => {
    const admin = await agent('ADMIN');
    const actor = actorOf(admin)!;
    for (const change of [{ role: 'SUPERVISOR' as const }, { role: 'AGENT' as const }, { active: false }]) {
      await expect(updateAgentAccess({ db, actor, agentId: admin.id, change, now: NOW })).rejects.toMatchObject({
        code: 'forbidden',
        userMessage: "You can't demote or deactivate yourself. Ask another admin to do it.",
      });
    }
    expect(await loadAgent(db, admin.id)).toMatchObject({ role: 'ADMIN' });
    // Saving one's own row unchanged is harmless.
    await expect(updateAgentAccess({ db, actor, agentId: admin.id, change: { role: 'ADMIN', active: true }, now: NOW })).resolves.toMatchObject({ changed: false });

    const listed = await listAgents({ db, actor });
    expect(listed.find((a) => a.id === admin.id)).toMatchObject({ isYou: true, role: 'ADMIN', active: true });

    const target = await agent('AGENT');
    await expect(updateAgentAccess({ db, actor, agentId: target.id, change: { role: 'SUPERVISOR' }, now: NOW })).resolves.toEqual({
      id: target.id,
      role: 'SUPERVISOR',
      active: true,
      changed: true,
    });
    await updateAgentAccess({ db, actor, agentId: target.id, change: { active: false }, now: NOW });
    expect(await loadAgent(db, target.id)).toBeNull();
    const row = await db.agent.findUniqueOrThrow({ where: { id: target.id } });
    expect(row.sessionVersion).toBe(1); // sessions from before the deactivation stay dead
    await updateAgentAccess({ db, actor, agentId: target.id, change: { active: true }, now: NOW });

    const events = await db.auditEvent.findMany({ where: { subjectType: 'agent', subjectId: target.id }, orderBy: { seq: 'asc' } });
    expect(events.map((e) => [e.action, e.actorId, e.data])).toEqual([
      ['agent.role_changed', admin.id, { from: 'AGENT', to: 'SUPERVISOR' }],
      ['agent.deactivated', admin.id, {}],
      ['agent.reactivated', admin.id, {}],
    ]);
    await expect(updateAgentAccess({ db, actor, agentId: randomUuid(), change: { active: false }, now: NOW })).rejects.toMatchObject({ code: 'not_found' });
    await expect(updateAgentAccess({ db, actor, agentId: target.id, change: { role: 'ROOT' as never }, now: NOW })).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('creates a host API key shown once, lists it without the secret, and revokes it', async () => {
    const admin = await agent('ADMIN');
    const actor = actorOf(admin)!;
    await expect(createHostApiKey({ db, hmacKey, actor, name: ' x ', now: NOW })).rejects.toMatchObject({ code: 'validation_failed' });
    for (const name of ['Exchange\u0000prod', 'Exchange\nprod', 'Exchange\u2028prod']) {
      await expect(createHostApiKey({ db, hmacKey, actor, name, now: NOW })).rejects.toMatchObject({ code: 'validation_failed', fieldErrors: { name: ['Use letters, numbers and punctuation only.'] } });
    }

    const created = await createHostApiKey({ db, hmacKey, actor, name: '  Exchange production ', now: NOW });
    expect(created.key).toMatch(new RegExp(`^rg_live_${created.prefix}_`));
    expect(created.name).toBe('Exchange production');
    expect(await authenticateApiKey({ db, hmacKey, authorization: `Bearer ${created.key}`, now: NOW })).toBe(created.id);

    const listed = (await listHostApiKeys({ db, actor })).find((k) => k.id === created.id);
    expect(listed).toMatchObject({ name: 'Exchange production', prefix: created.prefix, createdByName: admin.name, revokedAt: null });
    expect(listed?.lastUsedAt).toEqual(NOW);
    expect(JSON.stringify(listed)).not.toContain(created.key.split('_').at(-1));

    const revokedAt = new Date(NOW.getTime() + 60_000);
    await expect(revokeHostApiKey({ db, actor, apiKeyId: created.id, now: revokedAt })).resolves.toEqual({ id: created.id, prefix: created.prefix });
    await expect(authenticateApiKey({ db, hmacKey, authorization: `Bearer ${created.key}`, now: revokedAt })).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(revokeHostApiKey({ db, actor, apiKeyId: created.id, now: revokedAt })).rejects.toMatchObject({ code: 'not_found' });
    await expect(revokeHostApiKey({ db, actor, apiKeyId: 'not-a-uuid', now: revokedAt })).rejects.toMatchObject({ code: 'not_found' });
    expect((await listHostApiKeys({ db, actor })).find((k) => k.id === created.id)?.revokedAt).toEqual(revokedAt);

    const events = await db.auditEvent.findMany({ where: { subjectType: 'api_key', subjectId: created.id }, orderBy: { seq: 'asc' } });
    expect(events.map((e) => [e.action, e.actorId, e.data])).toEqual([
      ['api_key.created', admin.id, { prefix: created.prefix, name: 'Exchange production' }],
      ['api_key.revoked', admin.id, { prefix: created.prefix, name: 'Exchange production' }],
    ]);
    for (const event of events) expect(JSON.stringify(event.data)).not.toContain(created.key);
  });
});

function randomUuid() {
  const hex = randomBytes(16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
