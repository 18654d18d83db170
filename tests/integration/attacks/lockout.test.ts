import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { totp } from '@/lib/authenticator/totp';
import { seal } from '@/lib/crypto';
import { joinAppointment, requestJoinCode } from '@/lib/recovery/tickets/appointments';
import { generateReference, requestStatusCode, verifyStatusCode } from '@/lib/recovery/tickets';
import { signInAgentWithPassword } from '@/lib/sessions/agent-sign-in';
import { signInWithPassword } from '@/lib/sessions/sign-in';
import { startRecovery, verifyCode, type VerificationDeps } from '@/lib/verification/challenges';
import { CODE_FAILURES, MAX_ATTEMPTS, MAX_CONSECUTIVE_FAILURES, RATE_LIMIT_MAX_BLOCK_SECONDS, SIGN_IN_FAILURES } from '@/lib/verification/policy';
import { capturingDelivery, collectingScheduler, fixedClock } from '../../support/capturing-delivery';
import { useTestDatabase } from '../../support/db';
import { createUser, nextIp } from '../../support/factories';
import { accountHolder, freshEmail, keys, newAgent, outcome, PASSWORD, publicAnswer, rawTicket, rp, sharedPasswordHash, T0, UA } from './harness';

/**
 * No lockout lever (docs/security.md rule 23, with rules 3 and 14): strangers who drive every failure
 * counter they can reach (wrong codes, wrong passwords, code requests for a known reference, from
 * as many addresses as they like) never keep the owner's right code or right password and second
 * factor out for longer than a bounded window, while their own guesses stay bounded.
 */

const { db } = await useTestDatabase();
const { hmacKey, encryptionKey } = keys;
const signInDeps = { db, ...keys, rp, delivery: capturingDelivery().delivery };
const MINUTE = 60;
const wrongFor = (code: string | undefined) => (code === '000000' ? '111111' : '000000');

async function refusal(work: () => Promise<unknown>) {
  const result = await outcome(work);
  expect(result.ok, 'expected a refusal').toBe(false);
  return publicAnswer((result as { error: unknown }).error);
}

function recovery() {
  const clock = fixedClock(T0);
  const capture = capturingDelivery();
  const scheduler = collectingScheduler();
  const deps: VerificationDeps = { db, hmacKey, delivery: capture.delivery, now: clock.now, schedule: scheduler.schedule };
  const start = async (identifier: string, ip = nextIp()) => {
    const started = await startRecovery(deps, { identifier, ip, userAgent: UA });
    await scheduler.flush();
    return started;
  };
  const verify = (challengeId: string, code: string, ip = nextIp()) => verifyCode(deps, { challengeId, code, ip });
  /**
   * A distributed guesser: `failures` wrong codes for one identifier, every guess from a new
   * address, a new challenge every five, the clock moved on an hour every 15 to stay inside the
   * send limits (and an hour at the end, so the owner has sends left). Returns the addresses used.
   */
  const guess = async (identifier: string, failures: number) => {
    const ips: string[] = [];
    let challengeId = '';
    for (let n = 0; n < failures; n++) {
      if (n % 15 === 0) clock.advance(3601);
      if (n % MAX_ATTEMPTS === 0) challengeId = (await start(identifier)).challengeId;
      const ip = nextIp();
      ips.push(ip);
      const answer = await verify(challengeId, wrongFor(capture.lastCode()), ip);
      expect(answer.status, `guess ${n + 1}`).not.toBe('verified');
    }
    clock.advance(3601);
    return ips;
  };
  return { clock, capture, start, verify, guess };
}

describe('recovery codes: strangers cannot lock the owner out (rules 3, 23)', () => {
  it(`after ${MAX_CONSECUTIVE_FAILURES + 5} wrong codes from rotating addresses, the owner's right code from their own device works`, async () => {
    const { start, verify, guess, capture } = recovery();
    const owner = await createUser(db);
    await guess(owner.email, MAX_CONSECUTIVE_FAILURES + 5);
    const ownDevice = nextIp();
    const { challengeId } = await start(owner.email, ownDevice);
    expect(await verify(challengeId, capture.lastCode()!, ownDevice)).toEqual({ status: 'verified', userId: owner.id });
  }, 60_000);

  it('the identifier-wide lock bounds a distributed guesser, is time-boxed, and grows on repeat', async () => {
    const { start, verify, guess, clock, capture } = recovery();
    const owner = await createUser(db);
    const locks: number[] = [];
    const prober = nextIp();
    for (let round = 0; round < 2; round++) {
      // The identifier's count starts at 0, then at 1 (the prober's try after the first lock).
      await guess(owner.email, MAX_CONSECUTIVE_FAILURES - 1 - round);
      const { challengeId } = await start(owner.email);
      const code = capture.lastCode();
      // The 100th failure, from a client that keeps failing: it then waits out the whole lock.
      expect((await verify(challengeId, wrongFor(code), prober)).status).toBe('wrong');
      const failing = await refusal(() => verify(challengeId, wrongFor(code), prober));
      expect(failing).toMatchObject({ status: 429, body: { error: { code: 'rate_limited' } } });
      locks.push(failing.retryAfterSeconds!);
      // Past the lock the same client may try again: the lock is time-boxed.
      clock.advance(failing.retryAfterSeconds! + 1);
      const after = await start(owner.email);
      expect((await verify(after.challengeId, wrongFor(capture.lastCode()), prober)).status).toBe('wrong');
    }
    expect(locks[0]).toBe(CODE_FAILURES.perSubject.lockSeconds);
    expect(locks[1]).toBe(2 * CODE_FAILURES.perSubject.lockSeconds);
    expect(locks[1]! / MINUTE).toBeLessThanOrEqual(CODE_FAILURES.perSubject.maxLockSeconds / MINUTE);
  }, 120_000);

  it('while the identifier is locked, fresh clients get a bounded number of tries, then the owner waits at most the lock', async () => {
    const { start, verify, guess, clock, capture } = recovery();
    const owner = await createUser(db);
    await guess(owner.email, MAX_CONSECUTIVE_FAILURES);
    // Strangers spend every try the lock allows clean clients, from new addresses each time.
    let spent = 0;
    let retryAfter = 0;
    let challengeId = '';
    for (let n = 0; n < CODE_FAILURES.triesWhileLocked * 3; n++) {
      if (n % MAX_ATTEMPTS === 0) challengeId = (await start(owner.email)).challengeId;
      const result = await outcome(() => verify(challengeId, wrongFor(capture.lastCode()), nextIp()));
      if (result.ok) spent++;
      else {
        const answer = publicAnswer(result.error);
        expect(answer).toMatchObject({ status: 429 });
        retryAfter = answer.retryAfterSeconds!;
        break;
      }
    }
    expect(spent).toBe(CODE_FAILURES.triesWhileLocked);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(CODE_FAILURES.perSubject.lockSeconds);
    clock.advance(retryAfter + 1);
    const ownDevice = nextIp();
    const mine = await start(owner.email, ownDevice);
    expect(await verify(mine.challengeId, capture.lastCode()!, ownDevice)).toEqual({ status: 'verified', userId: owner.id });
  }, 120_000);

  it('one client that keeps guessing is blocked for this identifier, and its wait grows; the owner elsewhere is not', async () => {
    const { start, verify, clock, capture } = recovery();
    const owner = await createUser(db);
    const attacker = nextIp();
    const waits: number[] = [];
    for (let round = 0; round < 2; round++) {
      clock.advance(3601);
      let target = '';
      for (let n = 0; n < CODE_FAILURES.perClient.limit; n++) {
        if (n % MAX_ATTEMPTS === 0) target = (await start(owner.email)).challengeId;
        expect((await verify(target, wrongFor(capture.lastCode()), attacker)).status).not.toBe('verified');
      }
      const { challengeId } = await start(owner.email);
      const blocked = await refusal(() => verify(challengeId, capture.lastCode()!, attacker));
      expect(blocked).toMatchObject({ status: 429 });
      waits.push(blocked.retryAfterSeconds!);
      // The owner, on their own device, is not affected.
      expect(await verify(challengeId, capture.lastCode()!, nextIp())).toEqual({ status: 'verified', userId: owner.id });
      clock.advance(blocked.retryAfterSeconds! - 3600);
    }
    expect(waits[0]).toBe(CODE_FAILURES.perClient.lockSeconds);
    expect(waits[1]).toBe(2 * CODE_FAILURES.perClient.lockSeconds);
  }, 60_000);
});

describe('ticket codes: knowing a reference does not lock its owner out (rules 3, 13, 23)', () => {
  it('ten and more status-code requests and wrong codes from strangers who know the reference leave the owner able to get and use a code', async () => {
    const clock = fixedClock(T0);
    const capture = capturingDelivery();
    const scheduler = collectingScheduler();
    const ticket = await rawTicket(db);
    const ask = async (email: string, ip = nextIp()) => {
      const r = await requestStatusCode({ db, hmacKey, delivery: capture.delivery, schedule: scheduler.schedule, reference: ticket.reference, email, ip, now: clock.now() });
      await scheduler.flush();
      return r;
    };
    for (let n = 0; n < 15; n++) {
      // Strangers know the reference, not the address: every answer is a decoy.
      const { challengeId } = await ask(freshEmail());
      for (let i = 0; i < MAX_ATTEMPTS; i++) await verifyStatusCode({ db, hmacKey, challengeId, code: '000000', ip: nextIp(), now: clock.now() });
    }
    expect(capture.sent).toEqual([]);
    const ownDevice = nextIp();
    const mine = await ask(ticket.contactEmail, ownDevice);
    expect(mine.attemptsLeft).toBe(MAX_ATTEMPTS);
    expect(await verifyStatusCode({ db, hmacKey, challengeId: mine.challengeId, code: capture.lastCode(ticket.contactEmail)!, ip: ownDevice, now: clock.now() })).toEqual({
      status: 'verified',
      ticketId: ticket.id,
    });
  });

  it(`a stranger who keeps spending a contact address's send limit delays its owner by at most ${RATE_LIMIT_MAX_BLOCK_SECONDS / 60} minutes`, async () => {
    const clock = fixedClock(T0);
    const capture = capturingDelivery();
    const scheduler = collectingScheduler();
    const ticket = await rawTicket(db);
    const ask = (reference: string, ip = nextIp()) =>
      requestStatusCode({ db, hmacKey, delivery: capture.delivery, schedule: scheduler.schedule, reference, email: ticket.contactEmail, ip, now: clock.now() });
    const waits: number[] = [];
    for (let round = 0; round < 8; round++) {
      // Someone who knows only the address types it with made-up references until refused (rule 4).
      for (;;) {
        const result = await outcome(() => ask(generateReference()));
        if (result.ok) continue;
        const answer = publicAnswer(result.error);
        expect(answer).toMatchObject({ status: 429 });
        waits.push(answer.retryAfterSeconds!);
        break;
      }
      clock.advance(waits.at(-1)! + 1);
    }
    expect(waits[1]).toBeGreaterThan(waits[0]!);
    expect(Math.max(...waits)).toBeLessThanOrEqual(RATE_LIMIT_MAX_BLOCK_SECONDS);
    // Right after the last wait the owner asks, from their own device, and gets a code.
    const mine = await ask(ticket.reference);
    await scheduler.flush();
    expect(await verifyStatusCode({ db, hmacKey, challengeId: mine.challengeId, code: capture.lastCode(ticket.contactEmail)!, ip: nextIp(), now: clock.now() })).toMatchObject({ status: 'verified' });
  });

  it(`after ${MAX_CONSECUTIVE_FAILURES} and more wrong join codes from strangers with the reference, the owner joins their call`, async () => {
    const clock = fixedClock(T0);
    const capture = capturingDelivery();
    const scheduler = collectingScheduler();
    const holder = await accountHolder(db, { authenticator: true });
    const agent = await newAgent(db);
    const ticket = await rawTicket(db, { userId: holder.user.id });
    const startsAt = new Date(T0.getTime() + 8 * 3_600_000);
    const endsAt = new Date(startsAt.getTime() + 30 * 60_000);
    await db.videoAppointment.create({ data: { ticketId: ticket.id, agentId: agent.agentId, startsAt, endsAt, meetingUrl: 'https://meet.jit.si/regain-lockout' } });
    const ask = async (ip = nextIp()) => {
      const r = await requestJoinCode({ db, hmacKey, delivery: capture.delivery, schedule: scheduler.schedule, reference: ticket.reference, ip, now: clock.now() });
      await scheduler.flush();
      return r;
    };
    for (let failures = 0; failures < MAX_CONSECUTIVE_FAILURES + 5; ) {
      // Each code is waited out before the next (so none carries a dead count over), five an hour at
      // most (the contact address's send limit, rule 4), each request from a new address.
      clock.advance(721);
      const { challengeId } = await ask();
      for (let i = 0; i < MAX_ATTEMPTS; i++, failures++) {
        await outcome(() => joinAppointment({ db, hmacKey, encryptionKey, challengeId, emailCode: '000000', authenticatorCode: '000000', ip: nextIp(), now: clock.now() }));
      }
    }
    clock.advance((startsAt.getTime() - clock.now().getTime()) / 1000 + 60);
    const ownDevice = nextIp();
    const mine = await ask(ownDevice);
    expect(mine.attemptsLeft).toBe(MAX_ATTEMPTS);
    const joined = await joinAppointment({
      db,
      hmacKey,
      encryptionKey,
      challengeId: mine.challengeId,
      emailCode: capture.lastCode(ticket.contactEmail)!,
      authenticatorCode: holder.code(clock.now()),
      ip: ownDevice,
      now: clock.now(),
    });
    expect(joined.meetingUrl).toBe('https://meet.jit.si/regain-lockout');
  }, 120_000);

  it("a stranger's join-code request neither kills the owner's code nor hands the owner a dead one", async () => {
    const capture = capturingDelivery();
    const scheduler = collectingScheduler();
    const holder = await accountHolder(db, { authenticator: true });
    const agent = await newAgent(db);
    const ticket = await rawTicket(db, { userId: holder.user.id });
    const startsAt = new Date(T0.getTime() + 60_000);
    await db.videoAppointment.create({ data: { ticketId: ticket.id, agentId: agent.agentId, startsAt, endsAt: new Date(startsAt.getTime() + 30 * 60_000), meetingUrl: 'https://meet.jit.si/regain-race' } });
    const ask = async (ip: string) => {
      const r = await requestJoinCode({ db, hmacKey, delivery: capture.delivery, schedule: scheduler.schedule, reference: ticket.reference, ip, now: T0 });
      await scheduler.flush();
      return { ...r, code: capture.lastCode(ticket.contactEmail)! };
    };
    const ownDevice = nextIp();
    const mine = await ask(ownDevice);
    const stranger = nextIp();
    const theirs = await ask(stranger);
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      await outcome(() => joinAppointment({ db, hmacKey, encryptionKey, challengeId: theirs.challengeId, emailCode: wrongFor(theirs.code), authenticatorCode: '000000', ip: stranger, now: T0 }));
    }
    const joined = await joinAppointment({ db, hmacKey, encryptionKey, challengeId: mine.challengeId, emailCode: mine.code, authenticatorCode: holder.code(T0), ip: ownDevice, now: T0 });
    expect(joined.meetingUrl).toBe('https://meet.jit.si/regain-race');
  });
});

describe('sign-in: strangers cannot lock the owner, a supervisor or an admin out (rules 14, 23)', () => {
  const attempt = (email: string, password: string, code: string, ip: string, now: Date) =>
    signInWithPassword(signInDeps, { email, password, secondFactor: { kind: 'totp', code }, ip, userAgent: UA, deviceToken: undefined, now });

  it('after 11 and more failed sign-ins from rotating addresses, the right password and code from a fresh address sign the owner in', async () => {
    const holder = await accountHolder(db, { authenticator: true });
    for (let i = 0; i < SIGN_IN_FAILURES.perSubject.limit + 5; i++) {
      await outcome(() => attempt(holder.user.email, `guess-${i}`, '000000', nextIp(), T0));
    }
    expect((await attempt(holder.user.email, PASSWORD, holder.code(T0), nextIp(), T0)).userId).toBe(holder.user.id);
  });

  it('while the account is under attack each fresh client gets one try, the strangers get a bounded number, and the owner waits at most the lock', async () => {
    const holder = await accountHolder(db, { authenticator: true });
    const clock = fixedClock(T0);
    let admitted = 0;
    let refusedWith: ReturnType<typeof publicAnswer> | undefined;
    for (let i = 0; i < 100; i++) {
      const result = await outcome(() => attempt(holder.user.email, `guess-${i}`, '000000', nextIp(), clock.now()));
      const answer = publicAnswer((result as { error: unknown }).error);
      if (answer.status === 401) admitted++;
      else {
        refusedWith = answer;
        break;
      }
    }
    // The account-wide budget, then one try for each of a bounded number of fresh clients.
    expect(admitted).toBe(SIGN_IN_FAILURES.perSubject.limit + SIGN_IN_FAILURES.triesWhileLocked);
    expect(refusedWith).toMatchObject({ status: 429 });
    expect(refusedWith!.retryAfterSeconds).toBeLessThanOrEqual(SIGN_IN_FAILURES.perSubject.lockSeconds);
    clock.advance(refusedWith!.retryAfterSeconds! + 1);
    expect((await attempt(holder.user.email, PASSWORD, holder.code(clock.now()), nextIp(), clock.now())).userId).toBe(holder.user.id);
  });

  it('a client that keeps failing is blocked for this account, and the owner is not', async () => {
    const holder = await accountHolder(db, { authenticator: true });
    const attacker = nextIp();
    for (let i = 0; i < SIGN_IN_FAILURES.perClient.limit; i++) {
      expect(await refusal(() => attempt(holder.user.email, `guess-${i}`, '000000', attacker, T0))).toMatchObject({ status: 401 });
    }
    expect(await refusal(() => attempt(holder.user.email, PASSWORD, holder.code(T0), attacker, T0))).toMatchObject({ status: 429 });
    expect((await attempt(holder.user.email, PASSWORD, holder.code(T0), nextIp(), T0)).userId).toBe(holder.user.id);
  });

  it.each(['SUPERVISOR', 'ADMIN'] as const)('after 11 and more failed console sign-ins from rotating addresses, a %s still signs in from a fresh address', async (role) => {
    const secret = randomBytes(20);
    const { agentId } = await newAgent(db, role);
    const agent = await db.agent.update({ where: { id: agentId }, data: { passwordHash: await sharedPasswordHash() }, select: { id: true, email: true } });
    await db.authenticator.create({ data: { agentId, encryptedSecret: seal(encryptionKey, secret, `totp:agent:${agentId}`), confirmedAt: new Date(T0.getTime() - 86_400_000) } });
    const signIn = (password: string, code: string, ip: string) =>
      signInAgentWithPassword(signInDeps, { email: agent.email, password, secondFactor: { kind: 'totp', code }, ip, userAgent: UA, now: T0 });
    for (let i = 0; i < SIGN_IN_FAILURES.perSubject.limit + 5; i++) await outcome(() => signIn(`guess-${i}`, '000000', nextIp()));
    expect((await signIn(PASSWORD, totp(secret, { time: T0 }), nextIp())).agentId).toBe(agent.id);
  });
});
