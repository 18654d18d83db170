import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { seal } from '@/lib/crypto';
import type { AgentRole, RiskLevel, TicketStatus } from '@/lib/db/generated/enums';
import type { OutgoingMessage } from '@/lib/delivery/types';
import { runDueJobs } from '@/lib/jobs';
import { approveTicket, confirmApproval, getTicketForAgent, REJECTION_REASONS, rejectTicket, requestInfo } from '@/lib/recovery/console';
import { ticketResetTasks } from '@/lib/recovery/ticket-reset';
import { generateReference, replyToTicket, TICKET_SLA_HOURS } from '@/lib/recovery/tickets';
import { capturingDelivery, collectingScheduler } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { createUser, nextIp } from '../support/factories';

/**
 * Four-eyes decisions (docs/security.md rule 12: "high-risk approvals need a second person"; docs/recovery-policy.md).
 * Each test fails if its rule is broken: one person alone must never reach APPROVED on a high-risk
 * ticket, nobody confirms their own approval, and the reset runs exactly once.
 */

const { db, url } = await useTestDatabase();
const hmacKey = randomBytes(32);
const encryptionKey = randomBytes(32);
const APP_URL = 'https://help.regain.test';

// A month after the factories' real-time timestamps, so a fresh test account carries no "recent
// change" risk signal unless a test gives it one.
const T0 = new Date(Math.floor((Date.now() + 30 * 86_400_000) / 1000) * 1000);

function harness() {
  const capture = capturingDelivery();
  const background = collectingScheduler();
  // The link is issued and mailed by its job after the reset commits: flushing runs due jobs too.
  const taskList = ticketResetTasks({ db, delivery: capture.delivery, hmacKey, appUrl: APP_URL, cancelWindowHours: 0, now: () => T0 });
  const scheduler = {
    schedule: background.schedule,
    flush: async () => {
      await background.flush();
      await runDueJobs({ connectionString: url, taskList });
    },
  };
  // No cancel window here: these tests are about the decision and its reset; the window (docs/security.md
  // rule 27) is tested in ticket-owner.test.ts.
  const deps = { db, delivery: capture.delivery, hmacKey, appUrl: APP_URL, schedule: scheduler.schedule, now: T0, ip: nextIp(), userAgent: 'Vitest', cancelWindowHours: 0 };
  return { capture, scheduler, deps };
}

async function agent(role: AgentRole = 'AGENT') {
  const row = await db.agent.create({ data: { email: `agent-${randomBytes(4).toString('hex')}@example.com`, name: `${role} ${randomBytes(2).toString('hex')}`, role }, select: { id: true } });
  return { agentId: row.id };
}

/** An account that lost its authenticator app (the ticket's lost factor); the app row is still there until the reset. */
async function account() {
  const user = await createUser(db);
  await db.authenticator.create({ data: { userId: user.id, encryptedSecret: seal(encryptionKey, randomBytes(20), `totp:user:${user.id}`), confirmedAt: new Date() } });
  return user;
}

async function ticket(options: { risk: RiskLevel; assigneeId: string; status?: TicketStatus; userId?: string; approvedById?: string }) {
  const userId = options.userId ?? (await account()).id;
  return db.recoveryTicket.create({
    data: {
      reference: generateReference(),
      userId,
      type: 'AUTHENTICATOR_RESET',
      status: options.status ?? 'IN_REVIEW',
      contactEmail: `contact-${randomBytes(3).toString('hex')}@example.com`,
      lostFactors: ['authenticator'],
      riskLevel: options.risk,
      riskSignals: options.risk === 'HIGH' ? [{ signal: 'high_value_account', detail: 'flagged high value by the platform' }] : [],
      assigneeId: options.assigneeId,
      approvedById: options.approvedById ?? null,
      slaDueAt: new Date(T0.getTime() + TICKET_SLA_HOURS * 3_600_000),
      createdAt: new Date(T0.getTime() - 3_600_000),
    },
    select: { id: true, userId: true, contactEmail: true },
  });
}

const row = (id: string) =>
  db.recoveryTicket.findUniqueOrThrow({ where: { id }, select: { status: true, approvedById: true, confirmedById: true, resetTokenHash: true, decisionReason: true, riskLevel: true } });

/** What the reset did to the account and the person's inbox, counted. */
async function effects(ticketId: string, userId: string, sent: OutgoingMessage[]) {
  return {
    resetLinks: sent.filter((m) => m.purpose === 'ticket-approved' && m.text.includes(`${APP_URL}/recover/complete`)).length,
    holds: await db.securityHold.count({ where: { userId, reason: 'RECOVERY_COMPLETED' } }),
    applied: await db.auditEvent.count({ where: { subjectId: ticketId, action: 'recovery.ticket_reset_applied' } }),
    approvedTransitions: await db.ticketMessage.count({ where: { ticketId, kind: 'STATUS_CHANGE', body: { contains: '→ approved' } } }),
    authenticators: await db.authenticator.count({ where: { userId } }),
  };
}

const NOTHING_HAPPENED = { resetLinks: 0, holds: 0, applied: 0, approvedTransitions: 0, authenticators: 1 };
const RESET_ONCE = { resetLinks: 1, holds: 1, applied: 1, approvedTransitions: 1, authenticators: 0 };

describe('low-risk approval', () => {
  it('one approval by the assignee approves and runs the reset once: link mailed, factor removed, hold started', async () => {
    const { deps, capture, scheduler } = harness();
    const a = await agent();
    const t = await ticket({ risk: 'LOW', assigneeId: a.agentId });

    const result = await approveTicket({ ...deps, agent: a, ticketId: t.id, note: 'Passport matches; selfie matches.' });
    await scheduler.flush();

    expect(result).toMatchObject({ outcome: 'approved', removed: ['authenticator'] });
    expect(await row(t.id)).toMatchObject({ status: 'APPROVED', approvedById: a.agentId, confirmedById: null, decisionReason: 'Passport matches; selfie matches.' });
    expect((await row(t.id)).resetTokenHash).not.toBeNull();
    expect(await effects(t.id, t.userId!, capture.sent)).toEqual(RESET_ONCE);
    const link = capture.sent.find((m) => m.purpose === 'ticket-approved')!;
    expect(link.to).toBe(t.contactEmail);
    expect(await db.auditEvent.count({ where: { subjectId: t.id, action: 'ticket.approved', actorId: a.agentId } })).toBe(1);
  });

  it('cannot be approved twice, and not by an agent it is not assigned to', async () => {
    const { deps, capture, scheduler } = harness();
    const [a, other] = [await agent(), await agent()];
    const t = await ticket({ risk: 'LOW', assigneeId: a.agentId });
    await expect(approveTicket({ ...deps, agent: other, ticketId: t.id })).rejects.toMatchObject({ code: 'not_found' });
    expect(await effects(t.id, t.userId!, capture.sent)).toEqual(NOTHING_HAPPENED);

    await approveTicket({ ...deps, agent: a, ticketId: t.id });
    await expect(approveTicket({ ...deps, agent: a, ticketId: t.id })).rejects.toMatchObject({ code: 'conflict' });
    await scheduler.flush();
    expect(await effects(t.id, t.userId!, capture.sent)).toEqual(RESET_ONCE);
  });

  it('two simultaneous approvals of a low-risk ticket run the reset once', async () => {
    const { deps, capture, scheduler } = harness();
    const supervisor = await agent('SUPERVISOR');
    const a = await agent();
    const t = await ticket({ risk: 'LOW', assigneeId: a.agentId });
    const results = await Promise.allSettled([approveTicket({ ...deps, agent: a, ticketId: t.id }), approveTicket({ ...deps, agent: supervisor, ticketId: t.id })]);
    await scheduler.flush();
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await effects(t.id, t.userId!, capture.sent)).toEqual(RESET_ONCE);
  });
});

describe('high-risk approval needs a second person', () => {
  it('the first approval only records who gave it; nothing happens to the account', async () => {
    const { deps, capture, scheduler } = harness();
    const a = await agent();
    const t = await ticket({ risk: 'HIGH', assigneeId: a.agentId });

    expect(await approveTicket({ ...deps, agent: a, ticketId: t.id })).toEqual({ outcome: 'waiting_for_second_approver' });
    await scheduler.flush();
    expect(await row(t.id)).toMatchObject({ status: 'IN_REVIEW', approvedById: a.agentId, confirmedById: null, resetTokenHash: null });
    expect(await effects(t.id, t.userId!, capture.sent)).toEqual(NOTHING_HAPPENED);
    expect(capture.sent).toHaveLength(0);

    const review = await getTicketForAgent({ db, agent: a, ticketId: t.id, now: T0 });
    expect(review.approval).toMatchObject({ fourEyes: true, state: 'waiting_for_second_approver', approvedByYou: true, confirmedBy: null });
    expect(review.can.confirm).toBe(false);
  });

  it.each(['AGENT', 'SUPERVISOR', 'ADMIN'] as const)('a %s can never confirm their own approval, nor approve twice', async (role) => {
    const { deps, capture, scheduler } = harness();
    const first = await agent(role);
    const t = await ticket({ risk: 'HIGH', assigneeId: first.agentId });
    await approveTicket({ ...deps, agent: first, ticketId: t.id });

    await expect(confirmApproval({ ...deps, agent: first, ticketId: t.id })).rejects.toMatchObject({ code: 'forbidden', userMessage: expect.stringContaining('cannot confirm') });
    await expect(approveTicket({ ...deps, agent: first, ticketId: t.id })).rejects.toMatchObject({ code: 'conflict' });
    await scheduler.flush();
    expect(await row(t.id)).toMatchObject({ status: 'IN_REVIEW', approvedById: first.agentId, confirmedById: null });
    expect(await effects(t.id, t.userId!, capture.sent)).toEqual(NOTHING_HAPPENED);
  });

  it('a different agent confirms: APPROVED with both names, and the reset runs once', async () => {
    const { deps, capture, scheduler } = harness();
    const [first, second] = [await agent(), await agent()];
    const t = await ticket({ risk: 'HIGH', assigneeId: first.agentId });
    await approveTicket({ ...deps, agent: first, ticketId: t.id });

    const result = await confirmApproval({ ...deps, agent: second, ticketId: t.id });
    await scheduler.flush();
    expect(result.outcome).toBe('approved');
    expect(await row(t.id)).toMatchObject({ status: 'APPROVED', approvedById: first.agentId, confirmedById: second.agentId });
    expect(await effects(t.id, t.userId!, capture.sent)).toEqual(RESET_ONCE);
    expect(await db.auditEvent.count({ where: { subjectId: t.id, action: 'ticket.approval_confirmed', actorId: second.agentId } })).toBe(1);

    // Approved means nothing is left to confirm, for anyone.
    await expect(confirmApproval({ ...deps, agent: await agent('SUPERVISOR'), ticketId: t.id })).rejects.toMatchObject({ code: 'conflict' });
    await scheduler.flush();
    expect(await effects(t.id, t.userId!, capture.sent)).toEqual(RESET_ONCE);
  });

  it('a supervisor can confirm an agent’s approval', async () => {
    const { deps, capture, scheduler } = harness();
    const first = await agent();
    const supervisor = await agent('SUPERVISOR');
    const t = await ticket({ risk: 'HIGH', assigneeId: first.agentId });
    await approveTicket({ ...deps, agent: first, ticketId: t.id });
    await confirmApproval({ ...deps, agent: supervisor, ticketId: t.id });
    await scheduler.flush();
    expect(await row(t.id)).toMatchObject({ status: 'APPROVED', approvedById: first.agentId, confirmedById: supervisor.agentId });
    expect(await effects(t.id, t.userId!, capture.sent)).toEqual(RESET_ONCE);
  });

  it('nothing can be confirmed before a first approval, and a low-risk ticket never waits for one', async () => {
    const { deps } = harness();
    const [a, supervisor] = [await agent(), await agent('SUPERVISOR')];
    const high = await ticket({ risk: 'HIGH', assigneeId: a.agentId });
    await expect(confirmApproval({ ...deps, agent: supervisor, ticketId: high.id })).rejects.toMatchObject({ code: 'conflict' });
    const low = await ticket({ risk: 'LOW', assigneeId: a.agentId });
    await expect(confirmApproval({ ...deps, agent: supervisor, ticketId: low.id })).rejects.toMatchObject({ code: 'conflict' });
    expect((await row(high.id)).status).toBe('IN_REVIEW');
  });

  it('concurrent confirmations by two people: exactly one APPROVED, one reset link, one hold', async () => {
    for (let round = 0; round < 4; round++) {
      const { deps, capture, scheduler } = harness();
      const first = await agent();
      const confirmers = [await agent('SUPERVISOR'), round % 2 === 0 ? await agent('ADMIN') : await agent('AGENT')];
      const t = await ticket({ risk: 'HIGH', assigneeId: first.agentId });
      await approveTicket({ ...deps, agent: first, ticketId: t.id });

      const results = await Promise.allSettled(confirmers.map((c) => confirmApproval({ ...deps, agent: c, ticketId: t.id })));
      await scheduler.flush();
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      // A supervisor who lost is told it was just approved; an agent who lost may no longer see the
      // ticket at all (second reviewers see it only while it waits), which is not_found.
      expect(['conflict', 'not_found']).toContain((lost[0]!.reason as { code: string }).code);
      expect(await effects(t.id, t.userId!, capture.sent)).toEqual(RESET_ONCE);
      const after = await row(t.id);
      expect(after.status).toBe('APPROVED');
      expect(after.approvedById).toBe(first.agentId);
      expect(confirmers.map((c) => c.agentId)).toContain(after.confirmedById);
      expect(await db.auditEvent.count({ where: { subjectId: t.id, action: 'ticket.approval_confirmed' } })).toBe(1);
    }
  });

  it('the first approver confirming at the same moment as a colleague cannot be the one who confirms', async () => {
    const { deps, capture, scheduler } = harness();
    const [first, second] = [await agent(), await agent()];
    const t = await ticket({ risk: 'HIGH', assigneeId: first.agentId });
    await approveTicket({ ...deps, agent: first, ticketId: t.id });
    const results = await Promise.allSettled([confirmApproval({ ...deps, agent: first, ticketId: t.id }), confirmApproval({ ...deps, agent: second, ticketId: t.id })]);
    await scheduler.flush();
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect(await row(t.id)).toMatchObject({ status: 'APPROVED', approvedById: first.agentId, confirmedById: second.agentId });
    expect(await effects(t.id, t.userId!, capture.sent)).toEqual(RESET_ONCE);
  });

  it('takes the risk again at approval time: a contact change since the ticket opened makes it need two people', async () => {
    const { deps, capture, scheduler } = harness();
    const a = await agent();
    const user = await account();
    await db.user.update({ where: { id: user.id }, data: { phoneVerifiedAt: new Date(T0.getTime() - 86_400_000) } });
    const t = await ticket({ risk: 'LOW', assigneeId: a.agentId, userId: user.id });

    expect(await approveTicket({ ...deps, agent: a, ticketId: t.id })).toEqual({ outcome: 'waiting_for_second_approver' });
    await scheduler.flush();
    expect(await row(t.id)).toMatchObject({ status: 'IN_REVIEW', riskLevel: 'HIGH', approvedById: a.agentId });
    expect(await effects(t.id, user.id, capture.sent)).toEqual(NOTHING_HAPPENED);
    expect(await db.auditEvent.count({ where: { subjectId: t.id, action: 'ticket.risk_raised' } })).toBe(1);
  });

  it('asking the person for more withdraws a first approval: after their answer, two fresh approvals are needed', async () => {
    const { deps, capture, scheduler } = harness();
    const [first, second] = [await agent(), await agent()];
    const t = await ticket({ risk: 'HIGH', assigneeId: first.agentId });
    await approveTicket({ ...deps, agent: first, ticketId: t.id });
    // The second reviewer asks nothing (they cannot work the ticket); the assignee asks for more.
    await requestInfo({ ...deps, agent: first, ticketId: t.id, body: 'Please upload the back of your ID card.' });
    expect(await row(t.id)).toMatchObject({ status: 'MORE_INFO_REQUESTED', approvedById: null });
    await expect(confirmApproval({ ...deps, agent: second, ticketId: t.id })).rejects.toMatchObject({ code: 'not_found' });

    await replyToTicket({ db, ticketId: t.id, body: 'Uploaded it now.', now: T0 });
    await expect(confirmApproval({ ...deps, agent: second, ticketId: t.id })).rejects.toMatchObject({ code: 'not_found' });
    expect(await approveTicket({ ...deps, agent: first, ticketId: t.id })).toEqual({ outcome: 'waiting_for_second_approver' });
    await confirmApproval({ ...deps, agent: second, ticketId: t.id });
    await scheduler.flush();
    expect(await effects(t.id, t.userId!, capture.sent)).toEqual(RESET_ONCE);
  });
});

describe('rejecting', () => {
  it('needs a reason and a note', async () => {
    const { deps } = harness();
    const a = await agent();
    const t = await ticket({ risk: 'LOW', assigneeId: a.agentId });
    await expect(rejectTicket({ ...deps, agent: a, ticketId: t.id, reason: 'documents_unreadable', note: '   ' })).rejects.toMatchObject({ code: 'validation_failed', fieldErrors: { note: expect.any(Array) } });
    await expect(rejectTicket({ ...deps, agent: a, ticketId: t.id, reason: 'because', note: 'Blurry.' })).rejects.toMatchObject({ code: 'validation_failed', fieldErrors: { reason: expect.any(Array) } });
    await expect(rejectTicket({ ...deps, agent: a, ticketId: t.id, reason: 'toString', note: 'Blurry.' })).rejects.toMatchObject({ code: 'validation_failed' });
    expect((await row(t.id)).status).toBe('IN_REVIEW');
  });

  it('rejects, emails the person the fixed explanation (never the internal note), and changes nothing on the account', async () => {
    const { deps, capture, scheduler } = harness();
    const a = await agent();
    const t = await ticket({ risk: 'HIGH', assigneeId: a.agentId });
    await approveTicket({ ...deps, agent: a, ticketId: t.id });
    const note = 'Selfie does not match the passport photo; internal ref 4471.';

    expect(await rejectTicket({ ...deps, agent: a, ticketId: t.id, reason: 'documents_mismatch', note })).toEqual({ status: 'REJECTED' });
    await scheduler.flush();

    const after = await row(t.id);
    expect(after).toMatchObject({ status: 'REJECTED', approvedById: null, confirmedById: null, resetTokenHash: null });
    expect(after.decisionReason).toContain(note);
    expect(capture.sent).toHaveLength(1);
    const mail = capture.sent[0]!;
    expect(mail).toMatchObject({ channel: 'email', to: t.contactEmail, purpose: 'ticket-rejected' });
    expect(mail.text).toContain(REJECTION_REASONS.documents_mismatch.explanation);
    expect(`${mail.subject}${mail.text}${mail.html}`).not.toContain('4471');
    expect(`${mail.text}${mail.html}`).not.toMatch(/https?:|<a\s/);
    expect({ ...(await effects(t.id, t.userId!, capture.sent)) }).toEqual(NOTHING_HAPPENED);
    expect(await db.auditEvent.count({ where: { subjectId: t.id, action: 'ticket.rejected', actorId: a.agentId } })).toBe(1);

    // Decided is decided: no approval or confirmation afterwards.
    await expect(approveTicket({ ...deps, agent: a, ticketId: t.id })).rejects.toMatchObject({ code: 'conflict' });
    await expect(confirmApproval({ ...deps, agent: await agent('SUPERVISOR'), ticketId: t.id })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('an approval and a rejection at the same moment: exactly one applies', async () => {
    const { deps, capture, scheduler } = harness();
    const [a, supervisor] = [await agent(), await agent('SUPERVISOR')];
    const t = await ticket({ risk: 'LOW', assigneeId: a.agentId });
    const results = await Promise.allSettled([
      approveTicket({ ...deps, agent: a, ticketId: t.id }),
      rejectTicket({ ...deps, agent: supervisor, ticketId: t.id, reason: 'identity_not_confirmed', note: 'Not convinced.' }),
    ]);
    await scheduler.flush();
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const status = (await row(t.id)).status;
    expect(await effects(t.id, t.userId!, capture.sent)).toEqual(status === 'APPROVED' ? RESET_ONCE : NOTHING_HAPPENED);
  });
});
