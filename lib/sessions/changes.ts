import { beginAuthenticatorSetup, confirmAuthenticatorSetup } from '@/lib/authenticator';
import { recordAudit } from '@/lib/audit';
import type { Db } from '@/lib/db/client';
import type { Delivery } from '@/lib/delivery';
import { AppError } from '@/lib/errors';
import { startHold } from '@/lib/holds';
import { log } from '@/lib/log';
import { notifySecurityChange, type SecurityChange } from '@/lib/notifications';
import {
  deletePasskey,
  finishPasskeyRegistration,
  renamePasskey,
  revokeUnrecognisedPasskey,
  startPasskeyRegistration,
  type RelyingParty,
} from '@/lib/passkeys';
import { enqueueWebhook } from '@/lib/platform/webhooks';
import { describeUserAgent } from '@/lib/verification/approvals';
import { assertRecentAuth } from './sign-in';

/**
 * What a signed-in account holder can change on /account/security. Each use case checks who is
 * asking (the session, again), asks for fresh authentication before a factor changes (rule 17),
 * records an audit event (rule 20), tells the host platform (factor.changed) and sends a notice to
 * every verified channel (product.md B). Reporting something as "not me" ends the other sessions
 * and starts the 24-hour hold (rule 11).
 */
export type ChangeDeps = {
  db: Db;
  hmacKey: Buffer;
  encryptionKey: Buffer;
  rp: RelyingParty;
  delivery: Delivery;
  now: Date;
  /** Runs notices after the response (Next's after()); inline when absent. */
  schedule?: (work: () => Promise<void>) => void;
};
export type Actor = { userId: string; sessionId: string; ip: string; userAgent: string | null };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
  const { passkey } = await finishPasskeyRegistration({
    db: deps.db,
    rp: deps.rp,
    owner: { userId: actor.userId },
    response: input.response,
    name: input.name,
    now: deps.now,
  });
  await afterFactorChange(deps, actor, { factor: 'passkey', change: 'added', notice: 'passkey_added', passkeyName: passkey.name, subjectId: passkey.id });
  return passkey;
}

/** Renaming changes no security property, so it needs no step-up and sends no notice. */
export async function renameOwnPasskey(deps: ChangeDeps, actor: Actor, input: { passkeyId: string; name: string }) {
  return renamePasskey({ db: deps.db, owner: { userId: actor.userId }, passkeyId: input.passkeyId, name: input.name });
}

export async function removePasskey(deps: ChangeDeps, actor: Actor, input: { passkeyId: string }) {
  await assertRecentAuth(deps.db, { ...actor, now: deps.now });
  const { removed } = await deletePasskey({ db: deps.db, owner: { userId: actor.userId }, passkeyId: input.passkeyId, now: deps.now });
  await afterFactorChange(deps, actor, { factor: 'passkey', change: 'removed', notice: 'passkey_removed', passkeyName: removed.name, subjectId: removed.id });
  return removed;
}

/**
 * "I don't recognise this passkey": removed even when it is the last one (someone else may hold
 * it), every other session ends and the hold starts.
 */
export async function reportUnrecognisedPasskey(deps: ChangeDeps, actor: Actor, input: { passkeyId: string }) {
  await assertRecentAuth(deps.db, { ...actor, now: deps.now });
  const removed = await revokeUnrecognisedPasskey({ db: deps.db, owner: { userId: actor.userId }, passkeyId: input.passkeyId, now: deps.now });
  await endOtherSessions(deps.db, actor, deps.now);
  const hold = await startHold({ db: deps.db, userId: actor.userId, reason: 'PASSKEY_RESET', now: deps.now });
  await afterFactorChange(deps, actor, {
    factor: 'passkey',
    change: 'revoked',
    notice: 'passkey_revoked',
    passkeyName: removed.name,
    subjectId: removed.id,
    holdEndsAt: hold.endsAt,
  });
  return { removed, holdEndsAt: hold.endsAt };
}

export async function beginAuthenticatorLink(deps: ChangeDeps, actor: Actor) {
  await assertRecentAuth(deps.db, { ...actor, now: deps.now });
  const user = await deps.db.user.findUniqueOrThrow({ where: { id: actor.userId }, select: { email: true } });
  return beginAuthenticatorSetup({ db: deps.db, encryptionKey: deps.encryptionKey, owner: { userId: actor.userId }, accountName: user.email });
}

/** Confirms the new app with its first code; replacing an earlier one starts the 24-hour hold. */
export async function confirmAuthenticatorLink(deps: ChangeDeps, actor: Actor, input: { authenticatorId: string; code: string }) {
  await assertRecentAuth(deps.db, { ...actor, now: deps.now });
  const { replaced } = await confirmAuthenticatorSetup({
    db: deps.db,
    encryptionKey: deps.encryptionKey,
    owner: { userId: actor.userId },
    authenticatorId: input.authenticatorId,
    code: input.code,
    now: deps.now,
  });
  const hold = replaced ? await startHold({ db: deps.db, userId: actor.userId, reason: 'AUTHENTICATOR_RESET', now: deps.now }) : undefined;
  await afterFactorChange(deps, actor, {
    factor: 'authenticator',
    change: replaced ? 'replaced' : 'added',
    notice: replaced ? 'authenticator_replaced' : 'authenticator_linked',
    subjectId: input.authenticatorId,
    holdEndsAt: hold?.endsAt,
  });
  return { replaced, holdEndsAt: hold?.endsAt };
}

/** Signs a device out: it is no longer trusted and every session on it ends. */
export async function signOutDevice(deps: ChangeDeps, actor: Actor, input: { deviceId: string }) {
  const notFound = () => new AppError({ code: 'not_found', userMessage: 'That device is not signed in to your account.' });
  if (!UUID.test(input.deviceId)) throw notFound();
  const device = await deps.db.$transaction(async (tx) => {
    const found = await tx.trustedDevice.findFirst({ where: { id: input.deviceId, userId: actor.userId, revokedAt: null }, select: { id: true, name: true } });
    if (!found) throw notFound();
    await tx.trustedDevice.update({ where: { id: found.id }, data: { revokedAt: deps.now, tokenHash: null } });
    await tx.session.updateMany({ where: { deviceId: found.id, userId: actor.userId, revokedAt: null }, data: { revokedAt: deps.now } });
    return found;
  });
  await audit(deps, actor, 'device.signed_out', { type: 'device', id: device.id });
  await notify(deps, actor, 'device_signed_out', { deviceName: device.name });
  return device;
}

/**
 * "This wasn't me": every other session ends, every other device stops being trusted (it could
 * otherwise approve a recovery), and the hold starts. This browser stays signed in so the person
 * can carry on securing the account.
 */
export async function reportUnrecognisedActivity(deps: ChangeDeps, actor: Actor) {
  const current = await deps.db.session.findFirst({ where: { id: actor.sessionId, userId: actor.userId, revokedAt: null }, select: { deviceId: true } });
  if (!current) throw new AppError({ code: 'unauthorized', userMessage: 'Your session has ended. Please sign in again.' });
  const ended = await endOtherSessions(deps.db, actor, deps.now);
  const devices = await deps.db.trustedDevice.updateMany({
    where: { userId: actor.userId, revokedAt: null, ...(current.deviceId ? { id: { not: current.deviceId } } : {}) },
    data: { revokedAt: deps.now, tokenHash: null },
  });
  const hold = await startHold({ db: deps.db, userId: actor.userId, reason: 'UNRECOGNISED_ACTIVITY', now: deps.now });
  await audit(deps, actor, 'account.unrecognised_activity', { type: 'user', id: actor.userId }, { sessionsEnded: ended, devicesRemoved: devices.count });
  await notify(deps, actor, 'sessions_ended', { holdEndsAt: hold.endsAt });
  return { sessionsEnded: ended, devicesRemoved: devices.count, holdEndsAt: hold.endsAt };
}

async function endOtherSessions(db: Db, actor: Actor, now: Date) {
  const { count } = await db.session.updateMany({ where: { userId: actor.userId, revokedAt: null, id: { not: actor.sessionId } }, data: { revokedAt: now } });
  return count;
}

async function afterFactorChange(
  deps: ChangeDeps,
  actor: Actor,
  change: {
    factor: 'passkey' | 'authenticator';
    change: 'added' | 'removed' | 'revoked' | 'replaced';
    notice: SecurityChange;
    subjectId: string;
    passkeyName?: string;
    holdEndsAt?: Date | undefined;
  },
) {
  await enqueueWebhook(deps.db, {
    event: 'factor.changed',
    payload: { accountId: actor.userId, factor: change.factor, change: change.change },
    now: deps.now,
  });
  await audit(deps, actor, `${change.factor}.${change.change}`, { type: change.factor, id: change.subjectId });
  await notify(deps, actor, change.notice, { passkeyName: change.passkeyName, holdEndsAt: change.holdEndsAt });
}

async function audit(deps: ChangeDeps, actor: Actor, action: string, subject: { type: string; id: string }, data?: Record<string, number | string>) {
  await recordAudit(deps.db, {
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

/** Notices go out after the change is saved; a failed send is logged, never undoes the change. */
async function notify(deps: ChangeDeps, actor: Actor, change: SecurityChange, context: { passkeyName?: string | undefined; deviceName?: string; holdEndsAt?: Date | undefined }) {
  const work = async () => {
    try {
      await notifySecurityChange({
        db: deps.db,
        delivery: deps.delivery,
        userId: actor.userId,
        change,
        now: deps.now,
        context: { ...context, requestedFrom: describeUserAgent(actor.userAgent) },
      });
    } catch (error) {
      log.error('security_notice_failed', { change, error });
    }
  };
  if (deps.schedule) deps.schedule(work);
  else await work();
}
