import type { DeliveryChannel } from './types';

/**
 * The development outbox's memory: unmasked copies of the last messages the outbox "sent", so a
 * developer can read a code on /dev/outbox. Kept in this process only (the worker runs in the
 * server process, so the page sees what the worker sent); never written anywhere, never in
 * production.
 */
export type OutboxCopy = {
  messageId: string;
  channel: DeliveryChannel;
  to: string;
  subject: string | undefined;
  text: string;
  html: string | undefined;
  twiml: string | undefined;
  /** The iCalendar event sent with an email, if any. */
  calendar?: string | undefined;
  createdAt: Date;
};

const OUTBOX_COPIES = 100;

// On globalThis so the dev server's module reloads (and the separately bundled instrumentation
// that runs the worker) share it.
function outboxMemory(): OutboxCopy[] {
  const store = globalThis as unknown as { regainOutboxCopies?: OutboxCopy[] };
  store.regainOutboxCopies ??= [];
  return store.regainOutboxCopies;
}

export function rememberOutboxCopy(copy: OutboxCopy) {
  const memory = outboxMemory();
  memory.push(copy);
  if (memory.length > OUTBOX_COPIES) memory.splice(0, memory.length - OUTBOX_COPIES);
}

/** Unmasked copies of the last 100 outbox messages sent by this process, newest first. */
export function readOutboxCopies(): OutboxCopy[] {
  return [...outboxMemory()].reverse();
}
