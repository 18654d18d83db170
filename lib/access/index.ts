import type { Db } from '@/lib/db/client';
import type { AgentRole, RiskLevel, TicketStatus } from '@/lib/db/generated/enums';
import { isUuid } from '@/lib/db/ids';
import { AppError } from '@/lib/errors';

/**
 * Console authorization: who may do what in the agent console, in one place (docs/security.md
 * rule 12: "agents trigger resets but never see or set secrets; high-risk approvals need a second
 * person; every ticket and document access checks that the actor may see it"). The roles and the
 * ticket rules are data and pure functions here; the reads they need (the acting agent, fresh) sit
 * beside them. Use cases ask these functions inside the function that does the work
 * (docs/architecture.md example 3); lib/recovery/console/access.ts adds the audited ticket gate.
 *
 * Roles:
 * - AGENT: views and works the tickets assigned to them, claims unassigned open ones, opens the
 *   documents of their own tickets. Four-eyes: while a high-risk approval waits for its second
 *   approver, any other agent may open that ticket and its documents and confirm it. Checking the
 *   evidence is the point of a second pair of eyes, and it cannot be the agent who gave the first
 *   approval.
 * - SUPERVISOR and ADMIN: view, work and assign every ticket, open its documents, and confirm
 *   high-risk approvals that are not their own; read the audit log and help-center analytics.
 * - ADMIN: also administers agents and host API keys.
 * - Nobody, of any role, confirms their own approval.
 * - Nobody decides (approves, confirms or rejects) a ticket they are a party to (conflict of
 *   interest). Tickets are opened only by the person recovering, never by an agent, so the
 *   "opener" of a request is its contact identity: the address it was opened from and the account
 *   it targets. An agent whose own contact (agents have an email and no phone) matches the
 *   ticket's contact address or the account's email or phone is that opener, and the opener of a
 *   request is never its approver.
 * - A deactivated agent can do nothing (the role and the active flag are read fresh on every call,
 *   so a demotion or deactivation takes effect at once).
 *
 * A ticket the agent may not see answers exactly like a ticket that does not exist (not_found), so
 * ids cannot be probed (no IDOR oracle). Someone who may see the ticket but not do this one thing
 * gets a specific reason instead.
 */

export type ConsoleRole = AgentRole;
export type { AgentRole };

export const CONSOLE_ROLES = ['AGENT', 'SUPERVISOR', 'ADMIN'] as const satisfies readonly ConsoleRole[];

/** Console areas beyond the ticket queue, and the roles that may use them. */
export const ROLE_AREAS = {
  /** Reading and verifying the audit log. Agents work tickets; they do not watch each other. */
  auditLog: ['SUPERVISOR', 'ADMIN'],
  /** Help-center analytics: supervisors and admins look after the help center. */
  analytics: ['SUPERVISOR', 'ADMIN'],
  /** Agents, roles and host API keys. */
  administration: ['ADMIN'],
} as const satisfies Record<string, readonly ConsoleRole[]>;

export type RoleArea = keyof typeof ROLE_AREAS;

export function roleMayUse(role: ConsoleRole, area: RoleArea): boolean {
  return (ROLE_AREAS[area] as readonly ConsoleRole[]).includes(role);
}

/** Who is asking: the signed-in agent's id (currentAgent() fits). The role is never trusted from here. */
export type ConsoleAgentRef = { agentId: string };

/** The agent as the database says right now. */
export type ActingAgent = { id: string; name: string; role: ConsoleRole };

type Reader = Pick<Db, 'agent'>;

/** The agent behind a valid session, with the role read fresh (a demotion takes effect at once). */
export async function loadAgent(db: Reader, agentId: string) {
  if (!isUuid(agentId)) return null;
  return db.agent.findFirst({ where: { id: agentId, active: true }, select: { id: true, name: true, email: true, role: true } });
}

export function consoleSessionEnded() {
  return new AppError({ code: 'unauthorized', userMessage: 'Your console session has ended. Please sign in again.' });
}

/**
 * The acting agent if they are active and hold one of the area's roles (read fresh on every call,
 * so a deactivated or demoted agent loses access at once); otherwise `unauthorized` or `forbidden`.
 */
export async function requireAgentRole(db: Reader, actor: ConsoleAgentRef | undefined, area: RoleArea, what: string) {
  const agent = actor ? await loadAgent(db, actor.agentId) : null;
  if (!agent) throw new AppError({ code: 'unauthorized', userMessage: 'Your session has ended. Please sign in again.', internalMessage: `no active agent may ${what}` });
  if (!roleMayUse(agent.role, area)) {
    throw new AppError({ code: 'forbidden', userMessage: 'This is not available to your role.', internalMessage: `role ${agent.role} may not ${what}` });
  }
  return agent;
}

/** The active agent behind a console session, with the role as stored now; undefined if deactivated or unknown. */
export async function loadActingAgent(db: Reader, agent: ConsoleAgentRef): Promise<ActingAgent | undefined> {
  const row = await loadAgent(db, agent.agentId);
  return row ? { id: row.id, name: row.name, role: row.role } : undefined;
}

/** Like loadActingAgent, but a missing or deactivated agent is an error (the session is over). */
export async function requireActingAgent(db: Reader, agent: ConsoleAgentRef): Promise<ActingAgent> {
  const acting = await loadActingAgent(db, agent);
  if (!acting) throw consoleSessionEnded();
  return acting;
}

// ── Tickets ──────────────────────────────────────────────────────────────────

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
 * Statuses someone still has to act on: the one list of open ticket statuses. The queue shows these
 * by default; an open ticket can be claimed, rejected, replied to and have a call booked.
 */
export const OPEN_STATUSES = ['SUBMITTED', 'IN_REVIEW', 'MORE_INFO_REQUESTED'] as const satisfies readonly TicketStatus[];

export function isOpen(status: TicketStatus): boolean {
  return (OPEN_STATUSES as readonly TicketStatus[]).includes(status);
}

/** A high-risk approval recorded by one person and not yet confirmed by a second. */
export function awaitingSecondApproval(ticket: TicketAccessFacts): boolean {
  return ticket.status === 'IN_REVIEW' && ticket.approvedById !== null && ticket.confirmedById === null;
}

/** The whole ticket rule, as a pure function (see the module comment). */
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

/** Is this agent a party to this ticket (read fresh)? False when either is unknown. */
export async function agentIsPartyToTicket(db: Pick<Db, 'agent' | 'recoveryTicket'>, agentId: string, ticketId: string): Promise<boolean> {
  const [me, ticket] = await Promise.all([
    db.agent.findUnique({ where: { id: agentId }, select: { email: true } }),
    db.recoveryTicket.findUnique({ where: { id: ticketId }, select: { contactEmail: true, user: { select: { email: true, phone: true } } } }),
  ]);
  if (!me || !ticket) return false;
  return isPartyTo(me, { contactEmail: ticket.contactEmail, accountEmail: ticket.user?.email ?? null, accountPhone: ticket.user?.phone ?? null });
}

export function conflictOfInterest() {
  return new AppError({
    code: 'forbidden',
    userMessage: 'This request is from your own email address or account, so you cannot decide it. Ask a colleague or a supervisor to take it.',
    internalMessage: 'console: decision refused, agent is a party to the ticket',
  });
}
