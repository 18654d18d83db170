import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { seal } from '@/lib/crypto';
import { totp } from '@/lib/authenticator/totp';
import { findTrustedDevice } from '@/lib/sessions/devices';
import { hashPassword } from '@/lib/sessions/password';
import { signInWithPassword, signOutSession, USER_IDLE_MINUTES, validateSession } from '@/lib/sessions/sign-in';
import { SIGN_IN_FAILURES, SIGN_IN_PER_IP } from '@/lib/verification/policy';
import { useTestDatabase } from '../support/db';
import { createUser, nextIp } from '../support/factories';
import { capturingDelivery } from '../support/capturing-delivery';

const { db } = await useTestDatabase();
const deps = { db, hmacKey: randomBytes(32), encryptionKey: randomBytes(32), rp: { rpId: 'localhost', rpName: 'Regain', origin: 'http://localhost:3000' }, delivery: capturingDelivery().delivery };
const secret = randomBytes(20);
const PASSWORD = 'correct horse battery staple';

async function accountWithAuthenticator() {
  const user = await createUser(db);
  await db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(PASSWORD) } });
  await db.authenticator.create({ data: { userId: user.id, encryptedSecret: seal(deps.encryptionKey, secret, `totp:user:${user.id}`), confirmedAt: new Date() } });
  return user;
}

const attempt = (email: string, overrides: Partial<{ password: string; code: string; now: Date; ip: string; deviceToken: string }> = {}) => {
  const now = overrides.now ?? new Date();
  return signInWithPassword(deps, {
    email,
    password: overrides.password ?? PASSWORD,
    secondFactor: { kind: 'totp' as const, code: overrides.code ?? totp(secret, { time: now }) },
    ip: overrides.ip ?? nextIp(),
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/142.0',
    deviceToken: overrides.deviceToken,
    now,
  });
};

describe('sign-in with password and authenticator code', () => {
  it('creates a session and makes this browser a trusted device', async () => {
    const user = await accountWithAuthenticator();
    const result = await attempt(user.email);
    expect(result.userId).toBe(user.id);
    expect(await findTrustedDevice(db, deps.hmacKey, result.newDeviceToken)).toMatchObject({ userId: user.id });
    expect(await validateSession(db, { sessionId: result.sessionId, sessionVersion: result.sessionVersion }, new Date())).toEqual({ kind: 'user', userId: user.id });
    const again = await attempt(user.email, { deviceToken: result.newDeviceToken, now: new Date(Date.now() + 31_000) });
    expect(again.newDeviceToken).toBeUndefined(); // the same device, recognised
  });

  it('gives one message for an unknown email, a wrong password and a wrong code, and records the failures', async () => {
    const user = await accountWithAuthenticator();
    const messages = await Promise.all([
      attempt('nobody@example.invalid').catch((e) => e.userMessage),
      attempt(user.email, { password: 'wrong' }).catch((e) => e.userMessage),
      attempt(user.email, { code: '000000' }).catch((e) => e.userMessage),
    ]);
    expect(new Set(messages)).toEqual(new Set(['The email, password or code is not right.']));
    expect(await db.signInEvent.count({ where: { userId: user.id, result: 'FAILURE' } })).toBe(2);
  });

  it('refuses a second factor that is missing, and a replayed code', async () => {
    const noTotp = await createUser(db);
    await db.user.update({ where: { id: noTotp.id }, data: { passwordHash: await hashPassword(PASSWORD) } });
    await expect(attempt(noTotp.email)).rejects.toMatchObject({ code: 'unauthorized' });
    const user = await accountWithAuthenticator();
    const now = new Date();
    await attempt(user.email, { now });
    await expect(attempt(user.email, { now })).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('slows down the client that keeps failing, and an account under attack, without locking the owner out', async () => {
    const user = await accountWithAuthenticator();
    const now = new Date();
    // One client: its own budget per account, then a wait (rule 14).
    const guesser = nextIp();
    for (let i = 0; i < SIGN_IN_FAILURES.perClient.limit; i++) await attempt(user.email, { password: 'wrong', now, ip: guesser }).catch(() => undefined);
    await expect(attempt(user.email, { now, ip: guesser })).rejects.toMatchObject({ code: 'rate_limited', status: 429 });
    // Many clients: past the account-wide budget, clients that failed wait for the lock to end...
    for (let i = 0; i < SIGN_IN_FAILURES.perSubject.limit; i++) await attempt(user.email, { password: 'wrong', now }).catch(() => undefined);
    const failedOnce = nextIp();
    await attempt(user.email, { password: 'wrong', now, ip: failedOnce }).catch(() => undefined);
    await expect(attempt(user.email, { now, ip: failedOnce })).rejects.toMatchObject({ code: 'rate_limited', status: 429 });
    // ...while the owner's right password and code from a clean client still work (rule 23).
    expect((await attempt(user.email, { now })).userId).toBe(user.id);
  });

  it('counts failures per address, not people: an office behind one address signs in 40 times, a guesser there is still stopped', async () => {
    const office = nextIp();
    const people = await Promise.all(Array.from({ length: 40 }, () => accountWithAuthenticator()));
    for (const person of people) expect((await attempt(person.email, { ip: office })).userId).toBe(person.id);
    const guesses = [];
    for (const person of people) guesses.push(await attempt(person.email, { ip: office, password: 'wrong guess' }).catch((error: { code: string }) => error.code));
    expect(guesses.filter((code) => code === 'rate_limited').length).toBeGreaterThan(0);
    expect(guesses.filter((code) => code === 'unauthorized').length).toBe(SIGN_IN_PER_IP.limit);
  });

  it('ends sessions that are signed out, idle too long, or older than a "sign out everywhere"', async () => {
    const user = await accountWithAuthenticator();
    const t0 = new Date();
    const a = await attempt(user.email, { now: t0 });
    const token = { sessionId: a.sessionId, sessionVersion: a.sessionVersion };
    expect(await validateSession(db, token, new Date(t0.getTime() + (USER_IDLE_MINUTES - 1) * 60_000))).not.toBeNull();
    expect(await validateSession(db, token, new Date(t0.getTime() + (2 * USER_IDLE_MINUTES + 1) * 60_000))).toBeNull();

    const b = await attempt(user.email, { now: new Date(t0.getTime() + 31_000) });
    await db.user.update({ where: { id: user.id }, data: { sessionVersion: { increment: 1 } } });
    expect(await validateSession(db, { sessionId: b.sessionId, sessionVersion: b.sessionVersion }, new Date())).toBeNull();

    const c = await attempt(user.email, { now: new Date(t0.getTime() + 62_000) });
    await signOutSession(db, c.sessionId, new Date());
    expect(await validateSession(db, { sessionId: c.sessionId, sessionVersion: c.sessionVersion }, new Date())).toBeNull();
  });
});
