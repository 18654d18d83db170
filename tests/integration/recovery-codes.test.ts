import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base32Decode, totp } from '@/lib/authenticator/totp';
import { verifyAuditChain } from '@/lib/audit';
import { seal } from '@/lib/crypto';
import { getActiveHold } from '@/lib/holds';
import { RECOVERY_CODE_COUNT, normalizeRecoveryCode, recoveryCodeStatus, spendRecoveryCode } from '@/lib/recovery-codes';
import { beginAuthenticatorRebind, beginReset, finishAuthenticatorRebind, getResetView, proveWithRecoveryCode, RESET_MAX_ATTEMPTS, type ResetDeps } from '@/lib/recovery/resets';
import { createRecoveryCodes, type Actor, type ChangeDeps } from '@/lib/sessions/changes';
import { hashPassword } from '@/lib/sessions/password';
import { FRESH_AUTH_MINUTES, signInWithPassword } from '@/lib/sessions/sign-in';
import { capturingDelivery } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { createUser, nextIp } from '../support/factories';
import { verifiedRecoveryChallenge } from './attacks/harness';

// docs/security.md rule 30: recovery codes, written from the side of the owner and of someone who
// holds one thing (the email inbox, or a stolen code).
const { db } = await useTestDatabase();
const rp = { rpId: 'localhost', rpName: 'Regain', origin: 'http://localhost:3000' };
const keys = { hmacKey: randomBytes(32), encryptionKey: randomBytes(32) };
const PASSWORD = 'correct horse battery staple';
const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Chrome/142.0';

function changeDeps(now = new Date()) {
  const captured = capturingDelivery();
  const deps: ChangeDeps = { db, ...keys, rp, delivery: captured.delivery, now };
  return { deps, sent: captured.sent };
}

function resetDeps(now = new Date()) {
  const captured = capturingDelivery();
  const deps: ResetDeps & { hmacKey: Buffer } = { db, ...keys, rp, delivery: captured.delivery, now };
  return { deps, sent: captured.sent };
}

/** An account holder with a password, an authenticator and a session that just signed in. */
async function holder() {
  const user = await createUser(db);
  const secret = randomBytes(20);
  await db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(PASSWORD) } });
  await db.authenticator.create({ data: { userId: user.id, encryptedSecret: seal(keys.encryptionKey, secret, `totp:user:${user.id}`), confirmedAt: new Date() } });
  const session = await db.session.create({ data: { userId: user.id, method: 'password+totp', authAt: new Date(), expiresAt: new Date(Date.now() + 3600_000) } });
  const actor: Actor = { userId: user.id, sessionId: session.id, ip: nextIp(), userAgent: UA };
  return { user, secret, session, actor };
}

/** A verified "Can't sign in?" code, just now (attacks/harness). */
const verifiedRecovery = (userId: string, channel: 'EMAIL' | 'SMS' = 'EMAIL') => verifiedRecoveryChallenge(db, userId, channel, new Date());

const signIn = (email: string, code: string, ip = nextIp()) =>
  signInWithPassword(
    { db, ...keys, rp, delivery: capturingDelivery().delivery },
    { email, password: PASSWORD, secondFactor: { kind: 'recovery_code', code }, ip, userAgent: UA, deviceToken: undefined, now: new Date() },
  );

describe('creating and replacing recovery codes', () => {
  it('creates 10 grouped codes, shown once: only keyed hashes are stored, and the owner, the host and the audit log hear of it', async () => {
    const h = await holder();
    const { deps, sent } = changeDeps();
    const { codes, replaced } = await createRecoveryCodes(deps, h.actor);

    expect(replaced).toBe(false);
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT);
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}$/);
    expect(await recoveryCodeStatus(db, h.user.id)).toEqual({ remaining: 10, total: 10, createdAt: deps.now });

    // Nothing in the table is the code or derived from it without the server key.
    const rows = await db.recoveryCode.findMany({ where: { userId: h.user.id }, select: { codeHash: true } });
    const stored = rows.map((r) => Buffer.from(r.codeHash));
    for (const code of codes) {
      for (const hash of stored) {
        expect(hash.length).toBe(32);
        expect(hash.includes(Buffer.from(normalizeRecoveryCode(code)!))).toBe(false);
      }
    }

    expect(sent.map((m) => [m.channel, m.purpose, m.subject]).filter(([c]) => c === 'email')).toEqual([
      ['email', 'security-notice', 'Recovery codes were created for your Regain account'],
    ]);
    for (const message of sent) for (const code of codes) expect(`${message.text}${message.html ?? ''}`).not.toContain(code);
    const hooks = await db.webhookDelivery.findMany({ where: { event: 'factor.changed', payload: { path: ['accountId'], equals: h.user.id } }, select: { payload: true } });
    expect(hooks.map((w) => w.payload)).toEqual([{ accountId: h.user.id, factor: 'recovery_codes', change: 'added' }]);
    expect(await db.auditEvent.count({ where: { actorId: h.user.id, action: 'recovery_codes.added' } })).toBe(1);
    expect(await verifyAuditChain({ db })).toMatchObject({ ok: true });
  });

  it('a new set voids the old one at once; the notice says they were replaced and the host hears "replaced"', async () => {
    const h = await holder();
    const first = await createRecoveryCodes(changeDeps().deps, h.actor);
    const { deps, sent } = changeDeps();
    const second = await createRecoveryCodes(deps, h.actor);

    expect(second.replaced).toBe(true);
    expect(second.codes.some((c) => first.codes.includes(c))).toBe(false);
    await expect(signIn(h.user.email, first.codes[0]!)).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(signIn(h.user.email, second.codes[0]!)).resolves.toMatchObject({ userId: h.user.id });
    expect(await recoveryCodeStatus(db, h.user.id)).toMatchObject({ remaining: 9, total: 10 });
    expect(sent.find((m) => m.channel === 'email')?.subject).toBe('Your Regain recovery codes were replaced');
    const hooks = await db.webhookDelivery.findMany({ where: { event: 'factor.changed', payload: { path: ['accountId'], equals: h.user.id } }, select: { payload: true } });
    expect(hooks.map((w) => (w.payload as { change: string }).change).sort()).toEqual(['added', 'replaced']);
  });

  it('needs a sign-in or step-up in the last few minutes, like every other factor change', async () => {
    const h = await holder();
    await db.session.update({ where: { id: h.session.id }, data: { authAt: new Date(Date.now() - (FRESH_AUTH_MINUTES + 1) * 60_000) } });
    await expect(createRecoveryCodes(changeDeps().deps, h.actor)).rejects.toMatchObject({ code: 'reauthentication_required' });
    expect(await recoveryCodeStatus(db, h.user.id)).toBeUndefined();
  });
});

describe('signing in with a recovery code', () => {
  it('works once as the second factor, in any case and spacing; the owner is told how many are left', async () => {
    const h = await holder();
    const { codes } = await createRecoveryCodes(changeDeps().deps, h.actor);
    const typed = codes[3]!.toLowerCase().replace(/-/g, ' ');
    const captured = capturingDelivery();
    const now = new Date();
    const signedIn = await signInWithPassword(
      { db, ...keys, rp, delivery: captured.delivery },
      { email: h.user.email, password: PASSWORD, secondFactor: { kind: 'recovery_code', code: typed }, ip: nextIp(), userAgent: UA, deviceToken: undefined, now },
    );
    expect(signedIn.userId).toBe(h.user.id);
    expect(await db.session.findUniqueOrThrow({ where: { id: signedIn.sessionId }, select: { method: true } })).toEqual({ method: 'password+recovery_code' });
    const notice = captured.sent.find((m) => m.channel === 'email');
    expect(notice?.subject).toBe('A recovery code was used on your Regain account');
    expect(notice?.text).toContain('Recovery codes left: 9');

    // The same code again, from anywhere, is refused; the count stays.
    await expect(signIn(h.user.email, codes[3]!)).rejects.toMatchObject({ code: 'unauthorized' });
    expect(await recoveryCodeStatus(db, h.user.id)).toMatchObject({ remaining: 9 });
  });

  it('a code never works without the password, and another account’s code never works', async () => {
    const a = await holder();
    const b = await holder();
    const codesA = (await createRecoveryCodes(changeDeps().deps, a.actor)).codes;
    await createRecoveryCodes(changeDeps().deps, b.actor);
    await expect(
      signInWithPassword(
        { db, ...keys, rp, delivery: capturingDelivery().delivery },
        { email: a.user.email, password: 'not the password', secondFactor: { kind: 'recovery_code', code: codesA[0]! }, ip: nextIp(), userAgent: UA, deviceToken: undefined, now: new Date() },
      ),
    ).rejects.toMatchObject({ code: 'unauthorized' });
    // The code was not spent by the failed sign-in.
    expect(await recoveryCodeStatus(db, a.user.id)).toMatchObject({ remaining: 10 });
    await expect(signIn(b.user.email, codesA[1]!)).rejects.toMatchObject({ code: 'unauthorized' });
    expect(await recoveryCodeStatus(db, b.user.id)).toMatchObject({ remaining: 10 });
  });

  it('50 parallel uses of one code: exactly one succeeds', async () => {
    const h = await holder();
    const { codes } = await createRecoveryCodes(changeDeps().deps, h.actor);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => db.$transaction((tx) => spendRecoveryCode(tx, { hmacKey: keys.hmacKey, userId: h.user.id, code: codes[0]!, now: new Date() }), { maxWait: 20_000, timeout: 20_000 })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await recoveryCodeStatus(db, h.user.id)).toMatchObject({ remaining: 9 });
  });

  it('parallel sign-ins with one code from different places: one session, one notice', async () => {
    const h = await holder();
    const { codes } = await createRecoveryCodes(changeDeps().deps, h.actor);
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => signIn(h.user.email, codes[5]!)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(await db.auditEvent.count({ where: { actorId: h.user.id, action: 'recovery_code.used' } })).toBe(1);
  });
});

describe('recovering with a recovery code (docs/security.md rules 10, 11, 23)', () => {
  it('an email code + a recovery code replace a lost authenticator; the code is spent and the 24-hour hold starts', async () => {
    const h = await holder();
    const { codes } = await createRecoveryCodes(changeDeps().deps, h.actor);
    const { deps, sent } = resetDeps();
    const { resetToken } = await beginReset(deps, { challengeId: await verifiedRecovery(h.user.id), lostFactor: 'authenticator' });
    expect(await getResetView(deps, resetToken)).toMatchObject({ step: 'prove', options: ['recovery_code'], proved: ['email_code'] });

    await proveWithRecoveryCode(deps, { resetToken, code: codes[0]!, ip: nextIp() });
    expect(await getResetView(deps, resetToken)).toMatchObject({ step: 'bind', proved: ['email_code', 'recovery_code'] });
    expect(sent.find((m) => m.channel === 'email')?.subject).toBe('A recovery code was used on your Regain account');
    expect(await recoveryCodeStatus(db, h.user.id)).toMatchObject({ remaining: 9 });

    const setup = await beginAuthenticatorRebind(deps, { resetToken });
    const done = await finishAuthenticatorRebind(deps, { resetToken, authenticatorId: setup.authenticatorId, code: totp(base32Decode(setup.setupKey), { time: deps.now }) });
    expect((await getActiveHold({ db, userId: h.user.id, now: deps.now }))?.endsAt).toEqual(done.holdEndsAt);
    expect(done.holdEndsAt.getTime() - deps.now.getTime()).toBe(24 * 3600_000);
    const completed = await db.auditEvent.findFirstOrThrow({ where: { actorId: h.user.id, action: 'recovery.reset_completed' }, select: { data: true } });
    expect(completed.data).toMatchObject({ factor: 'authenticator', proofs: 'email_code+recovery_code' });
  });

  it('an SMS code + a recovery code replace a lost passkey; a lost phone number or email is never offered a recovery code', async () => {
    const h = await holder();
    await createRecoveryCodes(changeDeps().deps, h.actor);
    const { deps } = resetDeps();
    const passkeyReset = await beginReset(deps, { challengeId: await verifiedRecovery(h.user.id, 'SMS'), lostFactor: 'passkey' });
    expect(await getResetView(deps, passkeyReset.resetToken)).toMatchObject({ step: 'prove', options: expect.arrayContaining(['recovery_code']) });
    const phoneReset = await beginReset(deps, { challengeId: await verifiedRecovery(h.user.id, 'EMAIL'), lostFactor: 'phone' });
    const view = await getResetView(deps, phoneReset.resetToken);
    expect(view?.step === 'prove' ? view.options : []).not.toContain('recovery_code');
    await expect(proveWithRecoveryCode(deps, { resetToken: phoneReset.resetToken, code: '7Q4M-K9TX-2W', ip: nextIp() })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('is not offered when every code is used, and a malformed entry is a form error that costs no try', async () => {
    const h = await holder();
    const { codes } = await createRecoveryCodes(changeDeps().deps, h.actor);
    const { deps } = resetDeps();
    const { resetToken } = await beginReset(deps, { challengeId: await verifiedRecovery(h.user.id), lostFactor: 'authenticator' });
    await expect(proveWithRecoveryCode(deps, { resetToken, code: '12345', ip: nextIp() })).rejects.toMatchObject({ code: 'validation_failed' });
    expect(await getResetView(deps, resetToken)).toMatchObject({ step: 'prove', attemptsLeft: RESET_MAX_ATTEMPTS });
    await db.recoveryCode.updateMany({ where: { userId: h.user.id }, data: { usedAt: new Date() } });
    expect(await getResetView(deps, resetToken)).toMatchObject({ step: 'documents' });
    await expect(proveWithRecoveryCode(deps, { resetToken, code: codes[0]!, ip: nextIp() })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('someone with only the inbox guesses from their own client: they are stopped, and the owner’s code from another client still works', async () => {
    const h = await holder();
    const { codes } = await createRecoveryCodes(changeDeps().deps, h.actor);
    const attackerIp = nextIp();
    let refusedByLimit = false;
    // Each reset allows 5 wrong tries; with the inbox the attacker can start as many resets as codes allow.
    for (let round = 0; round < 4 && !refusedByLimit; round++) {
      const { deps } = resetDeps();
      const { resetToken } = await beginReset(deps, { challengeId: await verifiedRecovery(h.user.id), lostFactor: 'authenticator' });
      for (let i = 0; i < RESET_MAX_ATTEMPTS; i++) {
        const error = await proveWithRecoveryCode(deps, { resetToken, code: 'ZZZZ-ZZZZ-ZZ', ip: attackerIp }).then(
          () => undefined,
          (e: unknown) => e as { code: string },
        );
        if (error?.code === 'rate_limited') refusedByLimit = true;
        if (refusedByLimit) break;
        expect(error).toMatchObject({ code: 'unauthorized' });
      }
    }
    expect(refusedByLimit).toBe(true);
    const failures = await db.rateLimitBucket.count({ where: { key: { startsWith: `failures:recovery-code:${h.user.id}:client:${attackerIp}` } } });
    expect(failures).toBe(1);

    // The owner, on their own network, with a real code.
    const { deps } = resetDeps();
    const { resetToken } = await beginReset(deps, { challengeId: await verifiedRecovery(h.user.id), lostFactor: 'authenticator' });
    await proveWithRecoveryCode(deps, { resetToken, code: codes[2]!, ip: nextIp() });
    expect(await getResetView(deps, resetToken)).toMatchObject({ step: 'bind' });
  });

  it('a wrong code counts against the reset’s tries and spends no code', async () => {
    const h = await holder();
    await createRecoveryCodes(changeDeps().deps, h.actor);
    const { deps } = resetDeps();
    const { resetToken } = await beginReset(deps, { challengeId: await verifiedRecovery(h.user.id), lostFactor: 'authenticator' });
    await expect(proveWithRecoveryCode(deps, { resetToken, code: 'ABCD-EFGH-JK', ip: nextIp() })).rejects.toMatchObject({
      code: 'unauthorized',
      userMessage: expect.stringContaining(`${RESET_MAX_ATTEMPTS - 1} tries left`),
    });
    expect(await getResetView(deps, resetToken)).toMatchObject({ step: 'prove', attemptsLeft: RESET_MAX_ATTEMPTS - 1 });
    expect(await recoveryCodeStatus(db, h.user.id)).toMatchObject({ remaining: 10 });
  });
});
