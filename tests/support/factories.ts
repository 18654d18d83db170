import { randomBytes, randomInt } from 'node:crypto';
import type { Db } from '@/lib/db/client';

let counter = 0;
const PHONE_START = randomInt(0, 100_000);

/** An account holder; unique email and phone unless given. */
export async function createUser(db: Db, options: { email?: string; phone?: string | null; phoneVerified?: boolean } = {}) {
  counter++;
  const tag = `${Date.now().toString(36)}${counter}${randomBytes(2).toString('hex')}`;
  // Consecutive from a random start: random picks would collide (birthday odds) in a file with hundreds of users.
  const phone = options.phone === undefined ? `+4477009${String((PHONE_START + counter) % 100_000).padStart(5, '0')}` : options.phone;
  return db.user.create({
    data: {
      email: options.email ?? `user-${tag}@example.com`,
      emailVerifiedAt: new Date(),
      phone,
      phoneVerifiedAt: phone && options.phoneVerified !== false ? new Date() : null,
      displayName: `Test ${tag}`,
    },
  });
}

let ipCounter = 0;
/** A fresh documentation-range address per call, so per-IP limits do not leak between tests. */
export function nextIp() {
  ipCounter++;
  return `198.51.${Math.floor(ipCounter / 250) % 250}.${(ipCounter % 250) + 1}`;
}
