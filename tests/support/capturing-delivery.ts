import type { Delivery, OutgoingMessage } from '@/lib/delivery/types';

/** A delivery channel that keeps what it was asked to send (docs/architecture.md: pass dependencies in). */
export function capturingDelivery() {
  const sent: OutgoingMessage[] = [];
  const delivery: Delivery = {
    async send(message) {
      sent.push(message);
      return { messageId: `captured-${sent.length}`, provider: 'outbox' };
    },
  };
  const lastCode = (to?: string) => {
    const message = [...sent].reverse().find((m) => !to || m.to === to);
    return message?.sensitive?.[0];
  };
  return { delivery, sent, lastCode };
}

/** Collects scheduled background work so a test can wait for it. */
export function collectingScheduler() {
  const pending: Promise<void>[] = [];
  return {
    schedule: (work: () => Promise<void>) => void pending.push(work()),
    flush: async () => {
      await Promise.all(pending.splice(0));
    },
  };
}

export function fixedClock(start: string | Date) {
  let now = new Date(start);
  return {
    now: () => new Date(now),
    advance: (seconds: number) => {
      now = new Date(now.getTime() + seconds * 1000);
    },
    set: (value: string | Date) => {
      now = new Date(value);
    },
  };
}
