import { AppError } from '@/lib/errors';
import type { JobDb } from '@/lib/jobs';
import type { CalendarInvite } from './templates/calendar';

export type DeliveryChannel = 'email' | 'sms' | 'voice';

export type OutgoingMessage = {
  channel: DeliveryChannel;
  /** An email address, or a phone number in E.164 form for sms and voice. */
  to: string;
  /** What the message is for, e.g. "recovery-code"; shown in the outbox and logs. */
  purpose: string;
  /** The verification challenge whose code this message carries, if any. */
  challengeId?: string | undefined;
  /** Email subject. */
  subject?: string | undefined;
  /** Email plain-text part, SMS body, or the words a voice call speaks. */
  text: string;
  /** Email HTML part. */
  html?: string | undefined;
  /** Voice calls: the TwiML to play (built from `text` when absent). */
  twiml?: string | undefined;
  /** Values (one-time codes) replaced by a mask before the message is stored. */
  sensitive?: string[] | undefined;
  /** Email: an iCalendar event sent with it (a video call booked or cancelled). */
  calendar?: CalendarInvite | undefined;
};

export type SendResult = {
  /** The OutboundMessage row recording this message. */
  messageId: string;
  provider: 'outbox' | 'smtp' | 'twilio';
  providerId?: string | undefined;
  /**
   * `queued`: the message and its job are written (in the caller's transaction when one was given)
   * and a worker hands it to the provider; `sent`: the provider already took it. Test doubles may
   * leave it out.
   */
  status?: 'queued' | 'sent' | undefined;
};

export type SendOptions = {
  /** Queue the message in this transaction: it goes out only if the transaction commits. */
  db?: JobDb | undefined;
};

export type DeliveryFailure = 'invalid_destination' | 'provider_error' | 'timeout';

/** A provider could not take the message. The message row is kept, marked FAILED. */
export class DeliveryError extends AppError {
  constructor(
    readonly channel: DeliveryChannel,
    readonly failure: DeliveryFailure,
    internalMessage: string,
    cause?: unknown,
  ) {
    const how = { email: 'by email', sms: 'by text message', voice: 'by phone call' }[channel];
    super({ code: 'unavailable', userMessage: `We couldn't send a code ${how} right now.`, internalMessage, cause });
    this.name = 'DeliveryError';
  }
}

export interface Delivery {
  send(message: OutgoingMessage, options?: SendOptions): Promise<SendResult>;
}
