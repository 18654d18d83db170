import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runMaintenance } from '@/lib/maintenance';
import { useTestDatabase } from '../support/db';
import { createUser } from '../support/factories';

const { db } = await useTestDatabase();
const DAY = 86_400_000;

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

    const summary = await runMaintenance({ db, now });
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
});
