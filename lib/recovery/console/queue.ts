import type { Db } from '@/lib/db/client';
import { Prisma } from '@/lib/db/generated/client';
import { RiskLevel, TicketStatus, TicketType } from '@/lib/db/generated/enums';
import { validationError } from '@/lib/errors';
import { type ActingAgent, awaitingSecondApproval, type ConsoleAgentRef, mayAccess, OPEN_STATUSES, requireActingAgent } from '@/lib/access';
import { isUuid } from '@/lib/db/ids';

/**
 * The recovery queue: what is waiting, oldest SLA first, filterable, paged by
 * keyset so page 200 costs what page 1 costs and a ticket arriving meanwhile never shifts a page.
 *
 * Speed with 100,000 tickets comes from the existing indexes, used so that PostgreSQL never sorts
 * more rows than one page:
 *  - by SLA: one branch per (status, type) reads "RecoveryTicket_status_type_slaDueAt_idx" in
 *    order and stops after a page; the branches (3 open statuses × 5 types) are merged by a
 *    UNION ALL whose outer sort sees at most 15 pages of rows;
 *  - by age: one branch per status reads "RecoveryTicket_status_createdAt_idx" in order;
 *  - "assigned to me": the agent's own tickets, found through "RecoveryTicket_assigneeId_status_idx"
 *    (a few dozen rows, sorted in memory).
 * tests/integration/console-authorization.test.ts checks the plans with EXPLAIN on 100,000 rows.
 */

export const QUEUE_SORTS = ['sla', 'oldest', 'newest'] as const;
export type QueueSort = (typeof QUEUE_SORTS)[number];
export const QUEUE_ASSIGNEES = ['any', 'me', 'unassigned'] as const;
export type QueueAssignee = (typeof QUEUE_ASSIGNEES)[number];

export type QueueFilters = {
  /** One status; when absent, the open ones (submitted, in review, waiting for the person). */
  status?: TicketStatus | undefined;
  type?: TicketType | undefined;
  assignee?: QueueAssignee | undefined;
  risk?: RiskLevel | undefined;
  /** Only high-risk approvals waiting for their second approver. */
  awaitingSecondApproval?: boolean | undefined;
};

export type QueueItem = {
  id: string;
  reference: string;
  type: TicketType;
  status: TicketStatus;
  riskLevel: RiskLevel;
  createdAt: Date;
  slaDueAt: Date;
  /** Minutes since the ticket was opened. */
  ageMinutes: number;
  /** Minutes until the SLA is due; negative when overdue; frozen while waiting for the person. */
  slaRemainingMinutes: number;
  assignee: { id: string; name: string } | null;
  awaitingSecondApproval: boolean;
  /** What this agent may do from the list (the same rule as authorizeTicket). */
  canOpen: boolean;
  canClaim: boolean;
};

export type QueuePage = { items: QueueItem[]; nextCursor: string | null };

export const QUEUE_PAGE_MAX = 100;

const STATUSES = Object.values(TicketStatus);
const TYPES = Object.values(TicketType);
const RISKS = Object.values(RiskLevel);

export type QueueRow = {
  id: string;
  reference: string;
  type: TicketType;
  status: TicketStatus;
  riskLevel: RiskLevel;
  createdAt: Date;
  slaDueAt: Date;
  slaPausedAt: Date | null;
  assigneeId: string | null;
  approvedById: string | null;
  confirmedById: string | null;
  assigneeName: string | null;
};

type Cursor = { sort: QueueSort; key: Date; id: string };

export function encodeCursor(sort: QueueSort, row: { createdAt: Date; slaDueAt: Date; id: string }): string {
  const key = sort === 'sla' ? row.slaDueAt : row.createdAt;
  return Buffer.from(JSON.stringify([sort, key.toISOString(), row.id])).toString('base64url');
}

/** A cursor made for another sort, or tampered with, is refused rather than silently misread. */
export function decodeCursor(cursor: string, sort: QueueSort): Cursor {
  const refuse = () => validationError({ cursor: ['That page link is out of date. Start again from the first page.'] });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw refuse();
  const [s, k, id] = parsed as unknown[];
  // Only what encodeCursor writes: a canonical ISO time in years 1970-9999. A hand-edited date the
  // database cannot hold (JavaScript accepts years up to ±275760) is tampering like any other.
  const key = typeof k === 'string' && /^\d{4}-/.test(k) ? new Date(k) : new Date(Number.NaN);
  if (s !== sort || Number.isNaN(key.getTime()) || key.getTime() < 0 || key.toISOString() !== k || typeof id !== 'string' || !isUuid(id)) throw refuse();
  return { sort, key, id };
}

/**
 * One page of the queue for this agent. An AGENT sees what they may act on: their own tickets, the
 * unassigned ones they may claim, and high-risk approvals waiting for a second person (not their
 * own). Supervisors and admins see everything. Only the columns the list shows are read.
 */
export async function listQueue(options: {
  db: Db;
  agent: ConsoleAgentRef;
  filters: QueueFilters;
  sort: QueueSort;
  cursor?: string | null | undefined;
  limit: number;
  now: Date;
}): Promise<QueuePage> {
  const { db, filters, sort, now } = options;
  const agent = await requireActingAgent(db, options.agent);
  const limit = Math.min(Math.max(1, Math.floor(options.limit)), QUEUE_PAGE_MAX);
  const cursor = options.cursor ? decodeCursor(options.cursor, sort) : undefined;

  const rows = await db.$queryRaw<QueueRow[]>(queueQuery({ agent, filters, sort, cursor, take: limit + 1 }));
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => toItem(agent, row, now)),
    nextCursor: rows.length > limit && last ? encodeCursor(sort, last) : null,
  };
}

export function toItem(agent: ActingAgent, row: QueueRow, now: Date): QueueItem {
  const facts = { status: row.status, assigneeId: row.assigneeId, approvedById: row.approvedById, confirmedById: row.confirmedById };
  return {
    id: row.id,
    reference: row.reference,
    type: row.type,
    status: row.status,
    riskLevel: row.riskLevel,
    createdAt: row.createdAt,
    slaDueAt: row.slaDueAt,
    ageMinutes: Math.max(0, Math.floor((now.getTime() - row.createdAt.getTime()) / 60_000)),
    // Stopped while the ticket waits for the person (lib/recovery/tickets/state.ts).
    slaRemainingMinutes: Math.floor((row.slaDueAt.getTime() - (row.slaPausedAt ?? now).getTime()) / 60_000),
    assignee: row.assigneeId ? { id: row.assigneeId, name: row.assigneeName ?? 'Unknown agent' } : null,
    awaitingSecondApproval: awaitingSecondApproval(facts),
    canOpen: mayAccess(agent, facts, 'view'),
    canClaim: mayAccess(agent, facts, 'claim'),
  };
}

/**
 * The SQL behind listQueue, exported so the plan can be inspected (EXPLAIN) by tests and the
 * benchmark. Every value is a bound parameter; the only raw fragments are column names and sort
 * directions chosen from fixed lists here.
 */
export function queueQuery(options: { agent: ActingAgent; filters: QueueFilters; sort: QueueSort; cursor?: Cursor | undefined; take: number }): Prisma.Sql {
  const { agent, filters, sort, cursor, take } = options;
  const statuses: readonly TicketStatus[] = filters.awaitingSecondApproval ? ['IN_REVIEW'] : filters.status ? [filters.status] : OPEN_STATUSES;
  const types: readonly TicketType[] = filters.type ? [filters.type] : TYPES;
  const column = Prisma.raw(sort === 'sla' ? '"slaDueAt"' : '"createdAt"');
  const direction = Prisma.raw(sort === 'newest' ? 'DESC' : 'ASC');

  // A ticket whose contact address has not been confirmed with its code is not a request yet.
  const conditions: Prisma.Sql[] = [Prisma.sql`"contactUnconfirmedUntil" IS NULL`];
  if (filters.risk) conditions.push(Prisma.sql`"riskLevel" = CAST(${filters.risk} AS "RiskLevel")`);
  if (filters.awaitingSecondApproval) conditions.push(Prisma.sql`"approvedById" IS NOT NULL AND "confirmedById" IS NULL`);
  if (filters.assignee === 'unassigned') conditions.push(Prisma.sql`"assigneeId" IS NULL`);
  // "Assigned to me" is inside every agent's scope already.
  if (agent.role === 'AGENT' && filters.assignee !== 'me') {
    // The SQL form of mayAccess(view) ∪ mayAccess(claim) for an agent: theirs, claimable, or a
    // high-risk approval by someone else waiting for a second person.
    conditions.push(Prisma.sql`(
      "assigneeId" = CAST(${agent.id} AS uuid)
      OR ("assigneeId" IS NULL AND "status" = ANY(CAST(${[...OPEN_STATUSES]} AS "TicketStatus"[])))
      OR ("status" = 'IN_REVIEW' AND "approvedById" IS NOT NULL AND "confirmedById" IS NULL AND "approvedById" <> CAST(${agent.id} AS uuid))
    )`);
  }
  if (cursor) {
    const key = cursor.key;
    const id = Prisma.sql`CAST(${cursor.id} AS uuid)`;
    conditions.push(
      sort === 'newest'
        ? Prisma.sql`${column} <= ${key} AND (${column} < ${key} OR "id" < ${id})`
        : Prisma.sql`${column} >= ${key} AND (${column} > ${key} OR "id" > ${id})`,
    );
  }

  const columns = Prisma.sql`"id", "reference", "type", "status", "riskLevel", "createdAt", "slaDueAt", "slaPausedAt", "assigneeId", "approvedById", "confirmedById"`;
  const branch = (where: Prisma.Sql[]) =>
    Prisma.sql`(SELECT ${columns} FROM "RecoveryTicket" WHERE ${Prisma.join([...where, ...conditions], ' AND ')} ORDER BY ${column} ${direction}, "id" ${direction} LIMIT ${take})`;
  const statusIs = (status: TicketStatus) => Prisma.sql`"status" = CAST(${status} AS "TicketStatus")`;
  const typeIs = (type: TicketType) => Prisma.sql`"type" = CAST(${type} AS "TicketType")`;

  let branches: Prisma.Sql[];
  if (filters.assignee === 'me') {
    branches = [
      branch([
        Prisma.sql`"assigneeId" = CAST(${agent.id} AS uuid)`,
        Prisma.sql`"status" IN (${Prisma.join(statuses.map((s) => Prisma.sql`CAST(${s} AS "TicketStatus")`))})`,
        ...(filters.type ? [typeIs(filters.type)] : []),
      ]),
    ];
  } else if (sort === 'sla') {
    branches = statuses.flatMap((status) => types.map((type) => branch([statusIs(status), typeIs(type)])));
  } else {
    branches = statuses.map((status) => branch([statusIs(status), ...(filters.type ? [typeIs(filters.type)] : [])]));
  }

  return Prisma.sql`
    SELECT q.*, a."name" AS "assigneeName"
    FROM (${Prisma.join(branches, ' UNION ALL ')}) AS q
    LEFT JOIN "Agent" a ON a."id" = q."assigneeId"
    ORDER BY q.${column} ${direction}, q."id" ${direction}
    LIMIT ${take}`;
}

/**
 * The queue's search parameters as the page receives them, made safe: unknown values are dropped
 * (a hand-edited URL shows the default view rather than an error page).
 */
export function parseQueueQuery(params: Record<string, string | string[] | undefined>): {
  filters: QueueFilters;
  sort: QueueSort;
  cursor: string | undefined;
} {
  const one = (name: string) => {
    const value = params[name];
    return (Array.isArray(value) ? value[0] : value)?.trim() || undefined;
  };
  const pick = <T extends string>(value: string | undefined, allowed: readonly T[]) => (value && (allowed as readonly string[]).includes(value) ? (value as T) : undefined);
  const status = one('status');
  return {
    filters: {
      status: pick(status, STATUSES),
      awaitingSecondApproval: status === 'awaiting_second_approval' || undefined,
      type: pick(one('type'), TYPES),
      assignee: pick(one('assignee'), QUEUE_ASSIGNEES),
      risk: pick(one('risk'), RISKS),
    },
    sort: pick(one('sort'), QUEUE_SORTS) ?? 'sla',
    cursor: one('cursor'),
  };
}
