import { getConfig, type Config } from '@/lib/config';
import { getPrisma, type Db } from '@/lib/db/client';
import { log } from '@/lib/log';
import { createSmtpSender, type EmailSender } from './email';
import { twimlFromText } from './templates';
import { createTwilioSender, type PhoneSender } from './twilio';
import { DeliveryError, type Delivery, type DeliveryChannel, type OutgoingMessage, type SendResult } from './types';

export { DeliveryError, type Delivery, type DeliveryChannel, type OutgoingMessage, type SendResult } from './types';

/**
 * Sends email (SMTP), SMS and voice calls (Twilio), or only records them (the development outbox).
 *
 * Every message is written to OutboundMessage before the provider is called, so a provider failure
 * never loses it; the stored copy has every `sensitive` value (the one-time code) masked. A code in
 * plain text exists only in the message itself and, in development with the outbox transport, in
 * this process's memory so a developer can read it on /dev/outbox.
 */
export const MASK = '••••••';
export const STATUS_CALLBACK_PATH = '/api/webhooks/twilio/status';
const DEFAULT_TIMEOUT_MS = 10_000;

const CHANNEL = { email: 'EMAIL', sms: 'SMS', voice: 'VOICE' } as const;

export function createDelivery(options: {
  db: Db;
  email: Config['email'];
  sms: Config['sms'];
  appUrl: string;
  /** Per-stage timeout for providers (SMTP connect/greeting/socket, Twilio HTTP). Default 10 s. */
  timeoutMs?: number;
  /** Keep unmasked copies of outbox messages in memory (never in production). Default true. */
  keepOutboxCopies?: boolean;
}): Delivery {
  const { db, appUrl } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const keepOutboxCopies = options.keepOutboxCopies ?? true;
  const statusCallback = `${appUrl.replace(/\/$/, '')}${STATUS_CALLBACK_PATH}`;
  const email: EmailSender | undefined =
    options.email.transport === 'smtp' ? createSmtpSender({ url: options.email.url, from: options.email.from, timeoutMs }) : undefined;
  const phone: PhoneSender | undefined = options.sms.transport === 'twilio' ? createTwilioSender({ ...options.sms, timeoutMs }) : undefined;

  const providerFor = (channel: DeliveryChannel): SendResult['provider'] =>
    channel === 'email' ? (email ? 'smtp' : 'outbox') : phone ? 'twilio' : 'outbox';

  async function dispatch(message: OutgoingMessage): Promise<string | undefined> {
    const problem = destinationProblem(message);
    if (problem) throw new DeliveryError(message.channel, 'invalid_destination', problem);
    switch (message.channel) {
      case 'email': {
        if (!email) return undefined;
        const sent = await email.send({ to: message.to, subject: message.subject ?? '', text: message.text, html: message.html });
        return sent.providerId;
      }
      case 'sms':
        return phone ? (await phone.sendSms({ to: message.to, body: message.text, statusCallback })).providerId : undefined;
      case 'voice':
        return phone ? (await phone.startCall({ to: message.to, twiml: message.twiml ?? twimlFromText(message.text), statusCallback })).providerId : undefined;
    }
  }

  return {
    async send(message) {
      const provider = providerFor(message.channel);
      const mask = masker(message.sensitive);
      const row = await db.outboundMessage.create({
        data: {
          channel: CHANNEL[message.channel],
          to: message.to,
          subject: message.subject === undefined ? null : mask(message.subject),
          bodyText: mask(message.text),
          bodyHtml: message.html === undefined ? null : mask(message.html),
          purpose: message.purpose,
          provider,
          challengeId: message.challengeId ?? null,
          status: 'QUEUED',
        },
        select: { id: true, createdAt: true },
      });
      const facts = { messageId: row.id, channel: message.channel, purpose: message.purpose, provider, to: maskDestination(message.to) };

      let providerId: string | undefined;
      try {
        providerId = await withDeadline(dispatch(message), 2 * timeoutMs + 1_000, message.channel);
      } catch (caught) {
        const error = caught instanceof DeliveryError ? caught : new DeliveryError(message.channel, 'provider_error', 'unexpected provider error', caught);
        await db.outboundMessage
          .update({ where: { id: row.id }, data: { status: 'FAILED', error: `${error.failure}: ${error.message}`.slice(0, 200) } })
          .catch((dbError: unknown) => log.error('delivery_record_failed', { ...facts, error: dbError }));
        log.warn('delivery_failed', { ...facts, failure: error.failure, detail: error.message });
        throw error;
      }

      if (provider === 'outbox' && keepOutboxCopies) {
        rememberOutboxCopy({ messageId: row.id, channel: message.channel, to: message.to, subject: message.subject, text: message.text, html: message.html, twiml: message.twiml, createdAt: row.createdAt });
      }
      // The message has left; a failure to note that must not make the caller send it again.
      await db.outboundMessage
        .update({ where: { id: row.id }, data: { status: 'SENT', providerId: providerId ?? null } })
        .catch((dbError: unknown) => log.error('delivery_record_failed', { ...facts, error: dbError }));
      log.info('delivery_sent', facts);
      return { messageId: row.id, provider, ...(providerId ? { providerId } : {}) };
    },
  };
}

/** The process-wide delivery service, from the validated configuration. */
export function getDelivery(): Delivery {
  const store = globalThis as unknown as { regainDelivery?: Delivery };
  if (!store.regainDelivery) {
    const config = getConfig();
    store.regainDelivery = createDelivery({ db: getPrisma(), email: config.email, sms: config.sms, appUrl: config.appUrl, keepOutboxCopies: !config.isProduction });
  }
  return store.regainDelivery;
}

// ── The development outbox's memory ──────────────────────────────────────────

export type OutboxCopy = {
  messageId: string;
  channel: DeliveryChannel;
  to: string;
  subject: string | undefined;
  text: string;
  html: string | undefined;
  twiml: string | undefined;
  createdAt: Date;
};

const OUTBOX_COPIES = 100;

// On globalThis so the dev server's module reloads keep it; never written anywhere else.
function outboxMemory(): OutboxCopy[] {
  const store = globalThis as unknown as { regainOutboxCopies?: OutboxCopy[] };
  store.regainOutboxCopies ??= [];
  return store.regainOutboxCopies;
}

function rememberOutboxCopy(copy: OutboxCopy) {
  const memory = outboxMemory();
  memory.push(copy);
  if (memory.length > OUTBOX_COPIES) memory.splice(0, memory.length - OUTBOX_COPIES);
}

/** Unmasked copies of the last 100 outbox messages sent by this process, newest first. */
export function readOutboxCopies(): OutboxCopy[] {
  return [...outboxMemory()].reverse();
}

// ── Helpers ──────────────────────────────────────────────────────────────────

/**
 * Replaces each sensitive value wherever it appears, also when its characters are spaced or
 * separated ("1, 2, 3, 4, 5, 6" in a voice script, "123 456" in a formatted email).
 */
export function masker(sensitive: readonly string[] | undefined): (text: string) => string {
  const values = [...new Set((sensitive ?? []).filter((v) => v.length > 0))].sort((a, b) => b.length - a.length);
  if (values.length === 0) return (text) => text;
  const separator = '[\\s,.;:\\-–—]*';
  const pattern = new RegExp(values.map((v) => [...v].map(escapeRegExp).join(separator)).join('|'), 'g');
  return (text) => text.replace(pattern, MASK);
}

function escapeRegExp(value: string) {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Enough to tell two destinations apart in a log line, not enough to contact anyone. */
export function maskDestination(to: string): string {
  const at = to.lastIndexOf('@');
  if (at > 0) return `${to[0]}•••@${to.slice(at + 1)}`;
  return to.length > 4 ? `•••${to.slice(-2)}` : '•••';
}

const E164 = /^\+[1-9]\d{6,14}$/;

function destinationProblem(message: OutgoingMessage): string | undefined {
  if (message.channel === 'email') return /^[^\s@<>]+@[^\s@<>]+$/.test(message.to) ? undefined : 'not an email address';
  return E164.test(message.to) ? undefined : 'not an E.164 phone number';
}

/** A backstop over the providers' own timeouts: a send never holds its caller forever. */
function withDeadline<T>(work: Promise<T>, ms: number, channel: DeliveryChannel): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeliveryError(channel, 'timeout', `no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
