import type { Db } from '@/lib/db/client';
import { inTransaction, type DbClient } from '@/lib/db/transaction';
import type { HoldReason, HoldScope } from '@/lib/db/generated/client';
import { enqueueWebhook } from '@/lib/webhooks';

/**
 * The security hold (docs/product.md capability B, docs/security.md rule 11): after an authenticator reset,
 * passkey reset or completed recovery, withdrawals and P2P trading stop for 24 hours, so someone who
 * has just taken over an account cannot move funds out before the real owner notices.
 *
 * Every trigger adds a row (the history shows why and when each hold started). The hold in force is
 * the union of the rows: it ends at the latest end among them, so a new reset during a hold pushes
 * the end out to 24 h from that reset instead of stacking 24 h on top of the old end.
 */

export const HOLD_HOURS = 24;
const HOLD_SCOPE: HoldScope[] = ['WITHDRAWALS', 'P2P_TRADING'];

export type HoldScopeName = 'withdrawals' | 'p2p_trading';
export type HoldReasonName = Lowercase<HoldReason>;

export type ActiveHold = { endsAt: Date; scope: HoldScopeName[]; reasons: HoldReasonName[] };

export async function startHold({
  db,
  userId,
  reason,
  now,
  hours = HOLD_HOURS,
}: {
  /** Pass the use case's transaction: the hold commits with the change that caused it (rule 28). */
  db: DbClient;
  userId: string;
  reason: HoldReason;
  now: Date;
  hours?: number;
}): Promise<ActiveHold> {
  const endsAt = new Date(now.getTime() + hours * 3600 * 1000);
  return inTransaction(db, async (tx) => {
    await tx.securityHold.create({
      data: { userId, reason, scope: HOLD_SCOPE, startsAt: now, endsAt, createdAt: now },
      select: { id: true },
    });
    // Read back the union, so the webhook tells the host the end actually in force (a longer hold
    // started earlier is never shortened by a later, shorter one).
    const hold = (await activeHold(tx, userId, now))!;
    // Same transaction as the hold row: the host hears about exactly the holds that exist.
    await enqueueWebhook(tx, {
      event: 'hold.started',
      payload: { accountId: userId, endsAt: hold.endsAt.toISOString(), scope: hold.scope, reason: lower(reason) },
      now,
    });
    return hold;
  });
}

export async function getActiveHold({ db, userId, now }: { db: Db; userId: string; now: Date }): Promise<ActiveHold | null> {
  return activeHold(db, userId, now);
}

/** What the host platform API answers; the same shape whether or not the account exists. */
export type HostHoldStatus = { accountId: string; held: boolean; endsAt: string | null; scope: HoldScopeName[] };

export async function getHoldStatusForHost({ db, accountId, now }: { db: Db; accountId: string; now: Date }): Promise<HostHoldStatus> {
  // No lookup of the user itself: an unknown id simply has no hold rows, so the answer and the
  // work done are the same as for a real account without a hold.
  const hold = await activeHold(db, accountId, now);
  return hold
    ? { accountId, held: true, endsAt: hold.endsAt.toISOString(), scope: hold.scope }
    : { accountId, held: false, endsAt: null, scope: [] };
}

type HoldReader = Pick<Db, 'securityHold'>;

async function activeHold(db: HoldReader, userId: string, now: Date): Promise<ActiveHold | null> {
  const rows = await db.securityHold.findMany({
    where: { userId, liftedAt: null, startsAt: { lte: now }, endsAt: { gt: now } },
    select: { reason: true, scope: true, endsAt: true },
    orderBy: { startsAt: 'asc' },
  });
  if (rows.length === 0) return null;
  const endsAt = new Date(Math.max(...rows.map((row) => row.endsAt.getTime())));
  const scopes = new Set(rows.flatMap((row) => row.scope));
  return {
    endsAt,
    scope: HOLD_SCOPE.filter((s) => scopes.has(s)).map(lower),
    reasons: [...new Set(rows.map((row) => lower(row.reason)))],
  };
}

function lower<T extends string>(value: T) {
  return value.toLowerCase() as Lowercase<T>;
}
