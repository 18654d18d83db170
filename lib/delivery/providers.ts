import type { Config } from '@/lib/config';
import { createSmtpSender, type EmailSender } from './email';
import type { CalendarInvite } from './templates/calendar';
import { twimlFromText } from './templates';
import { createTwilioSender, type PhoneSender } from './twilio';
import { DeliveryError, type DeliveryChannel, type SendResult } from './types';

/**
 * The providers: email over SMTP, SMS and voice calls through Twilio, or nothing at all (the
 * development outbox, where the message exists only as its row and, in development, a copy in
 * memory). Only the `send-message` job calls `dispatch` (lib/delivery/queue.ts): nothing in a
 * request waits on a provider.
 */
export type MessageProvider = SendResult['provider'];

/** What a provider needs: the unmasked message. */
export type DispatchableMessage = {
  channel: DeliveryChannel;
  to: string;
  subject?: string | undefined;
  text: string;
  html?: string | undefined;
  twiml?: string | undefined;
  calendar?: CalendarInvite | undefined;
};

export type MessageDispatcher = {
  providerFor(channel: DeliveryChannel): MessageProvider;
  /** Hands the message to its provider; throws a DeliveryError when the provider refuses or fails. */
  dispatch(message: DispatchableMessage): Promise<{ provider: MessageProvider; providerId: string | undefined }>;
};

export const STATUS_CALLBACK_PATH = '/api/webhooks/twilio/status';
const DEFAULT_TIMEOUT_MS = 10_000;

export function providerFor(settings: { email: Config['email']; sms: Config['sms'] }, channel: DeliveryChannel): MessageProvider {
  return channel === 'email' ? (settings.email.transport === 'smtp' ? 'smtp' : 'outbox') : settings.sms.transport === 'twilio' ? 'twilio' : 'outbox';
}

export function createDispatcher(options: {
  email: Config['email'];
  sms: Config['sms'];
  appUrl: string;
  /** Per-stage timeout for providers (SMTP connect/greeting/socket, Twilio HTTP). Default 10 s. */
  timeoutMs?: number | undefined;
}): MessageDispatcher {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const statusCallback = `${options.appUrl.replace(/\/$/, '')}${STATUS_CALLBACK_PATH}`;
  const email: EmailSender | undefined =
    options.email.transport === 'smtp' ? createSmtpSender({ url: options.email.url, from: options.email.from, timeoutMs }) : undefined;
  const phone: PhoneSender | undefined = options.sms.transport === 'twilio' ? createTwilioSender({ ...options.sms, timeoutMs }) : undefined;

  async function send(message: DispatchableMessage): Promise<string | undefined> {
    const problem = destinationProblem(message);
    if (problem) throw new DeliveryError(message.channel, 'invalid_destination', problem);
    switch (message.channel) {
      case 'email': {
        if (!email) return undefined;
        const sent = await email.send({ to: message.to, subject: message.subject ?? '', text: message.text, html: message.html, calendar: message.calendar });
        return sent.providerId;
      }
      case 'sms':
        return phone ? (await phone.sendSms({ to: message.to, body: message.text, statusCallback })).providerId : undefined;
      case 'voice':
        return phone ? (await phone.startCall({ to: message.to, twiml: message.twiml ?? twimlFromText(message.text), statusCallback })).providerId : undefined;
    }
  }

  return {
    providerFor: (channel) => providerFor(options, channel),
    async dispatch(message) {
      const provider = providerFor(options, message.channel);
      try {
        const providerId = await withDeadline(send(message), 2 * timeoutMs + 1_000, message.channel);
        return { provider, providerId };
      } catch (caught) {
        throw caught instanceof DeliveryError ? caught : new DeliveryError(message.channel, 'provider_error', 'unexpected provider error', caught);
      }
    },
  };
}

const E164 = /^\+[1-9]\d{6,14}$/;

function destinationProblem(message: DispatchableMessage): string | undefined {
  if (message.channel === 'email') return /^[^\s@<>]+@[^\s@<>]+$/.test(message.to) ? undefined : 'not an email address';
  return E164.test(message.to) ? undefined : 'not an E.164 phone number';
}

/** A backstop over the providers' own timeouts: a send never holds its job forever. */
function withDeadline<T>(work: Promise<T>, ms: number, channel: DeliveryChannel): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeliveryError(channel, 'timeout', `no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
