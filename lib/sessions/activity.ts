import type { Db } from '@/lib/db/client';

/**
 * An account's recent devices and sign-ins, for the console's review of a recovery request. The
 * session tables are read here, in lib/sessions, not by the console (docs/architecture.md: a
 * capability calls another capability's functions, never its tables). Allow-listed fields only: no
 * token hashes, no full addresses.
 */
export async function recentSignInActivity(db: Pick<Db, 'trustedDevice' | 'signInEvent'>, options: { userId: string; since: Date; failedSince: Date; now: Date }) {
  const { userId, since, failedSince, now } = options;
  const [newDevices, signIns, failedSignIns] = await Promise.all([
    db.trustedDevice.findMany({
      where: { userId, firstSeenAt: { gte: since, lte: now } },
      select: { name: true, location: true, firstSeenAt: true },
      orderBy: { firstSeenAt: 'desc' },
      take: 10,
    }),
    db.signInEvent.findMany({
      where: { userId, createdAt: { gte: since, lte: now } },
      select: { createdAt: true, result: true, location: true, userAgent: true, method: true },
      orderBy: { createdAt: 'desc' },
      take: 200,
    }),
    db.signInEvent.count({ where: { userId, result: { in: ['FAILURE', 'BLOCKED'] }, createdAt: { gte: failedSince, lte: now } } }),
  ]);
  return { newDevices, signIns, failedSignIns };
}
