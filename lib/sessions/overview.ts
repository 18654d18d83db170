import { hasAuthenticator } from '@/lib/authenticator';
import type { Db } from '@/lib/db/client';
import { getActiveHold } from '@/lib/holds';
import { countPasskeys } from '@/lib/passkeys';
import { maskEmail, maskPhone } from '@/lib/verification/identifiers';

/** What /account/security shows: factors, contacts (masked), hold, devices and recent sign-ins. */
export async function getSecurityOverview({ db, userId, sessionId, now }: { db: Db; userId: string; sessionId: string; now: Date }) {
  const [user, authenticator, passkeys, hold, devices, signIns, current] = await Promise.all([
    db.user.findUniqueOrThrow({ where: { id: userId }, select: { displayName: true, email: true, emailVerifiedAt: true, phone: true, phoneVerifiedAt: true } }),
    hasAuthenticator({ db, owner: { userId } }),
    countPasskeys(db, userId),
    getActiveHold({ db, userId, now }),
    db.trustedDevice.findMany({
      where: { userId, revokedAt: null },
      select: { id: true, name: true, location: true, lastSeenAt: true, firstSeenAt: true },
      orderBy: { lastSeenAt: 'desc' },
    }),
    db.signInEvent.findMany({
      where: { userId },
      select: { id: true, createdAt: true, method: true, result: true, location: true, userAgent: true },
      orderBy: { createdAt: 'desc' },
      take: 10,
    }),
    db.session.findUnique({ where: { id: sessionId }, select: { deviceId: true } }),
  ]);
  return {
    name: user.displayName,
    email: { masked: maskEmail(user.email), verified: Boolean(user.emailVerifiedAt) },
    phone: user.phone ? { masked: maskPhone(user.phone), verified: Boolean(user.phoneVerifiedAt) } : undefined,
    authenticator,
    passkeys,
    hold: hold ? { endsAt: hold.endsAt.toISOString(), scope: hold.scope } : undefined,
    devices: devices.map((d) => ({ ...d, current: d.id === current?.deviceId })),
    signIns,
  };
}
