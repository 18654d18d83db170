import { randomInt } from 'node:crypto';
import { constantTimeEqual, keyedHash } from '@/lib/crypto';
import type { DbClient } from '@/lib/db/transaction';

/**
 * Recovery codes (docs/security.md rule 30): ten single-use codes a person keeps on paper or in a
 * password manager, for when the authenticator app and the passkeys are out of reach. Each code is
 * 10 characters of Crockford base32 (50 bits from the CSPRNG), shown grouped as `7Q4M-K9TX-2W`.
 * Only a keyed hash is stored, bound to the account, so a copy of the table proves nothing and a
 * code from one account never matches another.
 */
export const RECOVERY_CODE_COUNT = 10;
/** Below this many unused codes, the security page and the notice suggest a new set. */
export const RECOVERY_CODES_LOW = 3;

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const LENGTH = 10;

export function generateRecoveryCode(): string {
  let code = '';
  for (let i = 0; i < LENGTH; i++) code += ALPHABET[randomInt(0, ALPHABET.length)];
  return formatRecoveryCode(code);
}

/** Groups of 4, 4 and 2 for reading aloud and copying by hand. */
export function formatRecoveryCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`;
}

/**
 * What a person typed, as the stored form: case, spaces and dashes do not matter, and the letters
 * Crockford base32 leaves out are read as the digits they look like (O → 0, I and L → 1).
 * Undefined when it cannot be a recovery code.
 */
export function normalizeRecoveryCode(input: string): string | undefined {
  const compact = input
    .toUpperCase()
    .replace(/[\s\-–—_.]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (compact.length !== LENGTH) return undefined;
  for (const char of compact) if (!ALPHABET.includes(char)) return undefined;
  return compact;
}

function hashRecoveryCode(hmacKey: Buffer, userId: string, normalized: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(keyedHash(hmacKey, 'recovery-code', userId, normalized));
}

export type RecoveryCodeStatus = { remaining: number; total: number; createdAt: Date };

/** How many unused codes the account has, and when its set was made; undefined without a set. */
export async function recoveryCodeStatus(db: DbClient, userId: string): Promise<RecoveryCodeStatus | undefined> {
  const rows = await db.recoveryCode.findMany({ where: { userId }, select: { usedAt: true, createdAt: true } });
  if (rows.length === 0) return undefined;
  return { remaining: rows.filter((r) => !r.usedAt).length, total: rows.length, createdAt: rows[0]!.createdAt };
}

export async function hasRecoveryCodes(db: DbClient, userId: string): Promise<boolean> {
  return (await db.recoveryCode.count({ where: { userId, usedAt: null } })) > 0;
}

/**
 * A new set of codes, replacing (deleting) any earlier set in the same statement order, inside the
 * caller's transaction. The codes are returned once, for the person to keep; they are never
 * readable again.
 */
export async function replaceRecoveryCodes(tx: DbClient, input: { hmacKey: Buffer; userId: string; now: Date }): Promise<{ codes: string[]; replaced: boolean }> {
  const { count } = await tx.recoveryCode.deleteMany({ where: { userId: input.userId } });
  const codes = new Set<string>();
  while (codes.size < RECOVERY_CODE_COUNT) codes.add(generateRecoveryCode());
  await tx.recoveryCode.createMany({
    data: [...codes].map((code) => ({
      userId: input.userId,
      codeHash: hashRecoveryCode(input.hmacKey, input.userId, normalizeRecoveryCode(code)!),
      createdAt: input.now,
    })),
  });
  return { codes: [...codes], replaced: count > 0 };
}

export type RecoveryCodeUse = { ok: true; codeId: string; remaining: number } | { ok: false };

/**
 * Spends one code. The typed code is compared with every unused code of the account in constant
 * time (all of them, whichever matches), then the match is claimed with one conditional UPDATE, so
 * of many parallel uses of one code exactly one succeeds. Run it in the transaction of the change
 * the code allows: a change that rolls back leaves the code unused.
 */
export async function spendRecoveryCode(db: DbClient, input: { hmacKey: Buffer; userId: string; code: string; now: Date }): Promise<RecoveryCodeUse> {
  const normalized = normalizeRecoveryCode(input.code);
  const rows = await db.recoveryCode.findMany({ where: { userId: input.userId, usedAt: null }, select: { id: true, codeHash: true } });
  const candidate = hashRecoveryCode(input.hmacKey, input.userId, normalized ?? '');
  let match: string | undefined;
  for (const row of rows) if (constantTimeEqual(candidate, row.codeHash) && normalized) match = row.id;
  if (!match) return { ok: false };
  const { count } = await db.recoveryCode.updateMany({ where: { id: match, usedAt: null }, data: { usedAt: input.now } });
  if (count !== 1) return { ok: false };
  return { ok: true, codeId: match, remaining: rows.length - 1 };
}
