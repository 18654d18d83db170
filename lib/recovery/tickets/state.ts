import { recordAudit } from '@/lib/audit';
import type { Db } from '@/lib/db/client';
import type { Prisma } from '@/lib/db/generated/client';
import type { ActorType, TicketStatus } from '@/lib/db/generated/enums';
import { AppError } from '@/lib/errors';
import { cancelAppointmentsAhead } from './cancel-calls';

/**
 * The life of a recovery ticket as data: the allowed transitions, enforced in one place.
 * Every status change goes through transitionTicket below; nothing else writes
 * RecoveryTicket.status. A ticket is reviewed by a person before it is approved (rule 10: the
 * approved ticket is what replaces the second proof), so APPROVED is reachable only from IN_REVIEW.
 */
export const TICKET_STATUSES = [
  'SUBMITTED',
  'IN_REVIEW',
  'MORE_INFO_REQUESTED',
  'APPROVED',
  'REJECTED',
  'COMPLETED',
  'EXPIRED',
] as const satisfies readonly TicketStatus[];

export const TICKET_TRANSITIONS: Readonly<Record<TicketStatus, readonly TicketStatus[]>> = {
  SUBMITTED: ['IN_REVIEW', 'REJECTED', 'EXPIRED'],
  IN_REVIEW: ['MORE_INFO_REQUESTED', 'APPROVED', 'REJECTED'],
  // Back to IN_REVIEW when the person answers (replyToTicket); expires when they never do.
  MORE_INFO_REQUESTED: ['IN_REVIEW', 'REJECTED', 'EXPIRED'],
  // COMPLETED once the new factor is bound; EXPIRED when the single-use link was never used;
  // REJECTED when the account owner answers the notice with "This wasn't me" (docs/security.md rule 27).
  APPROVED: ['COMPLETED', 'REJECTED', 'EXPIRED'],
  REJECTED: [],
  COMPLETED: [],
  EXPIRED: [],
};

export function canTransition(from: TicketStatus, to: TicketStatus): boolean {
  return TICKET_TRANSITIONS[from].includes(to);
}

export function isTerminal(status: TicketStatus): boolean {
  return TICKET_TRANSITIONS[status].length === 0;
}

/** Who moved the ticket: an agent, the account holder (on the status page) or a scheduled job. */
export type TicketActor = { kind: 'agent'; agentId: string } | { kind: 'customer' } | { kind: 'system' };

export class TransitionRefused extends AppError {
  constructor(
    readonly from: TicketStatus | undefined,
    readonly to: TicketStatus,
    reason: 'not_allowed' | 'changed' | 'not_found',
  ) {
    const userMessage =
      reason === 'not_found'
        ? 'That recovery request was not found.'
        : reason === 'changed'
          ? 'This request changed while you were working on it. Reload it to see where it is now.'
          : `A request that is ${label(from)} cannot be moved to ${label(to)}.`;
    super({
      code: reason === 'not_found' ? 'not_found' : 'conflict',
      userMessage,
      internalMessage: `ticket transition ${from ?? '?'} -> ${to} refused: ${reason}`,
    });
    this.name = 'TransitionRefused';
  }
}

const LABELS: Record<TicketStatus, string> = {
  SUBMITTED: 'submitted',
  IN_REVIEW: 'in review',
  MORE_INFO_REQUESTED: 'waiting for more information',
  APPROVED: 'approved',
  REJECTED: 'rejected',
  COMPLETED: 'completed',
  EXPIRED: 'expired',
};

function label(status: TicketStatus | undefined) {
  return status ? LABELS[status] : 'in an unknown state';
}

type Client = Db | Prisma.TransactionClient;

const ENDS_CALLS: ReadonlySet<TicketStatus> = new Set(['APPROVED', 'REJECTED', 'COMPLETED', 'EXPIRED']);

/**
 * Moves a ticket from `from` (or from wherever it is now) to `to`, if the table allows it.
 *
 * The change is one conditional UPDATE (`WHERE status = from`): under concurrency the second of two
 * transitions from the same status finds no row and is refused, so an approval and a rejection can
 * never both apply. The STATUS_CHANGE message and the audit event (rule 20) are written in the same
 * transaction, so history never disagrees with the status. Pass an interactive transaction to make
 * the transition part of a larger change (an approval that also issues the reset link).
 */
export async function transitionTicket(
  db: Client,
  options: { ticketId: string; from?: TicketStatus | undefined; to: TicketStatus; actor: TicketActor; reason?: string | undefined; now: Date; ip?: string | undefined },
): Promise<{ from: TicketStatus; to: TicketStatus }> {
  const run = async (tx: Prisma.TransactionClient) => {
    const ticket = await tx.recoveryTicket.findUnique({
      where: { id: options.ticketId },
      select: { status: true, userId: true, approvedById: true, slaDueAt: true, slaPausedAt: true },
    });
    if (!ticket) throw new TransitionRefused(options.from, options.to, 'not_found');
    const from = options.from ?? ticket.status;
    if (!canTransition(from, options.to)) throw new TransitionRefused(from, options.to, 'not_allowed');

    const terminal = isTerminal(options.to);
    const decided = options.to === 'APPROVED' || options.to === 'REJECTED';
    const reason = options.reason?.trim().slice(0, 2000) || undefined;
    const { count } = await tx.recoveryTicket.updateMany({
      where: { id: options.ticketId, status: from },
      data: {
        status: options.to,
        ...(terminal ? { closedAt: options.now } : {}),
        ...slaClock(ticket, from, options.to, options.now),
        ...(decided && reason ? { decisionReason: reason } : {}),
        // A four-eyes approval keeps its first approver; the confirming agent is recorded apart.
        ...(options.to === 'APPROVED' && options.actor.kind === 'agent' && !ticket.approvedById ? { approvedById: options.actor.agentId } : {}),
      },
    });
    if (count !== 1) throw new TransitionRefused(from, options.to, 'changed');
    // A decided or closed request needs no call: any booked ahead is cancelled, with its mail and
    // calendar cancellation queued in this transaction.
    if (ENDS_CALLS.has(options.to)) await cancelAppointmentsAhead(tx, { ticketId: options.ticketId, reason: 'request_decided', now: options.now });

    const agentId = options.actor.kind === 'agent' ? options.actor.agentId : null;
    await tx.ticketMessage.create({
      data: {
        ticketId: options.ticketId,
        kind: 'STATUS_CHANGE',
        agentId,
        body: `${LABELS[from]} → ${LABELS[options.to]}${reason ? `: ${reason}` : ''}`,
        createdAt: options.now,
      },
      select: { id: true },
    });
    const actor: { actorType: ActorType; actorId: string | null } =
      options.actor.kind === 'agent'
        ? { actorType: 'AGENT', actorId: options.actor.agentId }
        : options.actor.kind === 'customer'
          ? ticket.userId
            ? { actorType: 'USER', actorId: ticket.userId }
            : { actorType: 'ANONYMOUS', actorId: null }
          : { actorType: 'SYSTEM', actorId: null };
    await recordAudit(tx, {
      ...actor,
      action: 'ticket.status_changed',
      subjectType: 'ticket',
      subjectId: options.ticketId,
      ip: options.ip,
      data: { from, to: options.to, ...(reason ? { reason } : {}) },
      occurredAt: options.now,
    });
    return { from, to: options.to };
  };
  return isBaseClient(db) ? db.$transaction(run, { maxWait: 10_000, timeout: 15_000 }) : run(db);
}

/**
 * The SLA measures our time, not the person's: waiting for their answer stops the clock, and the
 * due time moves on by the time waited when the ticket leaves MORE_INFO_REQUESTED.
 */
function slaClock(ticket: { slaDueAt: Date; slaPausedAt: Date | null }, from: TicketStatus, to: TicketStatus, now: Date) {
  if (to === 'MORE_INFO_REQUESTED') return { slaPausedAt: now };
  if (from === 'MORE_INFO_REQUESTED' && ticket.slaPausedAt) {
    const waited = Math.max(0, now.getTime() - ticket.slaPausedAt.getTime());
    return { slaPausedAt: null, slaDueAt: new Date(ticket.slaDueAt.getTime() + waited) };
  }
  return {};
}

function isBaseClient(db: Client): db is Db {
  return typeof (db as { $transaction?: unknown }).$transaction === 'function';
}
