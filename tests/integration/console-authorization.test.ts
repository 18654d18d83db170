import { randomBytes, randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { seal } from '@/lib/crypto';
import { Prisma } from '@/lib/db/generated/client';
import type { AgentRole, RiskLevel, TicketStatus } from '@/lib/db/generated/enums';
import { AppError } from '@/lib/errors';
import {
  addInternalNote,
  approveTicket,
  assignTicket,
  authorizeTicket,
  claimTicket,
  confirmApproval,
  getTicketForAgent,
  listQueue,
  mayAccess,
  openDocumentForAgent,
  queueQuery,
  rejectTicket,
  requestInfo,
  scheduleVideoCall,
  type ConsoleAgentRef,
  type QueueFilters,
  type QueueSort,
} from '@/lib/recovery/console';
import { decodeCursor } from '@/lib/recovery/console/queue';
import { inspectUpload, storeDocument } from '@/lib/recovery/documents';
import { generateReference, TICKET_SLA_HOURS } from '@/lib/recovery/tickets';
import { capturingDelivery, collectingScheduler } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { createUser, nextIp } from '../support/factories';
import { jpeg } from '../support/images';

/**
 * The console's authorization matrix (docs/security.md rule 12: "every ticket and document access
 * checks that the actor may see it (no IDOR)"), with no gap in the authorization matrix.
 * Every console use case × every kind of actor, each against a fresh ticket in the state the use
 * case needs. A refused use case must leave no trace on the ticket; an allowed one must be audited.
 */

const { db } = await useTestDatabase();
const hmacKey = randomBytes(32);
const masterKey = randomBytes(32);
const T0 = new Date(Math.floor((Date.now() + 30 * 86_400_000) / 1000) * 1000);
const MEETING = 'https://meet.jit.si/regain-{room}';

async function newAgent(role: AgentRole, active = true): Promise<ConsoleAgentRef> {
  const row = await db.agent.create({
    data: { email: `agent-${randomBytes(4).toString('hex')}@example.com`, name: `Test ${role.toLowerCase()}`, role, active },
    select: { id: true },
  });
  return { agentId: row.id };
}

// The cast of the matrix. The deactivated agent was a supervisor: had it kept any power, it would
// show here. "No session" is an id no agent row has (a forged or stale session).
const actors = {
  'AGENT assigned': await newAgent('AGENT'),
  'AGENT not assigned': await newAgent('AGENT'),
  SUPERVISOR: await newAgent('SUPERVISOR'),
  ADMIN: await newAgent('ADMIN'),
  'deactivated agent': await newAgent('SUPERVISOR', false),
  'no session': { agentId: randomUUID() },
} as const;
type Actor = keyof typeof actors;
const ACTORS = Object.keys(actors) as Actor[];
const assigned = actors['AGENT assigned'];

// One checked ID photo, stored afresh for every fixture that needs a document.
const PHOTO = await (async () => {
  const inspection = await inspectUpload({ bytes: await jpeg(1000, 700), kind: 'ID_FRONT' });
  if (!inspection.ok) throw new Error(inspection.message);
  return inspection;
})();

let created = 0;
/** An account with an authenticator app (so a video call can be booked) whose recovery ticket this is. */
async function fixture(options: { status?: TicketStatus; assigneeId?: string | null; risk?: RiskLevel; approvedById?: string | null; document?: boolean } = {}) {
  const user = await createUser(db);
  await db.authenticator.create({ data: { userId: user.id, encryptedSecret: seal(masterKey, randomBytes(20), `totp:user:${user.id}`), confirmedAt: new Date() } });
  created++;
  const ticket = await db.recoveryTicket.create({
    data: {
      reference: generateReference(),
      userId: user.id,
      type: 'PASSKEY_RESET',
      status: options.status ?? 'IN_REVIEW',
      contactEmail: user.email,
      lostFactors: ['passkey'],
      riskLevel: options.risk ?? 'LOW',
      assigneeId: options.assigneeId === undefined ? assigned.agentId : options.assigneeId,
      approvedById: options.approvedById ?? null,
      slaDueAt: new Date(T0.getTime() + TICKET_SLA_HOURS * 3_600_000),
      // Each newer than the last, so "newest first" lists the fixture at the top.
      createdAt: new Date(T0.getTime() - 86_400_000 + created * 1000),
    },
    select: { id: true, reference: true },
  });
  let documentId: string | undefined;
  if (options.document) {
    documentId = (await storeDocument({ db, masterKey, ticketId: ticket.id, kind: 'ID_FRONT', image: PHOTO.image, checkResult: PHOTO.checkResult, now: T0 })).id;
  }
  return { ...ticket, documentId };
}

function deps() {
  const capture = capturingDelivery();
  const scheduler = collectingScheduler();
  return { db, delivery: capture.delivery, hmacKey, appUrl: 'https://help.regain.test', schedule: scheduler.schedule, now: T0, ip: nextIp(), userAgent: 'Vitest' };
}

/** A snapshot of everything a use case could change on a ticket, to prove a refusal changed nothing. */
async function ticketState(ticketId: string) {
  const [ticket, messages, appointments, views] = await Promise.all([
    db.recoveryTicket.findUniqueOrThrow({ where: { id: ticketId }, select: { status: true, assigneeId: true, approvedById: true, confirmedById: true, resetTokenHash: true } }),
    db.ticketMessage.count({ where: { ticketId } }),
    db.videoAppointment.count({ where: { ticketId } }),
    db.auditEvent.count({
      where: { OR: [{ action: 'ticket.viewed', subjectId: ticketId }, { action: 'document.viewed', data: { path: ['ticketId'], equals: ticketId } }] },
    }),
  ]);
  return { ticket, messages, appointments, views };
}

type Outcome = 'ok' | 'listed' | 'hidden' | 'not_found' | 'forbidden' | 'conflict' | 'unauthorized';

type UseCase = {
  name: string;
  /** The ticket as this use case needs it. */
  setup: () => ReturnType<typeof fixture>;
  run: (agent: ConsoleAgentRef, ticket: Awaited<ReturnType<typeof fixture>>) => Promise<unknown>;
  /** The audit event an allowed use case must leave (rule 20); null when it only reads a list. */
  audit: string | null;
  expected: Record<Actor, Outcome>;
};

const noAccess = { 'deactivated agent': 'unauthorized', 'no session': 'unauthorized' } as const;

const useCases: UseCase[] = [
  {
    name: 'list (the queue)',
    setup: () => fixture(),
    run: async (agent, ticket) => {
      const page = await listQueue({ db, agent, filters: { assignee: 'any' }, sort: 'newest', limit: 100, now: T0 });
      return page.items.some((item) => item.id === ticket.id) ? 'listed' : 'hidden';
    },
    audit: null,
    expected: { 'AGENT assigned': 'listed', 'AGENT not assigned': 'hidden', SUPERVISOR: 'listed', ADMIN: 'listed', ...noAccess },
  },
  {
    name: 'view the ticket',
    setup: () => fixture(),
    run: (agent, ticket) => getTicketForAgent({ db, agent, ticketId: ticket.id, now: T0 }),
    audit: 'ticket.viewed',
    expected: { 'AGENT assigned': 'ok', 'AGENT not assigned': 'not_found', SUPERVISOR: 'ok', ADMIN: 'ok', ...noAccess },
  },
  {
    name: 'work on the ticket',
    setup: () => fixture(),
    run: (agent, ticket) => authorizeTicket({ db, agent, ticketId: ticket.id, need: 'work', now: T0 }),
    audit: null,
    expected: { 'AGENT assigned': 'ok', 'AGENT not assigned': 'not_found', SUPERVISOR: 'ok', ADMIN: 'ok', ...noAccess },
  },
  {
    name: 'open a document',
    setup: () => fixture({ document: true }),
    run: (agent, ticket) => openDocumentForAgent({ db, masterKey, agent, ticketId: ticket.id, documentId: ticket.documentId!, now: T0 }),
    audit: 'document.viewed',
    expected: { 'AGENT assigned': 'ok', 'AGENT not assigned': 'not_found', SUPERVISOR: 'ok', ADMIN: 'ok', ...noAccess },
  },
  {
    name: 'claim an unassigned ticket',
    setup: () => fixture({ assigneeId: null, status: 'SUBMITTED' }),
    run: (agent, ticket) => claimTicket({ db, agent, ticketId: ticket.id, now: T0 }),
    audit: 'ticket.claimed',
    // "AGENT assigned" is any agent here: nobody has the ticket yet.
    expected: { 'AGENT assigned': 'ok', 'AGENT not assigned': 'ok', SUPERVISOR: 'ok', ADMIN: 'ok', ...noAccess },
  },
  {
    name: 'claim a ticket someone has',
    setup: () => fixture(),
    run: (agent, ticket) => claimTicket({ db, agent, ticketId: ticket.id, now: T0 }),
    audit: null,
    expected: { 'AGENT assigned': 'conflict', 'AGENT not assigned': 'not_found', SUPERVISOR: 'conflict', ADMIN: 'conflict', ...noAccess },
  },
  {
    name: 'assign to another agent',
    setup: () => fixture(),
    run: (agent, ticket) => assignTicket({ db, agent, ticketId: ticket.id, assigneeId: actors['AGENT not assigned'].agentId, now: T0 }),
    audit: 'ticket.assigned',
    expected: { 'AGENT assigned': 'forbidden', 'AGENT not assigned': 'not_found', SUPERVISOR: 'ok', ADMIN: 'ok', ...noAccess },
  },
  {
    name: 'add an internal note',
    setup: () => fixture(),
    run: (agent, ticket) => addInternalNote({ db, agent, ticketId: ticket.id, body: 'Checked the passport number format.', now: T0 }),
    audit: 'ticket.note_added',
    expected: { 'AGENT assigned': 'ok', 'AGENT not assigned': 'not_found', SUPERVISOR: 'ok', ADMIN: 'ok', ...noAccess },
  },
  {
    name: 'request more information',
    setup: () => fixture(),
    run: (agent, ticket) => requestInfo({ ...deps(), agent, ticketId: ticket.id, body: 'Please send the back of your ID card.' }),
    audit: 'ticket.info_requested',
    expected: { 'AGENT assigned': 'ok', 'AGENT not assigned': 'not_found', SUPERVISOR: 'ok', ADMIN: 'ok', ...noAccess },
  },
  {
    name: 'schedule a video call',
    setup: () => fixture(),
    run: (agent, ticket) =>
      scheduleVideoCall({ ...deps(), agent, ticketId: ticket.id, startsAt: new Date(T0.getTime() + 86_400_000), endsAt: new Date(T0.getTime() + 86_400_000 + 1_800_000), meetingUrlTemplate: MEETING }),
    audit: 'ticket.appointment_scheduled',
    expected: { 'AGENT assigned': 'ok', 'AGENT not assigned': 'not_found', SUPERVISOR: 'ok', ADMIN: 'ok', ...noAccess },
  },
  {
    name: 'approve (low risk)',
    setup: () => fixture(),
    run: (agent, ticket) => approveTicket({ ...deps(), agent, ticketId: ticket.id }),
    audit: 'ticket.approved',
    expected: { 'AGENT assigned': 'ok', 'AGENT not assigned': 'not_found', SUPERVISOR: 'ok', ADMIN: 'ok', ...noAccess },
  },
  {
    name: "confirm the assignee's high-risk approval",
    setup: () => fixture({ risk: 'HIGH', approvedById: assigned.agentId }),
    run: (agent, ticket) => confirmApproval({ ...deps(), agent, ticketId: ticket.id }),
    audit: 'ticket.approval_confirmed',
    // Four eyes: the assignee gave the first approval and can never confirm it; any other active
    // agent or a supervisor can.
    expected: { 'AGENT assigned': 'forbidden', 'AGENT not assigned': 'ok', SUPERVISOR: 'ok', ADMIN: 'ok', ...noAccess },
  },
  {
    name: 'reject',
    setup: () => fixture(),
    run: (agent, ticket) => rejectTicket({ ...deps(), agent, ticketId: ticket.id, reason: 'documents_unreadable', note: 'The photo is blurred.' }),
    audit: 'ticket.rejected',
    expected: { 'AGENT assigned': 'ok', 'AGENT not assigned': 'not_found', SUPERVISOR: 'ok', ADMIN: 'ok', ...noAccess },
  },
];

const rows = useCases.flatMap((useCase) => ACTORS.map((actor) => [useCase.name, actor, useCase.expected[actor], useCase] as const));

describe('console authorization matrix (docs/security.md rule 12)', () => {
  it('covers every use case for every actor', () => {
    expect(useCases.map((u) => u.name)).toHaveLength(13);
    for (const useCase of useCases) expect(Object.keys(useCase.expected).sort()).toEqual([...ACTORS].sort());
  });

  it.each(rows)('%s × %s → %s', async (_name, actor, expected, useCase) => {
    const ticket = await useCase.setup();
    const agent = actors[actor];
    const before = await ticketState(ticket.id);
    const auditsBefore = await db.auditEvent.count({ where: { actorId: agent.agentId, action: useCase.audit ?? '-' } });

    const outcome = await useCase.run(agent, ticket).then(
      (value) => (value === 'listed' || value === 'hidden' ? value : 'ok'),
      (error: unknown) => {
        if (error instanceof AppError) return error.code;
        throw error;
      },
    );
    expect(outcome).toBe(expected);

    if (expected === 'ok' && useCase.audit) {
      expect(await db.auditEvent.count({ where: { actorId: agent.agentId, action: useCase.audit } })).toBe(auditsBefore + 1);
    }
    if (expected !== 'ok' && expected !== 'listed' && expected !== 'hidden') {
      // A refusal changes nothing: no status, assignment, approval, message, appointment or view.
      expect(await ticketState(ticket.id)).toEqual(before);
    }
  });
});

describe('an agent opening a ticket or document that is not theirs', () => {
  const intruder = actors['AGENT not assigned'];

  it('gets the same answer for a ticket of someone else, an unknown id and a malformed id, and the probe is audited', async () => {
    const theirs = await fixture({ document: true });
    const refusals = () => db.auditEvent.count({ where: { actorId: intruder.agentId, action: 'ticket.access_refused' } });
    const before = await refusals();
    const answers = await Promise.all(
      [theirs.id, randomUUID(), 'not-a-uuid', `${theirs.id}' OR 1=1 --`].map((ticketId) =>
        getTicketForAgent({ db, agent: intruder, ticketId, now: T0 }).then(
          () => 'opened',
          (e: AppError) => ({ code: e.code, status: e.status, message: e.userMessage }),
        ),
      ),
    );
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]).toMatchObject({ code: 'not_found', status: 404 });
    expect(await refusals()).toBe(before + 4);
  });

  it('cannot open a document through another ticket, nor another ticket’s document through their own', async () => {
    const mine = await fixture({ assigneeId: intruder.agentId, document: true });
    const theirs = await fixture({ document: true });
    const open = (ticketId: string, documentId: string) =>
      openDocumentForAgent({ db, masterKey, agent: intruder, ticketId, documentId, now: T0 }).then(
        () => 'opened',
        (e: AppError) => ({ code: e.code, message: e.userMessage }),
      );

    // Their ticket, their document: the ticket check refuses.
    expect(await open(theirs.id, theirs.documentId!)).toMatchObject({ code: 'not_found' });
    // My ticket, their document: the document is looked up within my ticket only, and answers like a
    // document that does not exist.
    const crossed = await open(mine.id, theirs.documentId!);
    expect(crossed).toMatchObject({ code: 'not_found' });
    expect(crossed).toEqual(await open(mine.id, randomUUID()));
    expect(await db.auditEvent.count({ where: { action: 'document.viewed', subjectId: theirs.documentId! } })).toBe(0);

    // And my own document opens, watermarked, with the view recorded.
    expect(await open(mine.id, mine.documentId!)).toBe('opened');
    expect(await db.auditEvent.count({ where: { action: 'document.viewed', subjectId: mine.documentId!, actorId: intruder.agentId } })).toBe(1);
  });

  it('a supervisor demoted to agent loses the tickets that are not theirs at once', async () => {
    const supervisor = await newAgent('SUPERVISOR');
    const ticket = await fixture();
    await expect(getTicketForAgent({ db, agent: supervisor, ticketId: ticket.id, now: T0 })).resolves.toBeDefined();
    await db.agent.update({ where: { id: supervisor.agentId }, data: { role: 'AGENT' } });
    await expect(getTicketForAgent({ db, agent: supervisor, ticketId: ticket.id, now: T0 })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('the document comes back watermarked over the whole image, never as stored', async () => {
    const ticket = await fixture({ document: true });
    const opened = await openDocumentForAgent({ db, masterKey, agent: assigned, ticketId: ticket.id, documentId: ticket.documentId!, now: T0 });
    expect(opened).toMatchObject({ format: 'image', mimeType: 'image/jpeg', watermarked: true });
    const [original, stamped] = (await Promise.all([PHOTO.image.data, opened.bytes].map((b) => sharp(b).greyscale().resize(1000, 700).raw().toBuffer()))) as [Buffer, Buffer];
    // The stamp is tiled: every cell of a 4 × 4 grid differs visibly from the stored image.
    const changedCells = [];
    for (let gy = 0; gy < 4; gy++) {
      for (let gx = 0; gx < 4; gx++) {
        let diff = 0;
        for (let y = gy * 175; y < (gy + 1) * 175; y++) for (let x = gx * 250; x < (gx + 1) * 250; x++) diff += Math.abs(original[y * 1000 + x]! - stamped[y * 1000 + x]!);
        changedCells.push(diff / (175 * 250));
      }
    }
    expect(Math.min(...changedCells)).toBeGreaterThan(2);
  });
});

describe('the queue', () => {
  it('pages by keyset without gaps or repeats, in SLA order, for each filter', async () => {
    const supervisor = actors.SUPERVISOR;
    const sort: QueueSort = 'sla';
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof listQueue>> = await listQueue({ db, agent: supervisor, filters: {}, sort, cursor, limit: 7, now: T0 });
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    const expected = await db.recoveryTicket.findMany({
      where: { status: { in: ['SUBMITTED', 'IN_REVIEW', 'MORE_INFO_REQUESTED'] } },
      orderBy: [{ slaDueAt: 'asc' }, { id: 'asc' }],
      select: { id: true },
    });
    expect(seen).toEqual(expected.map((t) => t.id));
  });

  it('refuses a cursor made for another sort, and a deactivated agent gets nothing', async () => {
    const page = await listQueue({ db, agent: actors.SUPERVISOR, filters: {}, sort: 'sla', limit: 1, now: T0 });
    expect(page.nextCursor).not.toBeNull();
    await expect(listQueue({ db, agent: actors.SUPERVISOR, filters: {}, sort: 'newest', cursor: page.nextCursor, limit: 1, now: T0 })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(listQueue({ db, agent: actors['deactivated agent'], filters: {}, sort: 'sla', limit: 10, now: T0 })).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('refuses a hand-edited cursor whose date the database cannot hold, as tampering rather than a crash', async () => {
    const edited = (key: string) => Buffer.from(JSON.stringify(['sla', key, randomUUID()])).toString('base64url');
    for (const key of ['-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', '0000-01-01T00:00:00.000Z', '2026-02-30', '1969-12-31T23:59:59.999Z']) {
      await expect(listQueue({ db, agent: actors.SUPERVISOR, filters: {}, sort: 'sla', cursor: edited(key), limit: 1, now: T0 }), key).rejects.toMatchObject({ code: 'validation_failed' });
    }
  });

  describe('with 100,000 tickets', () => {
    const agents = [actors['AGENT assigned'], actors['AGENT not assigned'], actors.SUPERVISOR];

    it('seeds 100,000 tickets', { timeout: 120_000 }, async () => {
      // Half open, half closed; a quarter unassigned; one in seven high risk; a few first approvals
      // waiting; SLA times repeat so the id tie-break is exercised. hashtext spreads each column
      // independently (deterministic, without the correlations g % n columns would have).
      await db.$executeRaw`
        INSERT INTO "RecoveryTicket" ("id", "reference", "type", "status", "contactEmail", "lostFactors", "riskLevel", "assigneeId", "approvedById", "slaDueAt", "createdAt", "updatedAt")
        SELECT gen_random_uuid(), 'LOAD-' || g,
          (ARRAY['PASSKEY_RESET','AUTHENTICATOR_RESET','PHONE_CHANGE','EMAIL_CHANGE','FULL_RECOVERY'])[1 + abs(hashtext('type' || g)) % 5]::"TicketType",
          (ARRAY['SUBMITTED','IN_REVIEW','MORE_INFO_REQUESTED','IN_REVIEW','COMPLETED','REJECTED','EXPIRED','COMPLETED'])[1 + abs(hashtext('status' || g)) % 8]::"TicketStatus",
          'load' || g || '@example.com', ARRAY['passkey'],
          (CASE WHEN abs(hashtext('risk' || g)) % 7 = 0 THEN 'HIGH' ELSE 'LOW' END)::"RiskLevel",
          (ARRAY[NULL, ${agents[0]!.agentId}::uuid, ${agents[1]!.agentId}::uuid, ${agents[2]!.agentId}::uuid])[1 + abs(hashtext('assignee' || g)) % 4],
          CASE WHEN abs(hashtext('approved' || g)) % 20 = 0 THEN ${agents[1]!.agentId}::uuid END,
          ${T0}::timestamp + ((abs(hashtext('sla' || g)) % 5000) * interval '1 minute') - interval '2 days',
          ${T0}::timestamp - (g * interval '1 second'),
          ${T0}::timestamp
        FROM generate_series(1, 100000) AS g`;
      await db.$executeRawUnsafe('ANALYZE "RecoveryTicket"');
      expect(await db.recoveryTicket.count()).toBeGreaterThan(100_000);
    });

    const views: [string, ConsoleAgentRef, QueueFilters, QueueSort][] = [
      ['supervisor, open, by SLA', actors.SUPERVISOR, {}, 'sla'],
      ['supervisor, open, newest', actors.SUPERVISOR, {}, 'newest'],
      ['supervisor, in review, high risk, by SLA', actors.SUPERVISOR, { status: 'IN_REVIEW', risk: 'HIGH' }, 'sla'],
      ['supervisor, one type, oldest', actors.SUPERVISOR, { type: 'PHONE_CHANGE' }, 'oldest'],
      ['supervisor, unassigned, by SLA', actors.SUPERVISOR, { assignee: 'unassigned' }, 'sla'],
      ['supervisor, waiting for a second approver', actors.SUPERVISOR, { awaitingSecondApproval: true }, 'sla'],
      ['agent, default', actors['AGENT assigned'], {}, 'sla'],
      ['agent, mine', actors['AGENT assigned'], { assignee: 'me' }, 'sla'],
      ['agent, mine, closed', actors['AGENT assigned'], { assignee: 'me', status: 'COMPLETED' }, 'newest'],
    ];

    it.each(views)('%s: index scans only, no sequential scan', async (_label, agentRef, filters, sort) => {
      const agent = await db.agent.findUniqueOrThrow({ where: { id: agentRef.agentId }, select: { id: true, name: true, role: true } });
      const first = await listQueue({ db, agent: agentRef, filters, sort, limit: 50, now: T0 });
      expect(first.items.length).toBeGreaterThan(0);
      // What an agent is shown is exactly what the access rule lets them open or claim.
      for (const item of first.items) expect(item.canOpen || item.canClaim).toBe(true);

      // The first page and the next one (keyset: as cheap as the first).
      const cursors = [undefined, ...(first.nextCursor ? [decodeCursor(first.nextCursor, sort)] : [])];
      for (const [page, cursor] of cursors.entries()) {
        const [{ 'QUERY PLAN': plan }] = await db.$queryRaw<[{ 'QUERY PLAN': [{ Plan: PlanNode; 'Execution Time': number }] }]>(
          Prisma.sql`EXPLAIN (ANALYZE, FORMAT JSON) ${queueQuery({ agent, filters, sort, cursor, take: 51 })}`,
        );
        const onTickets = flatten(plan[0].Plan).filter((n) => n['Relation Name'] === 'RecoveryTicket');
        expect(onTickets.length).toBeGreaterThan(0);
        expect(onTickets.filter((n) => !['Index Scan', 'Index Only Scan', 'Bitmap Heap Scan'].includes(n['Node Type']))).toEqual([]);
        // Speed itself is measured by the queue benchmark (tests/bench/queue.bench.ts), not asserted here.
      }
      if (first.nextCursor) {
        const next = await listQueue({ db, agent: agentRef, filters, sort, cursor: first.nextCursor, limit: 50, now: T0 });
        expect(next.items.map((i) => i.id)).not.toContain(first.items.at(-1)!.id);
      }
    });

    it('an agent never sees another agent’s tickets, even deep in the list', async () => {
      const agent = actors['AGENT assigned'];
      const acting = await db.agent.findUniqueOrThrow({ where: { id: agent.agentId }, select: { id: true, name: true, role: true } });
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Awaited<ReturnType<typeof listQueue>> = await listQueue({ db, agent, filters: { risk: 'HIGH' }, sort: 'sla', cursor, limit: 100, now: T0 });
        for (const item of page.items) {
          const facts = await db.recoveryTicket.findUniqueOrThrow({ where: { id: item.id }, select: { status: true, assigneeId: true, approvedById: true, confirmedById: true } });
          expect(mayAccess(acting, facts, 'view') || mayAccess(acting, facts, 'claim')).toBe(true);
        }
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 5);
    });
  });
});

type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; Plans?: PlanNode[] };
function flatten(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(flatten)];
}
