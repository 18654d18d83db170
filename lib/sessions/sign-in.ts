import { keyedHash } from '@/lib/crypto';
import type { Db } from '@/lib/db/client';
import { hasAuthenticator, verifyAuthenticatorCode } from '@/lib/authenticator';
import { recordAudit } from '@/lib/audit';
import { AppError } from '@/lib/errors';
import { finishPasskeySignIn, startPasskeySignIn, type PasskeySignInResult, type RelyingParty } from '@/lib/passkeys';
import { type Admission, admitAttempt, succeeded } from '@/lib/limits/failures';
import { PASSKEY_OPTIONS_PER_IP, SIGN_IN_FAILURES, SIGN_IN_PER_IP, STEP_UP_PER_SESSION } from '@/lib/limits/policy';
import { consumeRateLimit, rateLimited, refundRateLimit } from '@/lib/limits';
import { describeUserAgent } from '@/lib/http/describe';
import { createTrustedDevice, findTrustedDevice } from './devices';
import { hashPassword, verifyPassword } from './password';
import { isUuid } from '@/lib/db/ids';
import { plausibleEmail } from '@/lib/verification/identifiers';
import type { Delivery } from '@/lib/delivery';
import { notifySecurityChange } from '@/lib/notifications';
import { spendRecoveryCode } from '@/lib/recovery-codes';

/**
 * Sign-in for account holders: a passkey on its own, or email + password + a second factor
 * (authenticator code, passkey, or one of the account's recovery codes). One uniform failure for every reason (unknown email, wrong
 * password, wrong code, someone else's passkey), so the form reveals nothing (rule 13). Failures
 * are counted per account AND client and per account (SIGN_IN_FAILURES), every try per IP
 * (rule 14); strangers' failures never keep the owner's right password and second factor out of
 * their own clean client (rule 23).
 */
export const USER_IDLE_MINUTES = 30;
export const USER_SESSION_DAYS = 7;
/** Changing a factor or contact needs a sign-in or step-up this recent (docs/security.md rule 17). */
export const FRESH_AUTH_MINUTES = 5;
const LIMITS = {
  perAccount: STEP_UP_PER_SESSION,
  perIp: SIGN_IN_PER_IP,
};

export type SignInDeps = { db: Db; hmacKey: Buffer; encryptionKey: Buffer; rp: RelyingParty; delivery: Delivery };
export type SignedIn = { userId: string; sessionId: string; sessionVersion: number; newDeviceToken: string | undefined };
export type SecondFactor = { kind: 'totp'; code: string } | { kind: 'passkey'; response: unknown } | { kind: 'recovery_code'; code: string };
const SECOND_FACTOR_METHOD = { totp: 'password+totp', passkey: 'password+passkey', recovery_code: 'password+recovery_code' } as const;
type RequestInfo = { ip: string; userAgent: string | null; deviceToken: string | undefined; now: Date };

const failed = () => new AppError({ code: 'unauthorized', userMessage: 'The email, password or code is not right.' });
const passkeyFailed = () =>
  new AppError({ code: 'unauthorized', userMessage: "That passkey didn't work. Try again, or sign in with your password." });

// A real argon2id hash to check against when the email is unknown, so both take the same time.
let decoyHash: Promise<string> | undefined;

export async function throttle(db: Db, keys: string[], now: Date) {
  for (const key of keys) {
    const decision = await consumeRateLimit(db, key, key.startsWith('signin:ip:') ? LIMITS.perIp : LIMITS.perAccount, now);
    if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds, 'sign-in attempts');
  }
}

/**
 * A password sign-in may go ahead: every try counts per IP; failures count per account AND client
 * and per account (lib/limits/failures). The caller reports a success with `succeeded`.
 * The account key is a keyed hash of what was typed, so unknown accounts are limited alike (rule 13).
 */
export async function admitPasswordSignIn(db: Db, input: { subject: string; ip: string; now: Date }): Promise<Extract<Admission, { allowed: true }>> {
  await throttle(db, [`signin:ip:${input.ip}`], input.now);
  const admission = await admitAttempt(db, SIGN_IN_FAILURES, { subject: input.subject, client: input.ip }, input.now);
  if (!admission.allowed) throw rateLimited(admission.retryAfterSeconds, 'sign-in attempts');
  return admission;
}

/**
 * A right sign-in costs nothing: the client's failure record is clean again, and its try is given
 * back to the per-IP budget, which counts failures (rule 14). Otherwise a busy office behind one
 * address would lock its own people out after 30 sign-ins.
 */
export async function signInSucceeded(db: Db, admission: Extract<Admission, { allowed: true }> | undefined, ip: string) {
  if (admission) await succeeded(db, admission);
  await refundRateLimit(db, `signin:ip:${ip}`);
}

export async function signInWithPassword(
  deps: SignInDeps,
  input: RequestInfo & { email: string; password: string; secondFactor: SecondFactor },
): Promise<SignedIn> {
  const email = input.email.trim().toLowerCase().slice(0, 254);
  const accountKey = keyedHash(deps.hmacKey, 'signin', email).toString('base64url');
  const admission = await admitPasswordSignIn(deps.db, { subject: `signin:account:${accountKey}`, ip: input.ip, now: input.now });

  const { user, passwordOk } = await checkPassword(deps.db, email, input.password);
  const method = SECOND_FACTOR_METHOD[input.secondFactor.kind];
  const secondFactorOk = passwordOk && user ? await checkSecondFactor(deps, user.id, input.secondFactor, input) : false;

  if (!user || !passwordOk || !secondFactorOk) {
    await recordSignIn(deps.db, input, {
      userId: user?.id ?? null,
      method,
      result: 'FAILURE',
      reason: !user ? 'unknown_account' : !passwordOk ? 'wrong_password' : 'wrong_second_factor',
    });
    throw failed();
  }
  const signedIn = await openSession(deps, { ...input, userId: user.id, method });
  await signInSucceeded(deps.db, admission, input.ip);
  return signedIn;
}

/**
 * The account behind a typed email and whether the password is its password. An unknown address
 * (or one no account can have) is checked against a real argon2id hash all the same, so both take
 * the same time (rule 13).
 */
export async function checkPassword(db: Db, email: string, password: string): Promise<{ user: { id: string } | null; passwordOk: boolean }> {
  const user = plausibleEmail(email) ? await db.user.findUnique({ where: { email }, select: { id: true, passwordHash: true } }) : null;
  decoyHash ??= hashPassword('no account has this password');
  const passwordOk = await verifyPassword(user?.passwordHash ?? (await decoyHash), password);
  return { user: user ? { id: user.id } : null, passwordOk };
}

async function checkSecondFactor(deps: SignInDeps, userId: string, factor: SecondFactor, input: RequestInfo) {
  if (factor.kind === 'recovery_code') return spendForSignIn(deps, userId, factor.code, input);
  if (factor.kind === 'totp') {
    const owner = { userId };
    if (!(await hasAuthenticator({ db: deps.db, owner }))) return false;
    return (await verifyAuthenticatorCode({ db: deps.db, encryptionKey: deps.encryptionKey, owner, code: factor.code, now: input.now })).ok;
  }
  // A usernameless assertion: it only counts when the passkey belongs to the account whose
  // password was just checked.
  const result = await finishPasskeySignIn({ db: deps.db, rp: deps.rp, response: factor.response, now: input.now });
  if (!result.ok) {
    await flagCounterRegression(deps.db, result, input);
    return false;
  }
  return 'userId' in result.owner && result.owner.userId === userId;
}

/**
 * A recovery code as the second factor (docs/security.md rule 30): spent, audited and reported to
 * every verified contact in one transaction, with how many codes are left. Wrong codes count as
 * failed sign-ins (the password limiter above), per account and client, so a stranger's guesses
 * never lock the owner out.
 */
async function spendForSignIn(deps: SignInDeps, userId: string, code: string, input: RequestInfo) {
  return deps.db.$transaction(async (tx) => {
    const used = await spendRecoveryCode(tx, { hmacKey: deps.hmacKey, userId, code, now: input.now });
    if (!used.ok) return false;
    await recordAudit(tx, {
      actorType: 'USER',
      actorId: userId,
      action: 'recovery_code.used',
      subjectType: 'user',
      subjectId: userId,
      ip: input.ip,
      userAgent: input.userAgent?.slice(0, 300) ?? null,
      data: { for: 'sign_in', left: used.remaining },
      occurredAt: input.now,
    });
    await notifySecurityChange({
      db: tx,
      delivery: deps.delivery,
      userId,
      change: 'recovery_code_used',
      now: input.now,
      context: { codesLeft: used.remaining, requestedFrom: describeUserAgent(input.userAgent) },
    });
    return true;
  });
}

/** Usernameless passkey options, limited per IP: each call stores a challenge row. */
export async function passkeySignInOptions(deps: Pick<SignInDeps, 'db' | 'rp'>, input: { ip: string; now: Date }) {
  const decision = await consumeRateLimit(deps.db, `passkey-options:ip:${input.ip}`, PASSKEY_OPTIONS_PER_IP, input.now);
  if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds, 'sign-in attempts');
  return startPasskeySignIn({ db: deps.db, rp: deps.rp, now: input.now, purpose: 'authenticate' });
}

/** Passkey sign-in without a username (discoverable credential). */
export async function signInWithPasskey(deps: SignInDeps, input: RequestInfo & { response: unknown }): Promise<SignedIn> {
  await throttle(deps.db, [`signin:ip:${input.ip}`], input.now);
  const result = await finishPasskeySignIn({ db: deps.db, rp: deps.rp, response: input.response, now: input.now });
  if (!result.ok || !('userId' in result.owner)) {
    if (!result.ok) await flagCounterRegression(deps.db, result, input);
    await recordSignIn(deps.db, input, {
      userId: null,
      method: 'passkey',
      result: result.ok ? 'FAILURE' : result.reason === 'counter_regression' ? 'BLOCKED' : 'FAILURE',
      reason: result.ok ? 'agent_passkey' : result.reason,
    });
    throw passkeyFailed();
  }
  const signedIn = await openSession(deps, { ...input, userId: result.owner.userId, method: 'passkey' });
  await signInSucceeded(deps.db, undefined, input.ip);
  return signedIn;
}

/** Rule 8: a signature counter that went backwards may mean a cloned authenticator. */
async function flagCounterRegression(db: Db, result: PasskeySignInResult, input: RequestInfo) {
  if (result.ok || result.reason !== 'counter_regression') return;
  await recordAudit(db, {
    actorType: 'ANONYMOUS',
    action: 'passkey.counter_regression',
    subjectType: 'passkey',
    subjectId: result.passkeyId,
    ip: input.ip,
    userAgent: input.userAgent?.slice(0, 300) ?? null,
    data: { ownerType: 'userId' in result.owner ? 'user' : 'agent', ownerId: 'userId' in result.owner ? result.owner.userId : result.owner.agentId },
    occurredAt: input.now,
  });
}

export async function recordSignIn(
  db: Db,
  input: RequestInfo,
  event: { userId: string | null; method: string; result: 'SUCCESS' | 'FAILURE' | 'BLOCKED'; reason?: string },
) {
  await db.signInEvent.create({
    data: { ...event, ip: input.ip, userAgent: input.userAgent?.slice(0, 300) ?? null, createdAt: input.now },
  });
}

/**
 * A new session row (a new, unguessable id in a new token: renewed on every sign-in, rule 15) on
 * this browser's trusted device; the browser becomes a trusted device when it was not one yet.
 */
export async function openSession(deps: SignInDeps, input: RequestInfo & { userId: string; method: string }): Promise<SignedIn> {
  const known = await findTrustedDevice(deps.db, deps.hmacKey, input.deviceToken);
  let deviceId = known?.userId === input.userId ? known.id : undefined;
  let newDeviceToken: string | undefined;
  if (!deviceId) {
    const created = await createTrustedDevice({
      db: deps.db,
      hmacKey: deps.hmacKey,
      userId: input.userId,
      name: describeUserAgent(input.userAgent),
      userAgent: input.userAgent ?? undefined,
    });
    deviceId = created.device.id;
    newDeviceToken = created.token;
  } else {
    await deps.db.trustedDevice.update({ where: { id: deviceId }, data: { lastSeenAt: input.now } });
  }
  const [user, session] = await Promise.all([
    deps.db.user.findUniqueOrThrow({ where: { id: input.userId }, select: { sessionVersion: true } }),
    deps.db.session.create({
      data: {
        userId: input.userId,
        deviceId,
        method: input.method,
        ip: input.ip,
        userAgent: input.userAgent?.slice(0, 300) ?? null,
        createdAt: input.now,
        lastSeenAt: input.now,
        authAt: input.now,
        expiresAt: new Date(input.now.getTime() + USER_SESSION_DAYS * 86_400_000),
      },
      select: { id: true },
    }),
  ]);
  await recordSignIn(deps.db, input, { userId: input.userId, method: input.method, result: 'SUCCESS' });
  await recordAudit(deps.db, {
    actorType: 'USER',
    actorId: input.userId,
    action: 'session.sign_in',
    subjectType: 'user',
    subjectId: input.userId,
    ip: input.ip,
    userAgent: input.userAgent?.slice(0, 300) ?? null,
    data: { method: input.method },
    occurredAt: input.now,
  });
  return { userId: input.userId, sessionId: session.id, sessionVersion: user.sessionVersion, newDeviceToken };
}

/**
 * Step-up (rule 17): the signed-in person proves a factor again. The old session ends and a new one
 * starts with a fresh authentication time, so the token is renewed as well (rule 15).
 */
export async function stepUp(
  deps: SignInDeps,
  input: RequestInfo & { sessionId: string; userId: string; factor: SecondFactor },
): Promise<SignedIn> {
  const session = await deps.db.session.findFirst({
    where: { id: input.sessionId, userId: input.userId, revokedAt: null },
    select: { deviceId: true, user: { select: { sessionVersion: true } } },
  });
  if (!session) throw new AppError({ code: 'unauthorized', userMessage: 'Your session has ended. Please sign in again.' });
  await throttle(deps.db, [`stepup:user:${input.userId}`], input.now);

  const ok =
    input.factor.kind === 'totp'
      ? (await verifyAuthenticatorCode({ db: deps.db, encryptionKey: deps.encryptionKey, owner: { userId: input.userId }, code: input.factor.code, now: input.now })).ok
      : await (async () => {
          const result = await finishPasskeySignIn({ db: deps.db, rp: deps.rp, response: input.factor.kind === 'passkey' ? input.factor.response : null, now: input.now, purpose: 'step-up', owner: { userId: input.userId } });
          if (!result.ok) await flagCounterRegression(deps.db, result, input);
          return result.ok;
        })();
  const method = input.factor.kind === 'totp' ? 'step-up:totp' : 'step-up:passkey';
  if (!ok) {
    await recordSignIn(deps.db, input, { userId: input.userId, method, result: 'FAILURE', reason: 'wrong_second_factor' });
    throw new AppError({ code: 'unauthorized', userMessage: "That didn't match. Try the code your app shows now, or use a passkey." });
  }

  const renewed = await deps.db.$transaction(async (tx) => {
    const { count } = await tx.session.updateMany({ where: { id: input.sessionId, revokedAt: null }, data: { revokedAt: input.now } });
    if (count !== 1) throw new AppError({ code: 'unauthorized', userMessage: 'Your session has ended. Please sign in again.' });
    return tx.session.create({
      data: {
        userId: input.userId,
        deviceId: session.deviceId,
        method,
        ip: input.ip,
        userAgent: input.userAgent?.slice(0, 300) ?? null,
        createdAt: input.now,
        lastSeenAt: input.now,
        authAt: input.now,
        expiresAt: new Date(input.now.getTime() + USER_SESSION_DAYS * 86_400_000),
      },
      select: { id: true },
    });
  });
  await recordSignIn(deps.db, input, { userId: input.userId, method, result: 'SUCCESS' });
  return { userId: input.userId, sessionId: renewed.id, sessionVersion: session.user!.sessionVersion, newDeviceToken: undefined };
}

/** Throws `reauthentication_required` unless this session authenticated within the last 5 minutes. */
export async function assertRecentAuth(db: Db, { sessionId, userId, now }: { sessionId: string; userId: string; now: Date }) {
  const session = await db.session.findFirst({ where: { id: sessionId, userId, revokedAt: null }, select: { authAt: true } });
  if (!session) throw new AppError({ code: 'unauthorized', userMessage: 'Your session has ended. Please sign in again.' });
  if (now.getTime() - session.authAt.getTime() > FRESH_AUTH_MINUTES * 60_000) {
    throw new AppError({
      code: 'reauthentication_required',
      userMessage: 'For your security, confirm it’s you before changing how you sign in.',
    });
  }
}

/** Agents get a shorter leash (docs/security.md rule 15): 30 minutes idle, 12 hours absolute. */
export const AGENT_IDLE_MINUTES = 30;
export const AGENT_SESSION_HOURS = 12;

export type ValidSession = { kind: 'user'; userId: string } | { kind: 'agent'; agentId: string };

/**
 * Every request re-checks its session (JWTs alone cannot be revoked): the row exists and is not
 * revoked or expired, the owner has not bumped their session version ("sign out everywhere"), an
 * agent is still active, and it was used within the idle timeout (docs/security.md rule 15).
 */
export async function validateSession(db: Db, token: { sessionId: string; sessionVersion: number }, now: Date): Promise<ValidSession | null> {
  if (!isUuid(token.sessionId)) return null;
  const session = await db.session.findUnique({
    where: { id: token.sessionId },
    select: {
      userId: true,
      agentId: true,
      revokedAt: true,
      expiresAt: true,
      lastSeenAt: true,
      user: { select: { sessionVersion: true } },
      agent: { select: { sessionVersion: true, active: true } },
    },
  });
  if (!session || session.revokedAt || session.expiresAt <= now) return null;
  const owner = session.userId && session.user ? session.user : session.agentId && session.agent?.active ? session.agent : null;
  if (!owner || owner.sessionVersion !== token.sessionVersion) return null;
  const idleMinutes = session.agentId ? AGENT_IDLE_MINUTES : USER_IDLE_MINUTES;
  if (now.getTime() - session.lastSeenAt.getTime() > idleMinutes * 60_000) return null;
  // Touch at most once a minute: enough for the idle timeout without a write per request.
  if (now.getTime() - session.lastSeenAt.getTime() > 60_000) {
    await db.session.update({ where: { id: token.sessionId }, data: { lastSeenAt: now } });
  }
  return session.userId ? { kind: 'user', userId: session.userId } : { kind: 'agent', agentId: session.agentId! };
}

export async function signOutSession(db: Db, sessionId: string, now: Date) {
  await db.session.updateMany({ where: { id: sessionId, revokedAt: null }, data: { revokedAt: now } });
}
