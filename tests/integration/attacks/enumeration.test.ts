import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Delivery } from '@/lib/delivery/types';
import { authenticateApiKey, createApiKey, revokeApiKey } from '@/lib/platform/api-keys';
import { getAccountSecurityForHost } from '@/lib/platform/account-security';
import { requestJoinCode } from '@/lib/recovery/tickets/appointments';
import { generateReference, openDocumentTicket, requestStatusCode, verifyStatusCode } from '@/lib/recovery/tickets';
import { finishPasskeyRegistration, startPasskeyRegistration } from '@/lib/passkeys';
import { passkeySignInOptions, signInWithPasskey, signInWithPassword } from '@/lib/sessions/sign-in';
import { startCodeSignIn } from '@/lib/sessions/code-sign-in';
import { resendCode, startRecovery, verifyCode, type VerificationDeps } from '@/lib/verification/challenges';
import { MAX_ATTEMPTS } from '@/lib/verification/policy';
import { capturingDelivery, collectingScheduler, fixedClock } from '../../support/capturing-delivery';
import { useTestDatabase } from '../../support/db';
import { createUser, nextIp } from '../../support/factories';
import { SoftAuthenticator } from '../../support/soft-authenticator';
import { compareTimings, logTiming } from '../../support/stats';
import {
  accountHolder,
  afterResponse,
  freshEmail,
  keys,
  masked,
  newAgent,
  outcome,
  PASSWORD,
  publicAnswer,
  rawTicket,
  rp,
  shapeOf,
  T0,
  timePairs,
  type TimingReport,
  UA,
} from './harness';

/**
 * Account enumeration (docs/security.md rule 13; ASVS 6.3.8; WebAuthn §14.6.2): every public entry point
 * answers an existing and an unknown account (or reference) with the same status and body shape,
 * and the ones that do work per request take the same time, judged on interleaved samples by a
 * Mann–Whitney U test (p ≤ 0.001 fails) and a bound on the Hodges–Lehmann shift (compareTimings).
 * "Same shape" compares keys and the kind of every value; the values that must differ (ids, masked
 * contacts) are masked and everything else is compared exactly.
 */

const { db } = await useTestDatabase();
const { hmacKey } = keys;
const signInDeps = { db, ...keys, rp, delivery: capturingDelivery().delivery };

function verification(start = T0) {
  const clock = fixedClock(start);
  const capture = capturingDelivery();
  const scheduler = collectingScheduler();
  const deps: VerificationDeps = { db, hmacKey, delivery: capture.delivery, now: clock.now, schedule: scheduler.schedule };
  return { clock, capture, scheduler, deps };
}

/**
 * Both checks of compareTimings: no difference significant at p ≤ 0.001, and a Hodges–Lehmann shift
 * within the bound, so a leak of a few ms fails whether the run was quiet (significance) or noisy
 * (the shift).
 */
type Bound = { boundMs: number; relativeBound?: number };

function expectIndistinguishable(report: TimingReport, bound: Bound) {
  const verdict = compareTimings(report.a, report.b, bound);
  logTiming(expect.getState().currentTestName, verdict.summary, report);
  expect(verdict.indistinguishable, verdict.summary).toBe(true);
}

// ───────────────────────────── Shape ─────────────────────────────

describe('the same answer for existing and unknown accounts (rule 13)', () => {
  it('recovery start: same status, body shape and values; a plausible decoy; nothing sent for the unknown one', async () => {
    const { deps, capture, scheduler } = verification();
    const user = await createUser(db, { phone: '+15555550142' });
    const byEmail = {
      known: await startRecovery(deps, { identifier: user.email, ip: nextIp(), userAgent: UA }),
      unknown: await startRecovery(deps, { identifier: `ghost-${randomBytes(3).toString('hex')}@example.com`, ip: nextIp(), userAgent: UA }),
    };
    const byPhone = {
      known: await startRecovery(deps, { identifier: user.phone!, ip: nextIp(), userAgent: UA }),
      unknown: await startRecovery(deps, { identifier: '+15555550199', ip: nextIp(), userAgent: UA }),
    };
    await scheduler.flush();

    for (const pair of [byEmail, byPhone]) {
      expect(shapeOf(pair.unknown)).toEqual(shapeOf(pair.known));
      expect(pair.unknown.view).toMatchObject({ status: 'active', attemptsLeft: MAX_ATTEMPTS, deliveryProblem: undefined });
      expect(masked(pair.unknown, ['challengeId', 'view.destination', 'view.channel'])).toEqual(masked(pair.known, ['challengeId', 'view.destination', 'view.channel']));
    }
    // A phone number starts with SMS either way, and the decoy shows the number that was typed.
    expect([byPhone.known.view!.channel, byPhone.unknown.view!.channel]).toEqual(['sms', 'sms']);
    expect(byPhone.unknown.view!.destination).toBe('+1 ••• ••• 01 99');
    expect(capture.sent.map((m) => m.to)).toEqual([user.phone, user.phone]);
  });

  it('resend: the same cooldown refusal, then the same view, for a real challenge and a decoy', async () => {
    const { deps, clock, capture, scheduler } = verification();
    const user = await createUser(db, { phone: '+15555550143' });
    const known = await startRecovery(deps, { identifier: user.phone!, ip: nextIp(), userAgent: UA });
    const unknown = await startRecovery(deps, { identifier: '+15555550198', ip: nextIp(), userAgent: UA });

    const early = await Promise.all([known, unknown].map((c) => outcome(() => resendCode(deps, { challengeId: c.challengeId, channel: 'voice', ip: nextIp() }))));
    expect(early.map((o) => !o.ok && publicAnswer(o.error))).toEqual([expect.objectContaining({ status: 429 }), expect.objectContaining({ status: 429 })]);
    expect(publicAnswer((early[1] as { error: unknown }).error)).toEqual(publicAnswer((early[0] as { error: unknown }).error));

    clock.advance(30);
    const views = {
      known: await resendCode(deps, { challengeId: known.challengeId, channel: 'voice', ip: nextIp() }),
      unknown: await resendCode(deps, { challengeId: unknown.challengeId, channel: 'voice', ip: nextIp() }),
    };
    await scheduler.flush();
    expect(shapeOf(views.unknown)).toEqual(shapeOf(views.known));
    expect(masked(views.unknown, ['destination'])).toEqual(masked(views.known, ['destination']));
    expect(capture.sent.filter((m) => m.to !== user.phone)).toEqual([]);
  });

  it('verify: a wrong code gets the same answer, try for try, for a real challenge and a decoy', async () => {
    const { deps, capture, scheduler } = verification();
    const user = await createUser(db);
    const known = await startRecovery(deps, { identifier: user.email, ip: nextIp(), userAgent: UA });
    const unknown = await startRecovery(deps, { identifier: freshEmail('example.org'), ip: nextIp(), userAgent: UA });
    await scheduler.flush();
    const wrong = capture.lastCode() === '000000' ? '111111' : '000000';
    for (let i = 0; i <= MAX_ATTEMPTS; i++) {
      const [a, b] = [await verifyCode(deps, { challengeId: known.challengeId, code: wrong, ip: nextIp() }), await verifyCode(deps, { challengeId: unknown.challengeId, code: wrong, ip: nextIp() })];
      expect(b).toEqual(a);
    }
  });

  it('sign-in with a password: one answer for an unknown email, a wrong password, and a right password with a wrong code', async () => {
    const holder = await accountHolder(db, { authenticator: true });
    const passkeyOnly = await accountHolder(db, { passkey: true });
    const attempt = (email: string, password: string, code: string) =>
      outcome(() => signInWithPassword(signInDeps, { email, password, secondFactor: { kind: 'totp', code }, ip: nextIp(), userAgent: UA, deviceToken: undefined, now: T0 }));
    const wrongCode = holder.code(T0) === '000000' ? '111111' : '000000';
    const answers = [
      await attempt(freshEmail(), PASSWORD, wrongCode),
      await attempt(holder.user.email, 'not the password', wrongCode),
      await attempt(holder.user.email, PASSWORD, wrongCode),
      // An account without an authenticator app: the right password alone must not show.
      await attempt(passkeyOnly.user.email, PASSWORD, '123456'),
    ].map((o) => {
      expect(o.ok).toBe(false);
      return publicAnswer((o as { error: unknown }).error);
    });
    expect(answers[0]).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    // The right everything signs in, so the refusals above were not for some other reason.
    expect((await attempt(holder.user.email, PASSWORD, holder.code(T0))).ok).toBe(true);
  });

  it('passkey options name no account, and a refused passkey gets one answer whoever it belongs to', async () => {
    const first = await passkeySignInOptions({ db, rp }, { ip: nextIp(), now: T0 });
    const second = await passkeySignInOptions({ db, rp }, { ip: nextIp(), now: T0 });
    expect(Object.keys(first).sort()).toEqual(['challenge', 'rpId', 'timeout', 'userVerification']);
    expect(masked(second, ['challenge'])).toEqual(masked(first, ['challenge']));

    const holder = await accountHolder(db, { passkey: true });
    const agent = await newAgent(db);
    const agentKey = new SoftAuthenticator();
    const agentOptions = await startPasskeyRegistration({ db, rp, owner: agent, userName: 'agent@example.com', displayName: 'Agent', now: T0 });
    await finishPasskeyRegistration({ db, rp, owner: agent, response: agentKey.register(agentOptions, rp.origin), now: T0 });
    const answer = async (device: SoftAuthenticator, tweaks: Parameters<SoftAuthenticator['signIn']>[2] = {}) => {
      const options = await passkeySignInOptions({ db, rp }, { ip: nextIp(), now: T0 });
      const result = await outcome(() => signInWithPasskey(signInDeps, { response: device.signIn(options, rp.origin, tweaks), ip: nextIp(), userAgent: UA, deviceToken: undefined, now: T0 }));
      expect(result.ok).toBe(false);
      return publicAnswer((result as { error: unknown }).error);
    };
    const answers = [
      await answer(new SoftAuthenticator()), // never registered
      await answer(holder.device, { corruptSignature: true }), // a real account's credential, forged
      await answer(agentKey), // an agent's passkey on the account holders' sign-in
    ];
    expect(answers[0]).toMatchObject({ status: 401 });
    for (const a of answers) expect(a).toEqual(answers[0]);
  });

  it('ticket status code: a matching pair, a wrong email and an unknown reference look the same; only the match sends', async () => {
    const capture = capturingDelivery();
    const scheduler = collectingScheduler();
    const ticket = await rawTicket(db, { contactEmail: 'pat.real@example.com' });
    const request = (reference: string, email: string) =>
      requestStatusCode({ db, hmacKey, delivery: capture.delivery, schedule: scheduler.schedule, reference, email, ip: nextIp(), userAgent: UA, now: T0 });
    // The same first letter and domain typed each time, so even the masked address is the same.
    const real = await request(ticket.reference, 'pat.real@example.com');
    const wrongEmail = await request(ticket.reference, 'pat.other@example.com');
    const unknownRef = await request(generateReference(), 'pat.real@example.com');
    await scheduler.flush();
    for (const decoy of [wrongEmail, unknownRef]) {
      expect(shapeOf(decoy)).toEqual(shapeOf(real));
      expect(masked(decoy, ['challengeId'])).toEqual(masked(real, ['challengeId']));
      // And its code check answers like a real one.
      expect(await verifyStatusCode({ db, hmacKey, challengeId: decoy.challengeId, code: '000000', ip: nextIp(), now: T0 })).toEqual({ status: 'wrong', attemptsLeft: MAX_ATTEMPTS - 1 });
    }
    expect(capture.sent.map((m) => m.to)).toEqual(['pat.real@example.com']);
  });

  it('video join code: a ticket with a call ahead, one without, one without an account and an unknown reference look the same', async () => {
    const capture = capturingDelivery();
    const scheduler = collectingScheduler();
    const user = await createUser(db);
    const agent = await newAgent(db);
    const booked = await rawTicket(db, { userId: user.id });
    await db.videoAppointment.create({ data: { ticketId: booked.id, agentId: agent.agentId, startsAt: new Date(T0.getTime() + 3_600_000), endsAt: new Date(T0.getTime() + 5_400_000), meetingUrl: 'https://meet.jit.si/regain-x' } });
    const noCall = await rawTicket(db, { userId: user.id });
    const noAccount = await rawTicket(db);
    const request = (reference: string) => requestJoinCode({ db, hmacKey, delivery: capture.delivery, schedule: scheduler.schedule, reference, ip: nextIp(), userAgent: UA, now: T0 });
    const real = await request(booked.reference);
    const others = [await request(noCall.reference), await request(noAccount.reference), await request(generateReference())];
    await scheduler.flush();
    for (const other of others) {
      expect(shapeOf(other)).toEqual(shapeOf(real));
      expect(masked(other, ['challengeId'])).toEqual(masked(real, ['challengeId']));
    }
    expect(capture.sent.map((m) => m.to)).toEqual([booked.contactEmail]);
  });

  it('opening a document ticket: the same answer and the same mail whether or not an account uses the address', async () => {
    const capture = capturingDelivery();
    const scheduler = collectingScheduler();
    const user = await createUser(db);
    const open = (contactEmail: string) =>
      openDocumentTicket({ db, hmacKey, delivery: capture.delivery, schedule: scheduler.schedule, userId: null, contactEmail, type: 'PASSKEY_RESET', lostFactors: ['passkey'], ip: nextIp(), now: T0 });
    const known = await open(user.email);
    const unknown = await open(freshEmail());
    await scheduler.flush();
    expect(shapeOf(unknown)).toEqual(shapeOf(known));
    const [a, b] = capture.sent;
    expect(b!.subject).toBe(a!.subject);
    // Only the confirmation code goes out (the reference follows once it comes back).
    expect(b!.text.replaceAll(b!.sensitive![0]!, 'CODE')).toBe(a!.text.replaceAll(a!.sensitive![0]!, 'CODE'));
  });

  it('limits shared between features answer the same for existing and unknown accounts', async () => {
    // Every email code shares one per-address budget (rule 4). "Check a recovery request" spends it
    // for whatever address is typed, matched or not and sending nothing, so an attacker can spend it
    // for any address at no cost. Whatever recovery then answers must not depend on whether an
    // account uses that address.
    const capture = capturingDelivery();
    const scheduler = collectingScheduler();
    const exhaust = async (email: string) => {
      for (let i = 0; i < 5; i++) {
        await requestStatusCode({ db, hmacKey, delivery: capture.delivery, schedule: scheduler.schedule, reference: generateReference(), email, ip: nextIp(), now: T0 });
      }
    };
    const emailFirst = await createUser(db, { phone: null }); // starts recovery by email
    const smsFirst = await createUser(db); // starts by SMS; email is a resend away
    const ghosts = [freshEmail(), freshEmail()];
    for (const email of [emailFirst.email, smsFirst.email, ...ghosts]) await exhaust(email);
    expect(capture.sent).toEqual([]);

    const { deps, clock } = verification();
    const probe = async (email: string) => {
      const started = await outcome(() => startRecovery(deps, { identifier: email, ip: nextIp(), userAgent: UA }));
      if (!started.ok) return { start: publicAnswer(started.error).status };
      clock.advance(30);
      const resent = await outcome(() => resendCode(deps, { challengeId: started.value.challengeId, channel: 'email', ip: nextIp() }));
      clock.set(T0);
      return { start: 201, resendByEmail: resent.ok ? 200 : publicAnswer(resent.error).status };
    };
    const unknown = await probe(ghosts[0]!);
    expect(await probe(ghosts[1]!)).toEqual(unknown);
    expect({ 'account that starts by email': await probe(emailFirst.email), 'account that starts by SMS': await probe(smsFirst.email) }).toEqual({
      'account that starts by email': unknown,
      'account that starts by SMS': unknown,
    });
  });

  it('host API security lookup: an unknown id reads exactly like an account with nothing set up', async () => {
    const user = await createUser(db, { phone: null });
    await db.user.update({ where: { id: user.id }, data: { emailVerifiedAt: null } });
    const known = await getAccountSecurityForHost({ db, accountId: user.id, now: T0 });
    const unknown = await getAccountSecurityForHost({ db, accountId: randomUUID(), now: T0 });
    expect(shapeOf(unknown)).toEqual(shapeOf(known));
    expect(masked(unknown, ['accountId'])).toEqual(masked(known, ['accountId']));
  });

  it('host API keys: missing, malformed, unknown and revoked keys get one answer', async () => {
    const revoked = await createApiKey({ db, hmacKey, name: 'old integration' });
    await revokeApiKey({ db, id: revoked.id, now: new Date(T0.getTime() - 1000) });
    const valid = await createApiKey({ db, hmacKey, name: 'live integration' });
    const unknownKey = `rg_live_${valid.prefix}_${randomBytes(32).toString('base64url')}`;
    const answers = await Promise.all(
      [undefined, 'Basic abc', `Bearer ${valid.key}x`, `Bearer ${unknownKey}`, `Bearer ${revoked.key}`].map(async (authorization) => {
        const result = await outcome(() => authenticateApiKey({ db, hmacKey, authorization, now: T0 }));
        expect(result.ok).toBe(false);
        return publicAnswer((result as { error: unknown }).error);
      }),
    );
    expect(answers[0]).toMatchObject({ status: 401 });
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(await authenticateApiKey({ db, hmacKey, authorization: `Bearer ${valid.key}`, now: T0 })).toBe(valid.id);
  });
});

// ───────────────────────────── Timing ─────────────────────────────

const ROUNDS = 30;
/**
 * A noisy run goes on, 30 pairs at a time, until it passes with an interval inside the bound (see
 * timePairs and compareTimings); one that never gets there is judged on all its pairs. A quiet
 * machine settles within 30-60 pairs; a busy one takes them all.
 */
const MAX_ROUNDS = 240;
const rounds = (bound: Bound, maxRounds = MAX_ROUNDS) => ({
  rounds: ROUNDS,
  maxRounds,
  settled: (a: number[], b: number[]) => {
    const verdict = compareTimings(a, b, bound);
    return verdict.indistinguishable && verdict.conclusive;
  },
});
/** A provider as slow as a real one: had a real account's request waited for it, the difference would show. */
const slowDelivery: Delivery = { send: () => new Promise((resolve) => setTimeout(() => resolve({ messageId: 'x', provider: 'outbox' }), 20)) };
/**
 * Timing on a shared machine has bursts of noise that a real difference does not need: a leak shows
 * on every run, a burst rarely twice. Each timing test may run up to twice.
 */
const TIMING = { retry: 1, timeout: 90_000 } as const;
/** 3 ms for requests that mostly wait on the database; the sign-in bound is in its test. */
const WAITING: Bound = { boundMs: 3 };

describe('the same time for existing and unknown accounts (rule 13, Mann–Whitney U and a Hodges–Lehmann bound on interleaved samples)', () => {
  // argon2id dominates (15-20 ms on a quiet machine): skipping it for unknown emails would be a gap of
  // a whole hash. A busy machine stretches the hash and that gap alike, so the bound is 5 ms or a
  // tenth of the median, whichever is larger.
  const HASHING: Bound = { boundMs: 5, relativeBound: 0.1 };
  const HASHING_ROUNDS = 150; // each pair hashes twice: more would not fit the timeout on a busy machine
  it('sign-in with a password: an existing account with a wrong password vs an unknown email', TIMING, async () => {
    const holders = await Promise.all(Array.from({ length: HASHING_ROUNDS + 3 }, () => accountHolder(db, { authenticator: true })));
    const attempt = (email: string) =>
      signInWithPassword(signInDeps, { email, password: 'Tr0ub4dor&3', secondFactor: { kind: 'totp', code: '123456' }, ip: nextIp(), userAgent: UA, deviceToken: undefined, now: T0 });
    const report = await timePairs({
      ...rounds(HASHING, HASHING_ROUNDS),
      a: (round) => attempt(holders[round + 3]!.user.email),
      b: () => attempt(freshEmail()),
    });
    expectIndistinguishable(report, HASHING);
  });

  it('sign-in with an emailed code: an existing account with a wrong password vs an unknown email', TIMING, async () => {
    const holders = await Promise.all(Array.from({ length: HASHING_ROUNDS + 3 }, () => accountHolder(db)));
    const after = afterResponse();
    const attempt = (email: string) =>
      startCodeSignIn({ ...signInDeps, schedule: after.schedule }, { email, password: 'Tr0ub4dor&3', ip: nextIp(), userAgent: UA, now: T0 });
    const report = await timePairs({
      ...rounds(HASHING, HASHING_ROUNDS),
      a: (round) => attempt(holders[round + 3]!.user.email),
      b: () => attempt(freshEmail()),
      between: after.flush,
    });
    expectIndistinguishable(report, HASHING);
  });

  it('recovery start: an existing account vs an unknown identifier, with a slow delivery provider', TIMING, async () => {
    const after = afterResponse();
    const deps: VerificationDeps = { db, hmacKey, delivery: slowDelivery, now: () => T0, schedule: after.schedule };
    const users = await Promise.all(Array.from({ length: MAX_ROUNDS + 3 }, () => createUser(db)));
    const report = await timePairs({
      ...rounds(WAITING),
      a: (round) => startRecovery(deps, { identifier: users[round + 3]!.email, ip: nextIp(), userAgent: UA }),
      b: () => startRecovery(deps, { identifier: freshEmail('example.net'), ip: nextIp(), userAgent: UA }),
      between: after.flush,
    });
    expectIndistinguishable(report, WAITING);
  });

  it('ticket status code request: a matching reference and email vs a reference that matches nothing', TIMING, async () => {
    const after = afterResponse();
    const tickets = await Promise.all(Array.from({ length: MAX_ROUNDS + 3 }, () => rawTicket(db)));
    const request = (reference: string, email: string) =>
      requestStatusCode({ db, hmacKey, delivery: slowDelivery, schedule: after.schedule, reference, email, ip: nextIp(), userAgent: UA, now: T0 });
    const report = await timePairs({
      ...rounds(WAITING),
      a: (round) => request(tickets[round + 3]!.reference, tickets[round + 3]!.contactEmail),
      b: () => request(generateReference(), freshEmail()),
      between: after.flush,
    });
    expectIndistinguishable(report, WAITING);
  });

  it('video join code request: a ticket with a call ahead vs an unknown reference', TIMING, async () => {
    const after = afterResponse();
    const agent = await newAgent(db);
    const tickets: { reference: string }[] = [];
    for (let i = 0; i < MAX_ROUNDS + 3; i++) {
      const user = await createUser(db);
      const ticket = await rawTicket(db, { userId: user.id });
      await db.videoAppointment.create({ data: { ticketId: ticket.id, agentId: agent.agentId, startsAt: new Date(T0.getTime() + 3_600_000), endsAt: new Date(T0.getTime() + 5_400_000), meetingUrl: `https://meet.jit.si/regain-${i}` } });
      tickets.push(ticket);
    }
    const request = (reference: string) => requestJoinCode({ db, hmacKey, delivery: slowDelivery, schedule: after.schedule, reference, ip: nextIp(), userAgent: UA, now: T0 });
    const report = await timePairs({
      ...rounds(WAITING),
      a: (round) => request(tickets[round + 3]!.reference),
      b: () => request(generateReference()),
      between: after.flush,
    });
    expectIndistinguishable(report, WAITING);
  });
});
