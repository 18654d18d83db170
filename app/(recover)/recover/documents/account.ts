import type { Db } from '@/lib/db/client';
import { getVerifiedRecovery } from '@/lib/verification/challenges';
import { currentChallengeId } from '../context';

/**
 * The account a recovery code verified in this browser (the "Can't sign in?" cookie), with the
 * address the ticket's mail should go to. The address stays on the server: pages show it masked.
 */
export async function verifiedAccount(db: Db, now: Date): Promise<{ userId: string; email: string } | undefined> {
  const challengeId = await currentChallengeId();
  if (!challengeId) return undefined;
  const recovery = await getVerifiedRecovery(db, challengeId, now);
  return recovery ? { userId: recovery.userId, email: recovery.email } : undefined;
}
