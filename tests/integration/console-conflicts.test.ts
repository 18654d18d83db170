import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AgentRole, RiskLevel } from '@/lib/db/generated/enums';
import { approveTicket, confirmApproval, rejectTicket } from '@/lib/recovery/console';
import { isPartyTo, mailboxOf } from '@/lib/access';
import { generateReference, TICKET_SLA_HOURS } from '@/lib/recovery/tickets';
import { capturingDelivery, collectingScheduler } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { createUser, nextIp } from '../support/factories';

/**
 * Conflicts of interest (docs/security.md rule 12): nobody decides a request they are a party to. Tickets
 * are opened only by the person recovering, so the opener is the ticket's contact address and the
 * account it targets; an agent who is that opener is never its approver.
 */
const { db } = await useTestDatabase();
const T0 = new Date(Math.floor((Date.now() + 30 * 86_400_000) / 1000) * 1000);

const scheduler = collectingScheduler();
function deps() {
  return { db, delivery: capturingDelivery().delivery, hmacKey: randomBytes(32), appUrl: 'https://help.regain.test', schedule: scheduler.schedule, now: T0, ip: nextIp(), userAgent: 'Vitest' };
}

async function agent(role: AgentRole = 'AGENT', email = `agent-${randomBytes(4).toString('hex')}@example.com`) {
  const row = await db.agent.create({ data: { email, name: `${role} ${randomBytes(2).toString('hex')}`, role }, select: { id: true } });
  return { agentId: row.id };
}

async function ticket(options: { risk: RiskLevel; assigneeId: string; userId: string; contactEmail?: string; approvedById?: string }) {
  return db.recoveryTicket.create({
    data: {
      reference: generateReference(),
      userId: options.userId,
      type: 'AUTHENTICATOR_RESET',
      status: 'IN_REVIEW',
      contactEmail: options.contactEmail ?? `contact-${randomBytes(3).toString('hex')}@example.com`,
      lostFactors: ['authenticator'],
      riskLevel: options.risk,
      riskSignals: options.risk === 'HIGH' ? [{ signal: 'high_value_account', detail: 'flagged' }] : [],
      assigneeId: options.assigneeId,
      approvedById: options.approvedById ?? null,
      slaDueAt: new Date(T0.getTime() + TICKET_SLA_HOURS * 3_600_000),
      createdAt: new Date(T0.getTime() - 3_600_000),
    },
    select: { id: true },
  });
}

const status = async (id: string) => (await db.recoveryTicket.findUniqueOrThrow({ where: { id }, select: { status: true, approvedById: true } }));

describe('conflicts of interest (docs/security.md rule 12)', () => {
  it('an agent cannot approve a ticket for the account that has their own email', async () => {
    const me = `Dana.Agent+work-${randomBytes(3).toString('hex')}@Example.com`;
    const user = await createUser(db, { email: mailboxOf(me) });
    const insider = await agent('AGENT', me);
    const t = await ticket({ risk: 'LOW', assigneeId: insider.agentId, userId: user.id });
    await expect(approveTicket({ ...deps(), agent: insider, ticketId: t.id })).rejects.toMatchObject({ code: 'forbidden' });
    expect(await status(t.id)).toMatchObject({ status: 'IN_REVIEW', approvedById: null });
    expect(await db.auditEvent.count({ where: { action: 'ticket.decision_refused', subjectId: t.id, actorId: insider.agentId } })).toBe(1);
  });

  it('the opener of a request is never its approver: an agent whose address opened the ticket cannot approve, confirm or reject it', async () => {
    const me = `opener-${randomBytes(3).toString('hex')}@example.com`;
    const insider = await agent('SUPERVISOR', me);
    const colleague = await agent('AGENT');
    const user = await createUser(db);
    // Low risk, one approval would do: the opener is still refused.
    const low = await ticket({ risk: 'LOW', assigneeId: insider.agentId, userId: user.id, contactEmail: me.toUpperCase() });
    await expect(approveTicket({ ...deps(), agent: insider, ticketId: low.id })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(rejectTicket({ ...deps(), agent: insider, ticketId: low.id, reason: Object.keys((await import('@/lib/recovery/console')).REJECTION_REASONS)[0]!, note: 'not them' })).rejects.toMatchObject({ code: 'forbidden' });
    // High risk: a colleague's first approval cannot be confirmed by the opener, even a supervisor.
    const high = await ticket({ risk: 'HIGH', assigneeId: colleague.agentId, userId: user.id, contactEmail: me, approvedById: colleague.agentId });
    await expect(confirmApproval({ ...deps(), agent: insider, ticketId: high.id })).rejects.toMatchObject({ code: 'forbidden' });
    expect(await status(high.id)).toMatchObject({ status: 'IN_REVIEW' });
  });

  it('an agent with no tie to the ticket still decides it', async () => {
    const user = await createUser(db);
    const neutral = await agent('AGENT');
    const t = await ticket({ risk: 'LOW', assigneeId: neutral.agentId, userId: user.id });
    await expect(approveTicket({ ...deps(), agent: neutral, ticketId: t.id })).resolves.toMatchObject({ outcome: 'approved' });
    await scheduler.flush();
  });

  it.each([
    ['same address', { email: 'a@x.io' }, { contactEmail: 'a@x.io', accountEmail: null, accountPhone: null }, true],
    ['case and +tag', { email: 'Ann+support@X.io' }, { contactEmail: null, accountEmail: 'ann@x.io', accountPhone: null }, true],
    ['phone', { email: 'a@x.io', phone: '+44 7700 900123' }, { contactEmail: null, accountEmail: 'b@x.io', accountPhone: '+447700900123' }, true],
    ['unrelated', { email: 'a@x.io' }, { contactEmail: 'b@x.io', accountEmail: 'c@x.io', accountPhone: '+447700900123' }, false],
    ['same local part, other domain', { email: 'ann@x.io' }, { contactEmail: 'ann@y.io', accountEmail: null, accountPhone: null }, false],
  ])('isPartyTo: %s', (_name, agentContact, parties, expected) => {
    expect(isPartyTo(agentContact, parties)).toBe(expected);
  });
});
