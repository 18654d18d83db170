import { randomBytes } from 'node:crypto';
import { keyedHash } from '@/lib/crypto';
import type { Db } from '@/lib/db/client';
import { inTransaction, type DbClient } from '@/lib/db/transaction';

/**
 * A trusted device holds a random 256-bit token in an HttpOnly cookie; the database keeps only
 * its keyed hash. Presenting the token is how a signed-in device proves it is that device.
 */
export const DEVICE_COOKIE = 'regain_device';

function tokenHash(hmacKey: Buffer, token: string) {
  return new Uint8Array(keyedHash(hmacKey, 'device-token', token));
}

export async function createTrustedDevice(options: {
  db: Db;
  hmacKey: Buffer;
  userId: string;
  name: string;
  platform?: string;
  userAgent?: string;
  location?: string;
}) {
  const token = randomBytes(32).toString('base64url');
  const device = await options.db.trustedDevice.create({
    data: {
      userId: options.userId,
      name: options.name,
      platform: options.platform ?? null,
      userAgent: options.userAgent ?? null,
      location: options.location ?? null,
      tokenHash: tokenHash(options.hmacKey, token),
    },
    select: { id: true, userId: true, name: true },
  });
  return { device, token };
}

/**
 * A device can approve recovery requests only while someone is signed in on it (docs/security.md rule
 * 22): a trusted, unrevoked device with a live session. Signing out, or any completed recovery,
 * takes that away.
 */
export async function hasApproverDevice(db: Db, userId: string, now: Date): Promise<boolean> {
  const live = await db.session.count({
    where: { userId, revokedAt: null, expiresAt: { gt: now }, device: { is: { revokedAt: null, tokenHash: { not: null } } } },
  });
  return live > 0;
}

/**
 * The browser asking to approve: its session must be live and belong to this account, and its
 * device cookie must be the trusted device that session was opened on. A device cookie left behind
 * after sign-out approves nothing.
 */
export async function findApprover(db: Db, hmacKey: Buffer, input: { userId: string; sessionId: string; deviceToken: string | undefined; now: Date }) {
  const device = await findTrustedDevice(db, hmacKey, input.deviceToken);
  if (!device || device.userId !== input.userId) return null;
  const session = await db.session.findFirst({
    where: { id: input.sessionId, userId: input.userId, deviceId: device.id, revokedAt: null, expiresAt: { gt: input.now } },
    select: { authAt: true },
  });
  return session ? { deviceId: device.id, userId: device.userId, authAt: session.authAt } : null;
}

/**
 * After a recovery changed the account: every session ends (the session version moves, so signed
 * tokens die too) and no device stays trusted, so none can approve the next request.
 */
export async function endSessionsAndUntrustDevices(db: DbClient, userId: string, now: Date) {
  return inTransaction(db, async (tx) => {
    await tx.user.update({ where: { id: userId }, data: { sessionVersion: { increment: 1 } }, select: { id: true } });
    const sessions = await tx.session.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } });
    const devices = await tx.trustedDevice.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now, tokenHash: null } });
    return { sessionsEnded: sessions.count, devicesUntrusted: devices.count };
  });
}

/** The device this token belongs to, if it is still trusted. */
export async function findTrustedDevice(db: Db, hmacKey: Buffer, token: string | undefined) {
  if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  return db.trustedDevice.findFirst({
    where: { tokenHash: tokenHash(hmacKey, token), revokedAt: null },
    select: { id: true, userId: true, name: true },
  });
}
