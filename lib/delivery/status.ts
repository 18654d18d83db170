import twilio from 'twilio';
import type { Db } from '@/lib/db/client';
import type { Prisma } from '@/lib/db/generated/client';
import type { DeliveryStatus } from '@/lib/db/generated/enums';
import { log } from '@/lib/log';

/**
 * Twilio's delivery reports (status callbacks) for messages and calls.
 *
 * Twilio signs each callback with the account's auth token over the exact URL it called plus the
 * POST parameters; an unsigned or mis-signed request changes nothing. Callbacks may arrive more
 * than once and out of order, so a status only moves forward: a late "sent" never overwrites
 * "delivered".
 */
export type StatusCallbackResult = 'forbidden' | 'updated' | 'ignored';

/**
 * A message its reader is waiting for in vain: a try failed and the queue is trying again (QUEUED
 * with an error), or it was given up (FAILED: refused destination, out of tries, code expired) or
 * the network reported it undelivered. The recovery code page shows it and offers another channel.
 */
export const DELIVERY_PROBLEM = {
  OR: [{ status: { in: ['FAILED', 'UNDELIVERED'] } }, { status: 'QUEUED', error: { not: null } }],
} satisfies Prisma.OutboundMessageWhereInput;

export type MessageState = 'queued' | 'retrying' | 'sent' | 'delivered' | 'failed';

/** Where a message is, in words an agent can rely on: never "sent" for one still queued or failed. */
export const MESSAGE_STATE_LABEL: Record<MessageState, string> = {
  queued: 'queued',
  retrying: 'delivery failed — retrying',
  sent: 'sent',
  delivered: 'delivered',
  failed: 'could not be delivered',
};

export function messageState(row: { status: DeliveryStatus; error: string | null }): MessageState {
  switch (row.status) {
    case 'QUEUED':
      return row.error ? 'retrying' : 'queued';
    case 'SENT':
      return 'sent';
    case 'DELIVERED':
      return 'delivered';
    case 'UNDELIVERED':
    case 'FAILED':
      return 'failed';
  }
}

const MESSAGE_STATUS: Record<string, DeliveryStatus> = {
  accepted: 'QUEUED',
  scheduled: 'QUEUED',
  queued: 'QUEUED',
  sending: 'QUEUED',
  sent: 'SENT',
  delivered: 'DELIVERED',
  read: 'DELIVERED',
  undelivered: 'UNDELIVERED',
  failed: 'FAILED',
  canceled: 'FAILED',
};

const CALL_STATUS: Record<string, DeliveryStatus> = {
  queued: 'QUEUED',
  initiated: 'SENT',
  ringing: 'SENT',
  'in-progress': 'SENT',
  completed: 'DELIVERED',
  busy: 'FAILED',
  'no-answer': 'FAILED',
  failed: 'FAILED',
  canceled: 'FAILED',
};

// Which earlier statuses each status may replace.
const MAY_REPLACE: Record<DeliveryStatus, DeliveryStatus[]> = {
  QUEUED: ['QUEUED'],
  SENT: ['QUEUED', 'SENT'],
  DELIVERED: ['QUEUED', 'SENT', 'UNDELIVERED'],
  UNDELIVERED: ['QUEUED', 'SENT'],
  FAILED: ['QUEUED', 'SENT'],
};

export async function handleTwilioStatusCallback(options: {
  db: Db;
  authToken: string;
  /** The exact public URL Twilio called: APP_URL + path + query string. */
  url: string;
  /** The X-Twilio-Signature header. */
  signature: string | null | undefined;
  params: Record<string, string>;
}): Promise<StatusCallbackResult> {
  const { db, params } = options;
  if (!options.signature || !twilio.validateRequest(options.authToken, options.signature, options.url, params)) {
    log.warn('twilio_callback_rejected', { reason: 'bad signature' });
    return 'forbidden';
  }

  const isCall = Boolean(params.CallSid) && !params.MessageSid;
  const sid = params.MessageSid ?? params.CallSid;
  const reported = isCall ? params.CallStatus : (params.MessageStatus ?? params.SmsStatus);
  const status = reported ? (isCall ? CALL_STATUS : MESSAGE_STATUS)[reported] : undefined;
  if (!sid || !status) return 'ignored';

  const errorCode = params.ErrorCode?.trim();
  const { count } = await db.outboundMessage.updateMany({
    where: { providerId: sid, provider: 'twilio', status: { in: MAY_REPLACE[status] } },
    data: { status, ...(errorCode ? { error: `twilio error ${errorCode.slice(0, 12)}` } : {}) },
  });
  log.info('twilio_callback', { sid, status, ...(errorCode ? { errorCode } : {}), applied: count === 1 });
  return count === 1 ? 'updated' : 'ignored';
}
