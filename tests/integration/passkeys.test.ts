import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '@/lib/errors';
import {
  deletePasskey,
  finishPasskeyRegistration,
  finishPasskeySignIn,
  listPasskeys,
  type PasskeyOwner,
  type RelyingParty,
  renamePasskey,
  revokeUnrecognisedPasskey,
  startPasskeyRegistration,
  startPasskeySignIn,
} from '@/lib/passkeys';
import { fixedClock } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { createUser } from '../support/factories';
import { type CeremonyTweaks, SoftAuthenticator, type SoftAuthenticatorKind } from '../support/soft-authenticator';

const { db } = await useTestDatabase();
const rp: RelyingParty = { rpId: 'regain.test', rpName: 'Regain', origin: 'https://regain.test' };
const START = '2026-05-01T10:00:00Z';
const FIVE_MINUTES = 300;

async function newUser(): Promise<{ userId: string }> {
  const user = await createUser(db);
  return { userId: user.id };
}

async function newAgent(): Promise<{ agentId: string }> {
  const agent = await db.agent.create({ data: { email: `agent-${randomBytes(4).toString('hex')}@example.com`, name: 'Test Agent' }, select: { id: true } });
  return { agentId: agent.id };
}

/** Start and finish a registration in one go; the authenticator answers at `now`. */
async function register(
  owner: PasskeyOwner,
  options: { kind?: SoftAuthenticatorKind; authenticator?: SoftAuthenticator; name?: string; now?: Date; tweaks?: CeremonyTweaks } = {},
) {
  const now = options.now ?? new Date(START);
  const authenticator = options.authenticator ?? new SoftAuthenticator({ kind: options.kind ?? 'this_device' });
  const creation = await startPasskeyRegistration({ db, rp, owner, userName: 'someone@example.com', displayName: 'Someone', now });
  const response = authenticator.register(creation, rp.origin, options.tweaks);
  const { passkey } = await finishPasskeyRegistration({ db, rp, owner, response, now, ...(options.name === undefined ? {} : { name: options.name }) });
  return { passkey, authenticator, creation };
}

/** A usernameless sign-in ceremony: options, the authenticator's answer, the check. */
async function signIn(authenticator: SoftAuthenticator, options: { now?: Date; tweaks?: CeremonyTweaks } = {}) {
  const now = options.now ?? new Date(START);
  const request = await startPasskeySignIn({ db, rp, now });
  const response = authenticator.signIn(request, rp.origin, options.tweaks);
  return finishPasskeySignIn({ db, rp, response, now });
}

/** The AppError a promise rejects with (fails the test if it resolves or throws anything else). */
async function appError(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

/**
 * Opens every pooled connection first, so simultaneous calls really run side by side instead of
 * queueing behind the one connection that happens to be open.
 */
async function warmPool() {
  await Promise.all(Array.from({ length: 10 }, () => db.$executeRaw`SELECT pg_sleep(0.02)`));
}

async function passkeyRows(owner: PasskeyOwner) {
  return db.passkeyCredential.findMany({ where: owner, orderBy: { createdAt: 'asc' } });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('registering a passkey (docs/security.md rules 7-9)', () => {
  it('asks for a discoverable, user-verified passkey with a fresh server-side challenge and an opaque user handle', async () => {
    const owner = await newUser();
    const now = new Date(START);
    const creation = await startPasskeyRegistration({ db, rp, owner, userName: 'ada@example.com', displayName: 'Ada', now });

    expect(creation.rp).toEqual({ id: 'regain.test', name: 'Regain' });
    expect(creation.authenticatorSelection).toMatchObject({ residentKey: 'required', requireResidentKey: true, userVerification: 'required' });
    expect(creation.attestation).toBe('none');
    expect(creation.pubKeyCredParams.map((p) => p.alg)).toContain(-7);
    expect(creation.timeout).toBe(FIVE_MINUTES * 1000);
    // Rule 7: at least 16 random bytes, kept on the server with its purpose, owner and 5-minute life.
    expect(Buffer.from(creation.challenge, 'base64url').length).toBeGreaterThanOrEqual(16);
    const stored = await db.webAuthnChallenge.findUniqueOrThrow({ where: { challenge: creation.challenge } });
    expect(stored).toMatchObject({ purpose: 'register', userId: owner.userId, agentId: null, consumedAt: null });
    expect(stored.expiresAt).toEqual(new Date(now.getTime() + FIVE_MINUTES * 1000));

    // The user handle is stable per owner, different between owners, and carries no email address.
    const handle = Buffer.from(creation.user.id, 'base64url');
    expect(handle.toString('utf8')).not.toContain('ada@example.com');
    expect(handle.length).toBeLessThanOrEqual(64);
    const again = await startPasskeyRegistration({ db, rp, owner, userName: 'ada@example.com', displayName: 'Ada', now });
    expect(again.user.id).toBe(creation.user.id);
    expect(again.challenge).not.toBe(creation.challenge);
    const other = await startPasskeyRegistration({ db, rp, owner: await newUser(), userName: 'ada@example.com', displayName: 'Ada', now });
    expect(other.user.id).not.toBe(creation.user.id);
    const agent = await startPasskeyRegistration({ db, rp, owner: await newAgent(), userName: 'agent@example.com', displayName: 'Agent', now });
    expect(agent.user.id).not.toBe(creation.user.id);
  });

  it('stores the verified credential and signs in with it (the whole ceremony)', async () => {
    const owner = await newUser();
    const clock = fixedClock(START);
    const { passkey, authenticator } = await register(owner, { now: clock.now() });

    expect(passkey).toEqual({ id: expect.any(String), name: 'Passkey on this device', kind: 'this_device', createdAt: clock.now(), lastUsedAt: null, backedUp: false });
    const [row] = await passkeyRows(owner);
    expect(row).toMatchObject({
      id: passkey.id,
      credentialId: authenticator.credentialId,
      counter: 0n,
      transports: ['internal'],
      deviceType: 'singleDevice',
      backupEligible: false,
      backedUp: false,
      agentId: null,
    });
    expect(Buffer.from(row!.publicKey).equals(Buffer.from(authenticator.cosePublicKey))).toBe(true);
    expect(row!.aaguid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const challenge = await db.webAuthnChallenge.findFirstOrThrow({ where: { userId: owner.userId, purpose: 'register' } });
    expect(challenge.consumedAt).toEqual(clock.now());

    clock.advance(3600);
    const result = await signIn(authenticator, { now: clock.now() });
    expect(result).toEqual({ ok: true, owner, passkeyId: passkey.id, name: 'Passkey on this device' });
    const used = await db.passkeyCredential.findUniqueOrThrow({ where: { id: passkey.id } });
    expect(used.counter).toBe(1n);
    expect(used.lastUsedAt).toEqual(clock.now());
    expect((await listPasskeys({ db, owner }))[0]?.lastUsedAt).toEqual(clock.now());
  });

  it('works for agents as well as account holders', async () => {
    const owner = await newAgent();
    const { passkey, authenticator } = await register(owner);
    expect(await signIn(authenticator)).toEqual({ ok: true, owner, passkeyId: passkey.id, name: passkey.name });
    expect(await listPasskeys({ db, owner })).toHaveLength(1);
  });

  it('names a passkey after its kind unless the person names it, and records the backup state', async () => {
    const owner = await newUser();
    const synced = await register(owner, { kind: 'synced' });
    const key = await register(owner, { kind: 'security_key' });
    const named = await register(owner, { name: '  Work \t laptop  ' });
    const blank = await register(owner, { name: '   ' });

    expect(synced.passkey).toMatchObject({ name: 'Synced passkey', kind: 'synced', backedUp: true });
    expect(key.passkey).toMatchObject({ name: 'Security key', kind: 'security_key', backedUp: false });
    expect(named.passkey).toMatchObject({ name: 'Work laptop', kind: 'this_device' });
    expect(blank.passkey.name).toBe('Passkey on this device');

    const rows = await passkeyRows(owner);
    const syncedRow = rows.find((r) => r.id === synced.passkey.id)!;
    expect(syncedRow).toMatchObject({ deviceType: 'multiDevice', backupEligible: true, backedUp: true, transports: ['hybrid', 'internal'] });
    expect(rows.find((r) => r.id === key.passkey.id)).toMatchObject({ deviceType: 'singleDevice', backupEligible: false, transports: ['nfc', 'usb'] });
    // No public key, credential id or counter leaves lib/passkeys.
    const listed = await listPasskeys({ db, owner });
    expect(listed.map((p) => p.name)).toEqual(['Synced passkey', 'Security key', 'Work laptop', 'Passkey on this device']);
    for (const summary of listed) expect(Object.keys(summary).sort()).toEqual(['backedUp', 'createdAt', 'id', 'kind', 'lastUsedAt', 'name']);
  });

  it('refuses a bad name without spending the challenge', async () => {
    const owner = await newUser();
    const now = new Date(START);
    const authenticator = new SoftAuthenticator();
    const creation = await startPasskeyRegistration({ db, rp, owner, userName: 'a@example.com', displayName: 'A', now });
    const response = authenticator.register(creation, rp.origin);

    for (const name of ['x'.repeat(61), 'bad\u0000name']) {
      const error = await appError(finishPasskeyRegistration({ db, rp, owner, response, name, now }));
      expect(error.code).toBe('validation_failed');
      expect(error.fieldErrors?.name).toBeDefined();
    }
    const { passkey } = await finishPasskeyRegistration({ db, rp, owner, response, name: 'é'.repeat(60), now });
    expect(passkey.name).toBe('é'.repeat(60));
  });

  it('uses a registration challenge once: a second finish with the same response is refused', async () => {
    const owner = await newUser();
    const now = new Date(START);
    const authenticator = new SoftAuthenticator();
    const creation = await startPasskeyRegistration({ db, rp, owner, userName: 'a@example.com', displayName: 'A', now });
    const response = authenticator.register(creation, rp.origin);

    await finishPasskeyRegistration({ db, rp, owner, response, now });
    const error = await appError(finishPasskeyRegistration({ db, rp, owner, response, now }));
    expect(error.code).toBe('conflict');
    expect(error.userMessage).toMatch(/expired or was already used/);
    expect(await passkeyRows(owner)).toHaveLength(1);
  });

  it('lets exactly one of 10 simultaneous finishes use the challenge', async () => {
    const owner = await newUser();
    const now = new Date(START);
    const creation = await startPasskeyRegistration({ db, rp, owner, userName: 'a@example.com', displayName: 'A', now });
    const response = new SoftAuthenticator().register(creation, rp.origin);

    await warmPool();
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => finishPasskeyRegistration({ db, rp, owner, response, now })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    // Every loser lost on the challenge, not later on the unique credential id.
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect(r.reason).toBeInstanceOf(AppError);
      expect((r.reason as AppError).userMessage).toMatch(/expired or was already used/);
    }
    expect(await passkeyRows(owner)).toHaveLength(1);
  });

  it('lets a registration challenge expire after 5 minutes', async () => {
    const owner = await newUser();
    const clock = fixedClock(START);
    const late = await startPasskeyRegistration({ db, rp, owner, userName: 'a@example.com', displayName: 'A', now: clock.now() });
    const inTime = await startPasskeyRegistration({ db, rp, owner, userName: 'a@example.com', displayName: 'A', now: clock.now() });

    clock.advance(FIVE_MINUTES - 1);
    await finishPasskeyRegistration({ db, rp, owner, response: new SoftAuthenticator().register(inTime, rp.origin), now: clock.now() });
    clock.advance(1);
    const error = await appError(finishPasskeyRegistration({ db, rp, owner, response: new SoftAuthenticator().register(late, rp.origin), now: clock.now() }));
    expect(error.code).toBe('conflict');
    expect(error.userMessage).toMatch(/expired/);
    expect(await passkeyRows(owner)).toHaveLength(1);
  });

  it.each<[string, CeremonyTweaks]>([
    ['another origin', { origin: 'https://regain.test.evil.example' }],
    ['another RP ID', { rpId: 'evil.example' }],
    ['no user verification', { userVerified: false }],
    ['no user presence', { userPresent: false }],
    ['a sign-in instead of a registration', { type: 'webauthn.get' }],
  ])('refuses a registration from %s', async (_case, tweaks) => {
    const owner = await newUser();
    const error = await appError(register(owner, { tweaks }));
    expect(error.code).toBe('validation_failed');
    expect(error.status).toBeLessThan(500);
    expect(error.userMessage).toMatch(/couldn't verify that passkey/);
    expect(await passkeyRows(owner)).toHaveLength(0);
  });

  it('binds a registration challenge to its owner and purpose', async () => {
    const alice = await newUser();
    const mallory = await newUser();
    const now = new Date(START);
    const creation = await startPasskeyRegistration({ db, rp, owner: alice, userName: 'alice@example.com', displayName: 'Alice', now });
    const response = new SoftAuthenticator().register(creation, rp.origin);
    expect((await appError(finishPasskeyRegistration({ db, rp, owner: mallory, response, now }))).code).toBe('conflict');

    // A sign-in challenge is not a registration challenge.
    const request = await startPasskeySignIn({ db, rp, now });
    const signedWithSignInChallenge = new SoftAuthenticator().register({ ...creation, challenge: request.challenge }, rp.origin);
    expect((await appError(finishPasskeyRegistration({ db, rp, owner: alice, response: signedWithSignInChallenge, now }))).code).toBe('conflict');

    expect(await passkeyRows(mallory)).toHaveLength(0);
    // Alice's own challenge was not spent by Mallory's attempt.
    await finishPasskeyRegistration({ db, rp, owner: alice, response, now });
    expect(await passkeyRows(alice)).toHaveLength(1);
  });

  it('excludes the owner’s credentials and refuses a credential id that is already registered (rule 9)', async () => {
    const alice = await newUser();
    const first = await register(alice, { kind: 'security_key' });
    const second = await register(alice, { kind: 'synced' });

    const creation = await startPasskeyRegistration({ db, rp, owner: alice, userName: 'alice@example.com', displayName: 'Alice', now: new Date(START) });
    expect(creation.excludeCredentials).toEqual([
      { id: first.authenticator.credentialId, type: 'public-key', transports: ['nfc', 'usb'] },
      { id: second.authenticator.credentialId, type: 'public-key', transports: ['hybrid', 'internal'] },
    ]);
    // A browser refuses on its own; a client that ignores the list is refused by the server.
    expect(() => first.authenticator.register(creation, rp.origin)).toThrow(/InvalidStateError/);
    const replay = first.authenticator.register(creation, rp.origin, { ignoreExcludeList: true });
    const error = await appError(finishPasskeyRegistration({ db, rp, owner: alice, response: replay, now: new Date(START) }));
    expect(error.code).toBe('conflict');
    expect(error.userMessage).toMatch(/already registered/);

    // The same credential cannot be added to another account either.
    const bob = await newUser();
    const onBob = await appError(register(bob, { authenticator: first.authenticator }));
    expect(onBob.userMessage).toMatch(/already registered/);
    expect(await passkeyRows(bob)).toHaveLength(0);
    expect(await passkeyRows(alice)).toHaveLength(2);
  });
});

describe('signing in with a passkey (rules 7, 8, 13)', () => {
  it('gives usernameless options that depend on no account', async () => {
    const now = new Date(START);
    const before = await startPasskeySignIn({ db, rp, now });
    const owner = await newUser();
    await register(owner);
    await register(await newAgent());
    const after = await startPasskeySignIn({ db, rp, now, purpose: 'authenticate' });

    for (const options of [before, after]) {
      expect(Object.keys(options).sort()).toEqual(['challenge', 'rpId', 'timeout', 'userVerification']);
      expect(options).not.toHaveProperty('allowCredentials');
      expect(Buffer.from(options.challenge, 'base64url').length).toBeGreaterThanOrEqual(16);
      const stored = await db.webAuthnChallenge.findUniqueOrThrow({ where: { challenge: options.challenge } });
      expect(stored).toMatchObject({ purpose: 'authenticate', userId: null, agentId: null });
      expect(stored.expiresAt).toEqual(new Date(now.getTime() + FIVE_MINUTES * 1000));
    }
    expect({ ...after, challenge: '' }).toEqual({ ...before, challenge: '' });
    expect(JSON.stringify({ ...after, challenge: '' })).toBe(JSON.stringify({ ...before, challenge: '' }));
    expect(after.userVerification).toBe('required');
    expect(after.challenge).not.toBe(before.challenge);
  });

  it('uses a sign-in challenge once', async () => {
    const owner = await newUser();
    const { authenticator } = await register(owner, { kind: 'synced' });
    const now = new Date(START);
    const request = await startPasskeySignIn({ db, rp, now });
    const response = authenticator.signIn(request, rp.origin);

    expect((await finishPasskeySignIn({ db, rp, response, now })).ok).toBe(true);
    expect(await finishPasskeySignIn({ db, rp, response, now })).toEqual({ ok: false, reason: 'expired_challenge' });
  });

  it('lets exactly one of 10 simultaneous finishes sign in', async () => {
    // A synced passkey's counter stays 0, so only the challenge can stop the copies.
    const owner = await newUser();
    const { authenticator } = await register(owner, { kind: 'synced' });
    const now = new Date(START);
    const request = await startPasskeySignIn({ db, rp, now });
    const response = authenticator.signIn(request, rp.origin);

    await warmPool();
    const results = await Promise.all(Array.from({ length: 10 }, () => finishPasskeySignIn({ db, rp, response, now })));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.reason))).toEqual(Array(9).fill('expired_challenge'));
  });

  it('lets a sign-in challenge expire after 5 minutes', async () => {
    const owner = await newUser();
    const { authenticator } = await register(owner);
    const clock = fixedClock(START);
    const late = await startPasskeySignIn({ db, rp, now: clock.now() });
    const inTime = await startPasskeySignIn({ db, rp, now: clock.now() });

    clock.advance(FIVE_MINUTES - 1);
    expect((await finishPasskeySignIn({ db, rp, response: authenticator.signIn(inTime, rp.origin), now: clock.now() })).ok).toBe(true);
    clock.advance(1);
    expect(await finishPasskeySignIn({ db, rp, response: authenticator.signIn(late, rp.origin), now: clock.now() })).toEqual({ ok: false, reason: 'expired_challenge' });
  });

  it.each<[string, CeremonyTweaks]>([
    ['another origin', { origin: 'https://evil.example' }],
    ['another RP ID', { rpId: 'evil.example' }],
    ['no user verification', { userVerified: false }],
    ['no user presence', { userPresent: false }],
    ['a registration instead of a sign-in', { type: 'webauthn.create' }],
    ['a wrong signature', { corruptSignature: true }],
    ["another account's user handle", { userHandle: Buffer.from([1, ...randomBytes(16)]).toString('base64url') }],
  ])('refuses a sign-in from %s and leaves the passkey unused', async (_case, tweaks) => {
    const owner = await newUser();
    const { authenticator, passkey } = await register(owner);
    expect(await signIn(authenticator, { tweaks })).toEqual({ ok: false, reason: 'invalid' });
    const row = await db.passkeyCredential.findUniqueOrThrow({ where: { id: passkey.id } });
    expect(row.counter).toBe(0n);
    expect(row.lastUsedAt).toBeNull();
    // The genuine answer still works (and the refusal spent only its own challenge).
    expect((await signIn(authenticator)).ok).toBe(true);
  });

  it('answers a passkey nobody registered with unknown_credential', async () => {
    expect(await signIn(new SoftAuthenticator())).toEqual({ ok: false, reason: 'unknown_credential' });
  });

  it('flags a counter that goes backwards as a possible clone, logs it and does not sign in (rule 8)', async () => {
    const owner = await newUser();
    const clock = fixedClock(START);
    const { authenticator, passkey } = await register(owner, { now: clock.now() });
    const clone = authenticator.clone();
    expect((await signIn(authenticator, { now: clock.now() })).ok).toBe(true); // counter 1
    expect((await signIn(authenticator, { now: clock.now() })).ok).toBe(true); // counter 2
    const lastUsed = clock.now();

    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    clock.advance(60);
    // The clone still believes the counter is 0: it signs 1, which is below the stored 2.
    expect(await signIn(clone, { now: clock.now() })).toEqual({ ok: false, reason: 'counter_regression', owner, passkeyId: passkey.id });
    // The same counter again is a regression too (WebAuthn §7.2 step 22), and so is 0 after 2.
    expect((await signIn(authenticator, { now: clock.now(), tweaks: { counter: 2 } })).ok).toBe(false);
    expect(await signIn(authenticator, { now: clock.now(), tweaks: { counter: 0 } })).toMatchObject({ ok: false, reason: 'counter_regression' });

    const warnings = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'passkey_counter_regression');
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatchObject({ level: 'warn', passkeyId: passkey.id, storedCounter: '2', receivedCounter: '1' });
    // Nothing secret in the log line: no key, no signature, no challenge.
    expect(lines.join('')).not.toContain(authenticator.credentialId);
    expect(lines.join('')).not.toContain(Buffer.from(authenticator.cosePublicKey).toString('base64'));

    const row = await db.passkeyCredential.findUniqueOrThrow({ where: { id: passkey.id } });
    expect(row.counter).toBe(2n);
    expect(row.lastUsedAt).toEqual(lastUsed);
    expect((await signIn(authenticator, { now: clock.now() })).ok).toBe(true); // counter 3 moves on
  });

  it('does not raise a clone alert for a forged response with a low counter', async () => {
    const owner = await newUser();
    const { authenticator } = await register(owner);
    expect((await signIn(authenticator)).ok).toBe(true);
    expect((await signIn(authenticator)).ok).toBe(true);
    const warn = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    // Anyone who knows a credential id can send a low counter; only a valid signature makes it a clone.
    expect(await signIn(authenticator, { tweaks: { counter: 1, corruptSignature: true } })).toEqual({ ok: false, reason: 'invalid' });
    expect(warn.mock.calls.map(([chunk]) => String(chunk)).join('')).not.toContain('passkey_counter_regression');
  });

  it('keeps signing in synced passkeys whose counter is always 0', async () => {
    const owner = await newUser();
    const { authenticator } = await register(owner, { kind: 'synced' });
    expect((await signIn(authenticator)).ok).toBe(true);
    expect((await signIn(authenticator)).ok).toBe(true);
  });
});

describe('step-up with a passkey (rule 17)', () => {
  it('lists only the owner’s passkeys and refuses someone else’s', async () => {
    const alice = await newUser();
    const bob = await newUser();
    const mine = await register(alice, { kind: 'security_key' });
    const theirs = await register(bob);
    const now = new Date(START);

    const request = await startPasskeySignIn({ db, rp, now, purpose: 'step-up', owner: alice });
    expect(request.allowCredentials).toEqual([{ id: mine.authenticator.credentialId, type: 'public-key', transports: ['nfc', 'usb'] }]);
    expect(request.userVerification).toBe('required');
    const stored = await db.webAuthnChallenge.findUniqueOrThrow({ where: { challenge: request.challenge } });
    expect(stored).toMatchObject({ purpose: 'step-up', userId: alice.userId });

    const foreign = theirs.authenticator.signIn(request, rp.origin, { ignoreAllowList: true });
    expect(await finishPasskeySignIn({ db, rp, response: foreign, now, purpose: 'step-up', owner: alice })).toEqual({ ok: false, reason: 'wrong_owner' });
    expect((await db.passkeyCredential.findUniqueOrThrow({ where: { id: theirs.passkey.id } })).lastUsedAt).toBeNull();

    const again = await startPasskeySignIn({ db, rp, now, purpose: 'step-up', owner: alice });
    const result = await finishPasskeySignIn({ db, rp, response: mine.authenticator.signIn(again, rp.origin), now, purpose: 'step-up', owner: alice });
    expect(result).toEqual({ ok: true, owner: alice, passkeyId: mine.passkey.id, name: 'Security key' });
  });

  it('binds a step-up challenge to its owner and keeps it apart from sign-in challenges', async () => {
    const alice = await newUser();
    const bob = await newUser();
    const { authenticator } = await register(alice);
    await register(bob);
    const now = new Date(START);

    // Alice's step-up challenge cannot serve Bob's step-up, nor a usernameless sign-in.
    const aliceStepUp = await startPasskeySignIn({ db, rp, now, purpose: 'step-up', owner: alice });
    const answer = authenticator.signIn(aliceStepUp, rp.origin);
    expect(await finishPasskeySignIn({ db, rp, response: answer, now, purpose: 'step-up', owner: bob })).toEqual({ ok: false, reason: 'expired_challenge' });
    expect(await finishPasskeySignIn({ db, rp, response: answer, now })).toEqual({ ok: false, reason: 'expired_challenge' });
    expect(await finishPasskeySignIn({ db, rp, response: answer, now, purpose: 'recovery', owner: alice })).toEqual({ ok: false, reason: 'expired_challenge' });
    // A usernameless challenge cannot serve a step-up.
    const usernameless = await startPasskeySignIn({ db, rp, now });
    const other = authenticator.signIn(usernameless, rp.origin);
    expect(await finishPasskeySignIn({ db, rp, response: other, now, purpose: 'step-up', owner: alice })).toEqual({ ok: false, reason: 'expired_challenge' });
    // The right owner and purpose still work with the untouched challenge.
    expect((await finishPasskeySignIn({ db, rp, response: answer, now, purpose: 'step-up', owner: alice })).ok).toBe(true);
  });

  it('says so when the owner has no passkey to step up with', async () => {
    const error = await appError(startPasskeySignIn({ db, rp, now: new Date(START), purpose: 'step-up', owner: await newUser() }));
    expect(error.code).toBe('conflict');
  });
});

describe('managing passkeys (rule 9, no IDOR)', () => {
  it('renames only the owner’s own passkey', async () => {
    const alice = await newUser();
    const bob = await newUser();
    const { passkey } = await register(alice);

    const renamed = await renamePasskey({ db, owner: alice, passkeyId: passkey.id, name: '  Phone  ' });
    expect(renamed.passkey).toMatchObject({ id: passkey.id, name: 'Phone' });
    for (const passkeyId of [passkey.id, '00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const error = await appError(renamePasskey({ db, owner: bob, passkeyId, name: 'Mine now' }));
      expect(error.code).toBe('not_found');
    }
    expect((await appError(renamePasskey({ db, owner: alice, passkeyId: passkey.id, name: ' ' }))).code).toBe('validation_failed');
    expect((await appError(renamePasskey({ db, owner: alice, passkeyId: passkey.id, name: 'y'.repeat(61) }))).code).toBe('validation_failed');
    expect((await listPasskeys({ db, owner: alice }))[0]?.name).toBe('Phone');
  });

  it('deletes only the owner’s own passkey and never the last one', async () => {
    const alice = await newUser();
    const bob = await newUser();
    const first = await register(alice);
    const second = await register(alice, { kind: 'synced' });
    await register(bob);

    expect((await appError(deletePasskey({ db, owner: bob, passkeyId: first.passkey.id }))).code).toBe('not_found');
    expect((await appError(revokeUnrecognisedPasskey({ db, owner: bob, passkeyId: first.passkey.id, now: new Date(START) }))).code).toBe('not_found');
    expect(await passkeyRows(alice)).toHaveLength(2);

    const removed = await deletePasskey({ db, owner: alice, passkeyId: first.passkey.id });
    expect(removed).toEqual({ removed: { ...first.passkey }, remaining: 1 });
    const error = await appError(deletePasskey({ db, owner: alice, passkeyId: second.passkey.id }));
    expect(error.code).toBe('conflict');
    expect(error.userMessage).toMatch(/must remain/);
    expect(error.userMessage).toMatch(/Add another passkey first/);
    expect((await passkeyRows(alice)).map((r) => r.id)).toEqual([second.passkey.id]);
    // A deleted passkey no longer signs in.
    expect(await signIn(first.authenticator)).toEqual({ ok: false, reason: 'unknown_credential' });
  });

  it('leaves one passkey when the last two are deleted at the same moment', async () => {
    for (let round = 0; round < 5; round++) {
      const owner = await newUser();
      const a = await register(owner);
      const b = await register(owner);
      await warmPool();
      const results = await Promise.allSettled([
        deletePasskey({ db, owner, passkeyId: a.passkey.id }),
        deletePasskey({ db, owner, passkeyId: b.passkey.id }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r) => r.status === 'rejected');
      expect((refused as PromiseRejectedResult).reason).toBeInstanceOf(AppError);
      expect(((refused as PromiseRejectedResult).reason as AppError).code).toBe('conflict');
      expect(await passkeyRows(owner)).toHaveLength(1);
    }
  });

  it('revokes an unrecognised passkey even if it is the last, and ends ceremonies under way', async () => {
    const owner = await newUser();
    const { passkey, authenticator } = await register(owner);
    const now = new Date(START);
    const pendingRegistration = await startPasskeyRegistration({ db, rp, owner, userName: 'a@example.com', displayName: 'A', now });
    const pendingStepUp = await startPasskeySignIn({ db, rp, now, purpose: 'step-up', owner });

    const removed = await revokeUnrecognisedPasskey({ db, owner, passkeyId: passkey.id, now });
    expect(removed).toEqual(passkey);
    expect(await passkeyRows(owner)).toHaveLength(0);
    expect(await signIn(authenticator)).toEqual({ ok: false, reason: 'unknown_credential' });

    const attacker = new SoftAuthenticator();
    expect((await appError(finishPasskeyRegistration({ db, rp, owner, response: attacker.register(pendingRegistration, rp.origin), now }))).code).toBe('conflict');
    expect(await finishPasskeySignIn({ db, rp, response: authenticator.signIn(pendingStepUp, rp.origin), now, purpose: 'step-up', owner })).toEqual({
      ok: false,
      reason: 'expired_challenge',
    });
  });
});

describe('hostile response bodies never cause a server error', () => {
  const b64 = (value: string) => Buffer.from(value, 'utf8').toString('base64url');
  const clientDataWith = (challenge: unknown) => b64(JSON.stringify({ type: 'webauthn.get', challenge, origin: rp.origin }));

  it('answers every malformed sign-in body with ok:false', async () => {
    const owner = await newUser();
    const { authenticator } = await register(owner);
    const now = new Date(START);
    const genuine = authenticator.signIn(await startPasskeySignIn({ db, rp, now }), rp.origin);
    const live = await startPasskeySignIn({ db, rp, now });
    const withLiveChallenge = (response: Record<string, unknown>) => ({
      ...genuine,
      response: { ...genuine.response, clientDataJSON: clientDataWith(live.challenge), ...response },
    });

    const bodies: unknown[] = [
      undefined,
      null,
      'garbage',
      42,
      [],
      [genuine],
      {},
      { ...genuine, id: 42 },
      { ...genuine, rawId: `${genuine.id}x` },
      { ...genuine, type: 'password' },
      { ...genuine, response: null },
      { ...genuine, response: 'nope' },
      { ...genuine, id: 'a\u0000b', rawId: 'a\u0000b' },
      { ...genuine, id: 'x'.repeat(100_000), rawId: 'x'.repeat(100_000) },
      { ...genuine, response: { ...genuine.response, clientDataJSON: '!!not base64!!' } },
      { ...genuine, response: { ...genuine.response, clientDataJSON: b64('not json') } },
      { ...genuine, response: { ...genuine.response, clientDataJSON: b64('null') } },
      { ...genuine, response: { ...genuine.response, clientDataJSON: clientDataWith(123) } },
      { ...genuine, response: { ...genuine.response, clientDataJSON: clientDataWith({ $ne: null }) } },
      { ...genuine, response: { ...genuine.response, clientDataJSON: clientDataWith('a\u0000b') } },
      { ...genuine, response: { ...genuine.response, clientDataJSON: clientDataWith('c'.repeat(5000)) } },
      { ...genuine, response: { ...genuine.response, signature: 12 } },
      { ...genuine, response: { ...genuine.response, userHandle: ['x'] } },
      JSON.parse('{"__proto__": {"ok": true}, "id": "abc"}'),
      // A live challenge and a known credential, with broken insides: verification must fail softly.
      withLiveChallenge({ authenticatorData: b64('short') }),
    ];
    for (const response of bodies) {
      const result = await finishPasskeySignIn({ db, rp, response, now });
      expect(result.ok).toBe(false);
      expect(['invalid', 'expired_challenge']).toContain(result.ok ? '' : result.reason);
    }
    for (const bad of [{ signature: b64('not der') }, { authenticatorData: genuine.response.authenticatorData.slice(0, 40) }]) {
      const request = await startPasskeySignIn({ db, rp, now });
      const response = { ...genuine, response: { ...genuine.response, clientDataJSON: clientDataWith(request.challenge), ...bad } };
      expect(await finishPasskeySignIn({ db, rp, response, now })).toEqual({ ok: false, reason: 'invalid' });
    }
    // The genuine response is untouched by all of the above.
    expect((await finishPasskeySignIn({ db, rp, response: genuine, now })).ok).toBe(true);
  });

  it('refuses every malformed registration body with a 4xx AppError', async () => {
    const owner = await newUser();
    const now = new Date(START);
    const creation = await startPasskeyRegistration({ db, rp, owner, userName: 'a@example.com', displayName: 'A', now });
    const genuine = new SoftAuthenticator().register(creation, rp.origin);
    const bodies: unknown[] = [
      null,
      'garbage',
      {},
      { ...genuine, rawId: 'other' },
      { ...genuine, response: { ...genuine.response, attestationObject: 7 } },
      { ...genuine, response: { ...genuine.response, transports: 'usb' } },
      { ...genuine, response: { ...genuine.response, transports: [{}] } },
      { ...genuine, response: { ...genuine.response, clientDataJSON: b64('{') } },
    ];
    for (const response of bodies) {
      const error = await appError(finishPasskeyRegistration({ db, rp, owner, response, now }));
      expect(error.status).toBeLessThan(500);
    }
    // A live challenge with a broken attestation object spends the challenge and is still a 4xx.
    const live = await startPasskeyRegistration({ db, rp, owner, userName: 'a@example.com', displayName: 'A', now });
    const broken = new SoftAuthenticator().register(live, rp.origin);
    const error = await appError(finishPasskeyRegistration({ db, rp, owner, response: { ...broken, response: { ...broken.response, attestationObject: b64('nope') } }, now }));
    expect(error.code).toBe('validation_failed');
    // None of it spent the genuine challenge.
    await finishPasskeyRegistration({ db, rp, owner, response: genuine, now });
    expect(await passkeyRows(owner)).toHaveLength(1);
  });
});
