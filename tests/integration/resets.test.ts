import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base32Decode, totp } from '@/lib/authenticator/totp';
import { verifyAuthenticatorCode } from '@/lib/authenticator';
import { seal } from '@/lib/crypto';
import { getActiveHold } from '@/lib/holds';
import { finishPasskeyRegistration, startPasskeyRegistration } from '@/lib/passkeys';
import { createTrustedDevice } from '@/lib/sessions/devices';
import { type Approver, decideApproval, listApprovalRequests } from '@/lib/sessions/approvals';
import { APPROVAL_TTL_SECONDS } from '@/lib/verification/policy';
import {
  askTrustedDevice,
  beginAuthenticatorRebind,
  beginContactRebind,
  beginPasskeyRebind,
  beginReset,
  checkTrustedDevice,
  finishContactRebind,
  finishAuthenticatorRebind,
  finishPasskeyRebind,
  getResetView,
  passkeyProofOptions,
  preselectLostFactor,
  proveWithAuthenticator,
  proveWithPasskey,
  RESET_MAX_ATTEMPTS,
  type ResetDeps,
} from '@/lib/recovery/resets';
import { capturingDelivery } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { createUser } from '../support/factories';
import { SoftAuthenticator } from '../support/soft-authenticator';

const { db } = await useTestDatabase();
const rp = { rpId: 'localhost', rpName: 'Regain', origin: 'http://localhost:3000' };
const encryptionKey = randomBytes(32);
const hmacKey = randomBytes(32);

function deps(now = new Date()) {
  const captured = capturingDelivery();
  const value: ResetDeps = { db, encryptionKey, rp, delivery: captured.delivery, now };
  return { ...value, sent: captured.sent };
}

/** An account holder with what the test asks for, and a recovery code verified through `channel`. */
async function holder(options: { authenticator?: boolean; passkey?: boolean; channel?: 'EMAIL' | 'SMS'; verifiedAgoSeconds?: number }) {
  const user = await createUser(db);
  const secret = randomBytes(20);
  if (options.authenticator) {
    await db.authenticator.create({ data: { userId: user.id, encryptedSecret: seal(encryptionKey, secret, `totp:user:${user.id}`), confirmedAt: new Date() } });
  }
  const device = new SoftAuthenticator({ kind: 'this_device' });
  if (options.passkey) {
    const creation = await startPasskeyRegistration({ db, rp, owner: { userId: user.id }, userName: user.email, displayName: 'X', now: new Date() });
    await finishPasskeyRegistration({ db, rp, owner: { userId: user.id }, response: device.register(creation, rp.origin), now: new Date() });
  }
  const session = await db.session.create({ data: { userId: user.id, method: 'passkey', expiresAt: new Date(Date.now() + 3600_000) } });
  // The state a verified "Can't sign in?" code leaves behind (lib/verification has its own tests).
  const challenge = await db.verificationChallenge.create({
    data: {
      id: randomUUID(),
      purpose: 'RECOVERY',
      userId: user.id,
      identifierHash: new Uint8Array(randomBytes(32)),
      channel: options.channel ?? 'EMAIL',
      verifiedChannel: options.channel ?? 'EMAIL',
      expiresAt: new Date(Date.now() + 600_000),
      consumedAt: new Date(Date.now() - (options.verifiedAgoSeconds ?? 10) * 1000),
    },
  });
  return { user, secret, device, session, challengeId: challenge.id };
}

describe('a self-service tile names the loss: preselected only when the account has it', () => {
  it('preselects a factor the account has, never one it lacks, nor anything for an unverified or unknown challenge', async () => {
    const withApp = await holder({ authenticator: true });
    const d = deps();
    expect(await preselectLostFactor(d, { challengeId: withApp.challengeId, wanted: 'authenticator' })).toBe('authenticator');
    expect(await preselectLostFactor(d, { challengeId: withApp.challengeId, wanted: 'email' })).toBe('email');
    // createUser gives a phone number unless told otherwise.
    expect(await preselectLostFactor(d, { challengeId: withApp.challengeId, wanted: 'phone' })).toBe('phone');
    expect(await preselectLostFactor(d, { challengeId: withApp.challengeId, wanted: 'passkey' })).toBeUndefined();
    for (const wanted of [undefined, '', 'everything', ['authenticator'], 'authenticator ']) {
      expect(await preselectLostFactor(d, { challengeId: withApp.challengeId, wanted })).toBeUndefined();
    }

    const withPasskey = await holder({ passkey: true });
    expect(await preselectLostFactor(d, { challengeId: withPasskey.challengeId, wanted: 'passkey' })).toBe('passkey');
    expect(await preselectLostFactor(d, { challengeId: withPasskey.challengeId, wanted: 'authenticator' })).toBeUndefined();

    const noPhone = await createUser(db, { phone: null });
    const noPhoneChallenge = await db.verificationChallenge.create({
      data: { purpose: 'RECOVERY', userId: noPhone.id, identifierHash: new Uint8Array(randomBytes(32)), channel: 'EMAIL', verifiedChannel: 'EMAIL', expiresAt: new Date(Date.now() + 600_000), consumedAt: new Date() },
    });
    expect(await preselectLostFactor(d, { challengeId: noPhoneChallenge.id, wanted: 'phone' })).toBeUndefined();

    // A code not yet verified (or a decoy, or a made-up id) preselects nothing.
    const pending = await db.verificationChallenge.create({
      data: { purpose: 'RECOVERY', userId: withApp.user.id, identifierHash: new Uint8Array(randomBytes(32)), channel: 'EMAIL', expiresAt: new Date(Date.now() + 600_000) },
    });
    expect(await preselectLostFactor(d, { challengeId: pending.id, wanted: 'authenticator' })).toBeUndefined();
    expect(await preselectLostFactor(d, { challengeId: randomUUID(), wanted: 'authenticator' })).toBeUndefined();
    expect(await preselectLostFactor(d, { challengeId: 'not-a-uuid', wanted: 'authenticator' })).toBeUndefined();
  });
});

describe('self-service reset with two proofs (docs/security.md rules 10, 11)', () => {
  it('email code + passkey replaces a lost authenticator; sessions end, the hold starts, everyone is told', async () => {
    const h = await holder({ authenticator: true, passkey: true, channel: 'EMAIL' });
    const d = deps();
    const { resetToken } = await beginReset(d, { challengeId: h.challengeId, lostFactor: 'authenticator' });
    expect(await getResetView(d, resetToken)).toMatchObject({ step: 'prove', options: ['passkey'], proved: ['email_code'] });

    // Binding is refused until the second proof is in.
    await expect(beginAuthenticatorRebind(d, { resetToken })).rejects.toMatchObject({ code: 'conflict' });
    const answer = h.device.signIn(await passkeyProofOptions(d, { resetToken }), rp.origin);
    await proveWithPasskey(d, { resetToken, response: answer });
    expect(await getResetView(d, resetToken)).toMatchObject({ step: 'bind', lostFactor: 'authenticator' });

    const setup = await beginAuthenticatorRebind(d, { resetToken });
    const newSecret = base32Decode(setup.setupKey);
    const done = await finishAuthenticatorRebind(d, { resetToken, authenticatorId: setup.authenticatorId, code: totp(newSecret, { time: d.now }) });

    // The old app is gone, the new one works; the person was not signed in and every session ended.
    const later = new Date(d.now.getTime() + 60_000);
    expect(await verifyAuthenticatorCode({ db, encryptionKey, owner: { userId: h.user.id }, code: totp(h.secret, { time: later }), now: later })).toMatchObject({ ok: false });
    expect(await verifyAuthenticatorCode({ db, encryptionKey, owner: { userId: h.user.id }, code: totp(newSecret, { time: later }), now: later })).toEqual({ ok: true });
    expect(await db.session.findUniqueOrThrow({ where: { id: h.session.id }, select: { revokedAt: true } })).toEqual({ revokedAt: d.now });
    expect((await db.user.findUniqueOrThrow({ where: { id: h.user.id }, select: { sessionVersion: true } })).sessionVersion).toBe(1);
    expect((await getActiveHold({ db, userId: h.user.id, now: d.now }))?.endsAt).toEqual(done.holdEndsAt);
    const events = await db.webhookDelivery.findMany({ where: { payload: { path: ['accountId'], equals: h.user.id } }, select: { event: true } });
    expect(events.map((e) => e.event).sort()).toEqual(['factor.changed', 'hold.started', 'recovery.completed']);
    expect(d.sent.map((m) => m.channel).sort()).toEqual(['email', 'sms']);
    expect(await getResetView(d, resetToken)).toMatchObject({ step: 'done', holdEndsAt: done.holdEndsAt.toISOString() });

    // Single use: the finished reset cannot bind again.
    await expect(beginAuthenticatorRebind(d, { resetToken })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('email code + authenticator replaces a lost passkey; every old passkey is removed', async () => {
    const h = await holder({ authenticator: true, passkey: true, channel: 'EMAIL' });
    const d = deps();
    const { resetToken } = await beginReset(d, { challengeId: h.challengeId, lostFactor: 'passkey' });
    expect(await getResetView(d, resetToken)).toMatchObject({ step: 'prove', options: ['authenticator'], proved: ['email_code'] });
    await proveWithAuthenticator(d, { resetToken, code: totp(h.secret, { time: d.now }) });
    const fresh = new SoftAuthenticator({ kind: 'synced' });
    await finishPasskeyRebind(d, { resetToken, response: fresh.register(await beginPasskeyRebind(d, { resetToken }), rp.origin) });
    const left = await db.passkeyCredential.findMany({ where: { userId: h.user.id }, select: { credentialId: true } });
    expect(left).toEqual([{ credentialId: fresh.credentialId }]);
  });

  it('an SMS code + an authenticator does not reset a lost passkey: documents', async () => {
    const h = await holder({ authenticator: true, passkey: true, channel: 'SMS' });
    const d = deps();
    const { resetToken } = await beginReset(d, { challengeId: h.challengeId, lostFactor: 'passkey' });
    expect(await getResetView(d, resetToken)).toMatchObject({ step: 'documents' });
    await expect(proveWithAuthenticator(d, { resetToken, code: totp(h.secret, { time: d.now }) })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('an SMS or email code alone leads to identity documents when the account has no other factor', async () => {
    const h = await holder({ channel: 'SMS' });
    const d = deps();
    const { resetToken } = await beginReset(d, { challengeId: h.challengeId, lostFactor: 'authenticator' });
    expect(await getResetView(d, resetToken)).toMatchObject({ step: 'documents' });
    await expect(proveWithAuthenticator(d, { resetToken, code: '123456' })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('counts wrong second proofs, also when sent at once, and ends at the limit', async () => {
    const h = await holder({ authenticator: true, passkey: true });
    const d = deps();
    const { resetId, resetToken } = await beginReset(d, { challengeId: h.challengeId, lostFactor: 'passkey' });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => proveWithAuthenticator(d, { resetToken, code: '000000' })));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    const row = await db.recoveryReset.findUniqueOrThrow({ where: { id: resetId }, select: { attempts: true, proofs: true } });
    expect(row.attempts).toBe(RESET_MAX_ATTEMPTS);
    expect(row.proofs).toEqual(['email_code']);
    // Even the right code no longer helps: the way on is documents.
    await expect(proveWithAuthenticator(d, { resetToken, code: totp(h.secret, { time: d.now }) })).rejects.toMatchObject({ code: 'conflict' });
    expect(await getResetView(d, resetToken)).toMatchObject({ step: 'documents' });
  });

  it('completes once when the final step is sent many times at once', async () => {
    const h = await holder({ authenticator: true, passkey: true });
    const d = deps();
    const { resetToken } = await beginReset(d, { challengeId: h.challengeId, lostFactor: 'authenticator' });
    await proveWithPasskey(d, { resetToken, response: h.device.signIn(await passkeyProofOptions(d, { resetToken }), rp.origin) });
    const setup = await beginAuthenticatorRebind(d, { resetToken });
    const code = totp(base32Decode(setup.setupKey), { time: d.now });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => finishAuthenticatorRebind(d, { resetToken, authenticatorId: setup.authenticatorId, code })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await db.securityHold.count({ where: { userId: h.user.id } })).toBe(1);
  });

  it('refuses to start from a code that was not verified, is too old, or belongs to a decoy', async () => {
    const d = deps();
    const old = await holder({ authenticator: true, passkey: true, verifiedAgoSeconds: 16 * 60 });
    await expect(beginReset(d, { challengeId: old.challengeId, lostFactor: 'authenticator' })).rejects.toMatchObject({ code: 'conflict' });
    const decoy = await db.verificationChallenge.create({
      data: { id: randomUUID(), purpose: 'RECOVERY', userId: null, identifierHash: new Uint8Array(32), channel: 'EMAIL', expiresAt: new Date(Date.now() + 600_000), consumedAt: new Date() },
    });
    await expect(beginReset(d, { challengeId: decoy.id, lostFactor: 'authenticator' })).rejects.toMatchObject({ code: 'conflict' });
    await expect(beginReset(d, { challengeId: randomUUID(), lostFactor: 'authenticator' })).rejects.toMatchObject({ code: 'conflict' });
    const ok = await holder({ authenticator: true });
    await expect(beginReset(d, { challengeId: ok.challengeId, lostFactor: 'everything' })).rejects.toMatchObject({ code: 'validation_failed' });
  });
});

describe('a signed-in device’s approval as the second proof (docs/security.md rules 10, 22)', () => {
  /** An SMS-verified holder whose laptop is signed in (authenticated `authAgoMinutes` ago). */
  const phoneAndDevice = async (options: { authenticator?: boolean; authAgoMinutes?: number } = {}) => {
    const h = await holder({ authenticator: options.authenticator ?? true, channel: 'SMS' });
    const trusted = await createTrustedDevice({ db, hmacKey, userId: h.user.id, name: 'Laptop' });
    const authAt = new Date(Date.now() - (options.authAgoMinutes ?? 1) * 60_000);
    const session = await db.session.create({ data: { userId: h.user.id, deviceId: trusted.device.id, method: 'passkey', authAt, expiresAt: new Date(Date.now() + 3600_000) } });
    const approver: Approver = { userId: h.user.id, sessionId: session.id, deviceToken: trusted.token };
    return { ...h, approver, trusted, laptopSession: session };
  };
  const approve = (approver: Approver, challengeId: string, number: number, now = new Date()) =>
    decideApproval({ db, hmacKey, approver, challengeId, decision: { approve: true, number }, now });
  const deny = (approver: Approver, challengeId: string, now = new Date()) => decideApproval({ db, hmacKey, approver, challengeId, decision: { approve: false }, now });
  const deviceChallengeOf = async (resetId: string) => (await db.recoveryReset.findUniqueOrThrow({ where: { id: resetId } })).deviceChallengeId!;
  const pendingRequest = async (reset: { resetId: string; resetToken: string }) => {
    const { number } = await askTrustedDevice(deps(), { resetToken: reset.resetToken, ip: '203.0.113.9', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0' });
    return { number, challengeId: await deviceChallengeOf(reset.resetId) };
  };

  it('SMS code + the matching number on a signed-in laptop replace a lost passkey; the laptop sees what it approves', async () => {
    const h = await phoneAndDevice();
    const d = deps();
    const { resetId, resetToken } = await beginReset(d, { challengeId: h.challengeId, lostFactor: 'passkey' });
    expect(await getResetView(d, resetToken)).toMatchObject({ step: 'prove', options: ['trusted_device'], deviceRequest: undefined });
    expect(await checkTrustedDevice(d, { resetToken })).toBe('none');

    const { number } = await askTrustedDevice(d, { resetToken, ip: '203.0.113.9', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0' });
    expect(await getResetView(d, resetToken)).toMatchObject({ step: 'prove', deviceRequest: { number } });
    const [request, ...others] = await listApprovalRequests({ db, hmacKey, approver: h.approver, now: d.now });
    expect(others).toEqual([]);
    // The prompt names the change, and labels what the requester merely claims about itself.
    expect(request).toMatchObject({ change: 'passkey', reportedBrowser: 'Chrome on Linux', network: '203.0.113.x' });
    expect(new Set(request!.choices).size).toBe(3);
    expect(request!.choices).toContain(number);
    expect(await checkTrustedDevice(d, { resetToken })).toBe('pending');
    // Binding stays closed until the device has decided.
    await expect(beginPasskeyRebind(d, { resetToken })).rejects.toMatchObject({ code: 'conflict' });

    expect(await approve(h.approver, request!.challengeId, number)).toBe('approved');
    expect(await checkTrustedDevice(d, { resetToken })).toBe('proved');
    expect(await getResetView(d, resetToken)).toMatchObject({ step: 'bind', lostFactor: 'passkey', proved: ['phone_code', 'trusted_device'] });
    expect((await db.verificationChallenge.findUniqueOrThrow({ where: { id: request!.challengeId } })).consumedAt).toEqual(d.now);
    const audit = await db.auditEvent.findFirstOrThrow({ where: { subjectId: h.user.id, action: 'recovery.reset_device_approved' } });
    // The audit line names the reset by its public id: the cookie's secret is nowhere in it (rule 26).
    expect(JSON.stringify(audit.data)).not.toContain(resetToken);
    expect(audit.data).toMatchObject({ resetId });

    // Finishing the recovery leaves no device able to approve the next request (rule 22).
    const fresh = new SoftAuthenticator({ kind: 'this_device' });
    await finishPasskeyRebind(d, { resetToken, response: fresh.register(await beginPasskeyRebind(d, { resetToken }), rp.origin) });
    expect(await db.trustedDevice.findUniqueOrThrow({ where: { id: h.trusted.device.id }, select: { revokedAt: true, tokenHash: true } })).toEqual({ revokedAt: d.now, tokenHash: null });
    await expect(listApprovalRequests({ db, hmacKey, approver: h.approver, now: d.now })).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('a signed-out laptop cannot approve: its leftover device cookie is not enough (attacker holds the victim’s email and that laptop)', async () => {
    const h = await phoneAndDevice();
    const d = deps();
    const started = await beginReset(d, { challengeId: h.challengeId, lostFactor: 'passkey' });
    const { resetToken } = started;
    const { number, challengeId } = await pendingRequest(started);
    await db.session.update({ where: { id: h.laptopSession.id }, data: { revokedAt: new Date() } }); // "Sign out"

    await expect(listApprovalRequests({ db, hmacKey, approver: h.approver, now: d.now })).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(approve(h.approver, challengeId, number)).rejects.toMatchObject({ code: 'unauthorized' });
    // Nor with another live session of the account that is not on this laptop.
    const elsewhere = await db.session.create({ data: { userId: h.user.id, method: 'passkey', expiresAt: new Date(Date.now() + 3600_000) } });
    await expect(approve({ ...h.approver, sessionId: elsewhere.id }, challengeId, number)).rejects.toMatchObject({ code: 'unauthorized' });
    expect(await checkTrustedDevice(d, { resetToken })).toBe('pending');
  });

  it('approving needs a sign-in in the last 15 minutes or a step-up now; denying does not', async () => {
    const h = await phoneAndDevice({ authAgoMinutes: 16 });
    const d = deps();
    const started = await beginReset(d, { challengeId: h.challengeId, lostFactor: 'passkey' });
    const { resetToken } = started;
    const { number, challengeId } = await pendingRequest(started);
    await expect(approve(h.approver, challengeId, number)).rejects.toMatchObject({ code: 'reauthentication_required' });
    expect(await checkTrustedDevice(d, { resetToken })).toBe('pending');
    await db.session.update({ where: { id: h.laptopSession.id }, data: { authAt: new Date() } }); // what a step-up records
    expect(await approve(h.approver, challengeId, number)).toBe('approved');

    const other = await phoneAndDevice({ authAgoMinutes: 60 });
    const second = await beginReset(d, { challengeId: other.challengeId, lostFactor: 'passkey' });
    const pending = await pendingRequest(second);
    expect(await deny(other.approver, pending.challengeId)).toBe('denied');
  });

  it('number matching: a blind tap on the wrong number denies the request and costs the requester a try', async () => {
    const h = await phoneAndDevice();
    const d = deps();
    const started = await beginReset(d, { challengeId: h.challengeId, lostFactor: 'authenticator' });
    const { resetToken } = started;
    const { number, challengeId } = await pendingRequest(started);
    const [request] = await listApprovalRequests({ db, hmacKey, approver: h.approver, now: d.now });
    const wrong = request!.choices.find((n) => n !== number)!;
    await expect(approve(h.approver, challengeId, wrong)).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(approve(h.approver, challengeId, number)).rejects.toMatchObject({ code: 'conflict' });
    expect(await checkTrustedDevice(d, { resetToken })).toBe('denied');
    expect(await getResetView(d, resetToken)).toMatchObject({ step: 'prove', attemptsLeft: RESET_MAX_ATTEMPTS - 1 });
  });

  it('is offered only to an account with a signed-in device, and then cannot be asked for', async () => {
    const h = await holder({ authenticator: true, channel: 'SMS' });
    const d = deps();
    const { resetToken } = await beginReset(d, { challengeId: h.challengeId, lostFactor: 'passkey' });
    expect(await getResetView(d, resetToken)).toMatchObject({ step: 'documents' });
    await expect(askTrustedDevice(d, { resetToken })).rejects.toMatchObject({ code: 'conflict' });
    // A trusted device nobody is signed in on does not count, nor a revoked one with a session.
    const idle = await createTrustedDevice({ db, hmacKey, userId: h.user.id, name: 'Old laptop' });
    expect(await getResetView(d, resetToken)).toMatchObject({ step: 'documents' });
    await db.trustedDevice.update({ where: { id: idle.device.id }, data: { revokedAt: new Date() } });
    await db.session.create({ data: { userId: h.user.id, deviceId: idle.device.id, method: 'passkey', expiresAt: new Date(Date.now() + 3600_000) } });
    expect(await getResetView(d, resetToken)).toMatchObject({ step: 'documents' });
  });

  it('only a device of the same account can approve, and only within 5 minutes', async () => {
    const h = await phoneAndDevice();
    const stranger = await phoneAndDevice();
    const d = deps();
    const started = await beginReset(d, { challengeId: h.challengeId, lostFactor: 'passkey' });
    const { resetToken } = started;
    const { number, challengeId } = await pendingRequest(started);
    expect(await listApprovalRequests({ db, hmacKey, approver: stranger.approver, now: d.now })).toEqual([]);
    await expect(approve(stranger.approver, challengeId, number)).rejects.toMatchObject({ code: 'conflict' });
    await expect(approve(h.approver, challengeId, number, new Date(d.now.getTime() + (APPROVAL_TTL_SECONDS + 1) * 1000))).rejects.toMatchObject({ code: 'conflict' });
    expect(await checkTrustedDevice({ db, now: new Date(d.now.getTime() + (APPROVAL_TTL_SECONDS + 1) * 1000) }, { resetToken })).toBe('expired');
    expect(await checkTrustedDevice(d, { resetToken })).toBe('pending');
  });

  it('a denial counts as one failed try however often it is seen, and asking again withdraws the earlier request', async () => {
    const h = await phoneAndDevice();
    const d = deps();
    const { resetId, resetToken } = await beginReset(d, { challengeId: h.challengeId, lostFactor: 'passkey' });
    await askTrustedDevice(d, { resetToken });
    const first = await deviceChallengeOf(resetId);
    await deny(h.approver, first, d.now);
    const seen = await Promise.all(Array.from({ length: 10 }, () => checkTrustedDevice(d, { resetToken })));
    expect(seen.filter((s) => s === 'denied').length).toBeGreaterThanOrEqual(1);
    expect(await db.recoveryReset.findUniqueOrThrow({ where: { id: resetId } })).toMatchObject({ attempts: 1, deviceChallengeId: null });
    expect(await getResetView(d, resetToken)).toMatchObject({ step: 'prove', attemptsLeft: RESET_MAX_ATTEMPTS - 1 });

    const { number: secondNumber } = await askTrustedDevice(d, { resetToken });
    const second = await deviceChallengeOf(resetId);
    await askTrustedDevice(d, { resetToken });
    const third = await deviceChallengeOf(resetId);
    expect(new Set([first, second, third]).size).toBe(3);
    // The withdrawn request can no longer be approved, and is not listed.
    await expect(approve(h.approver, second, secondNumber)).rejects.toMatchObject({ code: 'conflict' });
    expect((await listApprovalRequests({ db, hmacKey, approver: h.approver, now: d.now })).map((r) => r.challengeId)).toEqual([third]);
  });

  it('an approval polled many times at once adds the proof once', async () => {
    const h = await phoneAndDevice();
    const d = deps();
    const { resetId, resetToken } = await beginReset(d, { challengeId: h.challengeId, lostFactor: 'authenticator' });
    const { number } = await askTrustedDevice(d, { resetToken });
    await approve(h.approver, await deviceChallengeOf(resetId), number);
    const states = await Promise.all(Array.from({ length: 20 }, () => checkTrustedDevice(d, { resetToken })));
    expect(new Set(states)).toEqual(new Set(['proved']));
    expect((await db.recoveryReset.findUniqueOrThrow({ where: { id: resetId } })).proofs).toEqual(['phone_code', 'trusted_device']);
    expect(await db.auditEvent.count({ where: { subjectId: h.user.id, action: 'recovery.reset_device_approved' } })).toBe(1);
  });

  it('device requests count against the second-proof limit', async () => {
    const h = await phoneAndDevice();
    const d = deps();
    const { resetToken } = await beginReset(d, { challengeId: h.challengeId, lostFactor: 'passkey' });
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => askTrustedDevice(d, { resetToken })));
    expect(results.filter((r) => r.status === 'rejected').length).toBeGreaterThanOrEqual(2);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'rate_limited' } });
  });
});

describe('a reset belongs to the browser that started it (docs/security.md rule 26)', () => {
  it('its public id drives nothing; only the secret in that browser’s cookie does, and choosing again retires the old one', async () => {
    const h = await holder({ authenticator: true, passkey: true });
    const d = deps();
    const first = await beginReset(d, { challengeId: h.challengeId, lostFactor: 'authenticator' });
    expect(first.resetToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await getResetView(d, first.resetId)).toBeUndefined();
    await expect(passkeyProofOptions(d, { resetToken: first.resetId })).rejects.toMatchObject({ code: 'conflict' });
    const row = await db.recoveryReset.findUniqueOrThrow({ where: { id: first.resetId } });
    expect(JSON.stringify(row)).not.toContain(first.resetToken);

    const second = await beginReset(d, { challengeId: h.challengeId, lostFactor: 'passkey' });
    expect(second.resetId).toBe(first.resetId);
    expect(await getResetView(d, first.resetToken)).toBeUndefined();
    expect(await getResetView(d, second.resetToken)).toMatchObject({ step: 'prove', lostFactor: 'passkey' });
  });
});

describe('a lost phone number or email address (docs/security.md rules 10, 11)', () => {
  const contactDeps = (now = new Date()) => ({ ...deps(now), hmacKey });
  const codeIn = (sent: { to: string; sensitive?: string[] | undefined }[], to: string) => sent.filter((m) => m.to === to).at(-1)?.sensitive?.[0];
  const newNumber = () => `+4477009${String(Math.floor(Math.random() * 1e5)).padStart(5, '0')}`;
  /** Email code + authenticator for a lost phone: the reset is ready for the new number. */
  const readyForNewPhone = async () => {
    const h = await holder({ authenticator: true, channel: 'EMAIL' });
    const d = contactDeps();
    const { resetToken } = await beginReset(d, { challengeId: h.challengeId, lostFactor: 'phone' });
    await proveWithAuthenticator(d, { resetToken, code: totp(h.secret, { time: d.now }) });
    return { h, d, resetToken };
  };

  it('email code + authenticator replace a lost phone number, proved by a code to the new number; old and new are told', async () => {
    const h = await holder({ authenticator: true, channel: 'EMAIL' });
    const d = contactDeps();
    const { resetToken } = await beginReset(d, { challengeId: h.challengeId, lostFactor: 'phone' });
    expect(await getResetView(d, resetToken)).toMatchObject({ step: 'prove', options: ['authenticator'] });
    await expect(beginContactRebind(d, { resetToken, value: newNumber() })).rejects.toMatchObject({ code: 'conflict' });
    await proveWithAuthenticator(d, { resetToken, code: totp(h.secret, { time: d.now }) });
    expect(await getResetView(d, resetToken)).toMatchObject({ step: 'bind', lostFactor: 'phone', codeSentTo: undefined });

    const fresh = newNumber();
    const { codeSentTo } = await beginContactRebind(d, { resetToken, value: fresh.replace(/(\d{4})$/, ' $1') });
    expect(codeSentTo).toMatch(/^\+44 ••• ••• \d\d \d\d$/);
    expect(await getResetView(d, resetToken)).toMatchObject({ step: 'bind', codeSentTo });
    const code = codeIn(d.sent, fresh)!;
    expect(code).toMatch(/^\d{6}$/);
    // Nothing changes until the code comes back.
    expect((await db.user.findUniqueOrThrow({ where: { id: h.user.id } })).phone).toBe(h.user.phone);
    const wrong = code === '000000' ? '111111' : '000000';
    await expect(finishContactRebind(d, { resetToken, code: wrong })).rejects.toMatchObject({ code: 'validation_failed', fieldErrors: { code: [expect.stringMatching(/4 tries left/)] } });

    const done = await finishContactRebind(d, { resetToken, code });
    const after = await db.user.findUniqueOrThrow({ where: { id: h.user.id } });
    expect(after).toMatchObject({ phone: fresh, phoneVerifiedAt: d.now });
    expect(await db.session.findUniqueOrThrow({ where: { id: h.session.id }, select: { revokedAt: true } })).toEqual({ revokedAt: d.now });
    expect(await getActiveHold({ db, userId: h.user.id, now: d.now })).toMatchObject({ endsAt: done.holdEndsAt });
    expect(await db.securityHold.findFirst({ where: { userId: h.user.id }, select: { reason: true } })).toEqual({ reason: 'CONTACT_CHANGE' });
    const notices = d.sent.filter((m) => m.purpose === 'security-notice').map((m) => m.to).sort();
    expect(notices).toEqual([h.user.email, h.user.phone, fresh].sort());
    const webhook = await db.webhookDelivery.findFirst({ where: { event: 'factor.changed', payload: { path: ['accountId'], equals: h.user.id } }, select: { payload: true } });
    expect(webhook?.payload).toMatchObject({ factor: 'phone', change: 'replaced' });
    expect(await getResetView(d, resetToken)).toMatchObject({ step: 'done', lostFactor: 'phone' });
    await expect(finishContactRebind(d, { resetToken, code })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('SMS code + a passkey replace lost email access; the old address hears of it', async () => {
    const h = await holder({ passkey: true, channel: 'SMS' });
    const d = contactDeps();
    const { resetToken } = await beginReset(d, { challengeId: h.challengeId, lostFactor: 'email' });
    await proveWithPasskey(d, { resetToken, response: h.device.signIn(await passkeyProofOptions(d, { resetToken }), rp.origin) });
    const fresh = `New.Address-${randomBytes(3).toString('hex')}@Example.com`;
    await beginContactRebind(d, { resetToken, value: fresh });
    await finishContactRebind(d, { resetToken, code: codeIn(d.sent, fresh.toLowerCase())! });
    expect(await db.user.findUniqueOrThrow({ where: { id: h.user.id } })).toMatchObject({ email: fresh.toLowerCase(), emailVerifiedAt: d.now });
    expect(d.sent.filter((m) => m.purpose === 'security-notice').map((m) => m.to)).toContain(h.user.email);
  });

  it('refuses what cannot be the new contact, and sends nothing for it', async () => {
    const h = await holder({ authenticator: true, channel: 'EMAIL' });
    const other = await createUser(db);
    const d = contactDeps();
    const { resetToken } = await beginReset(d, { challengeId: h.challengeId, lostFactor: 'phone' });
    await proveWithAuthenticator(d, { resetToken, code: totp(h.secret, { time: d.now }) });
    const refused = async (value: string, message: RegExp) =>
      expect(beginContactRebind(d, { resetToken, value })).rejects.toMatchObject({ code: 'validation_failed', fieldErrors: { phone: [expect.stringMatching(message)] } });
    await refused('07700 900123', /country code/);
    await refused('someone@example.com', /phone number with its country code/);
    await refused(h.user.phone!, /already on your account/);
    await refused(other.phone!, /can't be used/);
    expect(d.sent).toEqual([]);
  });

  it('five wrong codes close the code; a new code keeps the count; codes per hour are limited', async () => {
    const { h, d, resetToken } = await readyForNewPhone();
    const fresh = newNumber();
    await beginContactRebind(d, { resetToken, value: fresh });
    const code = codeIn(d.sent, fresh)!;
    const wrong = code === '000000' ? '111111' : '000000';
    // Sent at once: the count is taken in the statement that reads the hash, so exactly 3 are counted.
    await Promise.allSettled(Array.from({ length: 3 }, () => finishContactRebind(d, { resetToken, code: wrong })));
    await beginContactRebind(d, { resetToken, value: fresh });
    const second = codeIn(d.sent, fresh)!;
    const wrong2 = second === '000000' ? '111111' : '000000';
    await expect(finishContactRebind(d, { resetToken, code: wrong2 })).rejects.toMatchObject({ fieldErrors: { code: [expect.stringMatching(/1 try left/)] } });
    await expect(finishContactRebind(d, { resetToken, code: wrong2 })).rejects.toMatchObject({ fieldErrors: { code: [expect.stringMatching(/now closed/)] } });
    await expect(finishContactRebind(d, { resetToken, code: second })).rejects.toMatchObject({ code: 'conflict' });
    expect((await db.user.findUniqueOrThrow({ where: { id: h.user.id } })).phone).toBe(h.user.phone);
    // The earlier code stopped working when the second was sent.
    await expect(finishContactRebind(d, { resetToken, code })).rejects.toMatchObject({ code: 'conflict' });

    for (let i = 0; i < 3; i++) await beginContactRebind(d, { resetToken, value: newNumber() });
    await expect(beginContactRebind(d, { resetToken, value: newNumber() })).rejects.toMatchObject({ code: 'rate_limited' });
  });

  it('the right code sent many times at once changes the number once', async () => {
    const { h, d, resetToken } = await readyForNewPhone();
    const fresh = newNumber();
    await beginContactRebind(d, { resetToken, value: fresh });
    const code = codeIn(d.sent, fresh)!;
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => finishContactRebind(d, { resetToken, code })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await db.securityHold.count({ where: { userId: h.user.id } })).toBe(1);
    expect(await db.webhookDelivery.count({ where: { event: 'recovery.completed', payload: { path: ['accountId'], equals: h.user.id } } })).toBe(1);
  });
});
