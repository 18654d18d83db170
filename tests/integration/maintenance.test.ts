import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hasAuthenticator } from '@/lib/authenticator';
import { seal } from '@/lib/crypto';
import { runMaintenance } from '@/lib/maintenance';
import { beginTicketCompletion } from '@/lib/recovery/ticket-reset';
import { transitionTicket } from '@/lib/recovery/tickets';
import { capturingDelivery } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { createUser, nextIp } from '../support/factories';
import { openConfirmedTicket } from '../support/tickets';

const { db } = await useTestDatabase();
const DAY = 86_400_000;
const MINUTE = 60_000;
const hmacKey = randomBytes(32);
const housekeeping = () => ({ db, ...capturingDelivery(), hmacKey, appUrl: 'https://help.example.com' });

async function ticket(status: 'APPROVED' | 'MORE_INFO_REQUESTED' | 'IN_REVIEW', updatedDaysAgo: number, now: Date) {
  const created = await db.recoveryTicket.create({
    data: { reference: `RG-${randomBytes(4).toString('hex').toUpperCase()}`, type: 'PASSKEY_RESET', contactEmail: 'x@example.com', status, slaDueAt: now },
  });
  // updatedAt is maintained by Prisma; set the past directly.
  await db.$executeRaw`UPDATE "RecoveryTicket" SET "updatedAt" = ${new Date(now.getTime() - updatedDaysAgo * DAY)} WHERE "id" = ${created.id}::uuid`;
  return created.id;
}

describe('scheduled housekeeping', () => {
  it('expires lapsed approvals and unanswered questions, and removes spent challenges and old resets', async () => {
    const now = new Date();
    const lapsed = await ticket('APPROVED', 4, now);
    const fresh = await ticket('APPROVED', 1, now);
    const unanswered = await ticket('MORE_INFO_REQUESTED', 15, now);
    const reviewing = await ticket('IN_REVIEW', 30, now);
    await db.webAuthnChallenge.create({ data: { challenge: randomUUID(), purpose: 'authenticate', expiresAt: new Date(now.getTime() - 2 * DAY) } });
    const live = await db.webAuthnChallenge.create({ data: { challenge: randomUUID(), purpose: 'authenticate', expiresAt: new Date(now.getTime() + 60_000) } });
    const user = await createUser(db);
    await db.recoveryReset.create({ data: { userId: user.id, lostFactor: 'passkey', challengeId: randomUUID(), proofs: [], expiresAt: new Date(now.getTime() - 8 * DAY) } });

    const summary = await runMaintenance({ ...housekeeping(), now });
    expect(summary).toMatchObject({ ticketsExpired: 2, failed: [] });
    expect(summary.challengesPurged).toBeGreaterThanOrEqual(1);
    expect(summary.resetsPurged).toBeGreaterThanOrEqual(1);
    const statuses = Object.fromEntries(
      (await db.recoveryTicket.findMany({ where: { id: { in: [lapsed, fresh, unanswered, reviewing] } }, select: { id: true, status: true, closedAt: true } })).map((t) => [t.id, t]),
    );
    expect(statuses[lapsed]).toMatchObject({ status: 'EXPIRED', closedAt: now });
    expect(statuses[unanswered]).toMatchObject({ status: 'EXPIRED' });
    expect(statuses[fresh]!.status).toBe('APPROVED');
    expect(statuses[reviewing]!.status).toBe('IN_REVIEW');
    expect(await db.webAuthnChallenge.findUnique({ where: { id: live.id } })).not.toBeNull();
    // The expiry went through the state machine: history and audit.
    expect(await db.ticketMessage.count({ where: { ticketId: lapsed, kind: 'STATUS_CHANGE' } })).toBe(1);
  });

  it('runs the reset again for an approval whose reset did not finish, once, and leaves one still in flight alone', async () => {
    const now = new Date();
    const agent = await db.agent.create({ data: { email: `a-${randomBytes(3).toString('hex')}@example.com`, name: 'Approver' } });
    /** An approved ticket whose reset never ran: what a failure right after the approval leaves. */
    const approvedWithoutReset = async (minutesAgo: number) => {
      const user = await createUser(db);
      await db.authenticator.create({ data: { userId: user.id, encryptedSecret: seal(randomBytes(32), randomBytes(20), `totp:user:${user.id}`), confirmedAt: now } });
      const { ticketId } = await openConfirmedTicket({ db, ...capturingDelivery(), hmacKey, userId: user.id, contactEmail: user.email, type: 'AUTHENTICATOR_RESET', lostFactors: ['authenticator'], ip: nextIp(), now, schedule: (w) => void w() });
      await transitionTicket(db, { ticketId, to: 'IN_REVIEW', actor: { kind: 'agent', agentId: agent.id }, now });
      await transitionTicket(db, { ticketId, to: 'APPROVED', actor: { kind: 'agent', agentId: agent.id }, now });
      // Its owner's cancel window (docs/security.md rule 27) passed as long ago as the failure.
      const then = new Date(now.getTime() - minutesAgo * MINUTE);
      await db.$executeRaw`UPDATE "RecoveryTicket" SET "updatedAt" = ${then}, "applyNotBefore" = ${then} WHERE "id" = ${ticketId}::uuid`;
      return { ticketId, user };
    };
    const stuck = await approvedWithoutReset(30);
    const inFlight = await approvedWithoutReset(2);

    const deps = housekeeping();
    const summary = await runMaintenance({ ...deps, now });
    expect(summary.failed).toEqual([]);
    expect(summary.approvalsRetried).toBeGreaterThanOrEqual(1);
    expect(await hasAuthenticator({ db, owner: { userId: stuck.user.id } })).toBe(false);
    const mails = deps.sent.filter((m) => m.purpose === 'ticket-approved' && m.to === stuck.user.email);
    expect(mails).toHaveLength(1);
    const applied = await db.auditEvent.findFirstOrThrow({ where: { subjectId: stuck.ticketId, action: 'recovery.ticket_reset_applied' }, select: { actorId: true, data: true } });
    expect(applied).toMatchObject({ actorId: agent.id, data: { retried: 'true' } });
    // The mailed link works.
    const token = mails[0]!.text.match(/\/recover\/complete#([A-Za-z0-9_-]{43})/)![1]!;
    await expect(beginTicketCompletion({ db, hmacKey, now }, { token })).resolves.toMatchObject({ resetToken: expect.any(String) });

    // Still within the grace period: the approval may be mid-reset, so it is left alone.
    expect(await hasAuthenticator({ db, owner: { userId: inFlight.user.id } })).toBe(true);
    expect(deps.sent.some((m) => m.to === inFlight.user.email)).toBe(false);

    // The next run finds nothing left to do for the stuck ticket: no second link, no second mail.
    const again = housekeeping();
    await runMaintenance({ ...again, now });
    expect(again.sent.some((m) => m.to === stuck.user.email)).toBe(false);
    expect(await db.auditEvent.count({ where: { subjectId: stuck.ticketId, action: 'recovery.ticket_reset_applied' } })).toBe(1);
  });
});
