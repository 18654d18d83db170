import { recordAudit } from '@/lib/audit';
import type { Db } from '@/lib/db/client';
import type { RiskLevel, TicketStatus } from '@/lib/db/generated/enums';
import { AppError } from '@/lib/errors';

/**
 * Who may do what with a recovery ticket in the agent console (issue 7; security.md rule 12: "every
 * ticket and document access checks that the actor may see it"). Every console use case asks
 * authorizeTicket, and the pages ask mayAccess to decide which buttons to draw, so the rule lives
 * here once:
 *
 * - AGENT: views and works the tickets assigned to them, claims unassigned open ones, opens the
 *   documents of their own tickets. Four-eyes (rule 12: "high-risk approvals need a second
 *   person"): while a high-risk approval waits for its second approver, any other agent may open
 *   that ticket and its documents and confirm it. Checking the evidence is the point of a second
 *   pair of eyes, and it cannot be the agent who gave the first approval.
 * - SUPERVISOR and ADMIN: view, work and assign every ticket, open its documents, and confirm
 *   high-risk approvals that are not their own.
 * - Nobody, of any role, confirms their own approval.
 * - Nobody decides (approves, confirms or rejects) a ticket they are a party to (rule 12, conflicts
 *   of interest; refuseConflictedDecision). Tickets are opened only by the person recovering, never
 *   by an agent, so the "opener" of a request is its contact identity: the address it was opened
 *   from and the account it targets. An agent whose own contact (agents have an email and no phone)
 *   matches the ticket's contact address or the account's email or phone is that opener, and the
 *   opener of a request is never its approver.
 * - A deactivated agent can do nothing (the role and the active flag are read fresh on every call,
 *   so a demotion or deactivation takes effect at once).
 *
 * A ticket the agent may not see answers exactly like a ticket that does not exist (not_found), so
 * ids cannot be probed (no IDOR oracle). Someone who may see the ticket but not do this one thing
 * gets a specific reason instead.
 */

export type ConsoleRole = 'AGENT' | 'SUPERVISOR' | 'ADMIN';

/** Who is asking: the signed-in agent's id (currentAgent() fits). The role is never trusted from here. */
export type ConsoleAgentRef = { agentId: string };

/** The agent as the database says right now. */
export type ActingAgent = { id: string; name: string; role: ConsoleRole };

export type TicketNeed = 'view' | 'work' | 'documents' | 'claim' | 'assign' | 'confirm';

/** The facts about a ticket that access depends on. */
export type TicketAccessFacts = {
  status: TicketStatus;
  assigneeId: string | null;
  approvedById: string | null;
  confirmedById: string | null;
};

export type AuthorizedTicket = TicketAccessFacts & {
  id: string;
  reference: string;
  userId: string | null;
  riskLevel: RiskLevel;
};

/** Statuses someone still has to act on; the queue shows these by default. */
export const OPEN_STATUSES = ['SUBMITTED', 'IN_REVIEW', 'MORE_INFO_REQUESTED'] as const satisfies readonly TicketStatus[];

export function isOpen(status: TicketStatus): boolean {
  return (OPEN_STATUSES as readonly TicketStatus[]).includes(status);
}

/** A high-risk approval recorded by one person and not yet confirmed by a second. */
export function awaitingSecondApproval(ticket: TicketAccessFacts): boolean {
  return ticket.status === 'IN_REVIEW' && ticket.approvedById !== null && ticket.confirmedById === null;
}

/** The whole rule, as a pure function (see the module comment). */
export function mayAccess(agent: ActingAgent, ticket: TicketAccessFacts, need: TicketNeed): boolean {
  const senior = agent.role === 'SUPERVISOR' || agent.role === 'ADMIN';
  const assigned = ticket.assigneeId === agent.id;
  const secondReviewer = awaitingSecondApproval(ticket) && ticket.approvedById !== agent.id;
  switch (need) {
    case 'view':
    case 'documents':
      return senior || assigned || secondReviewer;
    case 'work':
      return senior || assigned;
    case 'claim':
      return ticket.assigneeId === null && isOpen(ticket.status);
    case 'assign':
      return senior;
    case 'confirm':
      return secondReviewer;
  }
}

const NOT_FOUND_MESSAGE = 'That recovery request was not found, or it is not yours to open.';

/** The one answer for "no such ticket" and "not yours": same code, same words. */
export function ticketNotFound(internalMessage = 'ticket not found or not visible to this agent') {
  return new AppError({ code: 'not_found', userMessage: NOT_FOUND_MESSAGE, internalMessage });
}

export function consoleSessionEnded() {
  return new AppError({ code: 'unauthorized', userMessage: 'Your console session has ended. Please sign in again.' });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string) => UUID.test(value);

type Reader = Pick<Db, 'agent'>;

/** The active agent behind a console session, with the role as stored now; undefined if deactivated or unknown. */
export async function loadActingAgent(db: Reader, agent: ConsoleAgentRef): Promise<ActingAgent | undefined> {
  if (!isUuid(agent.agentId)) return undefined;
  const row = await db.agent.findFirst({ where: { id: agent.agentId, active: true }, select: { id: true, name: true, role: true } });
  return row ?? undefined;
}

/** Like loadActingAgent, but a missing or deactivated agent is an error (the session is over). */
export async function requireActingAgent(db: Reader, agent: ConsoleAgentRef): Promise<ActingAgent> {
  const acting = await loadActingAgent(db, agent);
  if (!acting) throw consoleSessionEnded();
  return acting;
}

export const ticketAccessSelect = {
  id: true,
  reference: true,
  userId: true,
  status: true,
  riskLevel: true,
  assigneeId: true,
  approvedById: true,
  confirmedById: true,
} as const;

/**
 * The single gate for console use cases: the acting agent (fresh from the database) and the facts
 * about the ticket, or an error. Refusals are audited (rule 20) with what was asked, so probing for
 * other people's tickets leaves a trace; the record is the same for unknown and forbidden ids.
 */
export async function authorizeTicket(options: {
  db: Db;
  agent: ConsoleAgentRef;
  ticketId: string;
  need: TicketNeed;
  now: Date;
  ip?: string | null | undefined;
  userAgent?: string | null | undefined;
}): Promise<{ agent: ActingAgent; ticket: AuthorizedTicket }> {
  const { db, need, now } = options;
  const agent = await requireActingAgent(db, options.agent);
  const ticket = isUuid(options.ticketId)
    ? await db.recoveryTicket.findUnique({ where: { id: options.ticketId }, select: ticketAccessSelect })
    : null;
  if (ticket && mayAccess(agent, ticket, need)) return { agent, ticket };

  await recordAudit(db, {
    actorType: 'AGENT',
    actorId: agent.id,
    action: 'ticket.access_refused',
    subjectType: 'ticket',
    subjectId: isUuid(options.ticketId) ? options.ticketId.toLowerCase() : null,
    ip: options.ip,
    userAgent: options.userAgent?.slice(0, 300),
    data: { need },
    occurredAt: now,
  });
  if (!ticket || !mayAccess(agent, ticket, 'view')) throw ticketNotFound();
  throw refusalFor(agent, ticket, need);
}

/** Why someone who can see the ticket still may not do this: said plainly, since they may see it. */
export function refusalFor(agent: ActingAgent, ticket: TicketAccessFacts, need: TicketNeed): AppError {
  const forbidden = (userMessage: string) => new AppError({ code: 'forbidden', userMessage, internalMessage: `console: ${need} refused` });
  const conflict = (userMessage: string) => new AppError({ code: 'conflict', userMessage, internalMessage: `console: ${need} refused` });
  switch (need) {
    case 'confirm':
      if (ticket.approvedById === agent.id) {
        return forbidden('You gave the first approval, so you cannot confirm it. A different agent or a supervisor has to confirm it.');
      }
      return conflict('This request is not waiting for a second approval.');
    case 'claim':
      return conflict(ticket.assigneeId ? 'This request is already assigned. Reload the queue to see who has it.' : 'Only open requests can be claimed.');
    case 'assign':
      return forbidden('Only a supervisor can assign requests.');
    default:
      return forbidden('You can look at this request, but only its assignee or a supervisor can work on it.');
  }
}

// ── Conflicts of interest ────────────────────────────────────────────────────

/**
 * An address as a person controls it: case folded, and a "+tag" dropped from the local part, since
 * name+x@host reaches the same mailbox as name@host.
 */
export function mailboxOf(email: string): string {
  const [local = '', domain = ''] = email.trim().toLowerCase().split(/@(?=[^@]*$)/);
  return `${local.split('+')[0]}@${domain}`;
}

/** Does the agent's own contact match a contact of the request (the pure rule, for tests and pages)? */
export function isPartyTo(agentContact: { email: string; phone?: string | null | undefined }, parties: { contactEmail: string | null; accountEmail: string | null; accountPhone: string | null }): boolean {
  const mine = mailboxOf(agentContact.email);
  const emails = [parties.contactEmail, parties.accountEmail].filter((e): e is string => Boolean(e)).map(mailboxOf);
  if (emails.includes(mine)) return true;
  const phone = agentContact.phone?.replace(/[^\d+]/g, '');
  return Boolean(phone && parties.accountPhone && phone === parties.accountPhone.replace(/[^\d+]/g, ''));
}

/**
 * Refuses a decision on a ticket the agent is a party to (see the module comment). Called by every
 * decision use case after authorizeTicket; the refusal is audited like any other (rule 20).
 */
export async function refuseConflictedDecision(options: {
  db: Db;
  agent: ActingAgent;
  ticketId: string;
  now: Date;
  ip?: string | null | undefined;
  userAgent?: string | null | undefined;
}): Promise<void> {
  const { db, agent } = options;
  const [me, ticket] = await Promise.all([
    db.agent.findUnique({ where: { id: agent.id }, select: { email: true } }),
    db.recoveryTicket.findUnique({ where: { id: options.ticketId }, select: { contactEmail: true, user: { select: { email: true, phone: true } } } }),
  ]);
  if (!me || !ticket) return;
  if (!isPartyTo(me, { contactEmail: ticket.contactEmail, accountEmail: ticket.user?.email ?? null, accountPhone: ticket.user?.phone ?? null })) return;
  await recordAudit(db, {
    actorType: 'AGENT',
    actorId: agent.id,
    action: 'ticket.decision_refused',
    subjectType: 'ticket',
    subjectId: options.ticketId,
    ip: options.ip,
    userAgent: options.userAgent?.slice(0, 300),
    data: { why: 'conflict_of_interest' },
    occurredAt: options.now,
  });
  throw new AppError({
    code: 'forbidden',
    userMessage: 'This request is from your own email address or account, so you cannot decide it. Ask a colleague or a supervisor to take it.',
    internalMessage: 'console: decision refused, agent is a party to the ticket',
  });
}
