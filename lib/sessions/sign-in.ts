import { keyedHash } from '@/lib/crypto';
import type { Db } from '@/lib/db/client';
import { hasAuthenticator, verifyAuthenticatorCode } from '@/lib/authenticator';
import { AppError } from '@/lib/errors';
import { consumeRateLimit, rateLimited } from '@/lib/verification/rate-limit';
import { createTrustedDevice, findTrustedDevice } from './devices';
import { hashPassword, verifyPassword } from './password';
import { describeUserAgent } from '@/lib/verification/approvals';

/**
 * Sign-in with email, password and an authenticator code. One uniform failure for every reason
 * (unknown email, wrong password, wrong or missing code), so the form reveals nothing; limits per
 * account and per IP grow their wait with every breach and never lock the account itself.
 */
export const USER_IDLE_MINUTES = 30;
export const USER_SESSION_DAYS = 7;
const LIMITS = {
  perAccount: { limit: 10, windowSeconds: 15 * 60 },
  perIp: { limit: 30, windowSeconds: 15 * 60 },
};

export type SignInDeps = { db: Db; hmacKey: Buffer; encryptionKey: Buffer };
export type SignedIn = { userId: string; sessionId: string; sessionVersion: number; newDeviceToken: string | undefined };

const failed = () => new AppError({ code: 'unauthorized', userMessage: 'The email, password or code is not right.' });

// A real argon2id hash to check against when the email is unknown, so both take the same time.
let decoyHash: Promise<string> | undefined;

export async function signInWithPassword(
  deps: SignInDeps,
  input: { email: string; password: string; code: string; ip: string; userAgent: string | null; deviceToken: string | undefined; now: Date },
): Promise<SignedIn> {
  const email = input.email.trim().toLowerCase().slice(0, 254);
  const accountKey = keyedHash(deps.hmacKey, 'signin', email).toString('base64url');
  for (const [key, limit] of [[`signin:account:${accountKey}`, LIMITS.perAccount], [`signin:ip:${input.ip}`, LIMITS.perIp]] as const) {
    const decision = await consumeRateLimit(deps.db, key, limit, input.now);
    if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds, 'sign-in attempts');
  }

  const user = await deps.db.user.findUnique({ where: { email }, select: { id: true, passwordHash: true, sessionVersion: true } });
  decoyHash ??= hashPassword('no account has this password');
  const passwordOk = await verifyPassword(user?.passwordHash ?? (await decoyHash), input.password);
  const owner = user ? { userId: user.id } : undefined;
  const secondFactorOk =
    passwordOk && owner && (await hasAuthenticator({ db: deps.db, owner }))
      ? (await verifyAuthenticatorCode({ db: deps.db, encryptionKey: deps.encryptionKey, owner, code: input.code, now: input.now })).ok
      : false;

  const event = { method: 'password+totp', ip: input.ip, userAgent: input.userAgent?.slice(0, 300) ?? null, createdAt: input.now };
  if (!user || !passwordOk || !secondFactorOk) {
    await deps.db.signInEvent.create({
      data: { ...event, userId: user?.id ?? null, result: 'FAILURE', reason: !user ? 'unknown_account' : !passwordOk ? 'wrong_password' : 'wrong_second_factor' },
    });
    throw failed();
  }

  const known = await findTrustedDevice(deps.db, deps.hmacKey, input.deviceToken);
  let deviceId = known?.userId === user.id ? known.id : undefined;
  let newDeviceToken: string | undefined;
  if (!deviceId) {
    const created = await createTrustedDevice({ db: deps.db, hmacKey: deps.hmacKey, userId: user.id, name: describeUserAgent(input.userAgent), userAgent: input.userAgent ?? undefined });
    deviceId = created.device.id;
    newDeviceToken = created.token;
  } else {
    await deps.db.trustedDevice.update({ where: { id: deviceId }, data: { lastSeenAt: input.now } });
  }
  const session = await deps.db.session.create({
    data: {
      userId: user.id,
      deviceId,
      method: 'password+totp',
      ip: input.ip,
      userAgent: event.userAgent,
      createdAt: input.now,
      lastSeenAt: input.now,
      authAt: input.now,
      expiresAt: new Date(input.now.getTime() + USER_SESSION_DAYS * 86_400_000),
    },
    select: { id: true },
  });
  await deps.db.signInEvent.create({ data: { ...event, userId: user.id, result: 'SUCCESS' } });
  return { userId: user.id, sessionId: session.id, sessionVersion: user.sessionVersion, newDeviceToken };
}

/**
 * Every request re-checks its session (JWTs alone cannot be revoked): the row exists and is not
 * revoked or expired, the user has not bumped their session version ("sign out everywhere"), and
 * it was used within the idle timeout (security.md rule 15).
 */
export async function validateSession(db: Db, token: { sessionId: string; sessionVersion: number }, now: Date): Promise<{ userId: string } | null> {
  if (!/^[0-9a-f-]{36}$/i.test(token.sessionId)) return null;
  const session = await db.session.findUnique({
    where: { id: token.sessionId },
    select: { userId: true, revokedAt: true, expiresAt: true, lastSeenAt: true, user: { select: { sessionVersion: true } } },
  });
  if (!session?.userId || !session.user || session.revokedAt || session.expiresAt <= now) return null;
  if (session.user.sessionVersion !== token.sessionVersion) return null;
  if (now.getTime() - session.lastSeenAt.getTime() > USER_IDLE_MINUTES * 60_000) return null;
  // Touch at most once a minute: enough for the idle timeout without a write per request.
  if (now.getTime() - session.lastSeenAt.getTime() > 60_000) {
    await db.session.update({ where: { id: token.sessionId }, data: { lastSeenAt: now } });
  }
  return { userId: session.userId };
}

export async function signOutSession(db: Db, sessionId: string, now: Date) {
  await db.session.updateMany({ where: { id: sessionId, revokedAt: null }, data: { revokedAt: now } });
}
