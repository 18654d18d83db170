import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { beginAuthenticatorSetup, confirmAuthenticatorSetup, hasAuthenticator, verifyAuthenticatorCode } from '@/lib/authenticator';
import { recordAudit } from '@/lib/audit';
import type { Db } from '@/lib/db/client';
import { inTransaction, type DbClient, type Tx } from '@/lib/db/transaction';
import type { Delivery } from '@/lib/delivery';
import { codeEmail, codeSms } from '@/lib/delivery/templates';
import { AppError, validationError } from '@/lib/errors';
import { getActiveHold, startHold } from '@/lib/holds';
import { log } from '@/lib/log';
import { notifySecurityChange } from '@/lib/notifications';
import {
  countPasskeys,
  finishPasskeyRegistration,
  finishPasskeySignIn,
  listPasskeys,
  revokeUnrecognisedPasskey,
  startPasskeyRegistration,
  startPasskeySignIn,
  type RelyingParty,
} from '@/lib/passkeys';
import { enqueueWebhook } from '@/lib/webhooks';
import { endSessionsAndUntrustDevices, hasApproverDevice } from '@/lib/sessions/devices';
import { requestApproval } from '@/lib/sessions/approvals';
import { getVerifiedRecovery } from '@/lib/verification/challenges';
import { attemptCode, consumeCode, issueCode } from '@/lib/verification/code-challenge';
import { normalizeCode } from '@/lib/verification/codes';
import { identifierInput, maskEmail, maskPhone } from '@/lib/verification/identifiers';
import { CODE_TTL_SECONDS } from '@/lib/verification/policy';
import { consumeRateLimit, rateLimited } from '@/lib/limits';
import { admitAttempt, succeeded } from '@/lib/limits/failures';
import { CODE_FAILURES } from '@/lib/limits/policy';
import { hasRecoveryCodes, normalizeRecoveryCode, spendRecoveryCode } from '@/lib/recovery-codes';
import { spendResetLink, transitionTicket } from './tickets';
import { LOST_FACTORS, nextProofs, parseLostFactor, resetAllowed, type LostFactor, type Proof } from './policy';

/**
 * Self-service factor resets (docs/product.md C; docs/security.md rules 10 and 11). A reset starts from a
 * recovery code the person just verified, collects a second, independent proof, binds a new
 * factor in place of the lost one, then ends every session, starts the 24-hour hold and tells
 * every verified channel and the host. The person is never signed in by it.
 */
export type ResetDeps = {
  db: Db;
  encryptionKey: Buffer;
  rp: RelyingParty;
  delivery: Delivery;
  now: Date;
  schedule?: (work: () => Promise<void>) => void;
};

/** The second proofs this flow collects; the first proof is the verified email or phone code. */
export type SecondProof = 'authenticator' | 'passkey' | 'trusted_device' | 'recovery_code';
const SECOND_PROOFS: readonly Proof[] = ['authenticator', 'passkey', 'trusted_device', 'recovery_code'];

export type ResetView =
  | { step: 'prove'; lostFactor: LostFactor; proved: Proof[]; options: SecondProof[]; attemptsLeft: number; deviceRequest: { number: number } | undefined }
  | { step: 'documents'; lostFactor: LostFactor; proved: Proof[] }
  | {
      step: 'bind';
      lostFactor: LostFactor;
      proved: Proof[];
      codeSentTo?: string | undefined;
      /** A lost email on an approved ticket: the address the person gave on it, offered as the new one. */
      suggestedContact?: string | undefined;
    }
  | { step: 'done'; lostFactor: LostFactor; holdEndsAt: string | null };

/** A reset lives 30 minutes: long enough to find a phone and scan a QR code. */
export const RESET_TTL_SECONDS = 30 * 60;
/** Wrong second proofs before the reset is dead (the same limit as codes, rule 3). */
export const RESET_MAX_ATTEMPTS = 5;
const SECOND_PROOF_LIMIT = { limit: 10, windowSeconds: 3600 };

const ended = () => new AppError({ code: 'conflict', userMessage: 'This recovery has ended. Start again from “Can’t sign in?”.' });

/**
 * A reset is driven by a 256-bit secret that only the browser that started it holds (an HttpOnly
 * cookie); the database keeps its SHA-256. The reset's id is a public reference that may appear in
 * audit lines and logs: on its own it opens nothing (docs/security.md rule 26).
 */
export function newResetKey() {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: resetKeyHash(token) };
}

function resetKeyHash(token: string) {
  return new Uint8Array(createHash('sha256').update(token).digest());
}

/** Starts (or re-aims, if the person changes their answer) the reset for a verified recovery challenge. */
export async function beginReset(deps: Pick<ResetDeps, 'db' | 'now'>, input: { challengeId: string; lostFactor: string }): Promise<{ resetId: string; resetToken: string }> {
  if (!LOST_FACTORS.includes(input.lostFactor as LostFactor)) throw new AppError({ code: 'validation_failed', userMessage: 'Choose what you lost.' });
  const verified = await getVerifiedRecovery(deps.db, input.challengeId, deps.now);
  if (!verified) throw ended();
  // One verified code starts one reset (challengeId is unique); choosing again re-aims it, but
  // never after it completed and never with more proofs than the code itself.
  // Choosing again issues a new browser key: only the newest cookie drives the reset.
  const id = randomUUID();
  const key = newResetKey();
  const reset = await deps.db.$queryRaw<{ id: string }[]>`
    INSERT INTO "RecoveryReset" ("id", "userId", "lostFactor", "challengeId", "proofs", "browserKeyHash", "expiresAt", "createdAt")
    VALUES (${id}::uuid, ${verified.userId}::uuid, ${input.lostFactor}, ${input.challengeId}::uuid, ARRAY[${verified.proof}]::text[],
            ${key.hash}, ${new Date(deps.now.getTime() + RESET_TTL_SECONDS * 1000)}, ${deps.now})
    ON CONFLICT ("challengeId") DO UPDATE SET "lostFactor" = EXCLUDED."lostFactor", "proofs" = EXCLUDED."proofs", "browserKeyHash" = EXCLUDED."browserKeyHash"
      WHERE "RecoveryReset"."completedAt" IS NULL
    RETURNING "id"`;
  if (!reset[0]) throw ended();
  return { resetId: reset[0].id, resetToken: key.token };
}

/**
 * The answer to "What did you lose?" to preselect after a verified code, when the person arrived
 * from a self-service tile (`/recover?lost=passkey`): only a factor the account actually has, so
 * the page never suggests losing something that was never there. Anything else preselects nothing.
 * Asked only for a verified challenge (decoys never verify), so it reveals nothing about accounts.
 */
export async function preselectLostFactor(deps: Pick<ResetDeps, 'db' | 'now'>, input: { challengeId: string; wanted: unknown }): Promise<LostFactor | undefined> {
  const wanted = parseLostFactor(input.wanted);
  if (!wanted) return undefined;
  const verified = await getVerifiedRecovery(deps.db, input.challengeId, deps.now);
  if (!verified) return undefined;
  const owner = { userId: verified.userId };
  const has = {
    authenticator: () => hasAuthenticator({ db: deps.db, owner }),
    passkey: async () => (await countPasskeys(deps.db, verified.userId)) > 0,
    phone: async () => Boolean((await deps.db.user.findUnique({ where: { id: verified.userId }, select: { phone: true } }))?.phone),
    // Every account has an email address.
    email: async () => true,
  }[wanted];
  return (await has()) ? wanted : undefined;
}

async function loadReset(db: Db, resetToken: string, now: Date) {
  if (!/^[A-Za-z0-9_-]{43}$/.test(resetToken)) return null;
  const reset = await db.recoveryReset.findUnique({
    where: { browserKeyHash: resetKeyHash(resetToken) },
    select: {
      id: true,
      userId: true,
      lostFactor: true,
      challengeId: true,
      proofs: true,
      attempts: true,
      deviceChallengeId: true,
      newContact: true,
      contactChallengeId: true,
      expiresAt: true,
      completedAt: true,
    },
  });
  if (!reset || reset.expiresAt <= now) return null;
  return { ...reset, lostFactor: reset.lostFactor as LostFactor, proofs: reset.proofs as Proof[] };
}

/** Where the person is in the reset. */
export async function getResetView(deps: Pick<ResetDeps, 'db' | 'now'>, resetToken: string): Promise<ResetView | undefined> {
  const reset = await loadReset(deps.db, resetToken, deps.now);
  if (!reset) return undefined;
  if (reset.completedAt) {
    const hold = await getActiveHold({ db: deps.db, userId: reset.userId, now: deps.now });
    return { step: 'done', lostFactor: reset.lostFactor, holdEndsAt: hold?.endsAt.toISOString() ?? null };
  }
  if (resetAllowed(reset.lostFactor, reset.proofs)) {
    const codeSentTo = reset.newContact ? maskContact(reset.lostFactor, reset.newContact) : undefined;
    const suggestedContact = reset.lostFactor === 'email' && reset.proofs.includes('approved_ticket') ? await ticketContactFor(deps.db, reset) : undefined;
    return { step: 'bind', lostFactor: reset.lostFactor, proved: reset.proofs, codeSentTo, suggestedContact };
  }
  const [authenticator, passkeys, trustedDevice, recoveryCodes] = await Promise.all([
    hasAuthenticator({ db: deps.db, owner: { userId: reset.userId } }),
    countPasskeys(deps.db, reset.userId),
    hasApproverDevice(deps.db, reset.userId, deps.now),
    hasRecoveryCodes(deps.db, reset.userId),
  ]);
  const options =
    reset.attempts >= RESET_MAX_ATTEMPTS
      ? []
      : nextProofs(reset.lostFactor, reset.proofs, { authenticator, passkeys, trustedDevice, recoveryCodes }).filter((p): p is SecondProof => SECOND_PROOFS.includes(p));
  if (options.length === 0) return { step: 'documents', lostFactor: reset.lostFactor, proved: reset.proofs };
  const request = reset.deviceChallengeId ? await deviceRequest(deps, reset) : undefined;
  const deviceRequestView = request?.state === 'pending' ? { number: request.number } : undefined;
  return { step: 'prove', lostFactor: reset.lostFactor, proved: reset.proofs, options, attemptsLeft: RESET_MAX_ATTEMPTS - reset.attempts, deviceRequest: deviceRequestView };
}

/**
 * The address typed on an identity-document ticket is where its approval link was mailed, so it
 * reaches the person: when the email is what was lost, it is the natural new one (still proved by a
 * code before it replaces the old one). Never the account's current address.
 */
export async function suggestedNewEmail(db: DbClient, ticket: { userId: string; contactEmail: string }): Promise<string | undefined> {
  const user = await db.user.findUnique({ where: { id: ticket.userId }, select: { email: true } });
  return user && user.email !== ticket.contactEmail ? ticket.contactEmail : undefined;
}

/** A reset backed by an approved ticket started from that ticket (its id is the reset's origin). */
async function ticketContactFor(db: Db, reset: { userId: string; challengeId: string }) {
  const ticket = await db.recoveryTicket.findFirst({ where: { id: reset.challengeId, userId: reset.userId }, select: { contactEmail: true } });
  return ticket ? suggestedNewEmail(db, { userId: reset.userId, contactEmail: ticket.contactEmail }) : undefined;
}

async function openForProof(deps: Pick<ResetDeps, 'db' | 'now'>, resetToken: string, proof: SecondProof) {
  const reset = await loadReset(deps.db, resetToken, deps.now);
  if (!reset || reset.completedAt || reset.attempts >= RESET_MAX_ATTEMPTS) throw ended();
  const view = await getResetView(deps, resetToken);
  if (view?.step !== 'prove' || !view.options.includes(proof)) throw ended();
  // Recovery codes are limited per account and client instead (proveWithRecoveryCode).
  if (proof !== 'recovery_code') {
    const decision = await consumeRateLimit(deps.db, `reset:proof:${reset.userId}`, SECOND_PROOF_LIMIT, deps.now);
    if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds, 'attempts');
  }
  return reset;
}

/** Adds a proof, or counts a failure; both in one statement so parallel tries cannot exceed the limit. */
async function recordProof(db: DbClient, resetId: string, proof: Proof, ok: boolean) {
  if (ok) {
    await db.$executeRaw`UPDATE "RecoveryReset" SET "proofs" = array_append("proofs", ${proof}) WHERE "id" = ${resetId}::uuid AND NOT (${proof} = ANY("proofs"))`;
    return;
  }
  const [row] = await db.$queryRaw<{ attempts: number }[]>`
    UPDATE "RecoveryReset" SET "attempts" = "attempts" + 1 WHERE "id" = ${resetId}::uuid AND "attempts" < ${RESET_MAX_ATTEMPTS} RETURNING "attempts"`;
  const left = RESET_MAX_ATTEMPTS - (row?.attempts ?? RESET_MAX_ATTEMPTS);
  throw new AppError({
    code: 'unauthorized',
    userMessage: left > 0 ? `That didn't work. ${left === 1 ? '1 try' : `${left} tries`} left.` : 'Too many wrong tries. You can still recover your account with an identity document.',
  });
}

export async function proveWithAuthenticator(deps: ResetDeps, input: { resetToken: string; code: string }) {
  const reset = await openForProof(deps, input.resetToken, 'authenticator');
  const result = await verifyAuthenticatorCode({ db: deps.db, encryptionKey: deps.encryptionKey, owner: { userId: reset.userId }, code: input.code, now: deps.now });
  await recordProof(deps.db, reset.id, 'authenticator', result.ok);
}

/**
 * One of the account's recovery codes as the second proof (docs/security.md rule 30). Wrong codes
 * count per account AND client (CODE_FAILURES), like every typed code: the guesser waits, the owner
 * on their own device does not (rule 23). They also count against this reset's 5 tries. The code
 * is spent, the proof recorded, the use audited and the notice queued in one transaction.
 */
export async function proveWithRecoveryCode(deps: ResetDeps & { hmacKey: Buffer }, input: { resetToken: string; code: string; ip: string }) {
  if (!normalizeRecoveryCode(input.code)) throw validationError({ code: ['Enter a recovery code: 10 letters and numbers, like 7Q4M-K9TX-2W.'] });
  const reset = await openForProof(deps, input.resetToken, 'recovery_code');
  const admission = await admitAttempt(deps.db, CODE_FAILURES, { subject: `recovery-code:${reset.userId}`, client: input.ip }, deps.now);
  if (!admission.allowed) throw rateLimited(admission.retryAfterSeconds, 'attempts');
  const proved = await deps.db.$transaction(async (tx) => {
    const used = await spendRecoveryCode(tx, { hmacKey: deps.hmacKey, userId: reset.userId, code: input.code, now: deps.now });
    if (!used.ok) return false;
    await recordProof(tx, reset.id, 'recovery_code', true);
    await recordAudit(tx, {
      actorType: 'USER',
      actorId: reset.userId,
      action: 'recovery_code.used',
      subjectType: 'user',
      subjectId: reset.userId,
      ip: input.ip,
      data: { for: 'recovery', resetId: reset.id, left: used.remaining },
      occurredAt: deps.now,
    });
    await notifySecurityChange({ db: tx, delivery: deps.delivery, userId: reset.userId, change: 'recovery_code_used', now: deps.now, context: { codesLeft: used.remaining } });
    return true;
  });
  if (!proved) return recordProof(deps.db, reset.id, 'recovery_code', false);
  await succeeded(deps.db, admission);
}

/** Options for proving with one of the account's own passkeys (allowCredentials: only theirs). */
export async function passkeyProofOptions(deps: ResetDeps, input: { resetToken: string }) {
  const reset = await loadReset(deps.db, input.resetToken, deps.now);
  if (!reset || reset.completedAt) throw ended();
  return startPasskeySignIn({ db: deps.db, rp: deps.rp, now: deps.now, purpose: 'recovery', owner: { userId: reset.userId } });
}

export async function proveWithPasskey(deps: ResetDeps, input: { resetToken: string; response: unknown }) {
  const reset = await openForProof(deps, input.resetToken, 'passkey');
  const result = await finishPasskeySignIn({ db: deps.db, rp: deps.rp, now: deps.now, response: input.response, purpose: 'recovery', owner: { userId: reset.userId } });
  await recordProof(deps.db, reset.id, 'passkey', result.ok);
}

/**
 * "Approve on a device where I'm signed in" as the second proof (docs/security.md rule 22): the
 * account's signed-in devices see the request on Account › Approvals for 5 minutes, with the change
 * it allows and this browser's network, and must pick the number this page shows. Asking again
 * withdraws the earlier request; each request counts against the second-proof limit.
 */
export async function askTrustedDevice(deps: ResetDeps, input: { resetToken: string; ip?: string | undefined; userAgent?: string | null | undefined }): Promise<{ number: number }> {
  const reset = await openForProof(deps, input.resetToken, 'trusted_device');
  return deps.db.$transaction(async (tx) => {
    const request = await requestApproval(tx, {
      userId: reset.userId,
      resetId: reset.id,
      change: reset.lostFactor,
      ip: input.ip ?? null,
      userAgent: input.userAgent ?? null,
      now: deps.now,
      withdraw: reset.deviceChallengeId,
    });
    await tx.recoveryReset.update({ where: { id: reset.id }, data: { deviceChallengeId: request.challengeId }, select: { id: true } });
    return { number: request.number };
  });
}

export type DeviceProofState = 'none' | 'pending' | 'denied' | 'expired' | 'proved';

async function deviceRequest(deps: Pick<ResetDeps, 'db' | 'now'>, reset: { userId: string; deviceChallengeId: string | null }): Promise<{ state: DeviceProofState; number: number }> {
  const none = { state: 'none' as const, number: 0 };
  if (!reset.deviceChallengeId) return none;
  const request = await deps.db.verificationChallenge.findFirst({
    where: { id: reset.deviceChallengeId, purpose: 'RESET_APPROVAL', userId: reset.userId },
    select: { approvedAt: true, deniedAt: true, expiresAt: true, approvalNumber: true },
  });
  if (!request) return none;
  const state = request.approvedAt ? 'proved' : request.deniedAt ? 'denied' : request.expiresAt <= deps.now ? 'expired' : 'pending';
  return { state, number: request.approvalNumber ?? 0 };
}

/**
 * The requester's side, polled while waiting: an approval becomes the proof exactly once; a denial
 * counts as a failed try (once, however many polls see it) and ends that request.
 */
export async function checkTrustedDevice(deps: Pick<ResetDeps, 'db' | 'now'>, input: { resetToken: string }): Promise<DeviceProofState> {
  const reset = await loadReset(deps.db, input.resetToken, deps.now);
  if (!reset || reset.completedAt) throw ended();
  if (reset.proofs.includes('trusted_device')) return 'proved';
  const { state } = await deviceRequest(deps, reset);
  if (state === 'proved') {
    const { count } = await deps.db.verificationChallenge.updateMany({
      where: { id: reset.deviceChallengeId!, consumedAt: null, approvedAt: { not: null } },
      data: { consumedAt: deps.now },
    });
    if (count === 1) {
      await recordProof(deps.db, reset.id, 'trusted_device', true);
      await recordAudit(deps.db, {
        actorType: 'USER',
        actorId: reset.userId,
        action: 'recovery.reset_device_approved',
        subjectType: 'user',
        subjectId: reset.userId,
        data: { resetId: reset.id },
        occurredAt: deps.now,
      });
    }
  }
  if (state === 'denied') {
    await deps.db.$executeRaw`
      UPDATE "RecoveryReset" SET "attempts" = LEAST("attempts" + 1, ${RESET_MAX_ATTEMPTS}), "deviceChallengeId" = NULL
      WHERE "id" = ${reset.id}::uuid AND "deviceChallengeId" = ${reset.deviceChallengeId}::uuid`;
  }
  return state;
}

const CONTACTS: readonly LostFactor[] = ['phone', 'email'];

async function openForBinding(deps: Pick<ResetDeps, 'db' | 'now'>, resetToken: string, factors: readonly LostFactor[]) {
  const reset = await loadReset(deps.db, resetToken, deps.now);
  if (!reset || reset.completedAt || !factors.includes(reset.lostFactor) || !resetAllowed(reset.lostFactor, reset.proofs)) throw ended();
  const user = await deps.db.user.findUniqueOrThrow({ where: { id: reset.userId }, select: { email: true, displayName: true } });
  return { reset, user };
}

/** Binding a new authenticator app: the setup key and QR code for the person's account. */
export async function beginAuthenticatorRebind(deps: ResetDeps, input: { resetToken: string }) {
  const { reset, user } = await openForBinding(deps, input.resetToken, ['authenticator']);
  return beginAuthenticatorSetup({ db: deps.db, encryptionKey: deps.encryptionKey, owner: { userId: reset.userId }, accountName: user.email });
}

/**
 * Confirms the new app; the old one is removed in the same step and the reset completes. One
 * transaction (docs/security.md rule 28): a wrong first code or any failure after it leaves the
 * reset open and the account as it was.
 */
export async function finishAuthenticatorRebind(deps: ResetDeps, input: { resetToken: string; authenticatorId: string; code: string }) {
  const { reset } = await openForBinding(deps, input.resetToken, ['authenticator']);
  return deps.db.$transaction(async (tx) => {
    await claimCompletion(tx, reset.id, deps.now);
    await confirmAuthenticatorSetup({
      db: tx,
      encryptionKey: deps.encryptionKey,
      owner: { userId: reset.userId },
      authenticatorId: input.authenticatorId,
      code: input.code,
      now: deps.now,
    });
    return finishReset(deps, reset, 'authenticator', undefined, tx);
  }, RESET_TX);
}

export async function beginPasskeyRebind(deps: ResetDeps, input: { resetToken: string }) {
  const { reset, user } = await openForBinding(deps, input.resetToken, ['passkey']);
  return startPasskeyRegistration({ db: deps.db, rp: deps.rp, owner: { userId: reset.userId }, userName: user.email, displayName: user.displayName, now: deps.now });
}

/**
 * Stores the new passkey, then removes every other one: the person cannot say which was lost. One
 * transaction with everything that follows (docs/security.md rule 28).
 */
export async function finishPasskeyRebind(deps: ResetDeps, input: { resetToken: string; response: unknown }) {
  const { reset } = await openForBinding(deps, input.resetToken, ['passkey']);
  return deps.db.$transaction(async (tx) => {
    await claimCompletion(tx, reset.id, deps.now);
    const owner = { userId: reset.userId };
    const created = await finishPasskeyRegistration({ db: tx, rp: deps.rp, owner, response: input.response, name: undefined, now: deps.now });
    for (const old of await listPasskeys({ db: tx, owner })) {
      if (old.id !== created.passkey.id) await revokeUnrecognisedPasskey({ db: tx, owner, passkeyId: old.id, now: deps.now });
    }
    return finishReset(deps, reset, 'passkey', undefined, tx);
  }, RESET_TX);
}

// ── A lost phone number or email address: the new one is proved with a code sent to it ─────────

/** Codes to a new number or address: a few per hour per account (each one reaches a stranger's inbox if mistyped). */
const CONTACT_CODE_LIMIT = { limit: 5, windowSeconds: 3600 };
const contactChannel = (factor: LostFactor) => (factor === 'email' ? 'EMAIL' : 'SMS');
const maskContact = (factor: LostFactor, value: string) => (factor === 'email' ? maskEmail(value) : maskPhone(value));

/**
 * Sends a code to the new phone number or email address the person typed. Asking again (another
 * typo fixed) replaces the earlier code. The account keeps its old contact until the code is back.
 */
export async function beginContactRebind(deps: ResetDeps & { hmacKey: Buffer }, input: { resetToken: string; value: string }): Promise<{ codeSentTo: string }> {
  const { reset } = await openForBinding(deps, input.resetToken, CONTACTS);
  const factor = reset.lostFactor;
  const parsed = identifierInput.safeParse(input.value);
  const field = factor === 'email' ? 'email' : 'phone';
  if (!parsed.success || parsed.data.kind !== field) {
    const message = parsed.success
      ? factor === 'email' ? 'Enter an email address, like name@example.com.' : 'Enter a phone number with its country code, for example +44 7700 900123.'
      : parsed.error.issues[0]!.message;
    throw validationError({ [field]: [message] });
  }
  const value = parsed.data.value;
  const owner = await deps.db.user.findFirst({ where: factor === 'email' ? { email: value } : { phone: value }, select: { id: true } });
  if (owner?.id === reset.userId) throw validationError({ [field]: [`That is the ${factor === 'email' ? 'address' : 'number'} already on your account. Enter the new one.`] });
  if (owner) throw validationError({ [field]: [`This ${factor === 'email' ? 'address' : 'number'} can't be used for your account. Enter another one.`] });
  const decision = await consumeRateLimit(deps.db, `reset:contact-code:${reset.userId}`, CONTACT_CODE_LIMIT, deps.now);
  if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds, 'code requests');

  // Asking again replaces the earlier code and keeps its attempts (rule 3, in issueCode).
  const { challengeId: id, code } = await deps.db.$transaction(async (tx) => {
    const issued = await issueCode(tx, {
      hmacKey: deps.hmacKey,
      purpose: 'CONTACT_CHANGE',
      subject: { type: 'RESET', id: reset.id },
      userId: reset.userId,
      real: true,
      channel: contactChannel(factor),
      destinationMasked: maskContact(factor, value),
      supersede: true,
      now: deps.now,
    });
    await tx.recoveryReset.update({ where: { id: reset.id }, data: { newContact: value, contactChallengeId: issued.challengeId }, select: { id: true } });
    return issued;
  });
  const minutes = CODE_TTL_SECONDS / 60;
  const content =
    factor === 'email'
      ? codeEmail({ code, purposeLabel: 'your new email address', expiresInMinutes: minutes })
      : codeSms({ code, expiresInMinutes: minutes });
  const send = async () => {
    try {
      await deps.delivery.send({ channel: factor === 'email' ? 'email' : 'sms', to: value, purpose: 'contact-change-code', challengeId: id, sensitive: [code], ...content });
    } catch (error) {
      log.warn('contact_code_send_failed', { resetId: reset.id, error });
    }
  };
  if (deps.schedule) deps.schedule(send);
  else await send();
  return { codeSentTo: maskContact(factor, value) };
}

/**
 * The code from the new number or address: it replaces the old one, and the reset completes. Five
 * wrong codes end that code (attempts counted in the statement that reads the hash); asking for
 * a new code carries them over.
 */
export async function finishContactRebind(deps: ResetDeps & { hmacKey: Buffer }, input: { resetToken: string; code: string }) {
  const { reset } = await openForBinding(deps, input.resetToken, CONTACTS);
  const code = normalizeCode(input.code);
  if (!code) throw validationError({ code: ['Enter the 6-digit code.'] });
  if (!reset.contactChallengeId || !reset.newContact) throw new AppError({ code: 'conflict', userMessage: 'Ask for a code first.' });
  // Counted on its own, before the change: a wrong code stays counted whatever happens next.
  const attempt = await attemptCode(deps.db, {
    hmacKey: deps.hmacKey,
    challengeId: reset.contactChallengeId,
    purpose: 'CONTACT_CHANGE',
    code,
    now: deps.now,
    subject: { type: 'RESET', id: reset.id },
  });
  if (attempt.outcome !== 'match' && attempt.outcome !== 'wrong') throw new AppError({ code: 'conflict', userMessage: 'This code has expired or was tried too many times. Send a new code.' });
  if (attempt.outcome === 'wrong') {
    const left = attempt.attemptsLeft;
    throw validationError({ code: [left > 0 ? `That code didn't match. ${left === 1 ? '1 try' : `${left} tries`} left.` : 'That code didn’t match, and this code is now closed. Send a new code.'] });
  }
  const factor = reset.lostFactor as 'phone' | 'email';
  const newContact = reset.newContact;
  try {
    // One transaction (docs/security.md rule 28): the code is spent, the contact replaced and every
    // consequence recorded together, or none of it.
    return await deps.db.$transaction(async (tx) => {
      await claimCompletion(tx, reset.id, deps.now);
      if (!(await consumeCode(tx, attempt, deps.now))) throw ended();
      const before = await tx.user.findUniqueOrThrow({ where: { id: reset.userId }, select: { email: true, phone: true, phoneVerifiedAt: true } });
      await tx.user.update({
        where: { id: reset.userId },
        data: factor === 'email' ? { email: newContact, emailVerifiedAt: deps.now } : { phone: newContact, phoneVerifiedAt: deps.now },
        select: { id: true },
      });
      const previousContact =
        factor === 'email' ? { channel: 'email' as const, to: before.email } : before.phone && before.phoneVerifiedAt ? { channel: 'sms' as const, to: before.phone } : undefined;
      return finishReset(deps, reset, factor, previousContact, tx);
    }, RESET_TX);
  } catch (error) {
    // Someone else's account took the number or address in the meantime.
    if (uniqueViolation(error)) throw validationError({ code: [`This ${factor === 'email' ? 'address' : 'number'} can't be used any more. Send a code to another one.`] });
    throw error;
  }
}

function uniqueViolation(error: unknown) {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === 'P2002';
}

/**
 * Single use under concurrency: only one request can move the reset to completed. Claimed inside
 * the binding's transaction, so a binding that fails (a wrong first code) leaves the reset open and
 * the person can retry within the reset's life.
 */
async function claimCompletion(db: DbClient, resetId: string, now: Date) {
  const { count } = await db.recoveryReset.updateMany({ where: { id: resetId, completedAt: null, expiresAt: { gt: now } }, data: { completedAt: now } });
  if (count !== 1) throw ended();
}

const HOLD_REASON = { passkey: 'PASSKEY_RESET', authenticator: 'AUTHENTICATOR_RESET', phone: 'CONTACT_CHANGE', email: 'CONTACT_CHANGE' } as const;

/** A reset's transaction takes the audit chain lock and queues several jobs: give it room under load. */
const RESET_TX = { maxWait: 10_000, timeout: 15_000 };

/**
 * Rule 11: every session ends, the hold starts, the host and every verified channel are told (a
 * replaced contact too). Rule 28: all of it in the transaction that bound the new factor (`tx`), or
 * in one of its own when the caller has none, so a failure at any step leaves none of it; the
 * notices are queued in it and go out after the commit.
 */
async function finishReset(
  deps: ResetDeps,
  reset: { id: string; userId: string; proofs: Proof[] },
  factor: LostFactor,
  previousContact?: { channel: 'email' | 'sms'; to: string },
  tx?: Tx,
) {
  return inTransaction(tx ?? deps.db, async (tx) => {
    if (reset.proofs.includes('approved_ticket')) {
      // A reset backed by an approved ticket closes that ticket (its id is the reset's origin) and
      // spends its emailed link for good: until now the link could be picked up again in its browser.
      const origin = await tx.recoveryReset.findUniqueOrThrow({ where: { id: reset.id }, select: { challengeId: true } });
      await transitionTicket(tx, { ticketId: origin.challengeId, from: 'APPROVED', to: 'COMPLETED', actor: { kind: 'customer' }, now: deps.now });
      await spendResetLink(tx, origin.challengeId, deps.now);
    }
    // Rule 22: no device stays trusted after a recovery, so none can approve the next request.
    await endSessionsAndUntrustDevices(tx, reset.userId, deps.now);
    const hold = await startHold({ db: tx, userId: reset.userId, reason: HOLD_REASON[factor], now: deps.now });
    await enqueueWebhook(tx, { event: 'factor.changed', payload: { accountId: reset.userId, factor, change: 'replaced' }, now: deps.now });
    const method = reset.proofs.includes('approved_ticket') ? 'identity_document' : 'two_proofs';
    await enqueueWebhook(tx, { event: 'recovery.completed', payload: { accountId: reset.userId, factor, method }, now: deps.now });
    await recordAudit(tx, {
      actorType: 'USER',
      actorId: reset.userId,
      action: 'recovery.reset_completed',
      subjectType: 'user',
      subjectId: reset.userId,
      data: { factor, proofs: reset.proofs.join('+') },
      occurredAt: deps.now,
    });
    const change = factor === 'phone' || factor === 'email' ? 'contact_changed' : 'recovery_completed';
    await notifySecurityChange({ db: tx, delivery: deps.delivery, userId: reset.userId, change, now: deps.now, context: { holdEndsAt: hold.endsAt }, previousContact });
    return { holdEndsAt: hold.endsAt };
  });
}

/** Housekeeping: resets a week past their 30-minute life are kept no longer. */
export async function purgeStaleResets(db: Db, now: Date): Promise<number> {
  const { count } = await db.recoveryReset.deleteMany({ where: { expiresAt: { lt: new Date(now.getTime() - 7 * 86_400_000) } } });
  return count;
}
