import { beginAuthenticatorSetup, confirmAuthenticatorSetup } from '@/lib/authenticator';
import { recordAudit } from '@/lib/audit';
import type { Db } from '@/lib/db/client';
import { isUuid } from '@/lib/db/ids';
import type { Tx } from '@/lib/db/transaction';
import type { Delivery } from '@/lib/delivery';
import { AppError } from '@/lib/errors';
import { startHold } from '@/lib/holds';
import { notifySecurityChange, type SecurityChange } from '@/lib/notifications';
import {
  deletePasskey,
  finishPasskeyRegistration,
  renamePasskey,
  revokeUnrecognisedPasskey,
  startPasskeyRegistration,
  type RelyingParty,
} from '@/lib/passkeys';
import { replaceRecoveryCodes } from '@/lib/recovery-codes';
import { enqueueWebhook } from '@/lib/webhooks';
import { describeUserAgent } from '@/lib/http/describe';
import { assertRecentAuth } from './sign-in';

/**
 * What a signed-in account holder can change on /account/security. Each use case checks who is
 * asking (the session, again), asks for fresh authentication before a factor changes (rule 17),
 * records an audit event (rule 20), tells the host platform (factor.changed) and sends a notice to
 * every verified channel (docs/product.md B). Reporting something as "not me" ends the other sessions
 * and starts the 24-hour hold (rule 11).
 *
 * docs/security.md rule 28: each use case writes the change, the revocations, the hold, the
 * webhook, the audit event and its queued notice in one interactive transaction, so a failure at
 * any step leaves none of them. Notices go out after the commit, through the job queue.
 */
export type ChangeDeps = {
  db: Db;
  hmacKey: Buffer;
  encryptionKey: Buffer;
  rp: RelyingParty;
  delivery: Delivery;
  now: Date;
  /** No longer used: notices are queued in the change's transaction. Accepted so callers keep compiling. */
  schedule?: (work: () => Promise<void>) => void;
};
/** A change's transaction takes the audit chain lock: give it room when many changes queue for it. */
const CHANGE_TX = { maxWait: 10_000, timeout: 15_000 };

export type Actor = { userId: string; sessionId: string; ip: string; userAgent: string | null };

export async function beginPasskeyRegistration(deps: ChangeDeps, actor: Actor, options: { hint?: 'localDevice' | 'remoteDevice' | 'securityKey' } = {}) {
  await assertRecentAuth(deps.db, { ...actor, now: deps.now });
  const user = await deps.db.user.findUniqueOrThrow({ where: { id: actor.userId }, select: { email: true, displayName: true } });
  return startPasskeyRegistration({
    db: deps.db,
    rp: deps.rp,
    owner: { userId: actor.userId },
    userName: user.email,
    displayName: user.displayName,
    hint: options.hint,
    now: deps.now,
  });
}

export async function completePasskeyRegistration(deps: ChangeDeps, actor: Actor, input: { response: unknown; name?: string }) {
  await assertRecentAuth(deps.db, { ...actor, now: deps.now });
  return deps.db.$transaction(async (tx) => {
    const { passkey } = await finishPasskeyRegistration({
      db: tx,
      rp: deps.rp,
      owner: { userId: actor.userId },
      response: input.response,
      name: input.name,
      now: deps.now,
    });
    await afterFactorChange(tx, deps, actor, { factor: 'passkey', change: 'added', notice: 'passkey_added', passkeyName: passkey.name, subjectId: passkey.id });
    return passkey;
  }, CHANGE_TX);
}

/** Renaming changes no security property, so it needs no step-up and sends no notice. */
export async function renameOwnPasskey(deps: ChangeDeps, actor: Actor, input: { passkeyId: string; name: string }) {
  return renamePasskey({ db: deps.db, owner: { userId: actor.userId }, passkeyId: input.passkeyId, name: input.name });
}

export async function removePasskey(deps: ChangeDeps, actor: Actor, input: { passkeyId: string }) {
  await assertRecentAuth(deps.db, { ...actor, now: deps.now });
  return deps.db.$transaction(async (tx) => {
    const { removed } = await deletePasskey({ db: tx, owner: { userId: actor.userId }, passkeyId: input.passkeyId, now: deps.now });
    await afterFactorChange(tx, deps, actor, { factor: 'passkey', change: 'removed', notice: 'passkey_removed', passkeyName: removed.name, subjectId: removed.id });
    return removed;
  }, CHANGE_TX);
}

/**
 * "I don't recognise this passkey": removed even when it is the last one (someone else may hold
 * it), every other session ends and the hold starts.
 */
export async function reportUnrecognisedPasskey(deps: ChangeDeps, actor: Actor, input: { passkeyId: string }) {
  await assertRecentAuth(deps.db, { ...actor, now: deps.now });
  return deps.db.$transaction(async (tx) => {
    const removed = await revokeUnrecognisedPasskey({ db: tx, owner: { userId: actor.userId }, passkeyId: input.passkeyId, now: deps.now });
    await endOtherSessions(tx, actor, deps.now);
    const hold = await startHold({ db: tx, userId: actor.userId, reason: 'PASSKEY_RESET', now: deps.now });
    await afterFactorChange(tx, deps, actor, {
      factor: 'passkey',
      change: 'revoked',
      notice: 'passkey_revoked',
      passkeyName: removed.name,
      subjectId: removed.id,
      holdEndsAt: hold.endsAt,
    });
    return { removed, holdEndsAt: hold.endsAt };
  }, CHANGE_TX);
}

export async function beginAuthenticatorLink(deps: ChangeDeps, actor: Actor) {
  await assertRecentAuth(deps.db, { ...actor, now: deps.now });
  const user = await deps.db.user.findUniqueOrThrow({ where: { id: actor.userId }, select: { email: true } });
  return beginAuthenticatorSetup({ db: deps.db, encryptionKey: deps.encryptionKey, owner: { userId: actor.userId }, accountName: user.email });
}

/** Confirms the new app with its first code; replacing an earlier one starts the 24-hour hold. */
export async function confirmAuthenticatorLink(deps: ChangeDeps, actor: Actor, input: { authenticatorId: string; code: string }) {
  await assertRecentAuth(deps.db, { ...actor, now: deps.now });
  return deps.db.$transaction(async (tx) => {
    const { replaced } = await confirmAuthenticatorSetup({
      db: tx,
      encryptionKey: deps.encryptionKey,
      owner: { userId: actor.userId },
      authenticatorId: input.authenticatorId,
      code: input.code,
      now: deps.now,
    });
    const hold = replaced ? await startHold({ db: tx, userId: actor.userId, reason: 'AUTHENTICATOR_RESET', now: deps.now }) : undefined;
    await afterFactorChange(tx, deps, actor, {
      factor: 'authenticator',
      change: replaced ? 'replaced' : 'added',
      notice: replaced ? 'authenticator_replaced' : 'authenticator_linked',
      subjectId: input.authenticatorId,
      holdEndsAt: hold?.endsAt,
    });
    return { replaced, holdEndsAt: hold?.endsAt };
  }, CHANGE_TX);
}

/**
 * A new set of recovery codes (docs/security.md rule 30), replacing any earlier set: the old codes
 * stop working in the same transaction. The codes are returned once, to be shown once.
 */
export async function createRecoveryCodes(deps: ChangeDeps, actor: Actor): Promise<{ codes: string[]; replaced: boolean }> {
  await assertRecentAuth(deps.db, { ...actor, now: deps.now });
  return deps.db.$transaction(async (tx) => {
    const created = await replaceRecoveryCodes(tx, { hmacKey: deps.hmacKey, userId: actor.userId, now: deps.now });
    await afterFactorChange(tx, deps, actor, {
      factor: 'recovery_codes',
      change: created.replaced ? 'replaced' : 'added',
      notice: created.replaced ? 'recovery_codes_replaced' : 'recovery_codes_created',
      subjectId: actor.userId,
    });
    return created;
  }, CHANGE_TX);
}

/** Signs a device out: it is no longer trusted and every session on it ends. */
export async function signOutDevice(deps: ChangeDeps, actor: Actor, input: { deviceId: string }) {
  const notFound = () => new AppError({ code: 'not_found', userMessage: 'That device is not signed in to your account.' });
  if (!isUuid(input.deviceId)) throw notFound();
  return deps.db.$transaction(async (tx) => {
    const found = await tx.trustedDevice.findFirst({ where: { id: input.deviceId, userId: actor.userId, revokedAt: null }, select: { id: true, name: true } });
    if (!found) throw notFound();
    await tx.trustedDevice.update({ where: { id: found.id }, data: { revokedAt: deps.now, tokenHash: null } });
    await tx.session.updateMany({ where: { deviceId: found.id, userId: actor.userId, revokedAt: null }, data: { revokedAt: deps.now } });
    await audit(tx, deps, actor, 'device.signed_out', { type: 'device', id: found.id });
    await notify(tx, deps, actor, 'device_signed_out', { deviceName: found.name });
    return found;
  }, CHANGE_TX);
}

/**
 * "This wasn't me": every other session ends, every other device stops being trusted (it could
 * otherwise approve a recovery), and the hold starts. This browser stays signed in so the person
 * can carry on securing the account.
 */
export async function reportUnrecognisedActivity(deps: ChangeDeps, actor: Actor) {
  const current = await deps.db.session.findFirst({ where: { id: actor.sessionId, userId: actor.userId, revokedAt: null }, select: { deviceId: true } });
  if (!current) throw new AppError({ code: 'unauthorized', userMessage: 'Your session has ended. Please sign in again.' });
  return deps.db.$transaction(async (tx) => {
    const ended = await endOtherSessions(tx, actor, deps.now);
    const devices = await tx.trustedDevice.updateMany({
      where: { userId: actor.userId, revokedAt: null, ...(current.deviceId ? { id: { not: current.deviceId } } : {}) },
      data: { revokedAt: deps.now, tokenHash: null },
    });
    const hold = await startHold({ db: tx, userId: actor.userId, reason: 'UNRECOGNISED_ACTIVITY', now: deps.now });
    await audit(tx, deps, actor, 'account.unrecognised_activity', { type: 'user', id: actor.userId }, { sessionsEnded: ended, devicesRemoved: devices.count });
    await notify(tx, deps, actor, 'sessions_ended', { holdEndsAt: hold.endsAt });
    return { sessionsEnded: ended, devicesRemoved: devices.count, holdEndsAt: hold.endsAt };
  }, CHANGE_TX);
}

async function endOtherSessions(db: Tx, actor: Actor, now: Date) {
  const { count } = await db.session.updateMany({ where: { userId: actor.userId, revokedAt: null, id: { not: actor.sessionId } }, data: { revokedAt: now } });
  return count;
}

/** The consequences every factor change shares, written in the change's own transaction (rule 28). */
async function afterFactorChange(
  tx: Tx,
  deps: ChangeDeps,
  actor: Actor,
  change: {
    factor: 'passkey' | 'authenticator' | 'recovery_codes';
    change: 'added' | 'removed' | 'revoked' | 'replaced';
    notice: SecurityChange;
    subjectId: string;
    passkeyName?: string;
    holdEndsAt?: Date | undefined;
  },
) {
  await enqueueWebhook(tx, {
    event: 'factor.changed',
    payload: { accountId: actor.userId, factor: change.factor, change: change.change },
    now: deps.now,
  });
  await audit(tx, deps, actor, `${change.factor}.${change.change}`, { type: change.factor, id: change.subjectId });
  await notify(tx, deps, actor, change.notice, { passkeyName: change.passkeyName, holdEndsAt: change.holdEndsAt });
}

async function audit(tx: Tx, deps: ChangeDeps, actor: Actor, action: string, subject: { type: string; id: string }, data?: Record<string, number | string>) {
  await recordAudit(tx, {
    actorType: 'USER',
    actorId: actor.userId,
    action,
    subjectType: subject.type,
    subjectId: subject.id,
    ip: actor.ip,
    userAgent: actor.userAgent?.slice(0, 300) ?? undefined,
    data,
    occurredAt: deps.now,
  });
}

/** The notice is queued with the change and goes out after the commit, from the job queue (rule 28). */
async function notify(tx: Tx, deps: ChangeDeps, actor: Actor, change: SecurityChange, context: { passkeyName?: string | undefined; deviceName?: string; holdEndsAt?: Date | undefined }) {
  await notifySecurityChange({
    db: tx,
    delivery: deps.delivery,
    userId: actor.userId,
    change,
    now: deps.now,
    context: { ...context, requestedFrom: describeUserAgent(actor.userAgent) },
  });
}
