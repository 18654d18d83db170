import { describe, expect, it } from 'vitest';
import { SIGN_IN_FAILURES } from '@/lib/limits/policy';
import { finishCodeSignIn, startCodeSignIn } from '@/lib/sessions/code-sign-in';
import { MAX_ATTEMPTS } from '@/lib/verification/policy';
import { capturingDelivery, collectingScheduler } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { nextIp } from '../support/factories';
import { accountHolder, freshEmail, keys, outcome, PASSWORD, rp, shapeOf, T0, UA } from './attacks/harness';

// docs/security.md rule 31: password + an emailed code, only for accounts with no app or passkey,
// written from the side of someone holding the password only, the inbox only, or neither.
const { db } = await useTestDatabase();

function deps() {
  const capture = capturingDelivery();
  const scheduler = collectingScheduler();
  return { deps: { db, ...keys, rp, delivery: capture.delivery, schedule: scheduler.schedule }, capture, scheduler };
}

async function start(email: string, password = PASSWORD, ip = nextIp()) {
  const h = deps();
  const started = await startCodeSignIn(h.deps, { email, password, ip, userAgent: UA, now: T0 });
  await h.scheduler.flush();
  return { ...h, started, ip };
}

const finish = (challengeId: string, code: string, ip = nextIp()) =>
  finishCodeSignIn({ db, ...keys, rp, delivery: capturingDelivery().delivery }, { challengeId, code, ip, userAgent: UA, deviceToken: undefined, now: T0 });

describe('signing in with a password and an emailed code', () => {
  it('an account with only a password and a verified email gets a code, and the code opens a session once', async () => {
    const ben = await accountHolder(db);
    const { started, capture } = await start(ben.user.email);
    expect(capture.sent).toHaveLength(1);
    expect(capture.sent[0]).toMatchObject({ channel: 'email', to: ben.user.email, purpose: 'sign-in-code' });
    const code = capture.lastCode()!;
    const signedIn = await finish(started.challengeId, code);
    expect(signedIn.userId).toBe(ben.user.id);
    expect(await db.session.findUniqueOrThrow({ where: { id: signedIn.sessionId }, select: { method: true } })).toEqual({ method: 'password+email_code' });
    await expect(finish(started.challengeId, code)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('one answer, and no code, for a wrong password, an unknown email, and an account that has an app or a passkey', async () => {
    const ben = await accountHolder(db);
    const ada = await accountHolder(db, { authenticator: true });
    const pat = await accountHolder(db, { passkey: true });
    const runs = [await start(ben.user.email), await start(ben.user.email, 'not the password'), await start(freshEmail()), await start(ada.user.email), await start(pat.user.email)];
    expect(runs.map((r) => r.capture.sent.length)).toEqual([1, 0, 0, 0, 0]);
    for (const run of runs) expect(shapeOf(run.started)).toEqual(shapeOf(runs[0]!.started));
    // Every decoy refuses every code the same way a real challenge refuses a wrong one.
    const refusals = await Promise.all(runs.slice(1).map((run) => outcome(() => finish(run.started.challengeId, '123456'))));
    for (const refusal of refusals) expect(refusal).toMatchObject({ ok: false, error: { code: 'unauthorized', userMessage: `That code is not right. ${MAX_ATTEMPTS - 1} tries left.` } });
  });

  it('holding the password and the inbox of an account with an authenticator app is not enough', async () => {
    const ada = await accountHolder(db, { authenticator: true });
    const { started, capture } = await start(ada.user.email);
    expect(capture.sent).toHaveLength(0);
    for (let i = 0; i < MAX_ATTEMPTS; i++) await expect(finish(started.challengeId, String(100000 + i))).rejects.toMatchObject({ code: 'unauthorized' });
    expect(await db.session.count({ where: { userId: ada.user.id } })).toBe(0);
  });

  it('five wrong codes end the code; asking again never buys more tries', async () => {
    const ben = await accountHolder(db);
    const ip = nextIp();
    const first = await start(ben.user.email, PASSWORD, ip);
    const right = first.capture.lastCode()!;
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 2; i++) await expect(finish(first.started.challengeId, wrong, ip)).rejects.toMatchObject({ code: 'unauthorized' });
    const again = await start(ben.user.email, PASSWORD, ip);
    expect(again.started.attemptsLeft).toBe(MAX_ATTEMPTS - 2);
    await expect(finish(first.started.challengeId, right, ip)).rejects.toMatchObject({ code: 'conflict' });
    for (let i = 0; i < MAX_ATTEMPTS - 2; i++) await expect(finish(again.started.challengeId, wrong, ip)).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(finish(again.started.challengeId, again.capture.lastCode()!, ip)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('a guesser of the password is slowed on their own client; the owner on theirs still gets a code', async () => {
    const ben = await accountHolder(db);
    const guesser = nextIp();
    let limited = false;
    for (let i = 0; i <= SIGN_IN_FAILURES.perClient.limit && !limited; i++) {
      const tried = await outcome(() => startCodeSignIn(deps().deps, { email: ben.user.email, password: `guess-${i}`, ip: guesser, userAgent: UA, now: T0 }));
      if (!tried.ok) {
        expect(tried.error).toMatchObject({ code: 'rate_limited' });
        limited = true;
      }
    }
    expect(limited).toBe(true);
    const owner = await start(ben.user.email);
    expect(owner.capture.sent).toHaveLength(1);
    expect((await finish(owner.started.challengeId, owner.capture.lastCode()!)).userId).toBe(ben.user.id);
  });

  it('ten parallel uses of one right code: one session', async () => {
    const ben = await accountHolder(db);
    const { started, capture } = await start(ben.user.email);
    const code = capture.lastCode()!;
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => finish(started.challengeId, code)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await db.session.count({ where: { userId: ben.user.id, method: 'password+email_code' } })).toBe(1);
  });
});
