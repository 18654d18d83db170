import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { attemptCode, type CodeSubject, consumeCode, issueCode, type MatchedCode } from '@/lib/verification/code-challenge';
import { CODE_TTL_SECONDS, MAX_ATTEMPTS } from '@/lib/verification/policy';
import { useTestDatabase } from '../support/db';
import { createUser, nextIp } from '../support/factories';

// The one-time code primitive on a real PostgreSQL (docs/security.md rules 1-3): expiry, the
// attempt budget, single use under concurrency, and a code that works only for its own challenge
// and subject.

const { db } = await useTestDatabase();
const hmacKey = randomBytes(32);
const T0 = new Date('2026-06-01T12:00:00Z');
const later = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

function resetSubject(): CodeSubject & { id: string } {
  return { type: 'RESET', id: randomUUID() };
}

async function issue(options: { subject?: CodeSubject; code?: string; real?: boolean; ip?: string; supersede?: boolean; now?: Date } = {}) {
  const user = await createUser(db);
  const subject = options.subject ?? resetSubject();
  const issued = await issueCode(db, {
    hmacKey,
    purpose: 'CONTACT_CHANGE',
    subject,
    userId: user.id,
    real: options.real ?? true,
    channel: 'SMS',
    destinationMasked: '+44 ••• ••• 01 42',
    requestIp: options.ip ?? null,
    supersede: options.supersede,
    now: options.now ?? T0,
    newCode: options.code === undefined ? undefined : () => options.code!,
  });
  return { ...issued, subject, user };
}

const attempt = (challengeId: string, code: string, now = T0, subject?: { type: 'RESET' | 'TICKET'; id: string }) =>
  attemptCode(db, { hmacKey, challengeId, purpose: 'CONTACT_CHANGE', code, now, subject });

const wrongFor = (code: string) => (code === '000000' ? '111111' : '000000');

describe('issuing a code', () => {
  it('stores a keyed hash bound to the challenge and names its subject by id, never in identifierHash', async () => {
    const { challengeId, code, subject, expiresAt, attemptsLeft } = await issue();
    expect(code).toMatch(/^\d{6}$/);
    expect(expiresAt).toEqual(later(CODE_TTL_SECONDS));
    expect(attemptsLeft).toBe(MAX_ATTEMPTS);
    const row = await db.verificationChallenge.findUniqueOrThrow({ where: { id: challengeId } });
    expect(row).toMatchObject({ subjectType: 'RESET', subjectId: subject.id, identifierHash: null, attempts: 0, maxAttempts: MAX_ATTEMPTS });
    expect(row.codeHash).toHaveLength(32);
    expect(JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(code);
  });

  it('refuses a row that names its subject twice or not at all (database check)', async () => {
    const base = { purpose: 'RECOVERY' as const, channel: 'EMAIL' as const, expiresAt: later(600) };
    await expect(db.verificationChallenge.create({ data: { ...base, subjectType: 'TICKET', subjectId: randomUUID(), identifierHash: new Uint8Array(16) } })).rejects.toThrow();
    await expect(db.verificationChallenge.create({ data: { ...base, subjectType: 'TICKET' } })).rejects.toThrow();
    await expect(db.verificationChallenge.create({ data: { ...base, subjectType: 'IDENTIFIER', subjectId: randomUUID() } })).rejects.toThrow();
  });

  it('asking again from the same client ends the earlier code and keeps its attempts; another client’s code is left alone', async () => {
    const subject = resetSubject();
    const first = await issue({ subject, ip: '203.0.113.1', supersede: true });
    const stranger = await issue({ subject, ip: '198.51.100.9', supersede: true });
    await attempt(first.challengeId, wrongFor(first.code));
    await attempt(first.challengeId, wrongFor(first.code));
    const second = await issue({ subject, ip: '203.0.113.1', supersede: true, now: later(30) });
    expect(second.attemptsLeft).toBe(MAX_ATTEMPTS - 2);
    expect(await attempt(first.challengeId, first.code, later(31))).toEqual({ outcome: 'expired' });
    expect(await attempt(stranger.challengeId, stranger.code, later(31))).toMatchObject({ outcome: 'match' });
    expect(await attempt(second.challengeId, second.code, later(31))).toMatchObject({ outcome: 'match', attemptsLeft: MAX_ATTEMPTS - 3 });
  });
});

describe('attempting a code', () => {
  it('expires after 10 minutes: the last moment before works, the expiry itself does not, and is not counted', async () => {
    const { challengeId, code } = await issue();
    expect(await attempt(challengeId, code, later(CODE_TTL_SECONDS))).toEqual({ outcome: 'expired' });
    expect((await db.verificationChallenge.findUniqueOrThrow({ where: { id: challengeId } })).attempts).toBe(0);
    expect(await attempt(challengeId, code, later(CODE_TTL_SECONDS - 1))).toMatchObject({ outcome: 'match', attemptsLeft: MAX_ATTEMPTS - 1 });
  });

  it(`refuses attempt ${MAX_ATTEMPTS + 1} even with the right code`, async () => {
    const { challengeId, code } = await issue();
    for (let left = MAX_ATTEMPTS - 1; left >= 0; left--) {
      expect(await attempt(challengeId, wrongFor(code))).toMatchObject({ outcome: 'wrong', attemptsLeft: left });
    }
    expect(await attempt(challengeId, code)).toEqual({ outcome: 'exhausted' });
    expect((await db.verificationChallenge.findUniqueOrThrow({ where: { id: challengeId } })).attempts).toBe(MAX_ATTEMPTS);
  });

  it('50 wrong attempts at once never count past the budget', async () => {
    const { challengeId, code } = await issue();
    const results = await Promise.all(Array.from({ length: 50 }, () => attempt(challengeId, wrongFor(code))));
    expect(results.filter((r) => r.outcome === 'wrong')).toHaveLength(MAX_ATTEMPTS);
    expect(results.filter((r) => r.outcome === 'exhausted')).toHaveLength(50 - MAX_ATTEMPTS);
    expect(new Set(results.flatMap((r) => (r.outcome === 'wrong' ? [r.attemptsLeft] : [])))).toEqual(new Set([4, 3, 2, 1, 0]));
    expect((await db.verificationChallenge.findUniqueOrThrow({ where: { id: challengeId } })).attempts).toBe(MAX_ATTEMPTS);
  });

  it('a code of one subject never verifies another’s challenge', async () => {
    const a = await issue({ code: '246810' });
    const b = await issue({ code: '135791' });
    // Named with the wrong subject, a challenge is unknown, and nothing is counted on it.
    expect(await attempt(a.challengeId, a.code, T0, b.subject as { type: 'RESET'; id: string })).toEqual({ outcome: 'unknown' });
    expect(await attempt(a.challengeId, a.code, T0, { type: 'TICKET', id: a.subject.id! })).toEqual({ outcome: 'unknown' });
    expect((await db.verificationChallenge.findUniqueOrThrow({ where: { id: a.challengeId } })).attempts).toBe(0);
    // Another challenge's code is wrong here, even with its hash copied over: the hash is bound to the challenge id.
    expect(await attempt(b.challengeId, a.code)).toMatchObject({ outcome: 'wrong' });
    const { codeHash } = await db.verificationChallenge.findUniqueOrThrow({ where: { id: a.challengeId }, select: { codeHash: true } });
    await db.verificationChallenge.update({ where: { id: b.challengeId }, data: { codeHash } });
    expect(await attempt(b.challengeId, a.code)).toMatchObject({ outcome: 'wrong' });
    // Another purpose does not know the challenge either.
    expect(await attemptCode(db, { hmacKey, challengeId: a.challengeId, purpose: 'TICKET_STATUS', code: a.code, now: T0 })).toEqual({ outcome: 'unknown' });
    expect(await attempt(a.challengeId, a.code, T0, a.subject as { type: 'RESET'; id: string })).toMatchObject({ outcome: 'match', challenge: { subjectId: a.subject.id } });
  });

  it('a decoy stores no code and never verifies', async () => {
    const decoy = await issue({ real: false, subject: { type: 'TICKET', hash: new Uint8Array(randomBytes(16)) } });
    expect((await db.verificationChallenge.findUniqueOrThrow({ where: { id: decoy.challengeId } })).codeHash).toBeNull();
    expect(await attempt(decoy.challengeId, decoy.code)).toMatchObject({ outcome: 'wrong', attemptsLeft: MAX_ATTEMPTS - 1 });
  });

  it('answers unknown for a malformed or missing challenge id without touching the database rows', async () => {
    expect(await attempt('not-a-uuid', '123456')).toEqual({ outcome: 'unknown' });
    expect(await attempt(randomUUID(), '123456')).toEqual({ outcome: 'unknown' });
  });

  it('with limits, every try counts per client and failures per subject and client', async () => {
    const { challengeId, code } = await issue();
    const client = nextIp();
    const limited = (c: string) => attemptCode(db, { hmacKey, challengeId, purpose: 'CONTACT_CHANGE', code: c, now: T0, limits: { client, scope: 'test-code' } });
    expect(await limited(wrongFor(code))).toMatchObject({ outcome: 'wrong', admission: { allowed: true } });
    const buckets = await db.rateLimitBucket.findMany({ where: { key: { startsWith: 'failures:test-code:' } }, select: { key: true, count: true } });
    expect(buckets.map((b) => b.count)).toEqual([1, 1]);
    expect(await db.rateLimitBucket.findUnique({ where: { key: `verify:ip:${client}` }, select: { count: true } })).toEqual({ count: 1 });
    const match = await limited(code);
    expect(match.outcome).toBe('match');
    expect(await consumeCode(db, match as MatchedCode, T0)).toBe(true);
    // The right code cleared this client's record.
    expect(await db.rateLimitBucket.findFirst({ where: { key: { startsWith: 'failures:test-code:', contains: ':client:' } } })).toBeNull();
  });
});

describe('consuming a code', () => {
  it('50 consumers of one matched code at once: exactly one wins, and the entered channel is recorded as the proof', async () => {
    const { challengeId, code } = await issue();
    const matched = await attempt(challengeId, code);
    expect(matched.outcome).toBe('match');
    const wins = await Promise.all(Array.from({ length: 50 }, () => consumeCode(db, matched as MatchedCode, T0)));
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect(await db.verificationChallenge.findUniqueOrThrow({ where: { id: challengeId }, select: { consumedAt: true, verifiedChannel: true } })).toEqual({ consumedAt: T0, verifiedChannel: 'SMS' });
    expect(await attempt(challengeId, code)).toEqual({ outcome: 'used' });
  });

  it('50 submissions of the right code at once: the budget holds and the code is spent once', async () => {
    const { challengeId, code } = await issue();
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const result = await attempt(challengeId, code);
        return result.outcome === 'match' ? ((await consumeCode(db, result, T0)) ? 'won' : 'lost') : result.outcome;
      }),
    );
    expect(outcomes.filter((o) => o === 'won')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'won' || o === 'lost').length).toBeLessThanOrEqual(MAX_ATTEMPTS);
    expect((await db.verificationChallenge.findUniqueOrThrow({ where: { id: challengeId } })).attempts).toBeLessThanOrEqual(MAX_ATTEMPTS);
  });

  it('never consumes a device approval with a code', async () => {
    const { challengeId, code } = await issue();
    const matched = await attempt(challengeId, code);
    await db.verificationChallenge.update({ where: { id: challengeId }, data: { channel: 'TRUSTED_DEVICE' } });
    expect(await consumeCode(db, matched as MatchedCode, T0)).toBe(false);
  });
});
