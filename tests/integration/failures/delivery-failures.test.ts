import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '@/lib/config';
import type { Delivery } from '@/lib/delivery';
import { getActiveHold } from '@/lib/holds';
import { setLogLevel } from '@/lib/log';
import { SECURITY_NOTICE_PURPOSE } from '@/lib/notifications';
import { finishPasskeyRegistration, startPasskeyRegistration } from '@/lib/passkeys';
import { reportUnrecognisedPasskey, type Actor, type ChangeDeps } from '@/lib/sessions/changes';
import { getChallengeView, resendCode, startRecovery, verifyCode, type VerificationDeps } from '@/lib/verification/challenges';
import { resendCooldownSeconds } from '@/lib/verification/policy';
import { collectingScheduler } from '../../support/capturing-delivery';
import { useTestDatabase } from '../../support/db';
import { createUser, nextIp } from '../../support/factories';
import { bringRetriesForward, jobPayloads, messageQueue } from '../../support/message-queue';
import { freePort } from '../../support/ports';
import { SoftAuthenticator } from '../../support/soft-authenticator';
import { startSmtpSink, type SmtpFailure, type SmtpSink } from '../../support/smtp-sink';
import { startTwilioFake, type TwilioFailure, type TwilioFake } from '../../support/twilio-fake';

// Failure injection for delivery: the real SMTP and Twilio clients against real local servers
// that are down, refuse, answer with errors or never answer; a real PostgreSQL; messages queued
// and sent by graphile-worker as in the server. What a person sees is the challenge view; what must
// hold is that the challenge survives, the failure is recorded on the message (waiting for another
// try, or FAILED for a refused destination), nothing raw reaches the caller, and the next code
// arrives once the provider is back (the earlier ones are then given up, never sent late).

const { db, url } = await useTestDatabase();
const hmacKey = randomBytes(32);
const APP_URL = 'https://regain.test';
const ACCOUNT_SID = 'AC00000000000000000000000000000fa1';
const AUTH_TOKEN = 'failure-injection-token';
const FROM = '+15005550006';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0';
/** Per-stage provider timeout: short, so "never answers" costs well under a second per send. */
const TIMEOUT_MS = 300;
/**
 * The most a send and the worker's try may take: the providers' own timeouts, or the dispatcher's
 * backstop (2 × timeout + 1 s), plus the start of a one-shot runner (it connects on every pass).
 */
const MAX_SEND_MS = 2 * TIMEOUT_MS + 1_000 + 500 + 1_500;

const PROBLEM = {
  email: "We couldn't send a code by email. Try a text message, a phone call or a trusted device instead.",
  sms: "We couldn't send a code by text message. Try a phone call or email instead.",
  voice: "We couldn't send a code by phone call. Try a text message or email instead.",
};

let phone: TwilioFake;
let smtp: SmtpSink;

beforeAll(async () => {
  setLogLevel('error'); // every failure here is logged as a warning on purpose
  phone = await startTwilioFake({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  smtp = await startSmtpSink();
});
afterAll(async () => {
  setLogLevel('info');
  await phone?.close();
  await smtp?.close();
});

function deliveryTo(smtpUrl: string): Delivery {
  const email: Config['email'] = { transport: 'smtp', url: smtpUrl, from: 'Regain Security <security@regain.test>' };
  const sms: Config['sms'] = { transport: 'twilio', accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: FROM, apiBaseUrl: phone.url };
  // As in the server: queued, and the worker takes it at once.
  return messageQueue({ db, url, hmacKey, email, sms, appUrl: APP_URL, timeoutMs: TIMEOUT_MS }).sendingNow;
}

/** One pass of the worker over the due messages, through the working providers. */
async function drain() {
  await drainThrough(smtp.url);
}

async function drainThrough(smtpUrl: string) {
  const email: Config['email'] = { transport: 'smtp', url: smtpUrl, from: 'Regain Security <security@regain.test>' };
  const sms: Config['sms'] = { transport: 'twilio', accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: FROM, apiBaseUrl: phone.url };
  await messageQueue({ db, url, hmacKey, email, sms, appUrl: APP_URL, timeoutMs: TIMEOUT_MS }).drain();
}

/** The earlier messages' next tries, brought forward: a message whose code was replaced is given up. */
async function runRetries() {
  await bringRetriesForward(db);
  await drain();
}

/** The recovery journey as the pages drive it, with sends awaited so the test can look at them. */
function recovery(delivery: Delivery) {
  const scheduler = collectingScheduler();
  const deps: VerificationDeps = { db, hmacKey, delivery, schedule: scheduler.schedule };
  return {
    async start(identifier: string) {
      const result = await startRecovery(deps, { identifier, ip: nextIp(), userAgent: UA });
      await scheduler.flush();
      return result;
    },
    /**
     * "Didn't get the code?" once the resend wait is over. Returns what the code page shows once
     * the send has run (it runs after the response, so the answer to the request itself cannot know).
     */
    async resend(challengeId: string, channel: 'sms' | 'voice' | 'email') {
      await letResendWaitPass(challengeId);
      await resendCode(deps, { challengeId, channel, ip: nextIp() });
      await scheduler.flush();
      return getChallengeView(deps, challengeId);
    },
    view: (challengeId: string) => getChallengeView(deps, challengeId),
    verify: (challengeId: string, code: string) => verifyCode(deps, { challengeId, code, ip: nextIp() }),
  };
}

/**
 * The resend wait (30 s, growing) passes without the test sleeping: the challenge and its messages
 * are moved that far into the past, which is what waiting would have done to them.
 */
async function letResendWaitPass(challengeId: string) {
  const { sendCount } = await db.verificationChallenge.findUniqueOrThrow({ where: { id: challengeId }, select: { sendCount: true } });
  const seconds = resendCooldownSeconds(sendCount) + 1;
  await db.$executeRaw`UPDATE "VerificationChallenge" SET "createdAt" = "createdAt" - make_interval(secs => ${seconds}), "lastSentAt" = "lastSentAt" - make_interval(secs => ${seconds}), "expiresAt" = "expiresAt" - make_interval(secs => ${seconds}) WHERE "id" = ${challengeId}::uuid`;
  await db.$executeRaw`UPDATE "OutboundMessage" SET "createdAt" = "createdAt" - make_interval(secs => ${seconds}) WHERE "challengeId" = ${challengeId}::uuid`;
}

async function messagesOf(challengeId: string) {
  return db.outboundMessage.findMany({ where: { challengeId }, orderBy: { createdAt: 'asc' }, select: { channel: true, status: true, error: true, provider: true } });
}

async function challengeRow(challengeId: string) {
  return db.verificationChallenge.findUniqueOrThrow({ where: { id: challengeId }, select: { sendCount: true, consumedAt: true, channel: true } });
}

/** The code in what the person received: the last SMS to `to`, or an email's text. */
function codeIn(text: string | undefined) {
  const code = /\b(\d{6})\b/.exec(text ?? '')?.[1];
  expect(code, 'a 6-digit code in the message').toBeDefined();
  return code!;
}

async function timed<T>(work: Promise<T>) {
  const started = Date.now();
  const value = await work;
  return { value, ms: Date.now() - started };
}

describe('email codes when SMTP fails', () => {
  it('SMTP down (closed port): the challenge stays, the page suggests another way, and the next resend arrives once SMTP is back', async () => {
    const port = await freePort();
    const flow = recovery(deliveryTo(`smtp://127.0.0.1:${port}`));
    const user = await createUser(db, { phone: null }); // email is the only channel: the first code goes there

    const { value: started, ms } = await timed(flow.start(user.email));
    expect(ms).toBeLessThan(MAX_SEND_MS);
    const { challengeId } = started;
    expect(started.view).toMatchObject({ channel: 'email', status: 'active' });
    expect(await messagesOf(challengeId)).toEqual([{ channel: 'EMAIL', status: 'QUEUED', provider: 'smtp', error: expect.stringMatching(/^provider_error: smtp E[A-Z]+/) }]);
    expect(await flow.view(challengeId)).toMatchObject({ status: 'active', channel: 'email', deliveryProblem: PROBLEM.email });

    // Trying again while SMTP is still down: the same challenge, still a clear problem, no throw.
    const retried = await flow.resend(challengeId, 'email');
    expect(retried).toMatchObject({ status: 'active', deliveryProblem: PROBLEM.email });
    expect(await challengeRow(challengeId)).toMatchObject({ sendCount: 2, consumedAt: null });

    const back = await startSmtpSink({ port });
    try {
      const view = await flow.resend(challengeId, 'email');
      expect(view).toMatchObject({ status: 'active', channel: 'email', deliveryProblem: undefined });
      const mail = await back.waitForMessage((m) => m.to.includes(user.email));
      expect((await messagesOf(challengeId)).map((m) => m.status)).toEqual(['QUEUED', 'QUEUED', 'SENT']);
      await runRetries();
      expect(await messagesOf(challengeId)).toEqual([
        { channel: 'EMAIL', status: 'FAILED', provider: 'smtp', error: 'expired: a newer code was sent' },
        { channel: 'EMAIL', status: 'FAILED', provider: 'smtp', error: 'expired: a newer code was sent' },
        { channel: 'EMAIL', status: 'SENT', provider: 'smtp', error: null },
      ]);
      expect(back.messages()).toHaveLength(1);
      expect(await flow.verify(challengeId, codeIn(mail.text))).toEqual({ status: 'verified', userId: user.id });
    } finally {
      await back.close();
    }
  });

  it.each<[string, SmtpFailure, RegExp]>([
    ['accepts the connection but never answers', 'hang', /^timeout: smtp ETIMEDOUT/],
    ['answers "421 service not available"', 'unavailable', /^provider_error: smtp E[A-Z]+ 421/],
  ])('SMTP that %s: our timeout or its refusal ends the send, and the code arrives once it behaves', async (_label, failure, recorded) => {
    const flow = recovery(deliveryTo(smtp.url));
    const user = await createUser(db, { phone: null });
    smtp.failWith(failure);
    let challengeId: string;
    try {
      const { value: started, ms } = await timed(flow.start(user.email));
      expect(ms).toBeLessThan(MAX_SEND_MS);
      challengeId = started.challengeId;
      expect(await messagesOf(challengeId)).toEqual([{ channel: 'EMAIL', status: 'QUEUED', provider: 'smtp', error: expect.stringMatching(recorded) }]);
      expect(await flow.view(challengeId)).toMatchObject({ status: 'active', deliveryProblem: PROBLEM.email });
    } finally {
      smtp.failWith(undefined);
    }
    expect(await flow.resend(challengeId, 'email')).toMatchObject({ status: 'active', deliveryProblem: undefined });
    const mail = await smtp.waitForMessage((m) => m.to.includes(user.email));
    expect(await flow.verify(challengeId, codeIn(mail.text))).toMatchObject({ status: 'verified' });
  });
});

describe('SMS and voice codes when Twilio fails', () => {
  it.each<[string, TwilioFailure, RegExp]>([
    ['a 500', { kind: 'error', status: 500, code: 20500 }, /^provider_error: twilio HTTP 500 error 20500$/],
    ['a 429 (too many requests)', { kind: 'error', status: 429, code: 20429, message: 'Too Many Requests' }, /^provider_error: twilio HTTP 429 error 20429$/],
    ['a 401 (our credentials refused)', { kind: 'error', status: 401, code: 20003, message: 'Authenticate' }, /^provider_error: twilio HTTP 401 error 20003$/],
    ['error 21612 (number not reachable by SMS)', { kind: 'error', status: 400, code: 21612 }, /^invalid_destination: twilio HTTP 400 error 21612$/],
    ["a proxy's 502 page instead of JSON", { kind: 'raw', status: 502, body: '<html><body>502 Bad Gateway</body></html>' }, /^provider_error: twilio HTTP 502$/],
    ['a dropped connection', { kind: 'drop' }, /^provider_error: twilio E[A-Z]+$/],
    ['no answer at all', { kind: 'hang' }, /^timeout: twilio /],
  ])('Twilio answering with %s: the challenge stays, the page suggests another way, and the next resend succeeds once Twilio is back', async (_label, failure, recorded) => {
    const flow = recovery(deliveryTo(smtp.url));
    const user = await createUser(db); // a verified phone: the first code goes by SMS
    phone.failWith(failure);
    let challengeId: string;
    try {
      const { value: started, ms } = await timed(flow.start(user.phone!));
      expect(ms).toBeLessThan(MAX_SEND_MS);
      challengeId = started.challengeId;
      expect(started.view).toMatchObject({ channel: 'sms', status: 'active' });
      // A refused destination is given up at once; anything else waits for another try.
      const firstStatus = recorded.source.startsWith('^invalid_destination') ? 'FAILED' : 'QUEUED';
      expect(await messagesOf(challengeId)).toEqual([{ channel: 'SMS', status: firstStatus, provider: 'twilio', error: expect.stringMatching(recorded) }]);
      expect(await flow.view(challengeId)).toMatchObject({ status: 'active', deliveryProblem: PROBLEM.sms });

      // The person takes the suggestion and asks for a call; Twilio is still failing.
      const { value: called, ms: callMs } = await timed(flow.resend(challengeId, 'voice'));
      expect(callMs).toBeLessThan(MAX_SEND_MS);
      expect(called).toMatchObject({ status: 'active', channel: 'voice', deliveryProblem: PROBLEM.voice });
      expect(await challengeRow(challengeId)).toMatchObject({ sendCount: 2, consumedAt: null, channel: 'VOICE' });
    } finally {
      phone.failWith(undefined);
    }

    phone.clear();
    const view = await flow.resend(challengeId, 'sms');
    expect(view).toMatchObject({ status: 'active', channel: 'sms', deliveryProblem: undefined });
    await runRetries();
    expect((await messagesOf(challengeId)).map((m) => `${m.channel} ${m.status}`)).toEqual(['SMS FAILED', 'VOICE FAILED', 'SMS SENT']);
    expect(phone.messages()).toHaveLength(1);
    const [sms] = phone.messages();
    expect(sms?.to).toBe(user.phone);
    expect(await flow.verify(challengeId, codeIn(sms?.body))).toEqual({ status: 'verified', userId: user.id });
  });

  it('a failed send never reaches the caller; the row and the job keep neither the provider text nor the code', async () => {
    const delivery = deliveryTo(smtp.url);
    const user = await createUser(db);
    phone.failWith({ kind: 'error', status: 500, code: 20500, message: `Internal error for ${user.phone}` });
    try {
      const result = await delivery.send({ channel: 'sms', to: user.phone!, purpose: 'recovery-code', text: 'Regain verification code: 123456.', sensitive: ['123456'] });
      expect(result).toMatchObject({ provider: 'twilio', status: 'queued' });
      // Neither the provider's text (which quotes the number) nor the code is kept.
      const row = await db.outboundMessage.findFirstOrThrow({ where: { to: user.phone! }, orderBy: { createdAt: 'desc' } });
      expect(row).toMatchObject({ status: 'QUEUED', error: 'provider_error: twilio HTTP 500 error 20500' });
      expect(JSON.stringify(row)).not.toContain('123456');
      for (const payload of await jobPayloads(db)) {
        expect(payload).not.toContain('123456');
        expect(payload).not.toContain(user.phone!);
      }
    } finally {
      phone.failWith(undefined);
    }
  });
});

describe('security notices when SMTP is down', () => {
  it('the factor change completes; the email notice waits for another try and the SMS notice still goes out', async () => {
    const rp = { rpId: 'localhost', rpName: 'Regain', origin: 'http://localhost:3000' };
    const user = await createUser(db);
    const authenticator = new SoftAuthenticator({ kind: 'security_key' });
    const now = new Date();
    const options = await startPasskeyRegistration({ db, rp, owner: { userId: user.id }, userName: user.email, displayName: user.displayName, now });
    const { passkey } = await finishPasskeyRegistration({ db, rp, owner: { userId: user.id }, response: authenticator.register(options, rp.origin), now });
    const session = await db.session.create({ data: { userId: user.id, method: 'passkey', expiresAt: new Date(now.getTime() + 3_600_000) }, select: { id: true } });
    const actor: Actor = { userId: user.id, sessionId: session.id, ip: nextIp(), userAgent: UA };

    const down = `smtp://127.0.0.1:${await freePort()}`;
    phone.clear();
    const deps: ChangeDeps = { db, hmacKey, encryptionKey: randomBytes(32), rp, delivery: deliveryTo(down), now };
    const result = await reportUnrecognisedPasskey(deps, actor, { passkeyId: passkey.id });
    // The notices were queued in the change's transaction; the worker sends them after its commit.
    expect(phone.messages()).toHaveLength(0);
    await drainThrough(down);

    expect(result.removed.id).toBe(passkey.id);
    expect(await db.passkeyCredential.count({ where: { userId: user.id } })).toBe(0);
    expect(await getActiveHold({ db, userId: user.id, now })).toMatchObject({ endsAt: result.holdEndsAt });
    expect(await db.auditEvent.count({ where: { actorId: user.id, action: 'passkey.revoked' } })).toBe(1);
    const notices = await db.outboundMessage.findMany({ where: { purpose: SECURITY_NOTICE_PURPOSE, OR: [{ to: user.email }, { to: user.phone! }] }, select: { channel: true, status: true, error: true } });
    expect(notices).toEqual(
      expect.arrayContaining([
        { channel: 'EMAIL', status: 'QUEUED', error: expect.stringMatching(/^provider_error: smtp/) },
        { channel: 'SMS', status: 'SENT', error: null },
      ]),
    );
    expect(phone.messages().map((m) => m.to)).toEqual([user.phone]);
  });
});
