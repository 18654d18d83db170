import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { Db } from '@/lib/db/client';
import { inTransaction, type DbClient } from '@/lib/db/transaction';
import { AppError } from '@/lib/errors';
import { log } from '@/lib/log';
import { CHALLENGE_TTL_MS, consumeChallenge, storeChallenge } from './challenges';
import { defaultName, kindOf, normalizeName, type PasskeyKind } from './names';
import { isUuid } from '@/lib/db/ids';
import { lockOwner, type PasskeyOwner, type ResolvedOwner, ownerOf, ownerOfRow } from './owner';
import { parseAuthenticationResponse, parseRegistrationResponse } from './responses';

/**
 * Passkeys (docs/security.md rules 7-9, 13) on @simplewebauthn/server. Challenges are issued and kept
 * here, used once and for five minutes; every response is checked against our challenge, origin and
 * RP ID with user verification required. Public keys never leave this module: callers get
 * summaries. Audit entries, notices and holds belong to the callers; results say what happened.
 */
export type { PasskeyKind, PasskeyOwner };
export { purgeStaleChallenges } from './challenges';

/** The WebAuthn relying party; `getConfig().webauthn` has this shape. */
export type RelyingParty = { rpId: string; rpName: string; origin: string };

export type PasskeySummary = {
  id: string;
  name: string;
  kind: PasskeyKind;
  createdAt: Date;
  lastUsedAt: Date | null;
  backedUp: boolean;
};

/** Why a sign-in was refused. Only `counter_regression` comes from a correctly signed response. */
export type PasskeySignInFailure = 'unknown_credential' | 'expired_challenge' | 'invalid' | 'counter_regression' | 'wrong_owner';

export type PasskeySignInResult =
  | { ok: true; owner: PasskeyOwner; passkeyId: string; name: string }
  /** Not a sign-in: the owner and passkey are given so the caller can audit and alert (rule 8). */
  | { ok: false; reason: 'counter_regression'; owner: PasskeyOwner; passkeyId: string }
  | { ok: false; reason: Exclude<PasskeySignInFailure, 'counter_regression'> };

/**
 * A usernameless sign-in names no account; a step-up (fresh authentication, rule 17) or a recovery
 * proof of a still-bound passkey (rule 10) is for one known owner.
 */
export type PasskeySignInTarget = { purpose?: 'authenticate'; owner?: undefined } | { purpose: 'step-up' | 'recovery'; owner: PasskeyOwner };

const summarySelect = { id: true, name: true, deviceType: true, transports: true, createdAt: true, lastUsedAt: true, backedUp: true } as const;

type SummaryRow = { id: string; name: string; deviceType: string; transports: string[]; createdAt: Date; lastUsedAt: Date | null; backedUp: boolean };

function toSummary(row: SummaryRow): PasskeySummary {
  return { id: row.id, name: row.name, kind: kindOf(row), createdAt: row.createdAt, lastUsedAt: row.lastUsedAt, backedUp: row.backedUp };
}

/** An AAGUID of zeros says nothing about the authenticator (attestation "none"); store no value instead. */
const EMPTY_AAGUID = '00000000-0000-0000-0000-000000000000';

const setupEnded = () =>
  new AppError({ code: 'conflict', userMessage: 'This passkey setup has expired or was already used. Start again to add your passkey.' });
const notVerified = (cause?: unknown) =>
  new AppError({
    code: 'validation_failed',
    userMessage: "We couldn't verify that passkey. Try again, and unlock it with your fingerprint, face, PIN or screen lock when asked.",
    internalMessage: cause instanceof Error ? `Passkey registration refused: ${cause.message}` : 'Passkey registration refused',
    cause,
  });
const passkeyNotFound = () => new AppError({ code: 'not_found', userMessage: "We couldn't find that passkey. It may have been removed already." });

/**
 * Options for navigator.credentials.create(). A discoverable credential with user verification
 * (residentKey and userVerification "required") so the passkey alone can sign in later; the owner's
 * existing credentials are excluded so an authenticator cannot register twice (rule 9).
 */
export async function startPasskeyRegistration(options: {
  db: Db;
  rp: RelyingParty;
  owner: PasskeyOwner;
  /** Shown by the authenticator to pick the account, e.g. the email address. Never the user handle. */
  userName: string;
  displayName: string;
  /** What the person chose to add; the browser leads with that kind of authenticator. */
  hint?: 'localDevice' | 'remoteDevice' | 'securityKey' | undefined;
  now: Date;
}): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const owner = ownerOf(options.owner);
  const existing = await options.db.passkeyCredential.findMany({
    where: owner.where,
    select: { credentialId: true, transports: true },
    orderBy: { createdAt: 'asc' },
  });
  const creation = await generateRegistrationOptions({
    rpName: options.rp.rpName,
    rpID: options.rp.rpId,
    userName: options.userName,
    userID: owner.handle,
    userDisplayName: options.displayName,
    // The browser gives up when the server would anyway (rule 7: five minutes).
    timeout: CHALLENGE_TTL_MS,
    // We trust the signature, not the make of the device, and ask for nothing that fingerprints it.
    attestationType: 'none',
    excludeCredentials: existing.map((c) => ({ id: c.credentialId, transports: c.transports })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    ...(options.hint ? { preferredAuthenticatorType: options.hint } : {}),
  });
  await storeChallenge(options.db, { challenge: creation.challenge, purpose: 'register', owner, now: options.now });
  return creation;
}

/**
 * Checks the browser's answer and stores the passkey. The challenge is spent before the response
 * is checked, so a refused response cannot be retried against it and of N simultaneous finishes
 * exactly one gets past this point (rule 7).
 */
export async function finishPasskeyRegistration(options: {
  /** The caller's transaction, when what follows the new passkey must commit with it (rule 28). */
  db: DbClient;
  rp: RelyingParty;
  owner: PasskeyOwner;
  /** The RegistrationResponseJSON as received; anything else is refused with a 4xx error. */
  response: unknown;
  /** Blank or absent: a name from the kind of passkey ("Synced passkey", "Security key", ...). */
  name?: string;
  now: Date;
}): Promise<{ passkey: PasskeySummary }> {
  const owner = ownerOf(options.owner);
  // Checked first: a typo in the name must not cost the person their setup.
  const chosenName = options.name === undefined || options.name.trim() === '' ? undefined : normalizeName(options.name);

  const parsed = parseRegistrationResponse(options.response);
  if (!parsed) throw notVerified();
  if (!(await consumeChallenge(options.db, { challenge: parsed.challenge, purpose: 'register', owner, now: options.now }))) throw setupEnded();

  let info;
  try {
    const verification = await verifyRegistrationResponse({
      response: parsed.response,
      expectedChallenge: parsed.challenge,
      expectedOrigin: options.rp.origin,
      expectedRPID: options.rp.rpId,
      requireUserPresence: true,
      requireUserVerification: true,
    });
    if (!verification.verified) throw new Error('Attestation not verified');
    info = verification.registrationInfo;
  } catch (error) {
    throw notVerified(error);
  }
  // The credential we store is the one in the signed authenticator data; a response whose outer
  // id names another credential was not assembled by a browser.
  if (info.credential.id !== parsed.response.id || !info.userVerified) throw notVerified();

  const deviceType = info.credentialDeviceType;
  const kind = kindOf({ deviceType, transports: parsed.transports });
  // ON CONFLICT DO NOTHING on the unique credential id: a credential already registered, to this
  // or any other account, is refused even when two registrations race (rule 9).
  const [created] = await options.db.passkeyCredential.createManyAndReturn({
    data: [
      {
        ...owner.where,
        credentialId: info.credential.id,
        publicKey: info.credential.publicKey,
        counter: BigInt(info.credential.counter),
        transports: parsed.transports,
        deviceType,
        backupEligible: deviceType === 'multiDevice',
        backedUp: info.credentialBackedUp,
        aaguid: info.aaguid === EMPTY_AAGUID ? null : info.aaguid,
        name: chosenName ?? defaultName(kind),
        createdAt: options.now,
      },
    ],
    skipDuplicates: true,
    select: summarySelect,
  });
  if (!created) {
    throw new AppError({
      code: 'conflict',
      userMessage: 'This passkey is already registered. Choose a different passkey or security key, or use the one you have to sign in.',
    });
  }
  return { passkey: toSummary(created) };
}

/**
 * Options for navigator.credentials.get(). A usernameless sign-in gets options that depend on no
 * account at all, not even on whether one exists (rule 13; WebAuthn §14.6.2): no allowCredentials,
 * no lookups. A step-up or recovery lists the owner's passkeys.
 */
export async function startPasskeySignIn(
  options: { db: Db; rp: RelyingParty; now: Date } & PasskeySignInTarget,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const target = targetOf(options);
  let allowCredentials: { id: string; transports: string[] }[] | undefined;
  if (target.owner) {
    const credentials = await options.db.passkeyCredential.findMany({
      where: target.owner.where,
      select: { credentialId: true, transports: true },
      orderBy: { createdAt: 'asc' },
    });
    // An empty list would let the browser offer any passkey at all; say so instead.
    if (credentials.length === 0) {
      throw new AppError({ code: 'conflict', userMessage: 'There is no passkey on this account yet. Confirm it’s you another way.' });
    }
    allowCredentials = credentials.map((c) => ({ id: c.credentialId, transports: c.transports }));
  }
  const request = await generateAuthenticationOptions({
    rpID: options.rp.rpId,
    allowCredentials,
    userVerification: 'required',
    timeout: CHALLENGE_TTL_MS,
  });
  await storeChallenge(options.db, { challenge: request.challenge, purpose: target.purpose, owner: target.owner, now: options.now });
  // Copied field by field so both kinds serialise to exactly these keys, with nothing undefined.
  return {
    challenge: request.challenge,
    rpId: request.rpId,
    timeout: request.timeout,
    userVerification: request.userVerification,
    ...(request.allowCredentials ? { allowCredentials: request.allowCredentials } : {}),
  };
}

/**
 * Checks a sign-in, step-up or recovery answer. Never throws for what the client sent: a malformed
 * or hostile body is `invalid`. Database failures still throw (they are ours, not the client's).
 */
export async function finishPasskeySignIn(
  options: { db: Db; rp: RelyingParty; now: Date; response: unknown } & PasskeySignInTarget,
): Promise<PasskeySignInResult> {
  const target = targetOf(options);
  const parsed = parseAuthenticationResponse(options.response);
  if (!parsed) return { ok: false, reason: 'invalid' };

  // Spent first (rule 7): whatever follows, this challenge has had its one try.
  const consumed = await consumeChallenge(options.db, { challenge: parsed.challenge, purpose: target.purpose, owner: target.owner, now: options.now });
  if (!consumed) return { ok: false, reason: 'expired_challenge' };

  const credential = await options.db.passkeyCredential.findUnique({
    where: { credentialId: parsed.credentialId },
    select: { id: true, userId: true, agentId: true, name: true, credentialId: true, publicKey: true, counter: true, transports: true },
  });
  if (!credential) return { ok: false, reason: 'unknown_credential' };
  const rowOwner = ownerOfRow(credential);
  if (!rowOwner) {
    log.error('passkey_without_owner', { passkeyId: credential.id });
    return { ok: false, reason: 'invalid' };
  }
  const owner = ownerOf(rowOwner);
  if (target.owner && (target.owner.userId !== owner.userId || target.owner.agentId !== owner.agentId)) return { ok: false, reason: 'wrong_owner' };
  // WebAuthn §7.2 step 6: a user handle, when the authenticator returns one, must be the handle of
  // the credential's owner.
  if (parsed.userHandle !== undefined && parsed.userHandle !== Buffer.from(owner.handle).toString('base64url')) {
    return { ok: false, reason: 'invalid' };
  }

  let verification;
  try {
    verification = await verifyAuthenticationResponse({
      response: parsed.response,
      expectedChallenge: parsed.challenge,
      expectedOrigin: options.rp.origin,
      expectedRPID: options.rp.rpId,
      // The library compares counters before it checks the signature, so its verdict would let a
      // forged response with a low counter raise a clone alert. Counter 0 turns its comparison off;
      // ours below runs on the counter of a verified, signed response only.
      credential: { id: credential.credentialId, publicKey: new Uint8Array(credential.publicKey), counter: 0, transports: credential.transports },
      requireUserVerification: true,
    });
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  const info = verification.authenticationInfo;
  if (!verification.verified || !info.userVerified) return { ok: false, reason: 'invalid' };

  // Rule 8 and WebAuthn §7.2 step 22: when either counter is non-zero the new one must be larger;
  // otherwise two copies of the key may exist. One conditional UPDATE, so two simultaneous
  // sign-ins cannot both move the counter to the same value.
  const received = BigInt(info.newCounter);
  const updated = await options.db.$executeRaw`
    UPDATE "PasskeyCredential" SET "counter" = ${received}::bigint, "lastUsedAt" = ${options.now}, "backedUp" = ${info.credentialBackedUp}
    WHERE "id" = ${credential.id}::uuid AND ("counter" < ${received}::bigint OR ("counter" = 0 AND ${received}::bigint = 0))`;
  if (updated !== 1) {
    const current = await options.db.passkeyCredential.findUnique({ where: { id: credential.id }, select: { counter: true } });
    if (!current) return { ok: false, reason: 'unknown_credential' };
    log.warn('passkey_counter_regression', {
      passkeyId: credential.id,
      storedCounter: current.counter.toString(),
      receivedCounter: received.toString(),
    });
    return { ok: false, reason: 'counter_regression', owner: rowOwner, passkeyId: credential.id };
  }
  return { ok: true, owner: rowOwner, passkeyId: credential.id, name: credential.name };
}

/** The owner's passkeys, oldest first, as the security center shows them. */
export async function listPasskeys(options: { db: DbClient; owner: PasskeyOwner }): Promise<PasskeySummary[]> {
  const owner = ownerOf(options.owner);
  const rows = await options.db.passkeyCredential.findMany({ where: owner.where, select: summarySelect, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  return rows.map(toSummary);
}

/** Renames one of the owner's own passkeys; someone else's is "not found", never "forbidden" (no IDOR). */
export async function renamePasskey(options: { db: Db; owner: PasskeyOwner; passkeyId: string; name: string }): Promise<{ passkey: PasskeySummary }> {
  const owner = ownerOf(options.owner);
  const name = normalizeName(options.name);
  if (!isUuid(options.passkeyId)) throw passkeyNotFound();
  const { count } = await options.db.passkeyCredential.updateMany({ where: { id: options.passkeyId, ...owner.where }, data: { name } });
  if (count !== 1) throw passkeyNotFound();
  const row = await options.db.passkeyCredential.findFirst({ where: { id: options.passkeyId, ...owner.where }, select: summarySelect });
  if (!row) throw passkeyNotFound();
  return { passkey: toSummary(row) };
}

/**
 * Removes one of the owner's passkeys, but never the last one (rule 9): someone who signs in with
 * a passkey must not lock themselves out by accident. The owner is locked while counting, so two
 * deletes at once cannot remove the last two.
 */
export async function deletePasskey(options: {
  db: DbClient;
  owner: PasskeyOwner;
  passkeyId: string;
  /** Not needed for the rule; accepted so every factor change is called with the request's clock. */
  now?: Date;
}): Promise<{ removed: PasskeySummary; remaining: number }> {
  const owner = ownerOf(options.owner);
  if (!isUuid(options.passkeyId)) throw passkeyNotFound();
  return inTransaction(options.db, async (tx) => {
    await lockOwner(tx, owner);
    const passkey = await tx.passkeyCredential.findFirst({ where: { id: options.passkeyId, ...owner.where }, select: summarySelect });
    if (!passkey) throw passkeyNotFound();
    const total = await tx.passkeyCredential.count({ where: owner.where });
    if (total <= 1) {
      throw new AppError({
        code: 'conflict',
        userMessage: 'At least one passkey must remain on your account. Add another passkey first, then remove this one.',
      });
    }
    await tx.passkeyCredential.delete({ where: { id: passkey.id }, select: { id: true } });
    return { removed: toSummary(passkey), remaining: total - 1 };
  });
}

/**
 * "I don't recognise this passkey": a compromise report, so it goes even if it is the last one
 * (rule 9 protects against accidents, not against an attacker's key). Passkey ceremonies already
 * under way for the owner end with it, so whoever holds that key cannot finish adding another
 * passkey or a step-up begun before the report. The caller ends the sessions, starts the 24-hour
 * hold and sends the notices (rule 11).
 */
export async function revokeUnrecognisedPasskey(options: { db: DbClient; owner: PasskeyOwner; passkeyId: string; now: Date }): Promise<PasskeySummary> {
  const owner = ownerOf(options.owner);
  if (!isUuid(options.passkeyId)) throw passkeyNotFound();
  return inTransaction(options.db, async (tx) => {
    await lockOwner(tx, owner);
    const passkey = await tx.passkeyCredential.findFirst({ where: { id: options.passkeyId, ...owner.where }, select: summarySelect });
    if (!passkey) throw passkeyNotFound();
    await tx.passkeyCredential.delete({ where: { id: passkey.id }, select: { id: true } });
    await tx.webAuthnChallenge.updateMany({ where: { ...owner.where, consumedAt: null }, data: { consumedAt: options.now } });
    return toSummary(passkey);
  });
}

/** Passkeys registered to an account holder. */
export async function countPasskeys(db: Db, userId: string) {
  return db.passkeyCredential.count({ where: { userId } });
}

type ResolvedTarget = { purpose: 'authenticate' | 'step-up' | 'recovery'; owner: ResolvedOwner | undefined };

/** The type already says so; checked again at run time because a usernameless answer must never depend on an owner. */
function targetOf(options: PasskeySignInTarget): ResolvedTarget {
  const purpose = options.purpose ?? 'authenticate';
  if (purpose === 'authenticate') {
    if (options.owner !== undefined) throw new Error('A usernameless passkey sign-in takes no owner');
    return { purpose, owner: undefined };
  }
  if (purpose === 'step-up' || purpose === 'recovery') {
    if (!options.owner) throw new Error(`A passkey ${purpose} needs the owner`);
    return { purpose, owner: ownerOf(options.owner) };
  }
  throw new Error(`Unknown passkey sign-in purpose: ${String(purpose)}`);
}
