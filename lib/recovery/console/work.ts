import { recordAudit } from '@/lib/audit';
import type { Db } from '@/lib/db/client';
import type { Prisma } from '@/lib/db/generated/client';
import type { TicketStatus } from '@/lib/db/generated/enums';
import type { Delivery } from '@/lib/delivery/types';
import { AppError, validationError } from '@/lib/errors';
import { requestMoreInfo, type Schedule, transitionTicket } from '@/lib/recovery/tickets';
import { scheduleAppointment } from '@/lib/recovery/tickets/appointments';
import { cleanMessage } from '@/lib/recovery/tickets/status';
import { type ConsoleAgentRef, OPEN_STATUSES } from '@/lib/access';
import { isUuid } from '@/lib/db/ids';
import { authorizeTicket } from './access';

/**
 * Working a ticket from the console (docs/product.md D): claim, assign, internal notes, asking the person for
 * more, booking a video call. Each checks the agent through authorizeTicket first (rule 12) and is
 * audited (rule 20); the ticket rules themselves (transitions, messages, mails) stay in
 * lib/recovery/tickets.
 */

/** What every console use case knows about the request it serves. */
export type ConsoleRequest = {
  db: Db;
  agent: ConsoleAgentRef;
  ticketId: string;
  now: Date;
  ip?: string | undefined;
  userAgent?: string | null | undefined;
};

/** Transaction limits for console use cases that lock a ticket row. */
export const TX = { maxWait: 10_000, timeout: 15_000 } as const;

/** An audit writer for one agent acting on the request's ticket (inside a transaction or not). */
export function auditFor(options: ConsoleRequest, agentId: string) {
  return (client: Db | Prisma.TransactionClient, action: string, data: Record<string, unknown> = {}) =>
    recordAudit(client, {
      actorType: 'AGENT',
      actorId: agentId,
      action,
      subjectType: 'ticket',
      subjectId: options.ticketId,
      ip: options.ip,
      userAgent: options.userAgent?.slice(0, 300),
      data,
      occurredAt: options.now,
    });
}

/**
 * Takes an unassigned open ticket. A submitted ticket moves to "in review" in the same transaction,
 * so the person's status page says someone is on it. Of two agents claiming at once, one gets it.
 */
export async function claimTicket(options: ConsoleRequest): Promise<{ status: TicketStatus }> {
  const { db, now } = options;
  const { agent, ticket } = await authorizeTicket({ ...options, need: 'claim' });
  const audit = auditFor(options, agent.id);
  return db.$transaction(async (tx) => {
    const { count } = await tx.recoveryTicket.updateMany({
      where: { id: ticket.id, assigneeId: null, status: { in: [...OPEN_STATUSES] } },
      data: { assigneeId: agent.id },
    });
    if (count !== 1) throw new AppError({ code: 'conflict', userMessage: 'Someone else claimed this request a moment ago. Reload the queue.' });
    let status = ticket.status;
    if (status === 'SUBMITTED') {
      status = (await transitionTicket(tx, { ticketId: ticket.id, from: 'SUBMITTED', to: 'IN_REVIEW', actor: { kind: 'agent', agentId: agent.id }, now, ip: options.ip })).to;
    }
    await audit(tx, 'ticket.claimed', { status });
    return { status };
  }, TX);
}

/**
 * A supervisor gives a ticket to an agent (or back to the queue with `assigneeId: null`). Only open
 * tickets move; the new assignee must be an active agent.
 */
export async function assignTicket(options: ConsoleRequest & { assigneeId: string | null }): Promise<{ assigneeId: string | null; status: TicketStatus }> {
  const { db, now } = options;
  const { agent, ticket } = await authorizeTicket({ ...options, need: 'assign' });
  const target = options.assigneeId;
  if (target !== null) {
    const found = isUuid(target) ? await db.agent.findFirst({ where: { id: target, active: true }, select: { id: true } }) : null;
    if (!found) throw validationError({ assigneeId: ['Choose an active agent.'] });
  }
  const audit = auditFor(options, agent.id);
  return db.$transaction(async (tx) => {
    const [locked] = await tx.$queryRaw<{ status: TicketStatus; assigneeId: string | null }[]>`
      SELECT "status", "assigneeId" FROM "RecoveryTicket" WHERE "id" = ${ticket.id}::uuid FOR UPDATE`;
    if (!locked || !(OPEN_STATUSES as readonly TicketStatus[]).includes(locked.status)) {
      throw new AppError({ code: 'conflict', userMessage: 'Only open requests can be assigned.' });
    }
    await tx.recoveryTicket.update({ where: { id: ticket.id }, data: { assigneeId: target }, select: { id: true } });
    let status = locked.status;
    if (status === 'SUBMITTED' && target !== null) {
      status = (await transitionTicket(tx, { ticketId: ticket.id, from: 'SUBMITTED', to: 'IN_REVIEW', actor: { kind: 'agent', agentId: agent.id }, now, ip: options.ip })).to;
    }
    await audit(tx, 'ticket.assigned', { fromAgentId: locked.assigneeId, toAgentId: target });
    return { assigneeId: target, status };
  }, TX);
}

/** A note for colleagues only: never on the status page, never mailed. */
export async function addInternalNote(options: ConsoleRequest & { body: string }): Promise<{ noteId: string }> {
  const { db, now } = options;
  const body = cleanMessage(options.body, 'body');
  const { agent, ticket } = await authorizeTicket({ ...options, need: 'work' });
  const audit = auditFor(options, agent.id);
  return db.$transaction(async (tx) => {
    const note = await tx.ticketMessage.create({ data: { ticketId: ticket.id, kind: 'INTERNAL_NOTE', agentId: agent.id, body, createdAt: now }, select: { id: true } });
    await audit(tx, 'ticket.note_added', { noteId: note.id, length: body.length });
    return { noteId: note.id };
  }, TX);
}

/**
 * Asks the person for more (they are emailed and answer on the status page). A first high-risk
 * approval waiting for its second approver is withdrawn: the answer is new evidence, and the
 * ticket needs a fresh review and two fresh approvals when it comes back.
 */
export async function requestInfo(options: ConsoleRequest & { delivery: Delivery; body: string; schedule?: Schedule | undefined }): Promise<void> {
  const { db, now } = options;
  const { agent, ticket } = await authorizeTicket({ ...options, need: 'work' });
  await requestMoreInfo({ db, delivery: options.delivery, ticketId: ticket.id, agentId: agent.id, body: options.body, ip: options.ip, now, schedule: options.schedule });
  const withdrawn = await db.recoveryTicket.updateMany({
    where: { id: ticket.id, status: 'MORE_INFO_REQUESTED', approvedById: { not: null }, confirmedById: null },
    data: { approvedById: null, decisionReason: null },
  });
  if (withdrawn.count > 0) await auditFor(options, agent.id)(db, 'ticket.approval_withdrawn', { approvedById: ticket.approvedById, because: 'more_info_requested' });
}

/**
 * Books a video call in a UTC window. The person is emailed the window (in their time zone too), how to join and a calendar event; the room
 * link is shown to the agent on the ticket page and given to the person only after two proofs
 * (lib/recovery/tickets/appointments).
 */
export async function scheduleVideoCall(
  options: ConsoleRequest & { delivery: Delivery; startsAt: Date; endsAt: Date; meetingUrlTemplate: string; appUrl: string },
): Promise<{ appointmentId: string; startsAt: Date; endsAt: Date }> {
  const { agent, ticket } = await authorizeTicket({ ...options, need: 'work' });
  const booked = await scheduleAppointment({
    db: options.db,
    delivery: options.delivery,
    ticketId: ticket.id,
    agentId: agent.id,
    startsAt: options.startsAt,
    endsAt: options.endsAt,
    meetingUrlTemplate: options.meetingUrlTemplate,
    appUrl: options.appUrl,
    ip: options.ip,
    now: options.now,
  });
  return { appointmentId: booked.appointmentId, startsAt: booked.startsAt, endsAt: booked.endsAt };
}
