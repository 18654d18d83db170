import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type AuthenticatorOwner,
  beginAuthenticatorSetup,
  confirmAuthenticatorSetup,
  hasAuthenticator,
  verifyAuthenticatorCode,
} from '@/lib/authenticator';
import { base32Decode, totp } from '@/lib/authenticator/totp';
import { open, seal } from '@/lib/crypto';
import { fixedClock } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { createUser } from '../support/factories';

const { db } = await useTestDatabase();
const encryptionKey = randomBytes(32);
// 10 s into a 30-second step, so "one step back/forward" is unambiguous.
const START = '2026-05-01T10:00:10Z';

const codeAt = (secret: Buffer, time: Date, stepsFromNow = 0) => totp(secret, { time: new Date(time.getTime() + stepsFromNow * 30_000) });

async function newUserOwner(): Promise<AuthenticatorOwner & { userId: string }> {
  const user = await createUser(db);
  return { userId: user.id };
}

async function newAgentOwner(): Promise<AuthenticatorOwner & { agentId: string }> {
  const agent = await db.agent.create({ data: { email: `agent-${randomBytes(4).toString('hex')}@example.com`, name: 'Test Agent' }, select: { id: true } });
  return { agentId: agent.id };
}

/** Sets up and confirms an authenticator, then moves the clock on so the confirming step is history. */
async function enrolled(owner: AuthenticatorOwner) {
  const clock = fixedClock(START);
  const setup = await beginAuthenticatorSetup({ db, encryptionKey, owner, accountName: 'test@example.com' });
  const secret = base32Decode(setup.setupKey);
  await confirmAuthenticatorSetup({ db, encryptionKey, owner, authenticatorId: setup.authenticatorId, code: codeAt(secret, clock.now()), now: clock.now() });
  clock.advance(300);
  const verify = (code: string) => verifyAuthenticatorCode({ db, encryptionKey, owner, code, now: clock.now() });
  return { clock, secret, authenticatorId: setup.authenticatorId, verify };
}

describe('setting up an authenticator (docs/security.md rule 6)', () => {
  it('creates an unconfirmed authenticator from 160 random bits and confirms it with the first code', async () => {
    const owner = await newUserOwner();
    const now = new Date(START);
    const secret = randomBytes(20);
    let asked = 0;
    const setup = await beginAuthenticatorSetup({
      db,
      encryptionKey,
      owner,
      accountName: 'ada lovelace@example.com',
      random: (size) => {
        asked = size;
        return Buffer.from(secret);
      },
    });
    expect(asked).toBe(20);
    expect(setup.setupKey).toMatch(/^[A-Z2-7]{4}( [A-Z2-7]{4}){7}$/);
    expect(base32Decode(setup.setupKey).equals(secret)).toBe(true);
    expect(setup.otpauthUri).toBe(
      `otpauth://totp/Regain:ada%20lovelace%40example.com?secret=${setup.setupKey.replaceAll(' ', '')}&issuer=Regain&algorithm=SHA1&digits=6&period=30`,
    );
    // A pending setup is not an authenticator yet.
    expect(await hasAuthenticator({ db, owner })).toBe(false);
    expect(await verifyAuthenticatorCode({ db, encryptionKey, owner, code: codeAt(secret, now), now })).toEqual({ ok: false, reason: 'no_authenticator' });

    const result = await confirmAuthenticatorSetup({ db, encryptionKey, owner, authenticatorId: setup.authenticatorId, code: codeAt(secret, now), now });
    expect(result).toEqual({ replaced: false });
    expect(await hasAuthenticator({ db, owner })).toBe(true);
    const row = await db.authenticator.findUniqueOrThrow({ where: { id: setup.authenticatorId }, select: { confirmedAt: true, lastUsedStep: true } });
    expect(row.confirmedAt).toEqual(now);
    expect(row.lastUsedStep).toBe(BigInt(Math.floor(now.getTime() / 30_000)));
    // The confirming code is spent: it cannot also sign in.
    expect(await verifyAuthenticatorCode({ db, encryptionKey, owner, code: codeAt(secret, now), now })).toEqual({ ok: false, reason: 'replayed' });
  });

  it('refuses a wrong first code with a field error and leaves the setup unconfirmed', async () => {
    const owner = await newUserOwner();
    const now = new Date(START);
    const setup = await beginAuthenticatorSetup({ db, encryptionKey, owner, accountName: 'x@example.com' });
    const secret = base32Decode(setup.setupKey);
    const wrong = String((Number(codeAt(secret, now)) + 1) % 1_000_000).padStart(6, '0');
    for (const code of [wrong, codeAt(secret, now, -2), codeAt(secret, now, 1)]) {
      await expect(confirmAuthenticatorSetup({ db, encryptionKey, owner, authenticatorId: setup.authenticatorId, code, now })).rejects.toMatchObject({
        code: 'validation_failed',
        fieldErrors: { code: [expect.any(String)] },
      });
    }
    await expect(confirmAuthenticatorSetup({ db, encryptionKey, owner, authenticatorId: setup.authenticatorId, code: 'abc', now })).rejects.toMatchObject({
      code: 'validation_failed',
      fieldErrors: { code: [expect.any(String)] },
    });
    expect(await hasAuthenticator({ db, owner })).toBe(false);
    const row = await db.authenticator.findUniqueOrThrow({ where: { id: setup.authenticatorId }, select: { confirmedAt: true } });
    expect(row.confirmedAt).toBeNull();
  });

  it("does not let another account confirm someone's pending setup", async () => {
    const owner = await newUserOwner();
    const stranger = await newUserOwner();
    const now = new Date(START);
    const setup = await beginAuthenticatorSetup({ db, encryptionKey, owner, accountName: 'x@example.com' });
    const code = codeAt(base32Decode(setup.setupKey), now);
    await expect(confirmAuthenticatorSetup({ db, encryptionKey, owner: stranger, authenticatorId: setup.authenticatorId, code, now })).rejects.toMatchObject({ code: 'conflict' });
    expect(await hasAuthenticator({ db, owner: stranger })).toBe(false);
  });

  it('stores the secret sealed to its owner: no raw bytes in the row, and another context does not open it', async () => {
    const owner = await newUserOwner();
    const other = await newUserOwner();
    const secret = randomBytes(20);
    const setup = await beginAuthenticatorSetup({ db, encryptionKey, owner, accountName: 'x@example.com', random: () => Buffer.from(secret) });
    const row = await db.authenticator.findUniqueOrThrow({ where: { id: setup.authenticatorId } });
    const stored = Buffer.from(row.encryptedSecret);
    expect(stored.indexOf(secret)).toBe(-1);
    expect(stored.toString('latin1')).not.toContain(setup.setupKey.replaceAll(' ', ''));
    expect(JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(setup.setupKey.replaceAll(' ', ''));
    // The seed's convention: sealed with "totp:user:<id>" as associated data.
    expect(open(encryptionKey, stored, `totp:user:${owner.userId}`).equals(secret)).toBe(true);
    expect(() => open(encryptionKey, stored, `totp:user:${other.userId}`)).toThrow();
    expect(() => open(encryptionKey, stored, `totp:agent:${owner.userId}`)).toThrow();
    expect(() => open(randomBytes(32), stored, `totp:user:${owner.userId}`)).toThrow();
  });

  it('starting again replaces the pending setup', async () => {
    const owner = await newUserOwner();
    const now = new Date(START);
    const first = await beginAuthenticatorSetup({ db, encryptionKey, owner, accountName: 'x@example.com' });
    const second = await beginAuthenticatorSetup({ db, encryptionKey, owner, accountName: 'x@example.com' });
    expect(second.setupKey).not.toBe(first.setupKey);
    expect(await db.authenticator.count({ where: { userId: owner.userId } })).toBe(1);
    const code = codeAt(base32Decode(first.setupKey), now);
    await expect(confirmAuthenticatorSetup({ db, encryptionKey, owner, authenticatorId: first.authenticatorId, code, now })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('a new authenticator replaces the confirmed one and says so', async () => {
    const owner = await newUserOwner();
    const old = await enrolled(owner);
    const now = old.clock.now();

    const setup = await beginAuthenticatorSetup({ db, encryptionKey, owner, accountName: 'x@example.com' });
    // Until the new one is confirmed, the old one keeps working (a lost QR code locks no one out).
    expect(await hasAuthenticator({ db, owner })).toBe(true);
    const secret = base32Decode(setup.setupKey);
    const result = await confirmAuthenticatorSetup({ db, encryptionKey, owner, authenticatorId: setup.authenticatorId, code: codeAt(secret, now), now });
    expect(result).toEqual({ replaced: true });

    const rows = await db.authenticator.findMany({ where: { userId: owner.userId }, select: { id: true } });
    expect(rows).toEqual([{ id: setup.authenticatorId }]);
    const later = new Date(now.getTime() + 60_000);
    expect(await verifyAuthenticatorCode({ db, encryptionKey, owner, code: codeAt(old.secret, later), now: later })).toEqual({ ok: false, reason: 'wrong' });
    expect(await verifyAuthenticatorCode({ db, encryptionKey, owner, code: codeAt(secret, later), now: later })).toEqual({ ok: true });
  });
});

describe('verifying a code (docs/security.md rule 6)', () => {
  it.each([
    ['the current step', 0, { ok: true }],
    ['one step back', -1, { ok: true }],
    ['two steps back', -2, { ok: false, reason: 'wrong' }],
    ['one step forward', 1, { ok: false, reason: 'wrong' }],
    ['two steps forward', 2, { ok: false, reason: 'wrong' }],
  ] as const)('%s → %j', async (_name, steps, expected) => {
    const { clock, secret, verify } = await enrolled(await newUserOwner());
    expect(await verify(codeAt(secret, clock.now(), steps))).toEqual(expected);
  });

  it('accepts pasted codes with a space and refuses anything that is not six digits', async () => {
    const { clock, secret, verify } = await enrolled(await newUserOwner());
    const code = codeAt(secret, clock.now());
    expect(await verify('12345')).toEqual({ ok: false, reason: 'wrong' });
    expect(await verify(`${code}0`)).toEqual({ ok: false, reason: 'wrong' });
    expect(await verify(`${code.slice(0, 3)} ${code.slice(3)}`)).toEqual({ ok: true });
  });

  it('refuses an accepted step again, and every older step', async () => {
    const { clock, secret, verify } = await enrolled(await newUserOwner());
    const current = codeAt(secret, clock.now());
    const previous = codeAt(secret, clock.now(), -1);
    expect(await verify(current)).toEqual({ ok: true });
    expect(await verify(current)).toEqual({ ok: false, reason: 'replayed' });
    // Older than the accepted step, though still inside the window.
    expect(await verify(previous)).toEqual({ ok: false, reason: 'replayed' });

    clock.advance(30);
    // The accepted step is now "one step back": still refused.
    expect(await verify(current)).toEqual({ ok: false, reason: 'replayed' });
    expect(await verify(codeAt(secret, clock.now()))).toEqual({ ok: true });
  });

  it('after accepting one step back, the current step still works once', async () => {
    const { clock, secret, verify } = await enrolled(await newUserOwner());
    expect(await verify(codeAt(secret, clock.now(), -1))).toEqual({ ok: true });
    expect(await verify(codeAt(secret, clock.now(), -1))).toEqual({ ok: false, reason: 'replayed' });
    expect(await verify(codeAt(secret, clock.now()))).toEqual({ ok: true });
    expect(await verify(codeAt(secret, clock.now(), -1))).toEqual({ ok: false, reason: 'replayed' });
  });

  it('of 20 simultaneous submissions of one valid code exactly one succeeds', async () => {
    const { clock, secret, verify } = await enrolled(await newUserOwner());
    const code = codeAt(secret, clock.now());
    const results = await Promise.all(Array.from({ length: 20 }, () => verify(code)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'replayed')).toHaveLength(19);
  });

  it('reads a seeded authenticator (sealed with totp:user:<id>) and defaults to the server clock', async () => {
    const owner = await newUserOwner();
    const secret = Buffer.from('regain-demo-totp-key', 'utf8');
    await db.authenticator.create({ data: { userId: owner.userId, encryptedSecret: seal(encryptionKey, secret, `totp:user:${owner.userId}`), confirmedAt: new Date() } });
    expect(await verifyAuthenticatorCode({ db, encryptionKey, owner, code: codeAt(secret, new Date()) })).toEqual({ ok: true });
  });
});

describe('agents', () => {
  it('set up, confirm, verify, replay and replace the same way, sealed with totp:agent:<id>', async () => {
    const owner = await newAgentOwner();
    expect(await hasAuthenticator({ db, owner })).toBe(false);
    const { clock, secret, authenticatorId, verify } = await enrolled(owner);
    expect(await hasAuthenticator({ db, owner })).toBe(true);

    const row = await db.authenticator.findUniqueOrThrow({ where: { id: authenticatorId }, select: { userId: true, agentId: true, encryptedSecret: true } });
    expect(row).toMatchObject({ userId: null, agentId: owner.agentId });
    expect(open(encryptionKey, row.encryptedSecret, `totp:agent:${owner.agentId}`).equals(secret)).toBe(true);
    expect(() => open(encryptionKey, row.encryptedSecret, `totp:user:${owner.agentId}`)).toThrow();

    const code = codeAt(secret, clock.now());
    expect(await verify(code)).toEqual({ ok: true });
    expect(await verify(code)).toEqual({ ok: false, reason: 'replayed' });
    expect(await verify(codeAt(secret, clock.now(), 1))).toEqual({ ok: false, reason: 'wrong' });

    // A user with no authenticator is not affected by the agent's.
    expect(await verifyAuthenticatorCode({ db, encryptionKey, owner: await newUserOwner(), code, now: clock.now() })).toEqual({ ok: false, reason: 'no_authenticator' });

    const next = await beginAuthenticatorSetup({ db, encryptionKey, owner, accountName: 'agent@example.com' });
    const now = clock.now();
    const result = await confirmAuthenticatorSetup({ db, encryptionKey, owner, authenticatorId: next.authenticatorId, code: codeAt(base32Decode(next.setupKey), now), now });
    expect(result).toEqual({ replaced: true });
    expect(await db.authenticator.count({ where: { agentId: owner.agentId } })).toBe(1);
  });
});

describe('owners', () => {
  it('refuses an owner without an id rather than matching every row', async () => {
    const bad = [{ userId: undefined }, { agentId: '' }, { userId: 'not-a-uuid' }, {}] as unknown as AuthenticatorOwner[];
    for (const owner of bad) {
      await expect(hasAuthenticator({ db, owner })).rejects.toThrow();
    }
  });
});
