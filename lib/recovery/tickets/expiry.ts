import type { Db } from '@/lib/db/client';
import { log } from '@/lib/log';
import { RESET_TOKEN_TTL_HOURS } from './reset-token';
import { transitionTicket } from './state';

/** A question left unanswered this long closes the ticket; the person can always open a new one. */
export const UNANSWERED_DAYS = 14;

/**
 * Housekeeping (a scheduled job): tickets whose approval link lapsed unused, or whose question went
 * unanswered, or whose contact address was never confirmed, move to EXPIRED through the state machine (history message and audit included), so
 * their documents start the retention clock.
 */
export async function expireStaleTickets({ db, now, batch = 200 }: { db: Db; now: Date; batch?: number }): Promise<number> {
  const linkLapsed = new Date(now.getTime() - RESET_TOKEN_TTL_HOURS * 3_600_000);
  const unanswered = new Date(now.getTime() - UNANSWERED_DAYS * 86_400_000);
  const stale = await db.recoveryTicket.findMany({
    where: {
      OR: [
        // An approval still waiting out the owner's cancel window (rule 27) has no link to lapse yet.
        { status: 'APPROVED', updatedAt: { lt: linkLapsed }, OR: [{ applyNotBefore: null }, { applyNotBefore: { lt: linkLapsed } }] },
        { status: 'MORE_INFO_REQUESTED', updatedAt: { lt: unanswered } },
        // Contact address never confirmed with its code: never queued, nothing to keep.
        { status: 'SUBMITTED', contactUnconfirmedUntil: { lt: now } },
      ],
    },
    select: { id: true, status: true },
    take: batch,
  });
  let expired = 0;
  for (const ticket of stale) {
    try {
      await transitionTicket(db, { ticketId: ticket.id, from: ticket.status, to: 'EXPIRED', actor: { kind: 'system' }, reason: 'No action before the deadline', now });
      expired++;
    } catch (error) {
      // Changed meanwhile (the person answered, an agent acted): leave it.
      log.info('ticket_expiry_skipped', { ticketId: ticket.id, error: (error as Error).message });
    }
  }
  return expired;
}
