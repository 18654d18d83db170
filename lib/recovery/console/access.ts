import { recordAudit } from '@/lib/audit';
import { agentIsPartyToTicket, type ActingAgent, type AuthorizedTicket, type ConsoleAgentRef, conflictOfInterest, mayAccess, refusalFor, requireActingAgent, ticketAccessSelect, ticketNotFound, type TicketNeed } from '@/lib/access';
import type { Db } from '@/lib/db/client';
import { isUuid } from '@/lib/db/ids';

/**
 * The audited gates of the agent console. The rules themselves (roles, who may see or decide which
 * ticket, four-eyes, conflicts of interest) live in lib/access; these functions apply them to one
 * ticket and record every refusal (docs/security.md rules 12 and 20).
 */

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

/**
 * Refuses a decision on a ticket the agent is a party to (the rule is in lib/access). Called by every
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
  if (!(await agentIsPartyToTicket(db, agent.id, options.ticketId))) return;
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
  throw conflictOfInterest();
}
