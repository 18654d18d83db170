import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { createDispatcher, providerFor, type MessageDispatcher } from './providers';
import { createQueuedDelivery } from './queue';
import type { Delivery } from './types';

export { DeliveryError, type Delivery, type DeliveryChannel, type OutgoingMessage, type SendOptions, type SendResult } from './types';
export { MASK, masker, maskDestination } from './mask';
export { readOutboxCopies, type OutboxCopy } from './outbox';
export { createDispatcher, providerFor, STATUS_CALLBACK_PATH, type DispatchableMessage, type MessageDispatcher, type MessageProvider } from './providers';
export {
  CODE_MESSAGE_ATTEMPTS,
  CODE_MESSAGE_LIFETIME_MS,
  createQueuedDelivery,
  MESSAGE_ATTEMPTS,
  messageTasks,
  SEND_MESSAGE_TASK,
  type MessageTaskDeps,
} from './queue';

/**
 * Email (SMTP), SMS and voice calls (Twilio), or only a record of them (the development outbox).
 *
 * `send` queues: it writes the OutboundMessage row, with every `sensitive` value (the one-time
 * code) masked, and a `send-message` job in one transaction, the caller's when it passes one
 * (lib/delivery/queue.ts). The worker (lib/worker, running in every server process) hands the
 * message to its provider (lib/delivery/providers.ts), retries failures and marks the row SENT or
 * FAILED. A code in plain text exists only in the message itself, sealed in its job, and, in
 * development with the outbox transport, in the server's memory so a developer can read it on
 * /dev/outbox.
 */

/** The process-wide delivery: every message is queued. */
export function getDelivery(): Delivery {
  const store = globalThis as unknown as { regainDelivery?: Delivery };
  if (!store.regainDelivery) {
    const config = getConfig();
    store.regainDelivery = createQueuedDelivery({ db: getPrisma(), hmacKey: config.hmacKey, providerFor: (channel) => providerFor(config, channel) });
  }
  return store.regainDelivery;
}

/** The process-wide providers, for the worker's `send-message` task. */
export function getDispatcher(): MessageDispatcher {
  const store = globalThis as unknown as { regainDispatcher?: MessageDispatcher };
  if (!store.regainDispatcher) {
    const config = getConfig();
    store.regainDispatcher = createDispatcher({ email: config.email, sms: config.sms, appUrl: config.appUrl });
  }
  return store.regainDispatcher;
}
