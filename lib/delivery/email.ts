import nodemailer from 'nodemailer';
import type { CalendarInvite } from './templates/calendar';
import { DeliveryError } from './types';

/**
 * Email over SMTP with nodemailer. One transport per process, created from the SMTP URL; every
 * stage of a send has a timeout so a dead or tar-pitting server never holds a request open.
 * nodemailer's own logger stays off: it would print message bodies, codes included.
 */
export type EmailSender = {
  send(message: { to: string; subject: string; text: string; html?: string | undefined; calendar?: CalendarInvite | undefined }): Promise<{ providerId: string | undefined }>;
  close(): void;
};

export function createSmtpSender(options: { url: string; from: string; timeoutMs: number }): EmailSender {
  const transport = nodemailer.createTransport({
    url: options.url,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    dnsTimeout: options.timeoutMs,
    logger: false,
    debug: false,
    // Message content is ours; nothing in it should make nodemailer read files or fetch URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
  });

  return {
    async send(message) {
      try {
        const info = await transport.sendMail({
          from: options.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          ...(message.html ? { html: message.html } : {}),
          // A text/calendar part (and attachment) that calendar apps offer to add, or remove.
          ...(message.calendar ? { icalEvent: { method: message.calendar.method, filename: 'video-call.ics', content: message.calendar.content } } : {}),
          headers: {
            // RFC 3834: an automatic message; out-of-office replies should not answer it.
            'Auto-Submitted': 'auto-generated',
            'X-Auto-Response-Suppress': 'All',
          },
        });
        return { providerId: typeof info.messageId === 'string' ? info.messageId : undefined };
      } catch (error) {
        throw toDeliveryError(error);
      }
    },
    close() {
      transport.close();
    },
  };
}

type SmtpFailure = { code?: unknown; responseCode?: unknown; command?: unknown; message?: unknown };

/**
 * nodemailer's errors to ours. The internal message names the error code, SMTP reply code and
 * command only: server replies often quote the recipient address back.
 */
export function toDeliveryError(error: unknown): DeliveryError {
  const { code, responseCode, command, message } = (error ?? {}) as SmtpFailure;
  const parts = ['smtp', typeof code === 'string' ? code : 'error'];
  if (typeof responseCode === 'number') parts.push(String(responseCode));
  if (typeof command === 'string') parts.push(`at ${command}`);
  const detail = parts.join(' ');

  if (code === 'ETIMEDOUT') return new DeliveryError('email', 'timeout', detail, error);
  // The server refused the mailbox (550 unavailable, 551 not local, 552, 553 name not allowed), or
  // nodemailer refused the address before connecting.
  const rejectedRecipient =
    code === 'EENVELOPE' &&
    ((command === 'RCPT TO' && typeof responseCode === 'number' && responseCode >= 550 && responseCode <= 553) ||
      (command === 'API' && typeof message === 'string' && /recipient/i.test(message)));
  if (rejectedRecipient) return new DeliveryError('email', 'invalid_destination', detail, error);
  return new DeliveryError('email', 'provider_error', detail, error);
}
