import { hasAuthenticator } from '@/lib/authenticator';
import type { Db } from '@/lib/db/client';
import { getActiveHold } from '@/lib/holds';
import { listPasskeys } from '@/lib/passkeys';
import { RECOVERY_CODES_LOW, recoveryCodeStatus } from '@/lib/recovery-codes';
import { describeUserAgent, shortenIp } from '@/lib/http/describe';
import { maskEmail, maskPhone } from '@/lib/verification/identifiers';

const METHOD_LABEL: Record<string, string> = {
  passkey: 'Passkey',
  'password+totp': 'Password and authenticator code',
  'password+passkey': 'Password and passkey',
  'password+email_code': 'Password and emailed code',
  'password+recovery_code': 'Password and recovery code',
  'step-up:totp': 'Confirmed with authenticator code',
  'step-up:passkey': 'Confirmed with passkey',
};

/** What /account/security shows: factors, contacts (masked), hold, devices and recent sign-ins. */
export async function getSecurityOverview({ db, userId, sessionId, now }: { db: Db; userId: string; sessionId: string; now: Date }) {
  const [user, authenticator, passkeys, hold, devices, signIns, current, recoveryCodes] = await Promise.all([
    db.user.findUniqueOrThrow({ where: { id: userId }, select: { displayName: true, email: true, emailVerifiedAt: true, phone: true, phoneVerifiedAt: true } }),
    hasAuthenticator({ db, owner: { userId } }),
    listPasskeys({ db, owner: { userId } }),
    getActiveHold({ db, userId, now }),
    db.trustedDevice.findMany({
      where: { userId, revokedAt: null },
      select: { id: true, name: true, location: true, lastSeenAt: true, firstSeenAt: true },
      orderBy: { lastSeenAt: 'desc' },
    }),
    db.signInEvent.findMany({
      where: { userId },
      select: { id: true, createdAt: true, method: true, result: true, location: true, userAgent: true, ip: true },
      orderBy: { createdAt: 'desc' },
      take: 15,
    }),
    db.session.findUnique({ where: { id: sessionId }, select: { deviceId: true } }),
    recoveryCodeStatus(db, userId),
  ]);
  return {
    name: user.displayName,
    email: { masked: maskEmail(user.email), verified: Boolean(user.emailVerifiedAt) },
    phone: user.phone ? { masked: maskPhone(user.phone), verified: Boolean(user.phoneVerifiedAt) } : undefined,
    authenticator,
    passkeys: passkeys.map((p) => ({ ...p, createdAt: p.createdAt.toISOString(), lastUsedAt: p.lastUsedAt?.toISOString() ?? null })),
    recoveryCodes: recoveryCodes
      ? { remaining: recoveryCodes.remaining, total: recoveryCodes.total, createdAt: recoveryCodes.createdAt.toISOString(), low: recoveryCodes.remaining <= RECOVERY_CODES_LOW }
      : undefined,
    hold: hold ? { endsAt: hold.endsAt.toISOString(), scope: hold.scope } : undefined,
    devices: devices.map((d) => ({
      id: d.id,
      name: d.name,
      lastSeenAt: d.lastSeenAt.toISOString(),
      firstSeenAt: d.firstSeenAt.toISOString(),
      current: d.id === current?.deviceId,
    })),
    // No full IP address on the page: the network (last part hidden) is enough to spot a stranger.
    signIns: signIns.map((s) => ({
      id: s.id,
      at: s.createdAt.toISOString(),
      device: describeUserAgent(s.userAgent),
      where: s.location ?? shortenIp(s.ip),
      method: METHOD_LABEL[s.method] ?? s.method,
      succeeded: s.result === 'SUCCESS',
    })),
  };
}
