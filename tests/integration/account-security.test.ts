import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyAuditChain } from '@/lib/audit';
import { base32Decode, totp } from '@/lib/authenticator/totp';
import { seal } from '@/lib/crypto';
import { getActiveHold } from '@/lib/holds';
import { finishPasskeyRegistration, startPasskeyRegistration, startPasskeySignIn } from '@/lib/passkeys';
import {
  beginAuthenticatorLink,
  confirmAuthenticatorLink,
  removePasskey,
  reportUnrecognisedActivity,
  reportUnrecognisedPasskey,
  signOutDevice,
  type Actor,
  type ChangeDeps,
} from '@/lib/sessions/changes';
import { hashPassword } from '@/lib/sessions/password';
import { assertRecentAuth, FRESH_AUTH_MINUTES, signInWithPasskey, signInWithPassword, stepUp, validateSession } from '@/lib/sessions/sign-in';
import { capturingDelivery } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { createUser, nextIp } from '../support/factories';
import { SoftAuthenticator } from '../support/soft-authenticator';

const { db } = await useTestDatabase();
const rp = { rpId: 'localhost', rpName: 'Regain', origin: 'http://localhost:3000' };
const keys = { hmacKey: randomBytes(32), encryptionKey: randomBytes(32) };
const signInDeps = { db, ...keys, rp, delivery: capturingDelivery().delivery };
const PASSWORD = 'correct horse battery staple';
const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Chrome/142.0';

/** An account with a password, an authenticator (secret known here) and optionally a passkey. */
async function account(options: { passkey?: boolean } = {}) {
  const user = await createUser(db);
  const secret = randomBytes(20);
  await db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(PASSWORD) } });
  await db.authenticator.create({ data: { userId: user.id, encryptedSecret: seal(keys.encryptionKey, secret, `totp:user:${user.id}`), confirmedAt: new Date() } });
  const device = new SoftAuthenticator({ kind: 'this_device' });
  if (options.passkey) await registerPasskey(user.id, device);
  return { user, secret, device };
}

async function registerPasskey(userId: string, device: SoftAuthenticator, now = new Date()) {
  const options = await startPasskeyRegistration({ db, rp, owner: { userId }, userName: 'x@example.com', displayName: 'X', now });
  return finishPasskeyRegistration({ db, rp, owner: { userId }, response: device.register(options, rp.origin), now });
}

async function passkeyAnswer(device: SoftAuthenticator, now: Date) {
  return device.signIn(await startPasskeySignIn({ db, rp, now, purpose: 'authenticate' }), rp.origin);
}

async function signedIn(a: Awaited<ReturnType<typeof account>>, now: Date, ip = nextIp()) {
  const session = await signInWithPassword(signInDeps, {
    email: a.user.email,
    password: PASSWORD,
    secondFactor: { kind: 'totp', code: totp(a.secret, { time: now }) },
    ip,
    userAgent: UA,
    deviceToken: undefined,
    now,
  });
  const actor: Actor = { userId: a.user.id, sessionId: session.sessionId, ip, userAgent: UA };
  return { session, actor };
}

function changeDeps(now: Date) {
  const captured = capturingDelivery();
  const deps: ChangeDeps = { db, ...keys, rp, delivery: captured.delivery, now };
  return { deps, sent: captured.sent };
}

describe('passkey sign-in (docs/security.md rules 7, 8, 13)', () => {
  it('signs in with a passkey alone and records the method', async () => {
    const a = await account({ passkey: true });
    const now = new Date();
    const result = await signInWithPasskey(signInDeps, { response: await passkeyAnswer(a.device, now), ip: nextIp(), userAgent: UA, deviceToken: undefined, now });
    expect(result.userId).toBe(a.user.id);
    expect(await validateSession(db, { sessionId: result.sessionId, sessionVersion: result.sessionVersion }, now)).toEqual({ kind: 'user', userId: a.user.id });
    expect(await db.signInEvent.findFirst({ where: { userId: a.user.id }, select: { method: true, result: true } })).toEqual({ method: 'passkey', result: 'SUCCESS' });
  });

  it('refuses a replayed answer and a cloned authenticator, and audits the clone', async () => {
    const a = await account({ passkey: true });
    const now = new Date();
    const answer = await passkeyAnswer(a.device, now);
    const request = { ip: nextIp(), userAgent: UA, deviceToken: undefined, now };
    await signInWithPasskey(signInDeps, { ...request, response: answer });
    await expect(signInWithPasskey(signInDeps, { ...request, response: answer })).rejects.toMatchObject({ code: 'unauthorized' });

    const clone = a.device.clone();
    clone.counter = 0; // the copy's counter is behind the original's
    await expect(signInWithPasskey(signInDeps, { ...request, response: await passkeyAnswer(clone, now) })).rejects.toMatchObject({ code: 'unauthorized' });
    expect(await db.signInEvent.count({ where: { result: 'BLOCKED', reason: 'counter_regression' } })).toBeGreaterThan(0);
    expect(await db.auditEvent.count({ where: { action: 'passkey.counter_regression' } })).toBeGreaterThan(0);
  });

  it('as a second factor, accepts only a passkey of the account whose password was given', async () => {
    const a = await account({ passkey: true });
    const b = await account({ passkey: true });
    const now = new Date();
    const attempt = async (device: SoftAuthenticator) =>
      signInWithPassword(signInDeps, {
        email: a.user.email,
        password: PASSWORD,
        secondFactor: { kind: 'passkey', response: await passkeyAnswer(device, now) },
        ip: nextIp(),
        userAgent: UA,
        deviceToken: undefined,
        now,
      });
    await expect(attempt(b.device)).rejects.toMatchObject({ userMessage: 'The email, password or code is not right.' });
    expect((await attempt(a.device)).userId).toBe(a.user.id);
  });
});

describe('fresh authentication for changes (docs/security.md rules 15, 17)', () => {
  it('asks for a step-up after 5 minutes; the step-up renews the session and allows the change', async () => {
    const a = await account({ passkey: true });
    await registerPasskey(a.user.id, new SoftAuthenticator({ kind: 'security_key' }));
    const t0 = new Date();
    const { session, actor } = await signedIn(a, t0);
    await assertRecentAuth(db, { ...actor, now: new Date(t0.getTime() + (FRESH_AUTH_MINUTES * 60 - 1) * 1000) });

    const later = new Date(t0.getTime() + (FRESH_AUTH_MINUTES * 60 + 1) * 1000);
    const [first] = await db.passkeyCredential.findMany({ where: { userId: a.user.id }, select: { id: true }, orderBy: { createdAt: 'asc' } });
    await expect(removePasskey(changeDeps(later).deps, actor, { passkeyId: first!.id })).rejects.toMatchObject({ code: 'reauthentication_required', status: 403 });
    expect(await db.passkeyCredential.count({ where: { userId: a.user.id } })).toBe(2);

    await expect(
      stepUp(signInDeps, { ...actor, deviceToken: undefined, now: later, factor: { kind: 'totp', code: '000000' } }),
    ).rejects.toMatchObject({ code: 'unauthorized' });
    const renewed = await stepUp(signInDeps, { ...actor, deviceToken: undefined, now: later, factor: { kind: 'totp', code: totp(a.secret, { time: later }) } });
    expect(renewed.sessionId).not.toBe(session.sessionId);
    expect(await validateSession(db, { sessionId: session.sessionId, sessionVersion: session.sessionVersion }, later)).toBeNull();

    await removePasskey(changeDeps(later).deps, { ...actor, sessionId: renewed.sessionId }, { passkeyId: first!.id });
    expect(await db.passkeyCredential.count({ where: { userId: a.user.id } })).toBe(1);
  });

  it('a step-up with a passkey accepts only the account’s own passkey', async () => {
    const a = await account({ passkey: true });
    const b = await account({ passkey: true });
    const now = new Date();
    const { actor } = await signedIn(a, now);
    const options = await startPasskeySignIn({ db, rp, now, purpose: 'step-up', owner: { userId: a.user.id } });
    const foreign = b.device.signIn(options, rp.origin, { ignoreAllowList: true });
    await expect(stepUp(signInDeps, { ...actor, deviceToken: undefined, now, factor: { kind: 'passkey', response: foreign } })).rejects.toMatchObject({ code: 'unauthorized' });
    const own = a.device.signIn(await startPasskeySignIn({ db, rp, now, purpose: 'step-up', owner: { userId: a.user.id } }), rp.origin);
    expect((await stepUp(signInDeps, { ...actor, deviceToken: undefined, now, factor: { kind: 'passkey', response: own } })).userId).toBe(a.user.id);
  });
});

describe('changes to factors and devices (rules 9, 11, 20)', () => {
  it('"I don\'t recognise this passkey" removes even the last one, ends other sessions, starts the hold and notifies', async () => {
    const a = await account({ passkey: true });
    const now = new Date();
    const other = await signedIn(a, now);
    const mine = await signedIn(a, new Date(now.getTime() + 30_000));
    const [passkey] = await db.passkeyCredential.findMany({ where: { userId: a.user.id }, select: { id: true } });
    const { deps, sent } = changeDeps(mine.session ? new Date(now.getTime() + 31_000) : now);

    const result = await reportUnrecognisedPasskey(deps, mine.actor, { passkeyId: passkey!.id });
    expect(await db.passkeyCredential.count({ where: { userId: a.user.id } })).toBe(0);
    expect(await validateSession(db, { sessionId: other.session.sessionId, sessionVersion: other.session.sessionVersion }, deps.now)).toBeNull();
    expect(await validateSession(db, { sessionId: mine.session.sessionId, sessionVersion: mine.session.sessionVersion }, deps.now)).not.toBeNull();
    expect((await getActiveHold({ db, userId: a.user.id, now: deps.now }))?.endsAt).toEqual(result.holdEndsAt);
    expect(result.holdEndsAt.getTime() - deps.now.getTime()).toBe(24 * 3600 * 1000);
    const events = await db.webhookDelivery.findMany({ where: { payload: { path: ['accountId'], equals: a.user.id } }, select: { event: true } });
    expect(events.map((e) => e.event).sort()).toEqual(['factor.changed', 'hold.started']);
    expect(sent.map((m) => m.channel).sort()).toEqual(['email', 'sms']);
    expect(sent.find((m) => m.channel === 'email')?.text).toMatch(/held until/i);
    expect(await db.auditEvent.count({ where: { action: 'passkey.revoked', subjectId: passkey!.id } })).toBe(1);
    expect(await verifyAuditChain({ db })).toMatchObject({ ok: true });
  });

  it('deleting the last passkey is refused and nothing is announced', async () => {
    const a = await account({ passkey: true });
    const now = new Date();
    const { actor } = await signedIn(a, now);
    const [passkey] = await db.passkeyCredential.findMany({ where: { userId: a.user.id }, select: { id: true } });
    const { deps, sent } = changeDeps(now);
    await expect(removePasskey(deps, actor, { passkeyId: passkey!.id })).rejects.toMatchObject({ code: 'conflict' });
    expect(sent).toEqual([]);
    expect(await db.webhookDelivery.count({ where: { payload: { path: ['accountId'], equals: a.user.id } } })).toBe(0);
  });

  it('linking a first authenticator starts no hold; replacing one starts the 24-hour hold', async () => {
    const a = await account();
    const now = new Date();
    const { actor } = await signedIn(a, now);
    const { deps, sent } = changeDeps(now);
    const setup = await beginAuthenticatorLink(deps, actor);
    const result = await confirmAuthenticatorLink(deps, actor, { authenticatorId: setup.authenticatorId, code: totp(base32Decode(setup.setupKey), { time: now }) });
    expect(result.replaced).toBe(true);
    expect(await getActiveHold({ db, userId: a.user.id, now })).not.toBeNull();
    expect(sent.length).toBe(2);

    const fresh = await createUser(db);
    const freshSession = await db.session.create({ data: { userId: fresh.id, method: 'passkey', expiresAt: new Date(now.getTime() + 3600_000), authAt: now } });
    const freshActor: Actor = { userId: fresh.id, sessionId: freshSession.id, ip: nextIp(), userAgent: UA };
    const first = await beginAuthenticatorLink(deps, freshActor);
    expect((await confirmAuthenticatorLink(deps, freshActor, { authenticatorId: first.authenticatorId, code: totp(base32Decode(first.setupKey), { time: now }) })).replaced).toBe(false);
    expect(await getActiveHold({ db, userId: fresh.id, now })).toBeNull();
  });

  it('signs a device out, but never another account’s device (no IDOR)', async () => {
    const a = await account();
    const b = await account();
    const now = new Date();
    const aSession = await signedIn(a, now);
    const bSession = await signedIn(b, now);
    const bDevice = (await db.session.findUniqueOrThrow({ where: { id: bSession.session.sessionId }, select: { deviceId: true } })).deviceId!;
    const { deps } = changeDeps(now);
    await expect(signOutDevice(deps, aSession.actor, { deviceId: bDevice })).rejects.toMatchObject({ code: 'not_found' });
    await expect(signOutDevice(deps, aSession.actor, { deviceId: 'not-a-uuid' })).rejects.toMatchObject({ code: 'not_found' });
    expect(await validateSession(db, { sessionId: bSession.session.sessionId, sessionVersion: bSession.session.sessionVersion }, now)).not.toBeNull();

    await signOutDevice(deps, bSession.actor, { deviceId: bDevice });
    expect(await validateSession(db, { sessionId: bSession.session.sessionId, sessionVersion: bSession.session.sessionVersion }, now)).toBeNull();
    expect(await db.trustedDevice.findUniqueOrThrow({ where: { id: bDevice }, select: { revokedAt: true, tokenHash: true } })).toEqual({ revokedAt: now, tokenHash: null });
  });

  it('"this wasn\'t me" ends every other session, untrusts other devices, keeps this one and starts the hold', async () => {
    const a = await account();
    const now = new Date();
    const other = await signedIn(a, now);
    const mine = await signedIn(a, new Date(now.getTime() + 30_000));
    const { deps, sent } = changeDeps(new Date(now.getTime() + 31_000));
    const result = await reportUnrecognisedActivity(deps, mine.actor);
    expect(result.sessionsEnded).toBe(1);
    expect(result.devicesRemoved).toBe(1);
    expect(await validateSession(db, { sessionId: other.session.sessionId, sessionVersion: other.session.sessionVersion }, deps.now)).toBeNull();
    expect(await validateSession(db, { sessionId: mine.session.sessionId, sessionVersion: mine.session.sessionVersion }, deps.now)).not.toBeNull();
    expect(await db.trustedDevice.count({ where: { userId: a.user.id, revokedAt: null } })).toBe(1);
    expect(await getActiveHold({ db, userId: a.user.id, now: deps.now })).toMatchObject({ reasons: ['unrecognised_activity'] });
    expect(sent.map((m) => m.channel).sort()).toEqual(['email', 'sms']);
  });
});
