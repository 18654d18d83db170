import { describe, expect, it } from 'vitest';
import { beginReset, proveWithAuthenticator, RESET_MAX_ATTEMPTS, type ResetDeps } from '@/lib/recovery/resets';
import { joinAppointment, requestJoinCode } from '@/lib/recovery/tickets/appointments';
import { requestStatusCode, verifyStatusCode } from '@/lib/recovery/tickets';
import { signInAgentWithPassword } from '@/lib/sessions/agent-sign-in';
import { signInWithPassword, stepUp } from '@/lib/sessions/sign-in';
import { resendCode, startRecovery, verifyCode, type VerificationDeps } from '@/lib/verification/challenges';
import { CODE_FAILURES, MAX_ATTEMPTS, MAX_CONSECUTIVE_FAILURES, SEND_LIMITS, SIGN_IN_FAILURES, VERIFY_FAILURES_PER_IP } from '@/lib/verification/policy';
import { capturingDelivery, collectingScheduler, fixedClock } from '../../support/capturing-delivery';
import { useTestDatabase } from '../../support/db';
import { createUser, nextIp } from '../../support/factories';
import {
  accountHolder,
  freshEmail,
  keys,
  newAgent,
  outcome,
  PASSWORD,
  publicAnswer,
  rawTicket,
  rp,
  sessionFor,
  sharedPasswordHash,
  T0,
  UA,
  verifiedRecoveryChallenge,
} from './harness';

/**
 * Brute force (docs/security.md rules 3, 4, 6, 14): every secret a person types has a small budget of
 * guesses, asking again never refills it, the limits hold across challenges, addresses and
 * accounts, the wait after a breach grows, and nothing here locks the account itself.
 */

const { db } = await useTestDatabase();
const { hmacKey, encryptionKey } = keys;
const signInDeps = { db, ...keys, rp, delivery: capturingDelivery().delivery };

function verification(start = T0) {
  const clock = fixedClock(start);
  const capture = capturingDelivery();
  const scheduler = collectingScheduler();
  const deps: VerificationDeps = { db, hmacKey, delivery: capture.delivery, now: clock.now, schedule: scheduler.schedule };
  const start_ = async (identifier: string, ip = nextIp()) => {
    const started = await startRecovery(deps, { identifier, ip, userAgent: UA });
    await scheduler.flush();
    return started;
  };
  const verify = (challengeId: string, code: string, ip = nextIp()) => verifyCode(deps, { challengeId, code, ip });
  return { clock, capture, scheduler, deps, start: start_, verify };
}

/** A six-digit code that is not `code`. */
const other = (code: string | undefined) => (code === '000000' ? '111111' : '000000');

async function rejection(work: () => Promise<unknown>) {
  const result = await outcome(work);
  expect(result.ok, 'expected a refusal').toBe(false);
  return publicAnswer((result as { error: unknown }).error);
}

// ───────────────────────────── Recovery codes ─────────────────────────────

describe('recovery codes (rule 3)', () => {
  it(`a challenge is dead after ${MAX_ATTEMPTS} wrong codes: the right code and a resend are refused`, async () => {
    const { start, verify, capture, clock, deps } = verification();
    const user = await createUser(db);
    const { challengeId } = await start(user.email);
    const code = capture.lastCode()!;
    const answers = [];
    for (let i = 0; i < MAX_ATTEMPTS; i++) answers.push(await verify(challengeId, other(code)));
    expect(answers.at(-1)).toEqual({ status: 'locked' });
    expect(await verify(challengeId, code)).toEqual({ status: 'locked' });
    clock.advance(60);
    expect(await rejection(() => resendCode(deps, { challengeId, channel: 'email', ip: nextIp() }))).toMatchObject({ status: 409 });
    const row = await db.verificationChallenge.findUniqueOrThrow({ where: { id: challengeId }, select: { attempts: true, consumedAt: true, sendCount: true } });
    expect(row).toEqual({ attempts: MAX_ATTEMPTS, consumedAt: null, sendCount: 1 });
  });

  it('a resend never resets the failed-attempt count, and the previous code stops working', async () => {
    const { start, verify, capture, clock, deps, scheduler } = verification();
    const user = await createUser(db, { phone: '+15555550177' });
    const { challengeId } = await start(user.email);
    const codes = [capture.lastCode()!];
    const budget: number[] = [];
    // Two wrong codes, a new code, two wrong codes, a new code: the budget only ever goes down.
    for (const [wait, channel] of [[30, 'voice'], [60, 'email']] as const) {
      await verify(challengeId, '999999' === codes.at(-1) ? '888888' : '999999');
      await verify(challengeId, '999999' === codes.at(-1) ? '888888' : '999999');
      clock.advance(wait);
      const view = await resendCode(deps, { challengeId, channel, ip: nextIp() });
      await scheduler.flush();
      budget.push(view!.attemptsLeft);
      codes.push(capture.lastCode()!);
    }
    expect(budget).toEqual([MAX_ATTEMPTS - 2, MAX_ATTEMPTS - 4]);
    // Every earlier code is dead; trying one spends the last attempt.
    const stale = codes.slice(0, -1).find((c) => c !== codes.at(-1));
    if (stale) {
      expect(await verify(challengeId, stale)).toEqual({ status: 'locked' });
      expect(await verify(challengeId, codes.at(-1)!)).toEqual({ status: 'locked' });
    }
  });

  it(`a distributed guesser gets ${MAX_CONSECUTIVE_FAILURES} failures per identifier, then ${CODE_FAILURES.triesWhileLocked} during a time-boxed lock, for real and unknown identifiers alike`, async () => {
    const { start, verify, capture, clock } = verification();
    const user = await createUser(db);
    const decoy = freshEmail('example.org');
    const bounds: unknown[] = [];
    for (const identifier of [user.email, decoy]) {
      let challengeId = '';
      for (let failures = 0; failures < MAX_CONSECUTIVE_FAILURES; failures++) {
        // A new challenge every five failures; a new hour every five challenges (the send limits).
        if (failures % (MAX_ATTEMPTS * SEND_LIMITS.emailPerDestination.limit) === 0) clock.advance(3601);
        if (failures % MAX_ATTEMPTS === 0) challengeId = (await start(identifier)).challengeId;
        // The real account's codes go to its phone; a decoy sends nothing, so any code is wrong.
        await verify(challengeId, other(capture.lastCode()));
      }
      // Every guess came from a new address, so only the identifier-wide tier stops this guesser: a
      // time-boxed lock during which clients with a clean record share a few tries (rules 3, 23).
      clock.advance(3601);
      let admitted = 0;
      let refused: ReturnType<typeof publicAnswer> | undefined;
      for (let n = 0; !refused && n < 50; n++) {
        if (n % MAX_ATTEMPTS === 0) challengeId = (await start(identifier)).challengeId;
        const result = await outcome(() => verify(challengeId, other(capture.lastCode())));
        if (result.ok) admitted++;
        else refused = publicAnswer(result.error);
      }
      expect(refused, identifier === decoy ? 'unknown identifier' : 'real account').toMatchObject({ status: 429, body: { error: { code: 'rate_limited' } } });
      expect(refused!.retryAfterSeconds).toBeLessThanOrEqual(CODE_FAILURES.perSubject.lockSeconds);
      bounds.push({ admitted, retryAfterSeconds: refused!.retryAfterSeconds });
    }
    // The same budget for a real account and an unknown identifier (rule 13).
    expect(bounds).toEqual([
      { admitted: CODE_FAILURES.triesWhileLocked, retryAfterSeconds: CODE_FAILURES.perSubject.lockSeconds },
      { admitted: CODE_FAILURES.triesWhileLocked, retryAfterSeconds: CODE_FAILURES.perSubject.lockSeconds },
    ]);
  }, 30_000);

  it(`counts wrong codes per IP across challenges (${VERIFY_FAILURES_PER_IP.limit} per ${VERIFY_FAILURES_PER_IP.windowSeconds / 60} min), and the wait grows`, async () => {
    const { start, verify, clock } = verification();
    const ip = nextIp();
    const waits: number[] = [];
    for (let breach = 0; breach < 3; breach++) {
      let challengeId = '';
      for (let i = 0; i < VERIFY_FAILURES_PER_IP.limit; i++) {
        if (i % MAX_ATTEMPTS === 0) challengeId = (await start(freshEmail())).challengeId;
        expect((await verify(challengeId, '000000', ip)).status).not.toBe('verified');
      }
      const answer = await rejection(() => verify(challengeId, '000000', ip));
      expect(answer).toMatchObject({ status: 429 });
      waits.push(answer.retryAfterSeconds!);
      clock.advance(answer.retryAfterSeconds! + 1);
    }
    expect(waits[1]).toBeGreaterThan(waits[0]!);
    expect(waits[2]).toBeGreaterThan(waits[1]!);
  });
});

// ───────────────────────────── Sign-in ─────────────────────────────

describe('sign-in (rule 14)', () => {
  const attempt = (email: string, password: string, code: string, ip: string, now: Date) =>
    signInWithPassword(signInDeps, { email, password, secondFactor: { kind: 'totp', code }, ip, userAgent: UA, deviceToken: undefined, now });

  // A distributed guesser gets the account-wide budget, then one try for each of a few clients with
  // a clean record (so the owner's own device still works during the lock; rule 23), then waits.
  const perBreach = SIGN_IN_FAILURES.perSubject.limit + SIGN_IN_FAILURES.triesWhileLocked;

  it(`bounds failures per account across addresses (${perBreach} per breach); the wait grows with each breach and is capped; the account itself never locks`, async () => {
    const holder = await accountHolder(db, { authenticator: true });
    const clock = fixedClock(T0);
    const waits: number[] = [];
    for (let breach = 0; breach < 3; breach++) {
      // A distributed guesser: every try from a new address.
      for (let i = 0; i < perBreach; i++) expect(await rejection(() => attempt(holder.user.email, `guess-${breach}-${i}`, '000000', nextIp(), clock.now()))).toMatchObject({ status: 401 });
      // Past the bound even the right password and code are refused, so a guesser learns nothing.
      const blocked = await rejection(() => attempt(holder.user.email, PASSWORD, holder.code(clock.now()), nextIp(), clock.now()));
      expect(blocked).toMatchObject({ status: 429, body: { error: { code: 'rate_limited' } } });
      waits.push(blocked.retryAfterSeconds!);
      if (breach === 0) {
        // Rule 14: "forgot / can't sign in" still works for the account during the block.
        const { deps } = verification(clock.now());
        expect((await startRecovery(deps, { identifier: holder.user.email, ip: nextIp(), userAgent: UA })).view?.status).toBe('active');
      }
      clock.advance(blocked.retryAfterSeconds! + 1);
    }
    expect(waits[1]).toBeGreaterThan(waits[0]!);
    expect(waits[2]).toBeGreaterThan(waits[1]!);
    expect(Math.max(...waits)).toBeLessThanOrEqual(SIGN_IN_FAILURES.perSubject.maxLockSeconds);
    // Once the wait is over the owner signs in: the limit slowed the guesser, it did not lock the account.
    const now = new Date(clock.now().getTime() + 60_000);
    expect((await attempt(holder.user.email, PASSWORD, holder.code(now), nextIp(), now)).userId).toBe(holder.user.id);
  });

  it('limits failures per IP across accounts, and the wait grows', async () => {
    const holder = await accountHolder(db, { authenticator: true });
    const clock = fixedClock(T0);
    const ip = nextIp();
    const waits: number[] = [];
    for (let breach = 0; breach < 2; breach++) {
      // A credential-stuffing run: every try a different email.
      for (let i = 0; i < 30; i++) await rejection(() => attempt(freshEmail(), PASSWORD, '000000', ip, clock.now()));
      const blocked = await rejection(() => attempt(holder.user.email, PASSWORD, holder.code(clock.now()), ip, clock.now()));
      expect(blocked).toMatchObject({ status: 429 });
      waits.push(blocked.retryAfterSeconds!);
      clock.advance(blocked.retryAfterSeconds! + 1);
    }
    expect(waits[1]).toBeGreaterThan(waits[0]!);
    // Other addresses are unaffected.
    expect((await attempt(holder.user.email, PASSWORD, holder.code(clock.now()), nextIp(), clock.now())).userId).toBe(holder.user.id);
  });

  it(`bounds console sign-in failures per agent across addresses (${perBreach} per breach; rules 14, 23)`, async () => {
    const agent = await db.agent.create({ data: { email: `agent-bf-${Date.now()}@example.com`, name: 'Agent', passwordHash: await sharedPasswordHash() }, select: { email: true } });
    const attemptAgent = (password: string) =>
      signInAgentWithPassword(signInDeps, { email: agent.email, password, secondFactor: { kind: 'totp', code: '000000' }, ip: nextIp(), userAgent: UA, now: T0 });
    for (let i = 0; i < perBreach; i++) expect(await rejection(() => attemptAgent(`guess-${i}`))).toMatchObject({ status: 401 });
    expect(await rejection(() => attemptAgent(PASSWORD))).toMatchObject({ status: 429 });
  });

  it('limits authenticator codes at step-up (rule 6, 17): the right code is refused past the limit, and the wait grows', async () => {
    const holder = await accountHolder(db, { authenticator: true });
    const clock = fixedClock(T0);
    const session = await sessionFor(db, holder.user.id, T0);
    const step = (code: string) => stepUp(signInDeps, { sessionId: session.id, userId: holder.user.id, factor: { kind: 'totp', code }, ip: nextIp(), userAgent: UA, deviceToken: undefined, now: clock.now() });
    const waits: number[] = [];
    for (let breach = 0; breach < 2; breach++) {
      for (let i = 0; i < 10; i++) expect(await rejection(() => step(other(holder.code(clock.now()))))).toMatchObject({ status: 401 });
      const blocked = await rejection(() => step(holder.code(clock.now())));
      expect(blocked).toMatchObject({ status: 429 });
      waits.push(blocked.retryAfterSeconds!);
      clock.advance(blocked.retryAfterSeconds! + 1);
    }
    expect(waits[1]).toBeGreaterThan(waits[0]!);
    expect((await step(holder.code(clock.now()))).userId).toBe(holder.user.id);
  });
});

// ───────────────────────────── Two-proof resets ─────────────────────────────

describe('two-proof resets (rules 3, 10)', () => {
  it(`a reset dies after ${RESET_MAX_ATTEMPTS} wrong authenticator codes, and the tries per account are limited across resets`, async () => {
    const holder = await accountHolder(db, { authenticator: true, passkey: true });
    const deps: ResetDeps = { db, encryptionKey, rp, delivery: capturingDelivery().delivery, now: T0 };
    const wrong = other(holder.code(T0));
    const resets = [];
    for (let n = 0; n < 2; n++) {
      const { resetToken } = await beginReset(deps, { challengeId: await verifiedRecoveryChallenge(db, holder.user.id), lostFactor: 'passkey' });
      for (let i = 0; i < RESET_MAX_ATTEMPTS; i++) expect(await rejection(() => proveWithAuthenticator(deps, { resetToken, code: wrong }))).toMatchObject({ status: 401 });
      // Dead: the right code no longer counts.
      expect(await rejection(() => proveWithAuthenticator(deps, { resetToken, code: holder.code(T0) }))).toMatchObject({ status: 409 });
      resets.push(resetToken);
    }
    // A third reset from a third verified code: the account's budget of second proofs is spent.
    const { resetToken } = await beginReset(deps, { challengeId: await verifiedRecoveryChallenge(db, holder.user.id), lostFactor: 'passkey' });
    expect(await rejection(() => proveWithAuthenticator(deps, { resetToken, code: holder.code(T0) }))).toMatchObject({ status: 429 });
    const rows = await db.recoveryReset.findMany({ where: { userId: holder.user.id }, select: { proofs: true, completedAt: true } });
    expect(rows.every((r) => r.proofs.length === 1 && r.completedAt === null)).toBe(true);
  });
});

// ───────────────────────────── Ticket codes ─────────────────────────────

describe('ticket status and video-call codes (rules 3, 4)', () => {
  function ticketCodes() {
    const clock = fixedClock(T0);
    const capture = capturingDelivery();
    const scheduler = collectingScheduler();
    const requestStatus = async (reference: string, email: string, ip = nextIp()) => {
      const r = await requestStatusCode({ db, hmacKey, delivery: capture.delivery, schedule: scheduler.schedule, reference, email, ip, now: clock.now() });
      await scheduler.flush();
      return r;
    };
    const verifyStatus = (challengeId: string, code: string, ip = nextIp()) => verifyStatusCode({ db, hmacKey, challengeId, code, ip, now: clock.now() });
    return { clock, capture, scheduler, requestStatus, verifyStatus };
  }

  it(`status codes: dead after ${MAX_ATTEMPTS} wrong codes; asking again carries the attempts over and sends nothing`, async () => {
    const { requestStatus, verifyStatus, capture } = ticketCodes();
    const ticket = await rawTicket(db);
    // One client asking again: its new code carries its attempts over (other clients' codes are their own).
    const me = nextIp();
    const first = await requestStatus(ticket.reference, ticket.contactEmail, me);
    const firstCode = capture.lastCode()!;
    for (let i = 0; i < 3; i++) await verifyStatus(first.challengeId, other(firstCode));
    const second = await requestStatus(ticket.reference, ticket.contactEmail, me);
    expect(second.attemptsLeft).toBe(MAX_ATTEMPTS - 3);
    const secondCode = capture.lastCode()!;
    // The first code died with the new request.
    expect(await verifyStatus(first.challengeId, firstCode)).toEqual({ status: 'expired' });
    await verifyStatus(second.challengeId, other(secondCode));
    expect(await verifyStatus(second.challengeId, other(secondCode))).toEqual({ status: 'locked' });
    expect(await verifyStatus(second.challengeId, secondCode)).toEqual({ status: 'locked' });
    const sentBefore = capture.sent.length;
    const third = await requestStatus(ticket.reference, ticket.contactEmail, me);
    expect(third.attemptsLeft).toBe(0);
    expect(capture.sent.length).toBe(sentBefore);
  });

  it(`status codes: ${MAX_CONSECUTIVE_FAILURES} failures per ticket, then ${CODE_FAILURES.triesWhileLocked} during a time-boxed lock, after which the owner gets in`, async () => {
    const { requestStatus, verifyStatus, capture, clock } = ticketCodes();
    const ticket = await rawTicket(db);
    let challengeId = '';
    for (let failures = 0; failures < MAX_CONSECUTIVE_FAILURES; failures++) {
      if (failures % MAX_ATTEMPTS === 0) {
        // Waiting out each code's life lets the next request start with a full budget; a new hour every five requests.
        clock.advance(failures % (MAX_ATTEMPTS * SEND_LIMITS.emailPerDestination.limit) === 0 ? 3601 : 601);
        challengeId = (await requestStatus(ticket.reference, ticket.contactEmail)).challengeId;
      }
      await verifyStatus(challengeId, other(capture.lastCode(ticket.contactEmail)));
    }
    // Every guess came from a new address: clients with a clean record share a few tries during
    // the lock, then everyone waits for it to end (rules 3, 23).
    clock.advance(3601);
    let admitted = 0;
    let refused: ReturnType<typeof publicAnswer> | undefined;
    for (let n = 0; !refused && n < 50; n++) {
      if (n % MAX_ATTEMPTS === 0) challengeId = (await requestStatus(ticket.reference, ticket.contactEmail)).challengeId;
      const result = await outcome(() => verifyStatus(challengeId, other(capture.lastCode(ticket.contactEmail))));
      if (result.ok) admitted++;
      else refused = publicAnswer(result.error);
    }
    expect(admitted).toBe(CODE_FAILURES.triesWhileLocked);
    expect(refused).toMatchObject({ status: 429, retryAfterSeconds: CODE_FAILURES.perSubject.lockSeconds });
    clock.advance(refused!.retryAfterSeconds! + 1);
    const me = nextIp();
    const fresh = await requestStatus(ticket.reference, ticket.contactEmail, me);
    expect(fresh.attemptsLeft).toBe(MAX_ATTEMPTS);
    expect(await verifyStatus(fresh.challengeId, capture.lastCode(ticket.contactEmail)!, me)).toMatchObject({ status: 'verified' });
  }, 30_000);

  it('status code requests are limited per reference, per address and per IP, and a refused request sends nothing', async () => {
    const { requestStatus, capture } = ticketCodes();
    const ticket = await rawTicket(db);
    // Per address: five codes an hour to one contact address, whatever reference is typed with it.
    for (let i = 0; i < SEND_LIMITS.emailPerDestination.limit; i++) await requestStatus(ticket.reference, ticket.contactEmail);
    const sent = capture.sent.length;
    expect(await rejection(() => requestStatus(ticket.reference, ticket.contactEmail))).toMatchObject({ status: 429 });
    expect(capture.sent.length).toBe(sent);
    // Per reference and client: ten tries an hour from one address, whichever contact addresses are
    // typed with it; strangers elsewhere spend their own budgets, never the owner's (rule 23).
    const target = await rawTicket(db);
    const scanner = nextIp();
    for (let i = 0; i < SEND_LIMITS.perIdentifier.limit; i++) await requestStatus(target.reference, freshEmail(), scanner);
    expect(await rejection(() => requestStatus(target.reference, target.contactEmail, scanner))).toMatchObject({ status: 429 });
    expect(capture.sent.filter((m) => m.to === target.contactEmail)).toEqual([]);
    await requestStatus(target.reference, target.contactEmail);
    expect(capture.sent.filter((m) => m.to === target.contactEmail)).toHaveLength(1);
    // Per IP: thirty requests an hour, whichever tickets.
    const ip = nextIp();
    for (let i = 0; i < SEND_LIMITS.perIp.limit; i++) {
      const t = await rawTicket(db);
      await requestStatus(t.reference, t.contactEmail, ip);
    }
    const last = await rawTicket(db);
    expect(await rejection(() => requestStatus(last.reference, last.contactEmail, ip))).toMatchObject({ status: 429 });
  });

  it(`join codes: a wrong email code and a wrong app code count alike; dead after ${MAX_ATTEMPTS}; asking again does not refill`, async () => {
    const capture = capturingDelivery();
    const scheduler = collectingScheduler();
    const holder = await accountHolder(db, { authenticator: true });
    const agent = await newAgent(db);
    const ticket = await rawTicket(db, { userId: holder.user.id });
    const startsAt = new Date(T0.getTime() + 2 * 60_000);
    await db.videoAppointment.create({ data: { ticketId: ticket.id, agentId: agent.agentId, startsAt, endsAt: new Date(startsAt.getTime() + 30 * 60_000), meetingUrl: 'https://meet.jit.si/regain-bruteforce' } });
    // One client asking again (a stranger's request elsewhere has its own challenge and count).
    const me = nextIp();
    const ask = async () => {
      const r = await requestJoinCode({ db, hmacKey, delivery: capture.delivery, schedule: scheduler.schedule, reference: ticket.reference, ip: me, now: T0 });
      await scheduler.flush();
      return r;
    };
    const join = (challengeId: string, emailCode: string, appCode: string) =>
      rejection(() => joinAppointment({ db, hmacKey, encryptionKey, challengeId, emailCode, authenticatorCode: appCode, ip: nextIp(), now: T0 }));

    const first = await ask();
    const emailCode = capture.lastCode()!;
    const appCode = holder.code(T0);
    const wrongEmail = await join(first.challengeId, other(emailCode), appCode);
    const wrongApp = await join(first.challengeId, emailCode, other(appCode));
    // One message for either: saying which was right would let someone holding one work on the other.
    expect(wrongApp.body.error.message).toBe(wrongEmail.body.error.message.replace(`${MAX_ATTEMPTS - 1} tries`, `${MAX_ATTEMPTS - 2} tries`));
    const second = await ask();
    expect(second.attemptsLeft).toBe(MAX_ATTEMPTS - 2);
    const secondCode = capture.lastCode()!;
    for (let i = 0; i < MAX_ATTEMPTS - 2; i++) await join(second.challengeId, other(secondCode), appCode);
    expect(await join(second.challengeId, secondCode, appCode)).toMatchObject({ status: 401, body: { error: { message: expect.stringMatching(/^Too many wrong codes/) } } });
    expect(await db.videoAppointment.count({ where: { ticketId: ticket.id, joinedAt: { not: null } } })).toBe(0);
  });

  it('join code requests stop at the per-address limit, for a real ticket and an unknown reference alike, and a refused one sends nothing', async () => {
    const capture = capturingDelivery();
    const scheduler = collectingScheduler();
    const holder = await accountHolder(db, { authenticator: true });
    const agent = await newAgent(db);
    const ticket = await rawTicket(db, { userId: holder.user.id });
    await db.videoAppointment.create({ data: { ticketId: ticket.id, agentId: agent.agentId, startsAt: new Date(T0.getTime() + 3_600_000), endsAt: new Date(T0.getTime() + 5_400_000), meetingUrl: 'https://meet.jit.si/regain-limit' } });
    const allowedBeforeRefusal = async (reference: string) => {
      for (let allowed = 0; allowed <= SEND_LIMITS.perIdentifier.limit; allowed++) {
        const result = await outcome(() => requestJoinCode({ db, hmacKey, delivery: capture.delivery, schedule: scheduler.schedule, reference, ip: nextIp(), now: T0 }));
        await scheduler.flush();
        if (!result.ok) {
          expect(publicAnswer(result.error)).toMatchObject({ status: 429 });
          return allowed;
        }
      }
      return Infinity;
    };
    expect(await allowedBeforeRefusal(ticket.reference)).toBe(SEND_LIMITS.emailPerDestination.limit);
    expect(capture.sent).toHaveLength(SEND_LIMITS.emailPerDestination.limit);
    expect(await allowedBeforeRefusal((await rawTicket(db)).reference)).toBe(SEND_LIMITS.emailPerDestination.limit);
    expect(capture.sent).toHaveLength(SEND_LIMITS.emailPerDestination.limit);
  });
});

