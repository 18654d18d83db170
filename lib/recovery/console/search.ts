import { recordAudit } from '@/lib/audit';
import type { Db } from '@/lib/db/client';
import { type ConsoleAgentRef, mayAccess, requireActingAgent } from '@/lib/access';
import { maskEmail, plausibleEmail } from '@/lib/verification/identifiers';
import { parseReference } from '../tickets/reference';
import { type QueueItem, type QueueRow, toItem } from './queue';

/**
 * Finding a request by what a person quotes on the phone or in a chat: its reference, or their
 * email address (the ticket's contact address or the account's). Every status, newest first, and
 * only what this agent may open (lib/access: the same rule as the queue and the ticket page).
 * Searches are audited by kind and count, never by the address itself.
 */
export const SEARCH_LIMIT = 20;

export type TicketSearch =
  | { kind: 'reference' | 'email'; items: QueueItem[]; hidden: number }
  | { kind: 'unrecognised' };

export async function searchTickets(options: { db: Db; agent: ConsoleAgentRef; query: string; now: Date; ip?: string | undefined }): Promise<TicketSearch> {
  const { db, now } = options;
  const agent = await requireActingAgent(db, options.agent);
  const query = options.query.trim().slice(0, 254);
  const reference = asReference(query);
  const email = reference ? undefined : query.toLowerCase();
  if (!reference && !(email && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) && plausibleEmail(email))) return { kind: 'unrecognised' };

  const rows = reference
    ? await db.$queryRaw<QueueRow[]>`
        SELECT t."id", t."reference", t."type", t."status", t."riskLevel", t."createdAt", t."slaDueAt", t."slaPausedAt", t."assigneeId", t."approvedById", t."confirmedById", a."name" AS "assigneeName"
        FROM "RecoveryTicket" t LEFT JOIN "Agent" a ON a."id" = t."assigneeId"
        WHERE t."reference" = ${reference} AND t."contactUnconfirmedUntil" IS NULL`
    : await db.$queryRaw<QueueRow[]>`
        SELECT t."id", t."reference", t."type", t."status", t."riskLevel", t."createdAt", t."slaDueAt", t."slaPausedAt", t."assigneeId", t."approvedById", t."confirmedById", a."name" AS "assigneeName"
        FROM "RecoveryTicket" t LEFT JOIN "Agent" a ON a."id" = t."assigneeId"
        WHERE t."contactUnconfirmedUntil" IS NULL
          AND (t."contactEmail" = ${email} OR t."userId" = (SELECT u."id" FROM "User" u WHERE u."email" = ${email}))
        ORDER BY t."createdAt" DESC, t."id" DESC
        LIMIT ${SEARCH_LIMIT * 5}`;
  const visible = rows.filter((row) => mayAccess(agent, { status: row.status, assigneeId: row.assigneeId, approvedById: row.approvedById, confirmedById: row.confirmedById }, 'view'));
  const kind = reference ? 'reference' : 'email';
  await recordAudit(db, {
    actorType: 'AGENT',
    actorId: agent.id,
    action: 'console.tickets_searched',
    ip: options.ip,
    data: { kind, found: visible.length },
    occurredAt: now,
  });
  return { kind, items: visible.slice(0, SEARCH_LIMIT).map((row) => toItem(agent, row, now)), hidden: rows.length - visible.length };
}

function asReference(query: string): string | undefined {
  try {
    return parseReference(query);
  } catch {
    return undefined;
  }
}

export type TicketPreview = {
  lostFactors: string[];
  contactEmail: string;
  documents: number;
  lastMessage: { from: 'person' | 'support'; at: Date; text: string } | null;
  nextCall: Date | null;
};

/**
 * What an agent sees before opening a request: what was lost, the masked contact, how many photos,
 * the latest message and the next call. Only for tickets this agent may open; internal notes never.
 */
export async function ticketPreviews(options: { db: Db; agent: ConsoleAgentRef; ticketIds: string[]; now: Date }): Promise<Map<string, TicketPreview>> {
  const { db, now } = options;
  const agent = await requireActingAgent(db, options.agent);
  if (options.ticketIds.length === 0) return new Map();
  const tickets = await db.recoveryTicket.findMany({
    where: { id: { in: options.ticketIds.slice(0, 100) } },
    select: {
      id: true,
      status: true,
      assigneeId: true,
      approvedById: true,
      confirmedById: true,
      lostFactors: true,
      contactEmail: true,
      _count: { select: { documents: { where: { deletedAt: null } } } },
      messages: { where: { kind: { in: ['CUSTOMER_REPLY', 'INFO_REQUEST'] } }, select: { kind: true, body: true, createdAt: true }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: 1 },
      appointments: { where: { cancelledAt: null, endsAt: { gt: now } }, select: { startsAt: true }, orderBy: { startsAt: 'asc' }, take: 1 },
    },
  });
  const previews = new Map<string, TicketPreview>();
  for (const t of tickets) {
    if (!mayAccess(agent, t, 'view')) continue;
    const last = t.messages[0];
    previews.set(t.id, {
      lostFactors: t.lostFactors,
      contactEmail: maskEmail(t.contactEmail),
      documents: t._count.documents,
      lastMessage: last ? { from: last.kind === 'CUSTOMER_REPLY' ? 'person' : 'support', at: last.createdAt, text: snippet(last.body) } : null,
      nextCall: t.appointments[0]?.startsAt ?? null,
    });
  }
  return previews;
}

const snippet = (text: string) => (text.length > 160 ? `${text.slice(0, 157).trimEnd()}…` : text);
