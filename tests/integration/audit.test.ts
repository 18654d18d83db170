import { beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { anchorAuditHead, AuditSecretError, chainHash, GENESIS_HASH, recordAudit, searchAudit, verifyAuditChain } from '@/lib/audit';
import type { Db } from '@/lib/db/client';
import { useTestDatabase } from '../support/db';

const { db } = await useTestDatabase();
const T0 = new Date('2026-05-01T10:00:00Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

// Tampering breaks a chain for good, so tests that tamper (or need an empty log) each take a
// database of their own. Created here, at file level, so useTestDatabase's cleanup is registered.
const spares = await Promise.all(Array.from({ length: 16 }, () => useTestDatabase()));
function freshDb() {
  const spare = spares.pop();
  if (!spare) throw new Error('audit.test.ts: add a spare database');
  return spare.db;
}

describe('audit chain (docs/security.md rule 20)', () => {
  it('chains several events and verifies them, in small batches too', async () => {
    const first = await recordAudit(db, {
      actorType: 'USER',
      actorId: 'user-1',
      action: 'authenticator.replaced',
      subjectType: 'user',
      subjectId: 'user-1',
      ip: '198.51.100.7',
      userAgent: 'Mozilla/5.0',
      data: { z: 1, a: { y: [1, 'two', null], b: true }, at: minutes(-1) },
      occurredAt: minutes(0),
    });
    await recordAudit(db, { actorType: 'AGENT', actorId: 'agent-1', action: 'document.viewed', subjectType: 'ticket', subjectId: 't-1', occurredAt: minutes(1) });
    await recordAudit(db, { actorType: 'SYSTEM', action: 'hold.started', subjectId: 'user-1', data: { hours: 24 }, occurredAt: minutes(2) });
    await db.$transaction(async (tx) => {
      await recordAudit(tx, { actorType: 'ANONYMOUS', action: 'recovery.started', ip: '203.0.113.9', occurredAt: minutes(3) });
    });

    const rows = await db.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    expect(rows).toHaveLength(4);
    expect(Buffer.from(rows[0]!.prevHash).equals(Buffer.from(GENESIS_HASH))).toBe(true);
    for (let i = 1; i < rows.length; i++) expect(Buffer.from(rows[i]!.prevHash).equals(Buffer.from(rows[i - 1]!.hash))).toBe(true);
    expect(rows[0]!.seq).toBe(first.seq);
    expect(rows[0]!.hash).toHaveLength(32);
    expect(rows[0]!.data).toEqual({ z: 1, a: { y: [1, 'two', null], b: true }, at: minutes(-1).toISOString() });

    expect(rows.every((r) => r.chainVersion === 2)).toBe(true);
    expect(await verifyAuditChain({ db })).toMatchObject({ ok: true, checked: 4 });
    expect(await verifyAuditChain({ db, batchSize: 1 })).toMatchObject({ ok: true, checked: 4 });
    expect(await verifyAuditChain({ db, batchSize: 3 })).toMatchObject({ ok: true, checked: 4 });
  });

  it('an empty log verifies', async () => {
    expect(await verifyAuditChain({ db: freshDb() })).toEqual({ ok: true, checked: 0, anchors: 0, lastAnchor: null });
  });

  it('30 concurrent appends form one valid chain', async () => {
    const before = await db.auditEvent.count();
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        recordAudit(db, { actorType: 'API', actorId: 'host', action: 'concurrent.append', data: { i }, occurredAt: minutes(10 + i) }),
      ),
    );
    expect(await db.auditEvent.count()).toBe(before + 30);
    // One chain: every prevHash is used exactly once, and verification walks all of it.
    const rows = await db.auditEvent.findMany({ select: { prevHash: true } });
    expect(new Set(rows.map((r) => Buffer.from(r.prevHash).toString('hex'))).size).toBe(rows.length);
    expect(await verifyAuditChain({ db, batchSize: 7 })).toMatchObject({ ok: true, checked: before + 30 });
  });

  it('concurrent appends inside callers’ transactions still form one chain', async () => {
    const before = await db.auditEvent.count();
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        db.$transaction(async (tx) => recordAudit(tx, { actorType: 'USER', action: 'in.transaction', data: { i }, occurredAt: minutes(50 + i) }), {
          maxWait: 10_000,
          timeout: 15_000,
        }),
      ),
    );
    expect(await verifyAuditChain({ db })).toMatchObject({ ok: true, checked: before + 10 });
  });

  it('an audit row rolls back with the transaction that wrote it', async () => {
    const before = await db.auditEvent.count();
    await expect(
      db.$transaction(async (tx) => {
        await recordAudit(tx, { actorType: 'USER', action: 'rolled.back', occurredAt: minutes(70) });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await db.auditEvent.count()).toBe(before);
    expect((await verifyAuditChain({ db })).ok).toBe(true);
  });

  it('refuses a REPEATABLE READ transaction, whose snapshot could fork the chain', async () => {
    await expect(
      db.$transaction(async (tx) => recordAudit(tx, { actorType: 'USER', action: 'rr', occurredAt: minutes(80) }), { isolationLevel: 'RepeatableRead' }),
    ).rejects.toThrow(/READ COMMITTED/);
  });
});

describe('tampering is detected', () => {
  async function chainOf(count: number) {
    const fresh = freshDb();
    const seqs: bigint[] = [];
    for (let i = 0; i < count; i++) {
      const { seq } = await recordAudit(fresh, { actorType: 'AGENT', actorId: 'agent-7', action: 'ticket.approved', subjectId: `t-${i}`, data: { note: `n${i}` }, occurredAt: minutes(i) });
      seqs.push(seq);
    }
    return { db: fresh, seqs };
  }

  it('an edited data field is reported at that row', async () => {
    const { db: fresh, seqs } = await chainOf(5);
    await fresh.$executeRaw`UPDATE "AuditEvent" SET data = '{"note":"changed"}'::jsonb WHERE seq = ${seqs[2]!}`;
    expect(await verifyAuditChain({ db: fresh, batchSize: 2 })).toEqual({ ok: false, checked: 2, firstBrokenSeq: seqs[2]!, reason: 'hash_mismatch', anchor: null });
  });

  it('an edited column outside data is reported too', async () => {
    const { db: fresh, seqs } = await chainOf(4);
    await fresh.$executeRaw`UPDATE "AuditEvent" SET "actorId" = 'someone-else' WHERE seq = ${seqs[1]!}`;
    expect(await verifyAuditChain({ db: fresh })).toMatchObject({ ok: false, firstBrokenSeq: seqs[1]!, reason: 'hash_mismatch' });
  });

  it('a deleted row in the middle is reported at the row after it', async () => {
    const { db: fresh, seqs } = await chainOf(5);
    await fresh.$executeRaw`DELETE FROM "AuditEvent" WHERE seq = ${seqs[2]!}`;
    expect(await verifyAuditChain({ db: fresh })).toEqual({ ok: false, checked: 2, firstBrokenSeq: seqs[3]!, reason: 'prev_mismatch', anchor: null });
  });

  it('a deleted first row is reported', async () => {
    const { db: fresh, seqs } = await chainOf(3);
    await fresh.$executeRaw`DELETE FROM "AuditEvent" WHERE seq = ${seqs[0]!}`;
    expect(await verifyAuditChain({ db: fresh })).toEqual({ ok: false, checked: 0, firstBrokenSeq: seqs[1]!, reason: 'prev_mismatch', anchor: null });
  });
});

/**
 * The attacker below can read and write every table (a leaked database password, a backup restored
 * elsewhere, a rogue DBA) but does not hold AUDIT_KEY, which lives in the server's environment.
 */
describe('an attacker with table access (docs/security.md rule 20)', () => {
  async function chainOf(count: number, from = 0) {
    const fresh = freshDb();
    const seqs: bigint[] = [];
    for (let i = 0; i < count; i++) {
      const { seq } = await recordAudit(fresh, { actorType: 'AGENT', actorId: 'agent-7', action: 'ticket.approved', subjectId: `t-${i}`, data: { note: `n${i}` }, occurredAt: minutes(from + i) });
      seqs.push(seq);
    }
    return { db: fresh, seqs };
  }

  /** Re-links and re-hashes every row after `afterSeq`, the way the attacker repairs the chain. */
  async function rehashAfter(fresh: Db, afterSeq: bigint, hasher: (prev: Uint8Array, row: Parameters<typeof chainHash>[1]) => Uint8Array, version: number) {
    const rows = await fresh.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    let prev: Uint8Array = GENESIS_HASH;
    for (const row of rows) {
      if (row.seq > afterSeq) {
        const { seq, prevHash: _p, hash: _h, chainVersion: _v, ...fields } = row;
        const hash = hasher(prev, fields);
        await fresh.auditEvent.update({ where: { seq }, data: { prevHash: new Uint8Array(prev), hash: new Uint8Array(hash), chainVersion: version } });
        prev = hash;
      } else {
        prev = row.hash;
      }
    }
  }

  it('deleting a row and re-hashing the rest with plain SHA-256 no longer verifies', async () => {
    const { db: fresh, seqs } = await chainOf(6);
    await fresh.$executeRaw`DELETE FROM "AuditEvent" WHERE seq = ${seqs[2]!}`;
    await rehashAfter(fresh, seqs[1]!, (prev, fields) => chainHash(prev, fields), 1);
    const report = await verifyAuditChain({ db: fresh });
    expect(report).toMatchObject({ ok: false, firstBrokenSeq: seqs[3]!, checked: 2 });
  });

  it('deleting a row and re-hashing the rest with a guessed key no longer verifies', async () => {
    const { db: fresh, seqs } = await chainOf(6);
    await fresh.$executeRaw`DELETE FROM "AuditEvent" WHERE seq = ${seqs[2]!}`;
    const guess = randomBytes(32);
    await rehashAfter(fresh, seqs[1]!, (prev, fields) => chainHash(prev, fields, guess), 2);
    expect(await verifyAuditChain({ db: fresh })).toMatchObject({ ok: false, firstBrokenSeq: seqs[3]!, reason: 'hash_mismatch', checked: 2 });
  });

  it('rewriting the whole log as unkeyed rows is refused once the log is keyed', async () => {
    const { db: fresh, seqs } = await chainOf(4);
    await fresh.$executeRaw`DELETE FROM "AuditEvent" WHERE seq = ${seqs[1]!}`;
    await rehashAfter(fresh, 0n, (prev, fields) => chainHash(prev, fields), 1);
    expect(await verifyAuditChain({ db: fresh })).toMatchObject({ ok: false, firstBrokenSeq: seqs[0]!, reason: 'unkeyed_row' });
  });

  it('cutting off the newest rows is reported against the last anchor', async () => {
    const { db: fresh, seqs } = await chainOf(5);
    const anchor = await anchorAuditHead({ db: fresh, now: minutes(30), reason: 'schedule' });
    expect(anchor.headSeq).toBe(seqs[4]!);
    expect(await verifyAuditChain({ db: fresh })).toMatchObject({ ok: true, checked: 5, lastAnchor: { id: anchor.id, headSeq: seqs[4]! } });
    await fresh.$executeRaw`DELETE FROM "AuditEvent" WHERE seq >= ${seqs[3]!}`;
    expect(await verifyAuditChain({ db: fresh })).toMatchObject({ ok: false, reason: 'anchor_missing', firstBrokenSeq: seqs[4]!, anchor: { id: anchor.id, anchoredAt: minutes(30) } });
  });

  it('even with the key, rewriting rows before an anchor shows the head no longer matches it', async () => {
    const { db: fresh, seqs } = await chainOf(5);
    const anchor = await anchorAuditHead({ db: fresh, now: minutes(30), reason: 'manual' });
    await fresh.$executeRaw`DELETE FROM "AuditEvent" WHERE seq = ${seqs[1]!}`;
    await rehashAfter(fresh, seqs[0]!, (prev, fields) => chainHash(prev, fields, Buffer.from(process.env.AUDIT_KEY!, 'base64')), 2);
    expect(await verifyAuditChain({ db: fresh })).toMatchObject({ ok: false, reason: 'anchor_mismatch', firstBrokenSeq: seqs[4]!, anchor: { id: anchor.id } });
  });

  it('a break after an anchor names that anchor: rows after it were altered', async () => {
    const { db: fresh, seqs } = await chainOf(3);
    const anchor = await anchorAuditHead({ db: fresh, now: minutes(30), reason: 'schedule' });
    const more = [];
    for (let i = 0; i < 3; i++) more.push((await recordAudit(fresh, { actorType: 'SYSTEM', action: 'later', data: { i }, occurredAt: minutes(40 + i) })).seq);
    await fresh.$executeRaw`UPDATE "AuditEvent" SET data = '{"i":9}'::jsonb WHERE seq = ${more[1]!}`;
    expect(await verifyAuditChain({ db: fresh })).toEqual({
      ok: false,
      checked: 4,
      firstBrokenSeq: more[1]!,
      reason: 'hash_mismatch',
      anchor: { id: anchor.id, headSeq: seqs[2]!, anchoredAt: minutes(30), reason: 'schedule' },
    });
  });

  it('anchors cannot be edited or deleted, and a forged one is reported', async () => {
    const { db: fresh } = await chainOf(2);
    const anchor = await anchorAuditHead({ db: fresh, now: minutes(30), reason: 'schedule' });
    await expect(fresh.$executeRaw`UPDATE "AuditAnchor" SET "headSeq" = 1 WHERE id = ${anchor.id}`).rejects.toThrow(/append-only/);
    await expect(fresh.$executeRaw`DELETE FROM "AuditAnchor" WHERE id = ${anchor.id}`).rejects.toThrow(/append-only/);
    await fresh.auditAnchor.create({ data: { anchoredAt: minutes(31), headSeq: anchor.headSeq, headHash: new Uint8Array(32), mac: new Uint8Array(randomBytes(32)), reason: 'schedule' } });
    expect(await verifyAuditChain({ db: fresh })).toMatchObject({ ok: false, reason: 'anchor_forged' });
  });

  it('an anchor goes to the host as a signed audit.anchor webhook with the head hash', async () => {
    const { db: fresh, seqs } = await chainOf(2);
    const anchor = await anchorAuditHead({ db: fresh, now: minutes(30), reason: 'schedule' });
    const head = await fresh.auditEvent.findUniqueOrThrow({ where: { seq: seqs[1]! } });
    const webhook = await fresh.webhookDelivery.findFirstOrThrow({ where: { event: 'audit.anchor' } });
    expect(webhook.payload).toEqual({
      anchorId: anchor.id.toString(),
      headSeq: seqs[1]!.toString(),
      headHash: Buffer.from(head.hash).toString('hex'),
      anchoredAt: minutes(30).toISOString(),
      reason: 'schedule',
    });
  });

  it('unkeyed rows from before the key verify up to the seal the first keyed row writes', async () => {
    const fresh = freshDb();
    let prev: Uint8Array = GENESIS_HASH;
    for (let i = 0; i < 3; i++) {
      const fields = { occurredAt: minutes(i), actorType: 'SYSTEM' as const, actorId: null, action: 'legacy', subjectType: null, subjectId: null, ip: null, userAgent: null, data: { i } };
      const hash = chainHash(prev, fields);
      await fresh.auditEvent.create({ data: { ...fields, prevHash: new Uint8Array(prev), hash, chainVersion: 1 } });
      prev = hash;
    }
    // Not sealed yet: nothing proves these rows were there before the key.
    expect(await verifyAuditChain({ db: fresh })).toMatchObject({ ok: false, reason: 'unkeyed_row' });
    await recordAudit(fresh, { actorType: 'SYSTEM', action: 'keyed', occurredAt: minutes(10) });
    expect(await fresh.auditAnchor.count({ where: { reason: 'legacy_seal' } })).toBe(1);
    expect(await verifyAuditChain({ db: fresh })).toMatchObject({ ok: true, checked: 4 });
    // An unkeyed row after the seal is a break, even with a correct SHA-256 link.
    const last = await fresh.auditEvent.findFirstOrThrow({ orderBy: { seq: 'desc' } });
    const fields = { occurredAt: minutes(11), actorType: 'SYSTEM' as const, actorId: null, action: 'slipped.in', subjectType: null, subjectId: null, ip: null, userAgent: null, data: {} };
    const slipped = await fresh.auditEvent.create({ data: { ...fields, prevHash: last.hash, hash: chainHash(last.hash, fields), chainVersion: 1 } });
    expect(await verifyAuditChain({ db: fresh })).toMatchObject({ ok: false, reason: 'unkeyed_row', firstBrokenSeq: slipped.seq });
  });
});

describe('no secrets in the log (docs/security.md rules 1 and 20)', () => {
  it.each([
    [{ code: '123456' }],
    [{ codeHash: 'ab12' }],
    [{ otp_code: '1' }],
    [{ newPassword: 'x' }],
    [{ sessionToken: 'x' }],
    [{ totpSecret: 'x' }],
    [{ OTPCode: '1' }],
    [{ nested: { deeper: [{ refresh_token: 'x' }] } }],
  ])('refuses %j', async (data) => {
    const before = await db.auditEvent.count();
    await expect(recordAudit(db, { actorType: 'USER', action: 'sign_in.failed', data, occurredAt: T0 })).rejects.toBeInstanceOf(AuditSecretError);
    expect(await db.auditEvent.count()).toBe(before);
  });

  it('accepts ordinary facts', async () => {
    await expect(
      recordAudit(db, { actorType: 'USER', action: 'sign_in.failed', data: { channel: 'sms', failureReason: 'wrong', credentialId: 'abc', attempts: 3 }, occurredAt: T0 }),
    ).resolves.toMatchObject({ seq: expect.any(BigInt) });
  });
});

describe('searchAudit', () => {
  const fresh = freshDb();
  beforeAll(async () => {
    const events = [
      { actorType: 'USER', actorId: 'u-1', action: 'passkey.added', subjectId: 'u-1', occurredAt: minutes(0) },
      { actorType: 'AGENT', actorId: 'a-1', action: 'document.viewed', subjectId: 'u-1', occurredAt: minutes(5) },
      { actorType: 'AGENT', actorId: 'a-1', action: 'ticket.approved', subjectId: 'u-2', occurredAt: minutes(10) },
      { actorType: 'USER', actorId: 'u-2', action: 'passkey.added', subjectId: 'u-2', occurredAt: minutes(15) },
      { actorType: 'AGENT', actorId: 'a-2', action: 'document.viewed', subjectId: 'u-1', occurredAt: minutes(20) },
    ] as const;
    for (const event of events) await recordAudit(fresh, event);
  });
  const actions = (page: { events: { action: string; subjectId: string | null }[] }) => page.events.map((e) => `${e.action}@${e.subjectId}`);

  it('filters by subject, actor, action and time, newest first', async () => {
    expect(actions(await searchAudit({ db: fresh, filters: { subjectId: 'u-1' }, limit: 10 }))).toEqual([
      'document.viewed@u-1',
      'document.viewed@u-1',
      'passkey.added@u-1',
    ]);
    expect(actions(await searchAudit({ db: fresh, filters: { actorId: 'a-1' }, limit: 10 }))).toEqual(['ticket.approved@u-2', 'document.viewed@u-1']);
    expect(actions(await searchAudit({ db: fresh, filters: { action: 'passkey.added' }, limit: 10 }))).toEqual(['passkey.added@u-2', 'passkey.added@u-1']);
    // from inclusive, to exclusive
    expect(actions(await searchAudit({ db: fresh, filters: { from: minutes(5), to: minutes(15) }, limit: 10 }))).toEqual([
      'ticket.approved@u-2',
      'document.viewed@u-1',
    ]);
    expect(actions(await searchAudit({ db: fresh, filters: { subjectId: 'u-1', action: 'document.viewed', actorId: 'a-2' }, limit: 10 }))).toEqual([
      'document.viewed@u-1',
    ]);
    expect((await searchAudit({ db: fresh, filters: { subjectId: 'nobody' }, limit: 10 })).events).toEqual([]);
  });

  it('pages with a cursor on seq without gaps or repeats', async () => {
    const first = await searchAudit({ db: fresh, filters: {}, limit: 2 });
    expect(first.events).toHaveLength(2);
    expect(first.nextCursor).toBe(first.events[1]!.seq);
    const second = await searchAudit({ db: fresh, filters: {}, cursor: first.nextCursor!, limit: 2 });
    const third = await searchAudit({ db: fresh, filters: {}, cursor: second.nextCursor!, limit: 2 });
    expect(third.nextCursor).toBeNull();
    const seqs = [...first.events, ...second.events, ...third.events].map((e) => e.seq);
    expect(seqs).toHaveLength(5);
    expect([...seqs].sort((a, b) => (a > b ? -1 : 1))).toEqual(seqs);
    expect(new Set(seqs).size).toBe(5);
    // Results never carry the chain's hashes; they are for verification, not display.
    expect(Object.keys(first.events[0]!)).not.toContain('hash');
  });
});
