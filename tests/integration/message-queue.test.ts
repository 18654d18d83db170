import { randomBytes, randomInt } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '@/lib/config';
import { CODE_MESSAGE_ATTEMPTS, createDispatcher, MASK, SEND_MESSAGE_TASK, type OutgoingMessage } from '@/lib/delivery';
import { messageState } from '@/lib/delivery/status';
import { codeEmail, codeSms } from '@/lib/delivery/templates';
import { videoCallCalendar } from '@/lib/delivery/templates/calendar';
import { countJobs, startJobRunner } from '@/lib/jobs';
import { setLogLevel } from '@/lib/log';
import { notifySecurityChange } from '@/lib/notifications';
import { listTicketMessages } from '@/lib/recovery/console';
import { generateReference, TICKET_SLA_HOURS } from '@/lib/recovery/tickets';
import { getChallengeView, startRecovery, type VerificationDeps } from '@/lib/verification/challenges';
import { collectingScheduler } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { createUser, nextIp } from '../support/factories';
import { bringRetriesForward, jobPayloads, messageQueue } from '../support/message-queue';
import { freePort } from '../support/ports';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { FAKE_NUMBERS, startTwilioFake, type TwilioFake } from '../support/twilio-fake';

// Every message goes through the job queue (docs/security.md rule 28): a real PostgreSQL with
// graphile-worker's tables, graphile-worker itself running the jobs, nodemailer to a real SMTP
// server and the real twilio client to a Twilio-compatible server. Nothing of ours is mocked.

const { db, url } = await useTestDatabase();
const hmacKey = randomBytes(32);
const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'queue-auth-token';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0';
const SMS_PROBLEM = "We couldn't send a code by text message. Try a phone call or email instead.";

let smtp: SmtpSink;
let phone: TwilioFake;

beforeAll(async () => {
  setLogLevel('error'); // failures here are on purpose
  smtp = await startSmtpSink();
  phone = await startTwilioFake({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
});
afterAll(async () => {
  setLogLevel('info');
  await phone?.close();
  await smtp?.close();
});
afterEach(async () => {
  smtp.clear();
  phone.clear();
  // Each test starts with an empty queue (dead letters of the one before would only confuse).
  await db.$executeRaw`DELETE FROM graphile_worker._private_jobs`;
});

function emailSettings(smtpUrl = smtp.url): Config['email'] {
  return { transport: 'smtp', url: smtpUrl, from: 'Regain Security <security@regain.test>' };
}
const smsSettings = (): Config['sms'] => ({ transport: 'twilio', accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: '+15005550006', apiBaseUrl: phone.url });

function queue(options: { smtpUrl?: string; timeoutMs?: number } = {}) {
  return messageQueue({ db, url, hmacKey, email: emailSettings(options.smtpUrl), sms: smsSettings(), timeoutMs: options.timeoutMs ?? 1_000 });
}

const freshCode = () => String(randomInt(100000, 1000000));

function codeMessage(code: string, to: string, challengeId?: string): OutgoingMessage {
  const body = codeEmail({ code, purposeLabel: 'account recovery', expiresInMinutes: 10 });
  return { channel: 'email', to, purpose: 'recovery-code', subject: body.subject, text: body.text, html: body.html, sensitive: [code], ...(challengeId ? { challengeId } : {}) };
}

async function rowOf(id: string) {
  return db.outboundMessage.findUniqueOrThrow({ where: { id } });
}

/** A real recovery challenge for a user whose code goes by SMS to `phoneNumber`. */
async function smsChallenge(phoneNumber: string, delivery: VerificationDeps['delivery']) {
  const user = await createUser(db, { phone: phoneNumber, phoneVerified: true });
  const scheduler = collectingScheduler();
  const deps: VerificationDeps = { db, hmacKey, delivery, schedule: scheduler.schedule };
  const { challengeId } = await startRecovery(deps, { identifier: user.email, ip: nextIp(), userAgent: UA });
  await scheduler.flush();
  return { user, challengeId, view: () => getChallengeView(deps, challengeId) };
}

describe('a queued message', () => {
  it('is only a row and a job until the worker runs, then reaches the SMTP server and is SENT', async () => {
    const q = queue();
    const code = freshCode();
    const result = await q.delivery.send(codeMessage(code, 'queued@example.com'));

    expect(result).toMatchObject({ provider: 'smtp', status: 'queued' });
    expect(await rowOf(result.messageId)).toMatchObject({ status: 'QUEUED', providerId: null, error: null });
    expect((await countJobs(db, SEND_MESSAGE_TASK)).waiting).toBe(1);
    expect(smtp.messages()).toHaveLength(0);

    await q.drain();

    const mail = await smtp.waitForMessage((m) => m.to.includes('queued@example.com'));
    expect(mail.text).toContain(code);
    expect(mail.html).toContain(code);
    const row = await rowOf(result.messageId);
    expect(row).toMatchObject({ status: 'SENT', provider: 'smtp', error: null });
    expect(row.providerId).toBeTruthy();
    expect(await countJobs(db, SEND_MESSAGE_TASK)).toEqual({ waiting: 0, retrying: 0, dead: 0 });
  });

  it('an email with a calendar event keeps it through the queue and arrives with a text/calendar part', async () => {
    const q = queue();
    const calendar = videoCallCalendar({
      method: 'REQUEST',
      uid: 'call-1@regain',
      startsAt: new Date('2027-01-12T13:00:00Z'),
      endsAt: new Date('2027-01-12T13:30:00Z'),
      stamp: new Date(),
      summary: 'Regain Support video call',
      description: 'About recovery request RG-TEST',
      organizer: 'no-reply@regain.test',
      attendee: 'calendar@example.com',
    });
    await q.delivery.send({ channel: 'email', to: 'calendar@example.com', purpose: 'ticket-appointment', subject: 'Booked', text: 'Your call is booked.', calendar });
    await q.drain();
    const mail = await smtp.waitForMessage((m) => m.to.includes('calendar@example.com'));
    expect(mail.calendar?.replace(/\r\n /g, '')).toContain('METHOD:REQUEST');
    expect(mail.calendar).toContain('UID:call-1@regain');
    expect(mail.calendar).toContain('DTSTART:20270112T130000Z');
  });

  it('queued in a transaction goes out only after the commit; a rolled-back one never goes out', async () => {
    const q = queue();
    const code = freshCode();

    await expect(
      db.$transaction(async (tx) => {
        await q.delivery.send(codeMessage(code, 'rolled-back@example.com'), { db: tx });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await db.outboundMessage.count({ where: { to: 'rolled-back@example.com' } })).toBe(0);
    expect(await countJobs(db, SEND_MESSAGE_TASK)).toEqual({ waiting: 0, retrying: 0, dead: 0 });

    await db.$transaction(async (tx) => {
      await q.delivery.send(codeMessage(code, 'committed@example.com'), { db: tx });
      // The worker runs while the transaction is still open: it sees nothing to send.
      await q.drain();
      expect(smtp.messages()).toHaveLength(0);
    });
    await q.drain();

    await smtp.waitForMessage((m) => m.to.includes('committed@example.com'));
    expect(smtp.messages().map((m) => m.to)).toEqual([['committed@example.com']]);
  });

  it('never stores the code in plain text: not in the row, not in the job table', async () => {
    const q = queue();
    const code = freshCode();
    const { challengeId } = await smsChallenge('+447700900601', q.delivery);
    const sms = await db.outboundMessage.findFirstOrThrow({ where: { challengeId } });
    const email = await q.delivery.send(codeMessage(code, 'sealed@example.com'));

    const payloads = await jobPayloads(db);
    expect(payloads).toHaveLength(2);
    const emailRow = await rowOf(email.messageId);
    for (const stored of [JSON.stringify(emailRow), ...payloads]) {
      expect(stored).not.toContain(code);
      expect(stored).not.toContain([...code].join(', '));
    }
    expect(emailRow.bodyText).toContain(MASK);
    expect(sms.bodyText).toContain(MASK);
    // The payload names the message and carries its parts sealed, nothing readable.
    for (const payload of payloads) {
      const parsed = JSON.parse(payload) as Record<string, unknown>;
      expect(Object.keys(parsed).filter((key) => key !== 'giveUpAt').sort()).toEqual(['messageId', 'sealed']);
      expect(String(parsed.sealed)).not.toMatch(/Regain|code/i);
    }
    expect(payloads.join('')).not.toContain('sealed@example.com');

    // A payload moved onto another message does not open (the seal is bound to the message id).
    await db.$executeRaw`UPDATE graphile_worker._private_jobs SET payload = jsonb_set(payload::jsonb, '{messageId}', to_jsonb(${sms.id}::text))::json WHERE payload->>'messageId' = ${email.messageId}`;
    await q.drain();
    expect(smtp.messages()).toHaveLength(0);
    expect((await rowOf(email.messageId)).status).toBe('QUEUED');
  });

  it('a provider failure is retried, and the message arrives once the provider is back', async () => {
    const closedPort = await freePort();
    const q = queue({ timeoutMs: 500 });
    const down = createDispatcher({ email: emailSettings(`smtp://127.0.0.1:${closedPort}`), sms: smsSettings(), appUrl: 'https://regain.test', timeoutMs: 500 });
    const result = await q.delivery.send({ channel: 'email', to: 'retry@example.com', purpose: 'ticket-received', subject: 'Received', text: 'We have your request.' });

    await q.drain(down);
    let row = await rowOf(result.messageId);
    expect(row).toMatchObject({ status: 'QUEUED', error: expect.stringMatching(/^provider_error: smtp/) });
    expect(messageState(row)).toBe('retrying');
    expect(await countJobs(db, SEND_MESSAGE_TASK)).toEqual({ waiting: 0, retrying: 1, dead: 0 });

    // Not due yet (back-off): another pass sends nothing.
    await q.drain();
    expect(smtp.messages()).toHaveLength(0);

    await bringRetriesForward(db);
    await q.drain();
    const mail = await smtp.waitForMessage((m) => m.to.includes('retry@example.com'));
    expect(mail.text).toContain('We have your request.');
    row = await rowOf(result.messageId);
    expect(row).toMatchObject({ status: 'SENT', error: null });
    expect(messageState(row)).toBe('sent');
    expect(await countJobs(db, SEND_MESSAGE_TASK)).toEqual({ waiting: 0, retrying: 0, dead: 0 });
  });

  it('a refused destination is never tried again', async () => {
    const q = queue();
    const { challengeId, view } = await smsChallenge(FAKE_NUMBERS.invalid, q.delivery);
    await q.drain();
    const row = await db.outboundMessage.findFirstOrThrow({ where: { challengeId } });
    expect(row).toMatchObject({ status: 'FAILED', error: 'invalid_destination: twilio HTTP 400 error 21211' });
    expect(await countJobs(db, SEND_MESSAGE_TASK)).toEqual({ waiting: 0, retrying: 0, dead: 0 });
    expect(phone.requests()).toHaveLength(1);
    expect(await view()).toMatchObject({ status: 'active', deliveryProblem: SMS_PROBLEM });
  });
});

describe('a code message that cannot be delivered', () => {
  it('shows the problem on the code page while retried, and ends FAILED (a dead letter) after its few tries', async () => {
    const q = queue();
    const { challengeId, view } = await smsChallenge(FAKE_NUMBERS.serverError, q.delivery);
    expect(await view()).toMatchObject({ deliveryProblem: undefined });

    await q.drain();
    const retrying = await db.outboundMessage.findFirstOrThrow({ where: { challengeId } });
    expect(messageState(retrying)).toBe('retrying');
    expect(await view()).toMatchObject({ status: 'active', deliveryProblem: SMS_PROBLEM });

    for (let attempt = 2; attempt <= CODE_MESSAGE_ATTEMPTS; attempt++) {
      await bringRetriesForward(db);
      await q.drain();
    }
    expect(phone.requests()).toHaveLength(CODE_MESSAGE_ATTEMPTS);
    const failed = await db.outboundMessage.findFirstOrThrow({ where: { challengeId } });
    expect(failed).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/^provider_error: twilio HTTP 500/) });
    expect(messageState(failed)).toBe('failed');
    expect(await countJobs(db, SEND_MESSAGE_TASK)).toEqual({ waiting: 0, retrying: 0, dead: 1 });
    expect(await view()).toMatchObject({ status: 'active', deliveryProblem: SMS_PROBLEM });

    // Nothing more happens to a dead letter.
    await bringRetriesForward(db);
    await q.drain();
    expect(phone.requests()).toHaveLength(CODE_MESSAGE_ATTEMPTS);
  });

  it('logs each failed try that will be retried as a warning, and only the last as an error', async () => {
    const q = queue();
    const { challengeId } = await smsChallenge('+447700900607', q.delivery);
    phone.failWith({ kind: 'error', status: 500, code: 20500 });
    const lines: { level: string; event: string }[] = [];
    const stderr = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: unknown) => {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        try {
          lines.push(JSON.parse(line) as { level: string; event: string });
        } catch {
          // not one of ours
        }
      }
      return true;
    }) as typeof process.stderr.write;
    setLogLevel('warn');
    try {
      await q.drain();
      for (let attempt = 2; attempt <= CODE_MESSAGE_ATTEMPTS; attempt++) {
        await bringRetriesForward(db);
        await q.drain();
      }
    } finally {
      process.stderr.write = stderr;
      setLogLevel('error');
      phone.failWith(undefined);
    }
    const levels = (event: string) => lines.filter((l) => l.event === event).map((l) => l.level);
    const tries = CODE_MESSAGE_ATTEMPTS - 1;
    expect(levels('jobs')).toEqual([...Array<string>(tries).fill('warn'), 'error']);
    expect([...levels('delivery_retrying'), ...levels('delivery_failed')]).toEqual([...Array<string>(tries).fill('warn'), 'error']);
    expect((await db.outboundMessage.findFirstOrThrow({ where: { challengeId } })).status).toBe('FAILED');
  });

  it('is not sent once its challenge expired', async () => {
    const q = queue();
    const { challengeId } = await smsChallenge('+447700900602', q.delivery);
    await db.verificationChallenge.update({ where: { id: challengeId }, data: { expiresAt: new Date(Date.now() - 1_000) } });

    await q.drain();
    expect(phone.requests()).toHaveLength(0);
    expect(await db.outboundMessage.findFirstOrThrow({ where: { challengeId } })).toMatchObject({ status: 'FAILED', error: 'expired: challenge expired' });
    expect(await countJobs(db, SEND_MESSAGE_TASK)).toEqual({ waiting: 0, retrying: 0, dead: 0 });
  });

  it('is not sent when a newer code for the same challenge was queued after it', async () => {
    const q = queue();
    const { challengeId } = await smsChallenge('+447700900603', q.delivery);
    const newer = freshCode();
    await q.delivery.send({ channel: 'sms', to: '+447700900603', purpose: 'recovery-code', challengeId, text: codeSms({ code: newer, expiresInMinutes: 10 }).text, sensitive: [newer] });

    await q.drain();
    expect(phone.messages().map((m) => m.body)).toEqual([expect.stringContaining(newer)]);
    const rows = await db.outboundMessage.findMany({ where: { challengeId }, orderBy: { createdAt: 'asc' } });
    expect(rows.map((r) => [r.status, r.error])).toEqual([
      ['FAILED', 'expired: a newer code was sent'],
      ['SENT', null],
    ]);
  });
});

describe('a restart', () => {
  it('loses nothing: a message queued while no runner ran is sent when one starts', async () => {
    const q = queue();
    const queued = await q.delivery.send({ channel: 'sms', to: '+447700900604', purpose: 'security-notice', text: 'Your Regain sign-in methods changed.' });
    expect(phone.requests()).toHaveLength(0);

    const runner = await startJobRunner({ connectionString: url, taskList: q.taskList(), pollIntervalMs: 200, concurrency: 1 });
    try {
      await expect.poll(async () => (await rowOf(queued.messageId)).status, { timeout: 10_000 }).toBe('SENT');
      expect(phone.messages().map((m) => [m.to, m.body])).toEqual([['+447700900604', 'Your Regain sign-in methods changed.']]);
    } finally {
      await runner.stop();
    }
  });
});

describe('what an agent sees of a ticket\'s emails', () => {
  it('says queued, sent, "delivery failed — retrying" and "could not be delivered", never sent for a message that has not left', async () => {
    const contact = `contact-${randomBytes(3).toString('hex')}@example.com`;
    const agent = await db.agent.create({ data: { email: `agent-${randomBytes(4).toString('hex')}@example.com`, name: 'Alice', role: 'AGENT' }, select: { id: true } });
    const ticket = await db.recoveryTicket.create({
      data: {
        reference: generateReference(),
        type: 'AUTHENTICATOR_RESET',
        status: 'IN_REVIEW',
        contactEmail: contact,
        lostFactors: ['authenticator'],
        riskLevel: 'LOW',
        riskSignals: [],
        assigneeId: agent.id,
        slaDueAt: new Date(Date.now() + TICKET_SLA_HOURS * 3_600_000),
        createdAt: new Date(Date.now() - 60_000),
      },
      select: { id: true },
    });
    const closedPort = await freePort();
    const up = queue();
    const down = createDispatcher({ email: emailSettings(`smtp://127.0.0.1:${closedPort}`), sms: smsSettings(), appUrl: 'https://regain.test', timeoutMs: 500 });
    const mail = (purpose: string) => ({ channel: 'email' as const, to: contact, purpose, subject: 'About your request', text: 'About your request.' });
    const states = async () =>
      Object.fromEntries((await listTicketMessages({ db, agent: { agentId: agent.id }, ticketId: ticket.id, now: new Date() })).map((m) => [m.what, m.stateLabel]));

    await up.delivery.send(mail('ticket-received'));
    expect(await states()).toEqual({ 'Request received': 'queued' });
    await up.drain();
    expect(await states()).toEqual({ 'Request received': 'sent' });

    await up.delivery.send(mail('ticket-info-request'));
    await up.drain(down);
    expect(await states()).toEqual({ 'Request received': 'sent', 'Question from support': 'delivery failed — retrying' });

    await up.delivery.send({ ...mail('ticket-rejected'), to: 'bad address' });
    await up.delivery.send(mail('ticket-rejected')); // and one to the contact, refused below
    await db.outboundMessage.updateMany({ where: { to: contact, purpose: 'ticket-rejected' }, data: { status: 'FAILED', error: 'provider_error: out of tries' } });
    expect(await states()).toMatchObject({ 'Decision: not approved': 'could not be delivered' });
    // Another address's mail is not this ticket's.
    expect(Object.keys(await states())).toHaveLength(3);
  });
});

describe('security notices through the queue', () => {
  it('queued in the use case transaction: rolled back with it, sent after its commit', async () => {
    const q = queue();
    const user = await createUser(db, { phone: '+447700900605', phoneVerified: true });
    const notice = (tx: Parameters<typeof notifySecurityChange>[0]['db']) =>
      notifySecurityChange({ db: tx, delivery: q.delivery, userId: user.id, change: 'authenticator_replaced', now: new Date() });

    await expect(
      db.$transaction(async (tx) => {
        await notice(tx);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await db.outboundMessage.count({ where: { to: { in: [user.email, '+447700900605'] } } })).toBe(0);

    const result = await db.$transaction(async (tx) => notice(tx));
    expect(result).toEqual({ queued: ['email', 'sms'], failed: [] });
    await q.drain();
    await smtp.waitForMessage((m) => m.to.includes(user.email));
    expect(phone.messages().map((m) => m.to)).toEqual(['+447700900605']);
    const rows = await db.outboundMessage.findMany({ where: { to: { in: [user.email, '+447700900605'] } } });
    expect(rows.map((r) => r.status)).toEqual(['SENT', 'SENT']);
    // A notice has no code: it may be retried for longer than a code.
    expect(rows.every((r) => r.challengeId === null)).toBe(true);
  });
});
