import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import {
  getChallengeView,
  getVerifiedRecovery,
  resendCode,
  startRecovery,
  verifyCode,
  type VerificationDeps,
} from '@/lib/verification/challenges';
import { CODE_FAILURES, CODE_TTL_SECONDS, MAX_ATTEMPTS, MAX_CONSECUTIVE_FAILURES, SEND_LIMITS } from '@/lib/verification/policy';
import { consumeRateLimit } from '@/lib/limits';
import { capturingDelivery, collectingScheduler, fixedClock } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { createUser, nextIp } from '../support/factories';
import { compareTimings, logTiming } from '../support/stats';

const { db } = await useTestDatabase();
const hmacKey = randomBytes(32);
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0 Safari/537.36';

function setup(start = '2026-05-01T10:00:00Z') {
  const clock = fixedClock(start);
  const capture = capturingDelivery();
  const scheduler = collectingScheduler();
  const deps: VerificationDeps = { db, hmacKey, delivery: capture.delivery, now: clock.now, schedule: scheduler.schedule };
  const start_ = async (identifier: string, ip = nextIp()) => {
    const result = await startRecovery(deps, { identifier, ip, userAgent: UA });
    await scheduler.flush();
    return result;
  };
  const resend = async (challengeId: string, channel: 'sms' | 'voice' | 'email', ip = nextIp()) => {
    const view = await resendCode(deps, { challengeId, channel, ip });
    await scheduler.flush();
    return view;
  };
  const verify = (challengeId: string, code: string, ip = nextIp()) => verifyCode(deps, { challengeId, code, ip });
  return { clock, capture, deps, start: start_, resend, verify };
}

describe('one-time codes (docs/security.md 1-3)', () => {
  it('sends a 6-digit code by SMS to the verified phone and stores only a keyed hash', async () => {
    const { start, capture } = setup();
    const user = await createUser(db, { phone: '+447700900142' });
    const { challengeId, view } = await start(user.email);
    expect(view).toMatchObject({ channel: 'sms', destination: '+44 ••• ••• 01 42', attemptsLeft: 5, status: 'active' });
    expect(capture.sent).toHaveLength(1);
    const code = capture.lastCode(user.phone!)!;
    expect(code).toMatch(/^\d{6}$/);
    expect(capture.sent[0]!.text).toContain(code);

    const row = await db.verificationChallenge.findUniqueOrThrow({ where: { id: challengeId } });
    expect(row.codeHash).toHaveLength(32);
    expect(Buffer.from(row.codeHash!).toString('latin1')).not.toContain(code);
    expect(JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(code);
  });

  it('accepts the right code once and only for its own challenge', async () => {
    const { start, verify, capture } = setup();
    const user = await createUser(db);
    const first = await start(user.email);
    const firstCode = capture.lastCode()!;
    const second = await start(user.email);
    expect(await verify(second.challengeId, firstCode)).toMatchObject({ status: firstCode === capture.lastCode() ? 'verified' : 'wrong' });
    expect(await verify(first.challengeId, firstCode)).toEqual({ status: 'verified', userId: user.id });
    expect(await verify(first.challengeId, firstCode)).toEqual({ status: 'used' });
  });

  it.each([
    [CODE_TTL_SECONDS - 1, 'verified'],
    [CODE_TTL_SECONDS, 'expired'],
    [CODE_TTL_SECONDS + 60, 'expired'],
  ])('a code submitted %i s after sending is %s', async (seconds, status) => {
    const { start, verify, capture, clock } = setup();
    const user = await createUser(db);
    const { challengeId } = await start(user.email);
    clock.advance(seconds);
    expect((await verify(challengeId, capture.lastCode()!)).status).toBe(status);
  });

  it(`kills the challenge after ${MAX_ATTEMPTS} wrong codes, even for the right one afterwards`, async () => {
    const { start, verify, capture } = setup();
    const user = await createUser(db);
    const { challengeId } = await start(user.email);
    const code = capture.lastCode()!;
    const wrong = code === '000000' ? '111111' : '000000';
    const results = [];
    for (let i = 0; i < MAX_ATTEMPTS; i++) results.push(await verify(challengeId, wrong));
    expect(results.map((r) => ('attemptsLeft' in r ? r.attemptsLeft : r.status))).toEqual([4, 3, 2, 1, 'locked']);
    expect(await verify(challengeId, code)).toEqual({ status: 'locked' });
  });

  it('a resend replaces the code and keeps the failed-attempt count', async () => {
    const { start, resend, verify, capture, clock } = setup();
    const user = await createUser(db);
    const { challengeId } = await start(user.email);
    const oldCode = capture.lastCode()!;
    await verify(challengeId, oldCode === '000000' ? '111111' : '000000');
    await verify(challengeId, oldCode === '000000' ? '111111' : '000000');
    clock.advance(30);
    const view = await resend(challengeId, 'sms');
    expect(view!.attemptsLeft).toBe(3);
    const newCode = capture.lastCode()!;
    if (newCode !== oldCode) expect(await verify(challengeId, oldCode)).toEqual({ status: 'wrong', attemptsLeft: 2 });
    expect((await verify(challengeId, newCode)).status).toBe('verified');
  });

  it('of 20 simultaneous correct submissions exactly one succeeds', async () => {
    const { start, verify, capture } = setup();
    const user = await createUser(db);
    const { challengeId } = await start(user.email);
    const code = capture.lastCode()!;
    const results = await Promise.all(Array.from({ length: 20 }, () => verify(challengeId, code)));
    expect(results.filter((r) => r.status === 'verified')).toHaveLength(1);
  });

  it(`locks an identifier for a while after ${MAX_CONSECUTIVE_FAILURES} failures across challenges; clients that failed wait it out`, async () => {
    const { start, verify, capture, clock } = setup();
    const user = await createUser(db);
    let failures = 0;
    let challengeId = '';
    // The last guesser tries again at once: it has failed, so the lock (time-boxed, rule 23) holds it.
    const last = nextIp();
    while (failures < MAX_CONSECUTIVE_FAILURES) {
      // Three challenges an hour: under the send limits, with two left for the checks below.
      if (failures % (3 * MAX_ATTEMPTS) === 0) clock.advance(3601);
      if (failures % MAX_ATTEMPTS === 0) challengeId = (await start(user.email)).challengeId;
      const code = capture.lastCode()!;
      await verify(challengeId, code === '000000' ? '111111' : '000000', failures === MAX_CONSECUTIVE_FAILURES - 1 ? last : nextIp());
      failures++;
    }
    const fresh = await start(user.email);
    await expect(verify(fresh.challengeId, capture.lastCode()!, last)).rejects.toMatchObject({ code: 'rate_limited', retryAfterSeconds: CODE_FAILURES.perSubject.lockSeconds });
    clock.advance(CODE_FAILURES.perSubject.lockSeconds + 1);
    const after = await start(user.email);
    expect(await verify(after.challengeId, capture.lastCode()!, last)).toEqual({ status: 'verified', userId: user.id });
  }, 60_000);

  it('never writes a code to the logs', async () => {
    const { start, verify, capture } = setup();
    const user = await createUser(db);
    const written: string[] = [];
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      const { challengeId } = await start(user.email);
      await verify(challengeId, '123456');
      await verify(challengeId, capture.lastCode()!);
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
    }
    expect(written.join('')).not.toContain(capture.lastCode()!);
  });
});

describe('the code ladder', () => {
  it('waits a growing cooldown between sends, then sends by SMS, voice or email', async () => {
    const { start, resend, capture, clock } = setup();
    const user = await createUser(db, { phone: '+15555550123' });
    const { challengeId } = await start(user.email);
    await expect(resend(challengeId, 'voice')).rejects.toMatchObject({ code: 'rate_limited', retryAfterSeconds: 30 });
    clock.advance(30);
    const voice = await resend(challengeId, 'voice');
    expect(voice).toMatchObject({ channel: 'voice', destination: '+1 ••• ••• 01 23' });
    expect(capture.sent.at(-1)).toMatchObject({ channel: 'voice', to: '+15555550123' });
    await expect(resend(challengeId, 'email')).rejects.toMatchObject({ retryAfterSeconds: 60 });
    clock.advance(60);
    const email = await resend(challengeId, 'email');
    expect(email).toMatchObject({ channel: 'email', destination: `${user.email[0]}•••@example.com` });
    expect(capture.sent.at(-1)).toMatchObject({ channel: 'email', to: user.email });
  });

  it('never sends SMS or voice to an unverified number (docs/security.md 5)', async () => {
    const { start, resend, capture, clock } = setup();
    const user = await createUser(db, { phoneVerified: false });
    const { challengeId, view } = await start(user.email);
    expect(view!.channel).toBe('email');
    clock.advance(30);
    await resend(challengeId, 'sms');
    expect(capture.sent.map((m) => m.channel)).toEqual(['email']);
  });

  it('limits SMS to 5 per number per hour, answers 429 and sends nothing more (docs/security.md 4)', async () => {
    const { start, capture, clock } = setup();
    const user = await createUser(db);
    for (let i = 0; i < SEND_LIMITS.smsPerDestination.limit; i++) await start(user.phone!);
    await expect(start(user.phone!)).rejects.toMatchObject({ code: 'rate_limited', status: 429 });
    expect(capture.sent).toHaveLength(SEND_LIMITS.smsPerDestination.limit);
    clock.advance(3600);
    await start(user.phone!);
    expect(capture.sent).toHaveLength(SEND_LIMITS.smsPerDestination.limit + 1);
  });

  it('limits requests per IP address', async () => {
    const { start } = setup();
    const ip = nextIp();
    for (let i = 0; i < SEND_LIMITS.perIp.limit; i++) await start(`someone${i}@example.net`, ip);
    await expect(start('one-more@example.net', ip)).rejects.toMatchObject({ code: 'rate_limited' });
  });

  it('reports a provider failure so the person can pick another way, and keeps the challenge', async () => {
    const { clock, deps } = setup();
    const user = await createUser(db);
    const failing = { ...deps, delivery: { send: async () => Promise.reject(new Error('twilio 21211')) }, schedule: undefined };
    const { challengeId } = await startRecovery(failing, { identifier: user.email, ip: nextIp(), userAgent: UA });
    await db.outboundMessage.create({ data: { channel: 'SMS', to: user.phone!, bodyText: 'masked', purpose: 'recovery-code', provider: 'twilio', status: 'FAILED', challengeId, createdAt: clock.now() } });
    const view = await getChallengeView(deps, challengeId);
    expect(view).toMatchObject({ status: 'active', deliveryProblem: "We couldn't send a code by text message. Try a phone call or email instead." });
  });
});

describe('enumeration (docs/security.md 13)', () => {
  it('answers an unknown identifier with a decoy of the same shape that never verifies and sends nothing', async () => {
    const { start, verify, resend, capture, clock } = setup();
    const user = await createUser(db, { phone: '+15555550188' });
    const known = await start(user.phone!);
    const unknown = await start('+15555550199');
    expect(Object.keys(unknown.view!).sort()).toEqual(Object.keys(known.view!).sort());
    expect(unknown.view).toMatchObject({ channel: 'sms', destination: '+1 ••• ••• 01 99', attemptsLeft: 5, status: 'active' });
    expect(capture.sent.every((m) => m.to === user.phone)).toBe(true);
    for (const code of ['000000', '123456', '999999']) expect((await verify(unknown.challengeId, code)).status).toBe('wrong');
    clock.advance(30);
    expect(await resend(unknown.challengeId, 'email')).toMatchObject({ channel: 'email', attemptsLeft: 2 });
    expect(capture.sent.every((m) => m.to !== '+15555550199')).toBe(true);

    const decoyByEmail = await start('nobody-here@example.org');
    const again = await start('nobody-here@example.org');
    expect(decoyByEmail.view!.destination).toBe(again.view!.destination); // stable, like a real account
  });

  it('takes the same time for known and unknown identifiers (Mann–Whitney U and a Hodges–Lehmann bound)', async () => {
    const { deps } = setup();
    // A provider that takes as long as a real one: if the code for known accounts waited for it,
    // the difference would show.
    const slow = { send: () => new Promise<never>((resolve) => setTimeout(() => resolve({ messageId: 'x', provider: 'outbox' } as never), 15)) };
    const timedDeps = { ...deps, delivery: slow, schedule: undefined };
    // 40 pairs, and 40 more at a time (up to 160) while the interval of the shift is wider than the
    // bound, as timePairs does in the attack tests: a busy machine needs more samples, not a re-run.
    const users = await Promise.all(Array.from({ length: 160 }, () => createUser(db)));
    const timings = { known: [] as number[], unknown: [] as number[] };
    for (let i = 0; i < 160; i++) {
      if (i > 0 && i % 40 === 0) {
        const sofar = compareTimings(timings.known, timings.unknown, { boundMs: 3 });
        if (sofar.indistinguishable && sofar.conclusive) break;
      }
      const pair = [['known', users[i]!.email], ['unknown', `ghost-${i}-${randomBytes(3).toString('hex')}@example.com`]] as const;
      // Alternate which goes first, so a warm cache after the first call favours neither kind.
      for (const [kind, identifier] of i % 2 ? [...pair].reverse() : pair) {
        const started = performance.now();
        await startRecovery(timedDeps, { identifier, ip: nextIp(), userAgent: UA });
        timings[kind].push(performance.now() - started);
      }
    }
    // Indistinguishable: no difference significant at p ≤ 0.001, and a Hodges–Lehmann shift within
    // ±3 ms (waiting for the 15 ms provider would sit far outside it).
    const verdict = compareTimings(timings.known, timings.unknown, { boundMs: 3 });
    logTiming(expect.getState().currentTestName, verdict.summary, { a: timings.known, b: timings.unknown });
    expect(verdict.indistinguishable, verdict.summary).toBe(true);
  }, 60_000);
});

describe('the proof a verified code establishes (docs/security.md rules 10, 22)', () => {
  it('is the channel of the code actually entered, whatever the row says later', async () => {
    const { start, resend, verify, capture, clock } = setup();
    const user = await createUser(db, { phone: '+447700900777' });
    const { challengeId } = await start(user.email);
    clock.advance(31);
    await resend(challengeId, 'email');
    expect(await verify(challengeId, capture.lastCode(user.email)!)).toEqual({ status: 'verified', userId: user.id });
    // Someone who could rewrite the challenge's channel afterwards still gets the proof that happened.
    await db.verificationChallenge.update({ where: { id: challengeId }, data: { channel: 'TRUSTED_DEVICE' } });
    expect(await getVerifiedRecovery(db, challengeId, clock.now())).toMatchObject({ userId: user.id, proof: 'email_code' });

    const sms = await start(user.email);
    expect(await verify(sms.challengeId, capture.lastCode(user.phone!)!)).toMatchObject({ status: 'verified' });
    expect(await getVerifiedRecovery(db, sms.challengeId, clock.now())).toMatchObject({ proof: 'phone_code' });
  });

  it('is never a device approval: an approved recovery challenge with no code entered verifies nothing', async () => {
    const { clock } = setup();
    const user = await createUser(db);
    // What the first build left behind when a signed-out device tapped Approve on a code request.
    const approved = await db.verificationChallenge.create({
      data: { purpose: 'RECOVERY', userId: user.id, identifierHash: new Uint8Array(randomBytes(32)), channel: 'TRUSTED_DEVICE', approvedAt: clock.now(), consumedAt: clock.now(), expiresAt: new Date(clock.now().getTime() + 300_000) },
    });
    expect(await getVerifiedRecovery(db, approved.id, clock.now())).toBeUndefined();
  });

  it('a code request whose channel became a device approval cannot be finished with its old code', async () => {
    const { start, verify, capture } = setup();
    const user = await createUser(db, { phone: '+447700900778' });
    const { challengeId } = await start(user.email);
    await db.verificationChallenge.update({ where: { id: challengeId }, data: { channel: 'TRUSTED_DEVICE' } });
    expect(await verify(challengeId, capture.lastCode(user.phone!)!)).toEqual({ status: 'used' });
    expect((await db.verificationChallenge.findUniqueOrThrow({ where: { id: challengeId } })).consumedAt).toBeNull();
  });

  it('resend refuses any channel but sms, voice and email, before it can become a limit key', async () => {
    const { start } = setup();
    const user = await createUser(db);
    const { challengeId } = await start(user.email);
    const { deps } = setup();
    for (const channel of ['constructor', '__proto__', 'toString', 'trusted_device', 'fax']) {
      await expect(resendCode(deps, { challengeId, channel: channel as 'sms', ip: nextIp() })).rejects.toMatchObject({ code: 'validation_failed' });
      expect(await db.rateLimitBucket.count({ where: { key: { contains: `:${channel}:` } } })).toBe(0);
    }
  });
});

describe('rate-limit buckets', () => {
  it('block past the limit, and each further breach blocks twice as long', async () => {
    const clock = fixedClock('2026-05-01T00:00:00Z');
    const key = `test:${randomBytes(4).toString('hex')}`;
    const limit = { limit: 2, windowSeconds: 60 };
    const take = () => consumeRateLimit(db, key, limit, clock.now());
    expect([(await take()).allowed, (await take()).allowed]).toEqual([true, true]);
    expect(await take()).toEqual({ allowed: false, retryAfterSeconds: 60 });
    clock.advance(61);
    expect((await take()).allowed).toBe(true);
    expect((await take()).allowed).toBe(true);
    expect(await take()).toEqual({ allowed: false, retryAfterSeconds: 120 });
  });

  it('hold under concurrency: 20 simultaneous requests against a limit of 5 let exactly 5 through', async () => {
    const key = `test:${randomBytes(4).toString('hex')}`;
    const now = new Date();
    const results = await Promise.all(Array.from({ length: 20 }, () => consumeRateLimit(db, key, { limit: 5, windowSeconds: 60 }, now)));
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
  });
});
