import { randomBytes, randomInt } from 'node:crypto';
import twilio from 'twilio';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '@/lib/config';
import { MASK, readOutboxCopies, type Delivery, type OutgoingMessage } from '@/lib/delivery';
import { handleTwilioStatusCallback } from '@/lib/delivery/status';
import { codeEmail, codeSms, codeVoice } from '@/lib/delivery/templates';
import { setLogLevel } from '@/lib/log';
import { useTestDatabase } from '../support/db';
import { messageQueue } from '../support/message-queue';
import { freePort } from '../support/ports';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { FAKE_NUMBERS, startTwilioFake, type TwilioFake } from '../support/twilio-fake';

// Real transports end to end: nodemailer to a real SMTP server, the real twilio client to a
// Twilio-compatible server, a real PostgreSQL. Nothing of ours is mocked. Every message goes the
// production way: queued (row + job), then sent by graphile-worker running the send-message task
// (tests/integration/message-queue.test.ts covers the queue itself: transactions, retries, expiry).

const { db, url } = await useTestDatabase();
const hmacKey = randomBytes(32);

const APP_URL = 'https://regain.test';
const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'integration-auth-token';
const FROM = '+15005550006';
const PHONE = '+14155550123';
const CALLBACK_URL = `${APP_URL}/api/webhooks/twilio/status`;

let smtp: SmtpSink;
let phone: TwilioFake;

beforeAll(async () => {
  setLogLevel('warn'); // the rule-1 test below turns every level on
  smtp = await startSmtpSink({ rejectRecipient: (address) => address.startsWith('bounce@') });
  phone = await startTwilioFake({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
});
afterAll(async () => {
  await phone?.close();
  await smtp?.close();
});
afterEach(() => {
  smtp.clear();
  phone.clear();
});

/** Queues the message, lets the worker make its first try, and answers with what the row then says. */
function through(queue: ReturnType<typeof messageQueue>): Delivery {
  return {
    async send(message) {
      const result = await queue.delivery.send(message);
      await queue.drain();
      const row = await rowOf(result.messageId);
      return { ...result, providerId: row.providerId ?? undefined };
    },
  };
}

function real(timeoutMs = 5_000) {
  const email: Config['email'] = { transport: 'smtp', url: smtp.url, from: 'Regain Security <security@regain.test>' };
  const sms: Config['sms'] = { transport: 'twilio', accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: FROM, apiBaseUrl: phone.url };
  return through(messageQueue({ db, url, hmacKey, email, sms, appUrl: APP_URL, timeoutMs }));
}

function outboxOnly(keepOutboxCopies = true) {
  return through(messageQueue({ db, url, hmacKey, email: { transport: 'outbox' }, sms: { transport: 'outbox' }, appUrl: APP_URL, keepOutboxCopies }));
}

/** A fresh 6-digit code per test, so "not found" is about this send only. */
function freshCode() {
  return String(randomInt(100000, 1000000));
}

/** The code as written and as a voice call spells it out ("1, 2, 3, 4, 5, 6"). */
function expectNoCode(text: string | null, code: string) {
  expect(text ?? '').not.toContain(code);
  expect(text ?? '').not.toContain([...code].join(', '));
}

function emailMessage(code: string, to = 'ada@example.com'): OutgoingMessage {
  const body = codeEmail({ code, purposeLabel: 'your account recovery', expiresInMinutes: 10, requestedFrom: 'Firefox on Windows, near Lyon, France' });
  return { channel: 'email', to, purpose: 'recovery-code', subject: body.subject, text: body.text, html: body.html, sensitive: [code] };
}

function smsMessage(code: string, to = PHONE): OutgoingMessage {
  return { channel: 'sms', to, purpose: 'recovery-code', text: codeSms({ code, expiresInMinutes: 10 }).text, sensitive: [code] };
}

function voiceMessage(code: string, to = PHONE): OutgoingMessage {
  const { text, twiml } = codeVoice({ code });
  return { channel: 'voice', to, purpose: 'recovery-code', text, twiml, sensitive: [code] };
}

async function rowOf(id: string) {
  return db.outboundMessage.findUniqueOrThrow({ where: { id } });
}

/**
 * A send never throws for a provider's sake (the message is queued); the worker's try records the
 * failure on the row: FAILED at once for a refused destination, else an error and another try later.
 */
async function expectFailure(work: Promise<{ messageId: string }>, failure: string) {
  const { messageId } = await work;
  const row = await rowOf(messageId);
  expect(row.error ?? '').toMatch(new RegExp(`^${failure}: `));
  expect(row.status).toBe(failure === 'invalid_destination' ? 'FAILED' : 'QUEUED');
  return row;
}

describe('email over SMTP', () => {
  it('arrives with the code; the stored row has it masked', async () => {
    const code = freshCode();
    // A code message goes out only while its challenge is alive (lib/delivery/queue.ts).
    const challenge = await db.verificationChallenge.create({
      data: { purpose: 'RECOVERY', identifierHash: randomBytes(32), channel: 'EMAIL', expiresAt: new Date(Date.now() + 600_000) },
      select: { id: true },
    });
    const result = await real().send({ ...emailMessage(code), challengeId: challenge.id });

    const mail = await smtp.waitForMessage((m) => m.to.includes('ada@example.com'));
    expect(mail.subject).toBe('Your Regain verification code');
    expect(mail.subject).not.toContain(code);
    expect(mail.text).toContain(code);
    expect(mail.html).toContain(code);
    expect(mail.from).toBe('security@regain.test');
    expect(mail.headers['auto-submitted']).toBe('auto-generated');

    expect(result.provider).toBe('smtp');
    const row = await rowOf(result.messageId);
    expect(row).toMatchObject({ channel: 'EMAIL', status: 'SENT', provider: 'smtp', purpose: 'recovery-code', challengeId: challenge.id, error: null });
    expect(row.providerId).toBe(result.providerId);
    expect(row.providerId).toBeTruthy();
    for (const stored of [row.subject, row.bodyText, row.bodyHtml]) expect(stored).not.toContain(code);
    expect(row.bodyText).toContain(MASK);
    expect(row.bodyHtml).toContain(MASK);
  });

  it('a recipient the server refuses (550) is an invalid destination; the row is FAILED', async () => {
    const code = freshCode();
    const row = await expectFailure(real().send(emailMessage(code, 'bounce@example.com')), 'invalid_destination');
    expect(row.status).toBe('FAILED');
    expect(row.error).toMatch(/^invalid_destination: smtp EENVELOPE 550/);
    expect(row.error).not.toContain('bounce@example.com');
  });

  it('a server that is down is a provider error recorded on the row (to be tried again), not a hang', async () => {
    const closedPort = await freePort();
    const delivery = through(
      messageQueue({
        db,
        url,
        hmacKey,
        email: { transport: 'smtp', url: `smtp://127.0.0.1:${closedPort}`, from: 'security@regain.test' },
        sms: { transport: 'outbox' },
        appUrl: APP_URL,
        timeoutMs: 1_000,
      }),
    );
    const started = Date.now();
    const row = await expectFailure(delivery.send(emailMessage(freshCode(), 'down@example.com')), 'provider_error');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(row.status).toBe('QUEUED');
    expect(row.error).toMatch(/^provider_error: smtp/);
  });
});

describe('SMS and voice through the real twilio client', () => {
  it('sends an SMS with the status callback and Basic auth; the row has the SID and a masked body', async () => {
    const code = freshCode();
    const result = await real().send(smsMessage(code));

    const [request] = phone.requests();
    expect(request).toMatchObject({ method: 'POST', path: `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`, authorized: true });
    expect(request!.auth).toEqual({ username: ACCOUNT_SID, password: AUTH_TOKEN });
    expect(request!.params).toMatchObject({ To: PHONE, From: FROM, StatusCallback: CALLBACK_URL });
    expect(request!.params.Body).toBe(codeSms({ code, expiresInMinutes: 10 }).text);

    const [sms] = phone.messages();
    expect(result).toMatchObject({ provider: 'twilio', providerId: sms!.sid });
    expect(sms!.sid).toMatch(/^SM[0-9a-f]{32}$/);
    const row = await rowOf(result.messageId);
    expect(row).toMatchObject({ channel: 'SMS', status: 'SENT', providerId: sms!.sid, to: PHONE });
    expect(row.bodyText).not.toContain(code);
    expect(row.bodyText).toContain(MASK);
  });

  it('places a call whose TwiML reads the code digit by digit, twice', async () => {
    const code = freshCode();
    const result = await real().send(voiceMessage(code));

    const [request] = phone.requests();
    expect(request).toMatchObject({ path: `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`, authorized: true });
    expect(request!.params).toMatchObject({ To: PHONE, From: FROM, StatusCallback: CALLBACK_URL });
    const twiml = request!.params.Twiml!;
    const spoken = [...code].join(', ');
    expect(twiml.split(spoken)).toHaveLength(3);
    expect(twiml).toMatch(/^<\?xml[^>]*\?><Response>.*<Pause length="\d"\/>.*<\/Response>$/);
    expect(twiml).not.toContain(code);

    const row = await rowOf(result.messageId);
    expect(row).toMatchObject({ channel: 'VOICE', status: 'SENT', providerId: phone.calls()[0]!.sid });
    expectNoCode(row.bodyText, code);
    expect(row.bodyText).toContain(`Your code is: ${MASK}.`);
  });

  it('a voice message without TwiML is read from its text, escaped', async () => {
    await real().send({ channel: 'voice', to: PHONE, purpose: 'notice', text: 'Fish & chips <now>' });
    expect(phone.calls()[0]!.twiml).toContain('<Say language="en-US">Fish &amp; chips &lt;now&gt;</Say>');
  });

  it('Twilio error 21211 is an invalid destination; the row is FAILED without the number in the error', async () => {
    const row = await expectFailure(real().send(smsMessage(freshCode(), FAKE_NUMBERS.invalid)), 'invalid_destination');
    expect(row.status).toBe('FAILED');
    expect(row.error).toBe('invalid_destination: twilio HTTP 400 error 21211');
    expect(row.error).not.toContain(FAKE_NUMBERS.invalid);
  });

  it('a Twilio 500 is a provider error', async () => {
    const row = await expectFailure(real().send(voiceMessage(freshCode(), FAKE_NUMBERS.serverError)), 'provider_error');
    expect(row.error).toBe('provider_error: twilio HTTP 500 error 20500');
  });

  it('a provider that stalls gives up within the configured timeout', async () => {
    const started = Date.now();
    const row = await expectFailure(real(500).send(smsMessage(freshCode(), FAKE_NUMBERS.stall)), 'timeout');
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(2_500); // the stalled try, plus queueing and the worker's start
    expect(row.status).toBe('QUEUED');
    expect(row.error).toMatch(/^timeout: /);
  });

  it('a malformed number is refused before any provider call, and still recorded', async () => {
    await expectFailure(real().send(smsMessage(freshCode(), '0155 555')), 'invalid_destination');
    expect(phone.requests()).toHaveLength(0);
    const row = await db.outboundMessage.findFirstOrThrow({ where: { to: '0155 555' } });
    expect(row.status).toBe('FAILED');
  });
});

describe('outbox-only transports', () => {
  it('record the masked row and keep the unmasked copy only in memory', async () => {
    const delivery = outboxOnly();
    const code = freshCode();
    const results = [await delivery.send(emailMessage(code, 'outbox@example.com')), await delivery.send(smsMessage(code)), await delivery.send(voiceMessage(code))];

    expect(smtp.messages()).toHaveLength(0);
    expect(phone.requests()).toHaveLength(0);
    for (const result of results) {
      expect(result.provider).toBe('outbox');
      const row = await rowOf(result.messageId);
      expect(row).toMatchObject({ provider: 'outbox', status: 'SENT', providerId: null });
      expectNoCode(JSON.stringify(row), code);
    }
    const copies = readOutboxCopies();
    expect(copies[0]).toMatchObject({ messageId: results[2]!.messageId, channel: 'voice' });
    const emailCopy = copies.find((c) => c.messageId === results[0]!.messageId)!;
    expect(emailCopy.text).toContain(code);
    expect(emailCopy.html).toContain(code);
    expect(copies.find((c) => c.messageId === results[1]!.messageId)!.text).toContain(code);
  });

  it('keep at most the last 100 copies', async () => {
    const delivery = outboxOnly();
    for (let i = 0; i < 105; i++) await delivery.send({ channel: 'sms', to: PHONE, purpose: 'ring', text: `message ${i}` });
    const copies = readOutboxCopies();
    expect(copies).toHaveLength(100);
    expect(copies[0]!.text).toBe('message 104');
  });

  it('keep no copy when told not to (production)', async () => {
    const delivery = outboxOnly(false);
    const { messageId } = await delivery.send(smsMessage(freshCode()));
    expect(readOutboxCopies().some((c) => c.messageId === messageId)).toBe(false);
  });
});

describe('Twilio status callbacks', () => {
  async function sentSms() {
    const result = await real().send(smsMessage(freshCode()));
    return { id: result.messageId, sid: result.providerId! };
  }

  function callback(params: Record<string, string>, signature: string | undefined, url = CALLBACK_URL) {
    return handleTwilioStatusCallback({ db, authToken: AUTH_TOKEN, url, signature, params });
  }

  it('a correctly signed "delivered" marks the message DELIVERED', async () => {
    const { id, sid } = await sentSms();
    const params = { MessageSid: sid, MessageStatus: 'delivered', AccountSid: ACCOUNT_SID, To: PHONE, From: FROM };
    expect(await callback(params, twilio.getExpectedTwilioSignature(AUTH_TOKEN, CALLBACK_URL, params))).toBe('updated');
    expect((await rowOf(id)).status).toBe('DELIVERED');
  });

  it('a bad signature is forbidden and changes nothing', async () => {
    const { id, sid } = await sentSms();
    const before = await rowOf(id);
    const params = { MessageSid: sid, MessageStatus: 'failed', ErrorCode: '30008' };
    const wrongKey = twilio.getExpectedTwilioSignature('not-the-token', CALLBACK_URL, params);
    const otherUrl = twilio.getExpectedTwilioSignature(AUTH_TOKEN, 'https://evil.test/api/webhooks/twilio/status', params);
    const tampered = twilio.getExpectedTwilioSignature(AUTH_TOKEN, CALLBACK_URL, { ...params, MessageStatus: 'delivered' });
    for (const signature of [wrongKey, otherUrl, tampered, '', undefined]) {
      expect(await callback(params, signature)).toBe('forbidden');
    }
    expect(await rowOf(id)).toEqual(before);
  });

  it('records the error code of a failed message, and a late "sent" does not undo "undelivered"', async () => {
    const { id, sid } = await sentSms();
    const undelivered = { MessageSid: sid, MessageStatus: 'undelivered', ErrorCode: '30003' };
    expect(await callback(undelivered, twilio.getExpectedTwilioSignature(AUTH_TOKEN, CALLBACK_URL, undelivered))).toBe('updated');
    const late = { MessageSid: sid, MessageStatus: 'sent' };
    expect(await callback(late, twilio.getExpectedTwilioSignature(AUTH_TOKEN, CALLBACK_URL, late))).toBe('ignored');
    expect(await rowOf(id)).toMatchObject({ status: 'UNDELIVERED', error: 'twilio error 30003' });
  });

  it('maps call statuses: completed is DELIVERED, no-answer is FAILED', async () => {
    const first = await real().send(voiceMessage(freshCode()));
    const second = await real().send(voiceMessage(freshCode()));
    const completed = { CallSid: first.providerId!, CallStatus: 'completed' };
    const noAnswer = { CallSid: second.providerId!, CallStatus: 'no-answer' };
    await callback(completed, twilio.getExpectedTwilioSignature(AUTH_TOKEN, CALLBACK_URL, completed));
    await callback(noAnswer, twilio.getExpectedTwilioSignature(AUTH_TOKEN, CALLBACK_URL, noAnswer));
    expect((await rowOf(first.messageId)).status).toBe('DELIVERED');
    expect((await rowOf(second.messageId)).status).toBe('FAILED');
  });

  it('an unknown SID is ignored', async () => {
    const params = { MessageSid: 'SM00000000000000000000000000000000', MessageStatus: 'delivered' };
    expect(await callback(params, twilio.getExpectedTwilioSignature(AUTH_TOKEN, CALLBACK_URL, params))).toBe('ignored');
  });

  it("the fake signs callbacks the way twilio's validator expects", async () => {
    const { id, sid } = await sentSms();
    const { createServer } = await import('node:http');
    const received: { url: string; signature: string; body: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ url: req.url!, signature: String(req.headers['x-twilio-signature']), body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as { port: number }).port;
    const url = `http://127.0.0.1:${port}/api/webhooks/twilio/status?attempt=1`;
    try {
      const response = await phone.sendStatusCallback({ url, params: { MessageSid: sid, MessageStatus: 'delivered' } });
      expect(response.status).toBe(204);
      const [got] = received;
      const params = Object.fromEntries(new URLSearchParams(got!.body));
      expect(await callback(params, got!.signature, url)).toBe('updated');
      expect((await rowOf(id)).status).toBe('DELIVERED');
    } finally {
      await new Promise((r) => receiver.close(r));
    }
  });
});

describe('templates', () => {
  it('voice: reads every digit twice, with pauses, and escapes XML', () => {
    const { twiml, text } = codeVoice({ code: '12<&' });
    expect(twiml).not.toMatch(/<&|<\s*&/);
    expect(twiml).toContain('1, 2, &lt;, &amp;');
    expect(twiml.split('1, 2, &lt;, &amp;')).toHaveLength(3);
    expect(twiml.match(/<Pause length="\d"\/>/g)!.length).toBeGreaterThanOrEqual(3);
    expect(text.split('1, 2, <, &')).toHaveLength(3);
  });

  it('email: the code, its purpose and expiry, the warning, and no links', () => {
    const { subject, text, html } = codeEmail({ code: '482913', purposeLabel: 'your account recovery', expiresInMinutes: 10, requestedFrom: 'Safari on iPhone <script>' });
    expect(subject).not.toContain('482913');
    for (const part of [text, html]) {
      expect(part).toContain('482913');
      expect(part).toContain('your account recovery');
      expect(part).toContain('10 minutes');
      expect(part).toMatch(/Nobody from Regain Support will ever ask for it/);
    }
    expect(html).not.toMatch(/<a[\s>]/i);
    expect(html).not.toMatch(/<button|<form|href=|https?:\/\//i);
    expect(text).not.toMatch(/https?:\/\//);
    expect(html).toContain('Safari on iPhone &lt;script&gt;');
    expect(html).toMatch(/font-size:3\dpx/);
  });

  it('sms: short, plain GSM text with the code once and the warning', () => {
    const { text } = codeSms({ code: '482913', expiresInMinutes: 10 });
    expect(text.split('482913')).toHaveLength(2);
    expect(text).toMatch(/^Regain verification code: 482913\./);
    expect(text).toContain('Never share this code');
    expect(text.length).toBeLessThanOrEqual(160);
    expect(text).toMatch(/^[\x20-\x7e]+$/);
  });
});

describe('docs/security.md rule 1: codes are never logged', () => {
  it('nothing the delivery layer writes to stdout or stderr contains the code', async () => {
    const code = freshCode();
    const written: string[] = [];
    const stdout = process.stdout.write.bind(process.stdout);
    const stderr = process.stderr.write.bind(process.stderr);
    const capture = (chunk: unknown) => {
      written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return true;
    };
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
    setLogLevel('debug');
    try {
      const delivery = real(500);
      await delivery.send(emailMessage(code));
      await delivery.send(smsMessage(code));
      await delivery.send(voiceMessage(code));
      await outboxOnly().send(smsMessage(code));
      await delivery.send(smsMessage(code, FAKE_NUMBERS.invalid)).catch(() => {});
      await delivery.send(smsMessage(code, FAKE_NUMBERS.stall)).catch(() => {});
      await delivery.send(emailMessage(code, 'bounce@example.com')).catch(() => {});
    } finally {
      process.stdout.write = stdout;
      process.stderr.write = stderr;
      setLogLevel('warn');
    }
    const output = written.join('');
    expect(output).toContain('delivery_sent'); // the capture really saw the log lines
    expect(output).toContain('delivery_failed');
    expectNoCode(output, code);
    expect(output).not.toContain(PHONE);
    expect(output).not.toContain('ada@example.com');
  });
});
