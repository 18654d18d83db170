import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AgentRole } from '@/lib/db/generated/enums';
import { searchTickets, ticketPreviews } from '@/lib/recovery/console';
import { useTestDatabase } from '../support/db';
import { rawTicket } from './attacks/harness';
import { createUser } from '../support/factories';

// Finding a request by what a person quotes, and looking inside it before opening: only what the
// agent may open (docs/security.md rule 12), and the search itself audited without the address.
const { db } = await useTestDatabase();
const T0 = new Date('2026-12-05T09:00:00Z');

const newAgent = (role: AgentRole) =>
  db.agent.create({ data: { email: `agent-${randomBytes(4).toString('hex')}@example.com`, name: `${role} ${randomBytes(2).toString('hex')}`, role }, select: { id: true } });

/** A request (attacks/harness), opened at `createdAt` when the order matters. */
async function ticket(options: Parameters<typeof rawTicket>[1] & { createdAt?: Date } = {}) {
  const { createdAt, ...rest } = options;
  const created = await rawTicket(db, rest);
  if (createdAt) await db.recoveryTicket.update({ where: { id: created.id }, data: { createdAt } });
  return created;
}

describe('finding a request', () => {
  it('by reference, typed any way a person reads it out, in any status', async () => {
    const supervisor = await newAgent('SUPERVISOR');
    const closed = await ticket({ status: 'REJECTED' });
    const typed = closed.reference.toLowerCase().replace(/-/g, ' ');
    const found = await searchTickets({ db, agent: { agentId: supervisor.id }, query: typed, now: T0 });
    expect(found).toMatchObject({ kind: 'reference', hidden: 0 });
    expect(found.kind !== 'unrecognised' && found.items.map((i) => i.reference)).toEqual([closed.reference]);
  });

  it('by email: the contact address of a request and the address of the account, newest first', async () => {
    const supervisor = await newAgent('SUPERVISOR');
    const user = await createUser(db);
    const older = await ticket({ userId: user.id, contactEmail: `other-${randomBytes(3).toString('hex')}@example.com`, createdAt: new Date(T0.getTime() - 86_400_000) });
    const newer = await ticket({ contactEmail: user.email });
    await ticket();
    const found = await searchTickets({ db, agent: { agentId: supervisor.id }, query: ` ${user.email.toUpperCase()} `, now: T0 });
    expect(found.kind !== 'unrecognised' && found.items.map((i) => i.reference)).toEqual([newer.reference, older.reference]);
  });

  it('an agent finds only what they may open, and is told how many more a supervisor could', async () => {
    const agent = await newAgent('AGENT');
    const colleague = await newAgent('AGENT');
    const email = `shared-${randomBytes(3).toString('hex')}@example.com`;
    const mine = await ticket({ contactEmail: email, assigneeId: agent.id });
    await ticket({ contactEmail: email, assigneeId: colleague.id });
    const found = await searchTickets({ db, agent: { agentId: agent.id }, query: email, now: T0 });
    expect(found).toMatchObject({ kind: 'email', hidden: 1 });
    expect(found.kind !== 'unrecognised' && found.items.map((i) => i.id)).toEqual([mine.id]);
  });

  it('anything else is not searched, and every search is audited by kind and count, never by the address', async () => {
    const supervisor = await newAgent('SUPERVISOR');
    expect(await searchTickets({ db, agent: { agentId: supervisor.id }, query: 'ben', now: T0 })).toEqual({ kind: 'unrecognised' });
    const email = `audited-${randomBytes(3).toString('hex')}@example.com`;
    await ticket({ contactEmail: email });
    await searchTickets({ db, agent: { agentId: supervisor.id }, query: email, now: T0 });
    const rows = await db.auditEvent.findMany({ where: { actorId: supervisor.id, action: 'console.tickets_searched' }, select: { data: true } });
    expect(rows.map((r) => r.data)).toEqual([{ kind: 'email', found: 1 }]);
    expect(JSON.stringify(rows)).not.toContain(email);
  });

  it('a preview shows what was lost, the masked contact, photos and the latest message, never an internal note, and only for tickets the agent may open', async () => {
    const agent = await newAgent('AGENT');
    const colleague = await newAgent('AGENT');
    const mine = await ticket({ assigneeId: agent.id });
    const theirs = await ticket({ assigneeId: colleague.id });
    await db.ticketMessage.create({ data: { ticketId: mine.id, kind: 'CUSTOMER_REPLY', body: 'I lost my phone on the train.', createdAt: T0 } });
    await db.ticketMessage.create({ data: { ticketId: mine.id, kind: 'INTERNAL_NOTE', agentId: agent.id, body: 'Secret note', createdAt: new Date(T0.getTime() + 1000) } });
    const previews = await ticketPreviews({ db, agent: { agentId: agent.id }, ticketIds: [mine.id, theirs.id], now: T0 });
    expect([...previews.keys()]).toEqual([mine.id]);
    const preview = previews.get(mine.id)!;
    expect(preview).toMatchObject({ lostFactors: ['passkey'], documents: 0, lastMessage: { from: 'person', text: 'I lost my phone on the train.' } });
    expect(preview.contactEmail).not.toBe(mine.contactEmail);
    expect(preview.contactEmail).toMatch(/•/);
    expect(JSON.stringify(preview)).not.toContain('Secret note');
  });
});
