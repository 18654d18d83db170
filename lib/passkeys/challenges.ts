import type { Db } from '@/lib/db/client';
import type { DbClient } from '@/lib/db/transaction';
import type { ResolvedOwner } from './owner';

/** Rule 7: a WebAuthn challenge lives five minutes on the server and works once. */
export const CHALLENGE_TTL_MS = 5 * 60_000;

/** "recovery" proves a still-bound passkey during a recovery (rule 10); it is owner-bound like a step-up. */
export type ChallengePurpose = 'register' | 'authenticate' | 'step-up' | 'recovery';

/**
 * Keeps the challenge on the server: a response is only ever checked against a challenge we issued,
 * never against one the client sends back to us (rule 7). `owner` is absent for a usernameless
 * sign-in, whose challenge belongs to nobody yet.
 */
export async function storeChallenge(
  db: Db,
  options: { challenge: string; purpose: ChallengePurpose; owner: ResolvedOwner | undefined; now: Date },
): Promise<void> {
  await db.webAuthnChallenge.create({
    data: {
      challenge: options.challenge,
      purpose: options.purpose,
      userId: options.owner?.userId ?? null,
      agentId: options.owner?.agentId ?? null,
      expiresAt: new Date(options.now.getTime() + CHALLENGE_TTL_MS),
    },
    select: { id: true },
  });
}

/**
 * Marks the challenge used if, and only if, it is unused, unexpired, of this purpose and of this
 * owner (or of no owner). One UPDATE with every condition in its WHERE clause: PostgreSQL re-checks
 * the conditions after waiting for a concurrent update of the same row, so of N simultaneous
 * finishes exactly one gets the row (rule 7, single use).
 */
export async function consumeChallenge(
  db: DbClient,
  options: { challenge: string; purpose: ChallengePurpose; owner: ResolvedOwner | undefined; now: Date },
): Promise<boolean> {
  const userId = options.owner?.userId ?? null;
  const agentId = options.owner?.agentId ?? null;
  const count = await db.$executeRaw`
    UPDATE "WebAuthnChallenge" SET "consumedAt" = ${options.now}
    WHERE "challenge" = ${options.challenge} AND "purpose" = ${options.purpose}
      AND "consumedAt" IS NULL AND "expiresAt" > ${options.now}
      AND "userId" IS NOT DISTINCT FROM ${userId}::uuid
      AND "agentId" IS NOT DISTINCT FROM ${agentId}::uuid`;
  return count === 1;
}

/** Housekeeping: challenges a day past their expiry are no use to anyone (each sign-in page view stores one). */
export async function purgeStaleChallenges(db: Db, now: Date): Promise<number> {
  const { count } = await db.webAuthnChallenge.deleteMany({ where: { expiresAt: { lt: new Date(now.getTime() - 86_400_000) } } });
  return count;
}
