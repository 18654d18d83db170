import { randomBytes } from 'node:crypto';
import { keyedHash } from '@/lib/crypto';
import type { Db } from '@/lib/db/client';

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

/** Whether the account has a device that can approve requests (trusted and not revoked). */
export async function hasTrustedDevice(db: Db, userId: string): Promise<boolean> {
  return (await db.trustedDevice.count({ where: { userId, revokedAt: null, tokenHash: { not: null } } })) > 0;
}

/** The device this token belongs to, if it is still trusted. */
export async function findTrustedDevice(db: Db, hmacKey: Buffer, token: string | undefined) {
  if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  return db.trustedDevice.findFirst({
    where: { tokenHash: tokenHash(hmacKey, token), revokedAt: null },
    select: { id: true, userId: true, name: true },
  });
}
