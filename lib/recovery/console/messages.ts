import type { ConsoleAgentRef } from '@/lib/access';
import type { Db } from '@/lib/db/client';
import { MESSAGE_STATE_LABEL, messageState, type MessageState } from '@/lib/delivery/status';
import { authorizeTicket } from './access';

/**
 * What the person behind a ticket was sent, and where each message is: queued, sent, being retried
 * after a failure, or given up. An agent is never told "emailed" for a message that has not left
 * (messages go through the job queue, lib/delivery), so a person who says "I got nothing" can be
 * believed, and the agent can see why.
 *
 * Messages are matched by the ticket's contact address and purpose, from the ticket's creation on:
 * OutboundMessage rows name no ticket.
 */
export const TICKET_MESSAGE_LABEL: Record<string, string> = {
  'ticket-contact-code': 'Code to confirm the contact address',
  'ticket-received': 'Request received',
  'ticket-info-request': 'Question from support',
  'ticket-appointment': 'Video call booked',
  'video-call-code': 'Video call code',
  'ticket-status-code': 'Status page code',
  'ticket-rejected': 'Decision: not approved',
  'ticket-approved': 'Approval and single-use link',
};

export type TicketMessage = {
  id: string;
  what: string;
  at: Date;
  /** When the row last changed: sent, or the latest failed try. */
  updatedAt: Date;
  state: MessageState;
  /** "queued", "sent", "delivered", "delivery failed — retrying" or "could not be delivered". */
  stateLabel: string;
};

const LIMIT = 50;

export async function listTicketMessages(options: {
  db: Db;
  agent: ConsoleAgentRef;
  ticketId: string;
  now: Date;
  ip?: string | null | undefined;
  userAgent?: string | null | undefined;
}): Promise<TicketMessage[]> {
  const { db } = options;
  // The same gate as the ticket page (docs/security.md rule 12): the address is the person's.
  const { ticket: facts } = await authorizeTicket({ ...options, need: 'view' });
  const ticket = await db.recoveryTicket.findUniqueOrThrow({ where: { id: facts.id }, select: { contactEmail: true, createdAt: true } });
  const rows = await db.outboundMessage.findMany({
    where: { to: ticket.contactEmail, purpose: { in: Object.keys(TICKET_MESSAGE_LABEL) }, createdAt: { gte: ticket.createdAt } },
    select: { id: true, purpose: true, status: true, error: true, createdAt: true, updatedAt: true },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: LIMIT,
  });
  return rows.map((row) => {
    const state = messageState(row);
    return { id: row.id, what: TICKET_MESSAGE_LABEL[row.purpose] ?? row.purpose, at: row.createdAt, updatedAt: row.updatedAt, state, stateLabel: MESSAGE_STATE_LABEL[state] };
  });
}
