import { randomBytes } from 'node:crypto';
import { constantTimeEqual, open, seal } from '@/lib/crypto';
import type { Db } from '@/lib/db/client';
import { isUuid } from '@/lib/db/ids';
import { inTransaction, type DbClient } from '@/lib/db/transaction';
import { AppError, validationError } from '@/lib/errors';
import { base32Encode, otpauthUri, timeStep, totp } from './totp';

/**
 * Authenticator apps (docs/security.md rule 6): RFC 6238 with SHA-1, 6 digits and 30-second steps,
 * a 160-bit secret from the CSPRNG sealed with AES-256-GCM. The secret leaves this module once,
 * as the setup key shown while setting up; codes and secrets are never logged.
 */
export type AuthenticatorOwner = { userId: string } | { agentId: string };

export type VerifyAuthenticatorResult = { ok: true } | { ok: false; reason: 'wrong' | 'replayed' | 'no_authenticator' };

/** RFC 4226 R6 recommends 160 bits; RFC 6238 §5.1 asks for the HMAC output length (20 bytes for SHA-1). */
const SECRET_BYTES = 20;
const STEP_SECONDS = 30;
/** Current step and one back, never forward: a slow typist is covered, a future code is not (rule 6). */
const STEPS_BACK = 1;
const ISSUER = 'Regain';

/** Starts adding an authenticator: an unconfirmed row until the first code proves the app has the key. */
export async function beginAuthenticatorSetup(options: {
  db: Db;
  encryptionKey: Buffer;
  owner: AuthenticatorOwner;
  /** Shown in the app next to the issuer, e.g. the email address. */
  accountName: string;
  random?: (size: number) => Buffer;
}): Promise<{ authenticatorId: string; setupKey: string; otpauthUri: string }> {
  const owner = ownerOf(options.owner);
  const secret = (options.random ?? randomBytes)(SECRET_BYTES);
  if (secret.length !== SECRET_BYTES) throw new Error('The random source returned the wrong number of bytes');

  const created = await options.db.$transaction(async (tx) => {
    await lockOwner(tx, owner);
    // One pending setup per owner: starting again abandons the QR code shown before.
    await tx.authenticator.deleteMany({ where: { ...owner.where, confirmedAt: null } });
    return tx.authenticator.create({
      data: { ...owner.where, encryptedSecret: seal(options.encryptionKey, secret, owner.context) },
      select: { id: true },
    });
  });

  const setupKey = base32Encode(secret).replace(/(.{4})(?=.)/g, '$1 ');
  return { authenticatorId: created.id, setupKey, otpauthUri: otpauthUri({ secret, accountName: options.accountName, issuer: ISSUER }) };
}

/**
 * Confirms a pending setup with its first code and makes it the owner's only authenticator.
 * `replaced` tells the caller an earlier authenticator was removed, so it starts the 24-hour hold
 * and sends the notices (rule 11); this module does neither.
 */
export async function confirmAuthenticatorSetup(options: {
  /** The caller's transaction, when the hold, revocations and audit must commit with the new app (rule 28). */
  db: DbClient;
  encryptionKey: Buffer;
  owner: AuthenticatorOwner;
  authenticatorId: string;
  code: string;
  now?: Date;
}): Promise<{ replaced: boolean }> {
  const owner = ownerOf(options.owner);
  const now = options.now ?? new Date();
  const code = normalizeCode(options.code);
  if (!code) throw validationError({ code: ['Enter the 6-digit code from your authenticator app.'] });

  const ended = () => new AppError({ code: 'conflict', userMessage: 'This setup has ended. Start again to get a new QR code.' });
  if (!isUuid(options.authenticatorId)) throw ended();
  const pending = await options.db.authenticator.findFirst({
    where: { id: options.authenticatorId, ...owner.where, confirmedAt: null },
    select: { id: true, encryptedSecret: true },
  });
  if (!pending) throw ended();

  const step = matchingStep(open(options.encryptionKey, pending.encryptedSecret, owner.context), code, now);
  if (step === undefined) {
    throw validationError(
      { code: ["That code didn't match. Enter the code your app shows now; if it keeps failing, check the phone's time is set automatically."] },
      "That code didn't match.",
    );
  }

  return inTransaction(options.db, async (tx) => {
    await lockOwner(tx, owner);
    // Storing the step makes the confirming code single use too: it cannot sign in afterwards.
    const { count } = await tx.authenticator.updateMany({
      where: { id: pending.id, ...owner.where, confirmedAt: null },
      data: { confirmedAt: now, lastUsedStep: step },
    });
    if (count !== 1) throw ended();
    const previous = await tx.authenticator.deleteMany({ where: { ...owner.where, id: { not: pending.id }, confirmedAt: { not: null } } });
    await tx.authenticator.deleteMany({ where: { ...owner.where, id: { not: pending.id }, confirmedAt: null } });
    return { replaced: previous.count > 0 };
  });
}

/**
 * Checks a code from the owner's authenticator app. Server clock only (`now`). A step accepted
 * once, and every older step, is refused afterwards (RFC 6238 §5.2; ASVS 6.5.1): the check and the
 * update are one conditional UPDATE, so of N simultaneous submissions of one code exactly one wins.
 * Throttling failed attempts is the caller's job (rule 14).
 */
export async function verifyAuthenticatorCode(options: {
  db: Db;
  encryptionKey: Buffer;
  owner: AuthenticatorOwner;
  code: string;
  now?: Date;
}): Promise<VerifyAuthenticatorResult> {
  const owner = ownerOf(options.owner);
  const now = options.now ?? new Date();

  const authenticator = await options.db.authenticator.findFirst({
    where: { ...owner.where, confirmedAt: { not: null } },
    orderBy: { confirmedAt: 'desc' },
    select: { id: true, encryptedSecret: true },
  });
  if (!authenticator) return { ok: false, reason: 'no_authenticator' };

  const code = normalizeCode(options.code);
  if (!code) return { ok: false, reason: 'wrong' };
  const step = matchingStep(open(options.encryptionKey, authenticator.encryptedSecret, owner.context), code, now);
  if (step === undefined) return { ok: false, reason: 'wrong' };

  const count = await options.db.$executeRaw`
    UPDATE "Authenticator" SET "lastUsedStep" = ${step}
    WHERE "id" = ${authenticator.id}::uuid AND "confirmedAt" IS NOT NULL
      AND ("lastUsedStep" IS NULL OR "lastUsedStep" < ${step})`;
  return count === 1 ? { ok: true } : { ok: false, reason: 'replayed' };
}

/** Whether the owner has a confirmed authenticator (a pending setup does not count). */
export async function hasAuthenticator(options: { db: Db; owner: AuthenticatorOwner }): Promise<boolean> {
  const owner = ownerOf(options.owner);
  const count = await options.db.authenticator.count({ where: { ...owner.where, confirmedAt: { not: null } } });
  return count > 0;
}

/**
 * The highest step in the window whose code matches, or undefined. Every candidate is computed and
 * compared in constant time, so the response time does not tell which step (if any) matched.
 */
function matchingStep(secret: Buffer, code: string, now: Date): bigint | undefined {
  const current = timeStep(now, STEP_SECONDS);
  const given = Buffer.from(code, 'utf8');
  let found: bigint | undefined;
  for (let back = STEPS_BACK; back >= 0; back--) {
    const step = current - BigInt(back);
    if (step < 0n) continue;
    const expected = Buffer.from(totp(secret, { time: new Date(Number(step) * STEP_SECONDS * 1000), step: STEP_SECONDS }), 'utf8');
    if (constantTimeEqual(expected, given)) found = step;
  }
  return found;
}

/** People paste codes with spaces ("123 456"); anything but six digits cannot match. */
function normalizeCode(input: string): string | undefined {
  const digits = input.replace(/[\s-]/g, '');
  return /^\d{6}$/.test(digits) ? digits : undefined;
}

type ResolvedOwner = { where: { userId: string } | { agentId: string }; context: string; lockKey: string };

/**
 * The row filter and the sealing context (`totp:user:<id>` / `totp:agent:<id>`, as prisma/seed.ts
 * does). Checked at run time too: an undefined id must never turn into "any owner".
 */
function ownerOf(owner: AuthenticatorOwner): ResolvedOwner {
  if ('userId' in owner && !('agentId' in owner) && isUuid(owner.userId)) {
    return { where: { userId: owner.userId }, context: `totp:user:${owner.userId}`, lockKey: `authenticator:user:${owner.userId}` };
  }
  if ('agentId' in owner && !('userId' in owner) && isUuid(owner.agentId)) {
    return { where: { agentId: owner.agentId }, context: `totp:agent:${owner.agentId}`, lockKey: `authenticator:agent:${owner.agentId}` };
  }
  throw new Error('An authenticator owner is exactly one of userId or agentId');
}

/** Serialises setup and confirmation per owner, so two tabs cannot leave two authenticators behind. */
async function lockOwner(tx: Pick<Db, '$executeRaw'>, owner: ResolvedOwner) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${owner.lockKey}, 0))`;
}

/**
 * Removes every authenticator of the owner (an approved recovery of a lost app, rule 10). The
 * caller ends sessions, starts the hold and sends the notices; a new app is set up afterwards.
 */
export async function removeAuthenticators(options: { db: DbClient; owner: AuthenticatorOwner }): Promise<number> {
  const owner = ownerOf(options.owner);
  const { count } = await options.db.authenticator.deleteMany({ where: owner.where });
  return count;
}
