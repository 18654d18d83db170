import { hkdfSync } from 'node:crypto';
import { z } from 'zod';
import { open, seal } from '@/lib/crypto';
import type { Db } from '@/lib/db/client';
import { inTransaction } from '@/lib/db/transaction';
import { enqueueJob, isLastAttempt, type JobDb, type JobHelpers, type TaskList } from '@/lib/jobs';
import { log } from '@/lib/log';
import { masker, maskDestination } from './mask';
import { rememberOutboxCopy } from './outbox';
import type { DispatchableMessage, MessageDispatcher, MessageProvider } from './providers';
import { DeliveryError, type Delivery, type DeliveryChannel, type OutgoingMessage } from './types';

/**
 * Every message goes through the job queue (docs/security.md rule 28: "messages go through a
 * durable queue with retries").
 *
 * `send` writes the OutboundMessage row (every sensitive value masked) and a `send-message` job in
 * one transaction, the caller's when it passes one: the message exists exactly when the change it
 * belongs to committed, and a restart loses nothing (the job waits in PostgreSQL for a runner).
 * The job carries the message id and the unmasked parts sealed with AES-256-GCM under a key
 * derived from HMAC_KEY for this use only, bound to the message id: the one-time code is never
 * stored in plain text (rule 1), neither in the row nor in the job table. graphile-worker deletes
 * a job once it succeeds.
 *
 * The job hands the message to its provider, marks the row SENT, or records the error and fails so
 * graphile-worker tries again with exponential back-off (about 3 s, 7 s, 20 s, 55 s, … apart). A
 * code is worth something for minutes only (rule 2), so a code message gets few tries and is
 * given up (FAILED, "expired", nothing sent) once its challenge expired or was used; other messages
 * get more tries over hours. A destination the provider refuses is never tried again. After the
 * last try the row is FAILED and the job stays as a dead letter.
 */
export const SEND_MESSAGE_TASK = 'send-message';

/** Tries for a message carrying a one-time code: the first, then after about 3, 10 and 30 s. */
export const CODE_MESSAGE_ATTEMPTS = 4;
/** Tries for anything else (notices, ticket mail): spread over about 3.5 hours. */
export const MESSAGE_ATTEMPTS = 10;
/** A code message is never sent later than this after it was queued (rule 2: 10 minutes at most). */
export const CODE_MESSAGE_LIFETIME_MS = 10 * 60_000;

const CHANNEL = { email: 'EMAIL', sms: 'SMS', voice: 'VOICE' } as const;
const FROM_DB = { EMAIL: 'email', SMS: 'sms', VOICE: 'voice' } as const;

export function createQueuedDelivery(options: {
  db: Db;
  /** HMAC_KEY: the sealing key of job payloads is derived from it. */
  hmacKey: Buffer;
  /** The provider a channel goes to (recorded on the row when queued). */
  providerFor: (channel: DeliveryChannel) => MessageProvider;
}): Delivery {
  const { db } = options;
  const key = payloadKey(options.hmacKey);
  return {
    async send(message, sendOptions) {
      const provider = options.providerFor(message.channel);
      const mask = masker(message.sensitive);
      const carriesCode = Boolean(message.challengeId) && (message.sensitive ?? []).some((value) => value.length > 0);
      const queue = async (tx: JobDb) => {
        const row = await tx.outboundMessage.create({
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
          select: { id: true },
        });
        const payload: MessagePayload = {
          messageId: row.id,
          sealed: sealParts(key, row.id, message),
          ...(carriesCode ? { giveUpAt: new Date(Date.now() + CODE_MESSAGE_LIFETIME_MS).toISOString() } : {}),
        };
        await enqueueJob(tx, SEND_MESSAGE_TASK, payload, { maxAttempts: carriesCode ? CODE_MESSAGE_ATTEMPTS : MESSAGE_ATTEMPTS });
        return row.id;
      };
      // A transaction of the caller's is used as it is; otherwise the row and its job get their own.
      const messageId = await inTransaction(sendOptions?.db ?? db, queue);
      log.info('delivery_queued', { messageId, channel: message.channel, purpose: message.purpose, provider, to: maskDestination(message.to) });
      return { messageId, provider, status: 'queued' };
    },
  };
}

export type MessageTaskDeps = {
  db: Db;
  hmacKey: Buffer;
  dispatcher: MessageDispatcher;
  /** Keep unmasked copies of outbox messages in this process's memory for /dev/outbox (never in production). */
  keepOutboxCopies?: boolean | undefined;
  now?: (() => Date) | undefined;
};

/** The `send-message` task, for lib/worker (and for tests, with runDueJobs). */
export function messageTasks(deps: MessageTaskDeps): TaskList {
  const key = payloadKey(deps.hmacKey);
  const now = deps.now ?? (() => new Date());
  return {
    [SEND_MESSAGE_TASK]: async (raw, helpers) => {
      const payload = messagePayload.parse(raw);
      await sendQueuedMessage(deps, key, payload, helpers, now());
    },
  };
}

async function sendQueuedMessage(deps: MessageTaskDeps, key: Buffer, payload: MessagePayload, helpers: JobHelpers, now: Date) {
  const { db } = deps;
  const row = await db.outboundMessage.findUnique({
    where: { id: payload.messageId },
    select: { id: true, channel: true, to: true, purpose: true, challengeId: true, status: true, createdAt: true },
  });
  if (!row) {
    log.warn('delivery_message_missing', { messageId: payload.messageId });
    return;
  }
  // An earlier try got the message out but did not finish its job: never send it twice.
  if (row.status !== 'QUEUED') return;

  const channel = FROM_DB[row.channel];
  const facts = { messageId: row.id, channel, purpose: row.purpose, to: maskDestination(row.to), attempt: helpers.job.attempts, of: helpers.job.max_attempts };

  const stale = await codeNoLongerValid(db, row, payload.giveUpAt, now);
  if (stale) {
    await db.outboundMessage.update({ where: { id: row.id }, data: { status: 'FAILED', error: `expired: ${stale}` } });
    log.warn('delivery_expired', { ...facts, reason: stale });
    return;
  }

  const parts = openParts(key, row.id, payload.sealed);
  const message: DispatchableMessage = { channel, to: row.to, ...parts };
  let sent: Awaited<ReturnType<MessageDispatcher['dispatch']>>;
  try {
    sent = await deps.dispatcher.dispatch(message);
  } catch (caught) {
    const error = caught instanceof DeliveryError ? caught : new DeliveryError(channel, 'provider_error', 'unexpected provider error', caught);
    const reason = `${error.failure}: ${error.message}`.slice(0, 200);
    // A destination the provider refused stays refused: trying again only costs money (and, for
    // SMS, feeds pumping). The last try ends the message.
    const final = error.failure === 'invalid_destination' || isLastAttempt(helpers);
    await db.outboundMessage.update({ where: { id: row.id }, data: final ? { status: 'FAILED', error: reason } : { error: reason } });
    if (error.failure === 'invalid_destination') {
      log.warn('delivery_failed', { ...facts, failure: error.failure, detail: error.message, final: true });
      return;
    }
    if (final) log.error('delivery_failed', { ...facts, failure: error.failure, detail: error.message, final: true });
    else log.warn('delivery_retrying', { ...facts, failure: error.failure, detail: error.message });
    throw error;
  }

  if (sent.provider === 'outbox' && (deps.keepOutboxCopies ?? true)) {
    rememberOutboxCopy({ messageId: row.id, channel, to: row.to, subject: parts.subject, text: parts.text, html: parts.html, twiml: parts.twiml, calendar: parts.calendar?.content, createdAt: row.createdAt });
  }
  // The message has left; a failure to note that must not fail the job and send it again.
  await db.outboundMessage
    .update({ where: { id: row.id }, data: { status: 'SENT', provider: sent.provider, providerId: sent.providerId ?? null, error: null } })
    .catch((dbError: unknown) => log.error('delivery_record_failed', { ...facts, error: dbError }));
  log.info('delivery_sent', { ...facts, provider: sent.provider });
}

/**
 * Why a code message must not go out any more, if it must not: the message waited longer than any
 * code lives, its challenge expired, was used or is gone, or a newer code was sent for it (a resend
 * replaces the code: the old one would only confuse).
 */
async function codeNoLongerValid(
  db: Db,
  message: { id: string; challengeId: string | null; createdAt: Date },
  giveUpAt: string | undefined,
  now: Date,
): Promise<string | undefined> {
  if (giveUpAt && new Date(giveUpAt) <= now) return 'queued too long for its code';
  if (!message.challengeId || !giveUpAt) return undefined;
  const [challenge, newer] = await Promise.all([
    db.verificationChallenge.findUnique({ where: { id: message.challengeId }, select: { expiresAt: true, consumedAt: true } }),
    db.outboundMessage.findFirst({ where: { challengeId: message.challengeId, createdAt: { gt: message.createdAt }, id: { not: message.id } }, select: { id: true } }),
  ]);
  if (!challenge) return 'challenge gone';
  if (challenge.consumedAt) return 'challenge already used';
  if (challenge.expiresAt <= now) return 'challenge expired';
  if (newer) return 'a newer code was sent';
  return undefined;
}

// ── The job payload ──────────────────────────────────────────────────────────

const messagePayload = z.object({
  messageId: z.string().min(1),
  sealed: z.string().min(1),
  giveUpAt: z.iso.datetime().optional(),
});
type MessagePayload = z.infer<typeof messagePayload>;

const sealedParts = z.object({
  subject: z.string().optional(),
  text: z.string(),
  html: z.string().optional(),
  twiml: z.string().optional(),
  calendar: z.object({ method: z.enum(['REQUEST', 'CANCEL']), content: z.string() }).optional(),
});
type SealedParts = z.infer<typeof sealedParts>;

/** Its own key, so a payload key can never open anything else and HMAC_KEY is never used raw for encryption. */
function payloadKey(hmacKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', hmacKey, Buffer.alloc(0), 'regain/outbound-message-payload/v1', 32));
}

const sealContext = (messageId: string) => `outbound-message:${messageId}`;

function sealParts(key: Buffer, messageId: string, message: OutgoingMessage): string {
  const parts: SealedParts = {
    text: message.text,
    ...(message.subject !== undefined ? { subject: message.subject } : {}),
    ...(message.html !== undefined ? { html: message.html } : {}),
    ...(message.twiml !== undefined ? { twiml: message.twiml } : {}),
    ...(message.calendar !== undefined ? { calendar: message.calendar } : {}),
  };
  return Buffer.from(seal(key, Buffer.from(JSON.stringify(parts), 'utf8'), sealContext(messageId))).toString('base64url');
}

function openParts(key: Buffer, messageId: string, sealed: string): SealedParts {
  return sealedParts.parse(JSON.parse(open(key, Buffer.from(sealed, 'base64url'), sealContext(messageId)).toString('utf8')));
}
