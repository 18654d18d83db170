import { randomBytes } from 'node:crypto';
import { recordAudit } from '@/lib/audit';
import { keyedHash } from '@/lib/crypto';
import type { Db } from '@/lib/db/client';
import type { Prisma } from '@/lib/db/generated/client';
import { AppError } from '@/lib/errors';

/**
 * The single-use link after an approval (docs/security.md rule 10: an approved identity-document ticket
 * stands in for the second proof). 256 random bits, returned once to be put in the approval mail
 * (ticketApprovedEmail); only an HMAC is stored, so a database reader cannot use a live link
 * (the same rule as codes, rule 1). Redeeming it never signs anyone in (rule 11): it only tells
 * the caller which account may bind a new factor for which lost ones.
 */
export const RESET_TOKEN_TTL_HOURS = 72;
const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

function tokenHash(hmacKey: Buffer, token: string) {
  return new Uint8Array(keyedHash(hmacKey, 'ticket-reset-token', token));
}

/**
 * Call inside the approval's transaction, after the ticket became APPROVED. Issuing again replaces
 * the previous link (it stops working), unless `onlyIfNone`: then a ticket that already has a link
 * (live or used) keeps it and null is returned, so overlapping issuers give one link (and one mail).
 * A ticket without an account cannot get one.
 */
export async function issueResetToken(options: {
  tx: Prisma.TransactionClient | Db;
  hmacKey: Buffer;
  ticketId: string;
  now: Date;
  random?: ((size: number) => Buffer) | undefined;
  onlyIfNone: true;
}): Promise<{ token: string; expiresAt: Date } | null>;
export async function issueResetToken(options: {
  tx: Prisma.TransactionClient | Db;
  hmacKey: Buffer;
  ticketId: string;
  now: Date;
  random?: ((size: number) => Buffer) | undefined;
  onlyIfNone?: false | undefined;
}): Promise<{ token: string; expiresAt: Date }>;
export async function issueResetToken(options: {
  tx: Prisma.TransactionClient | Db;
  hmacKey: Buffer;
  ticketId: string;
  now: Date;
  random?: ((size: number) => Buffer) | undefined;
  onlyIfNone?: boolean | undefined;
}): Promise<{ token: string; expiresAt: Date } | null> {
  const token = (options.random ?? randomBytes)(TOKEN_BYTES).toString('base64url');
  if (!TOKEN_PATTERN.test(token)) throw new Error('The random source returned the wrong number of bytes');
  const expiresAt = new Date(options.now.getTime() + RESET_TOKEN_TTL_HOURS * 3600 * 1000);
  const { count } = await options.tx.recoveryTicket.updateMany({
    where: { id: options.ticketId, status: 'APPROVED', userId: { not: null }, ...(options.onlyIfNone ? { resetTokenHash: null } : {}) },
    data: { resetTokenHash: tokenHash(options.hmacKey, token), resetTokenExpiresAt: expiresAt },
  });
  if (count !== 1 && options.onlyIfNone) {
    const ticket = await options.tx.recoveryTicket.findFirst({ where: { id: options.ticketId, status: 'APPROVED', userId: { not: null } }, select: { id: true } });
    if (ticket) return null;
  }
  if (count !== 1) {
    throw new AppError({
      code: 'conflict',
      userMessage: 'A reset link can only be sent for an approved request that belongs to an account.',
      internalMessage: `issueResetToken: ticket ${options.ticketId} is not approved or has no account`,
    });
  }
  await recordAudit(options.tx, {
    actorType: 'SYSTEM',
    action: 'ticket.reset_link_issued',
    subjectType: 'ticket',
    subjectId: options.ticketId,
    data: { expiresAt: expiresAt.toISOString() },
    occurredAt: options.now,
  });
  return { token, expiresAt };
}

export type RedeemResult =
  | { status: 'redeemed'; ticketId: string; userId: string; lostFactors: string[] }
  | { status: 'invalid' | 'expired' | 'used' };

/**
 * Opens the link, once. The check and the spending are one conditional UPDATE, so of any number of
 * simultaneous requests exactly one gets the account (ASVS 6.5.1 applied to links). A spent link
 * keeps its hash with no expiry, which is how "already used" is told apart from "never issued".
 * The ticket stays APPROVED: the caller moves it to COMPLETED once the new factor is bound, and an
 * approved ticket whose link is never used expires (EXPIRED) by the ticket rules.
 */
export async function redeemResetToken(options: { db: Db | Prisma.TransactionClient; hmacKey: Buffer; token: string; ip?: string | undefined; now: Date }): Promise<RedeemResult> {
  const { db, now } = options;
  const token = options.token.trim();
  if (!TOKEN_PATTERN.test(token)) return { status: 'invalid' };
  const hash = tokenHash(options.hmacKey, token);
  const [won] = await db.$queryRaw<{ id: string; userId: string; lostFactors: string[] }[]>`
    UPDATE "RecoveryTicket" SET "resetTokenExpiresAt" = NULL, "updatedAt" = ${now}
    WHERE "resetTokenHash" = ${hash} AND "resetTokenExpiresAt" > ${now} AND "status" = 'APPROVED' AND "userId" IS NOT NULL
    RETURNING "id", "userId", "lostFactors"`;
  if (!won) {
    const ticket = await db.recoveryTicket.findUnique({ where: { resetTokenHash: hash }, select: { resetTokenExpiresAt: true, status: true } });
    if (!ticket) return { status: 'invalid' };
    if (ticket.resetTokenExpiresAt === null) return { status: 'used' };
    if (ticket.resetTokenExpiresAt <= now) return { status: 'expired' };
    return { status: 'invalid' };
  }
  await recordAudit(db, {
    actorType: 'USER',
    actorId: won.userId,
    action: 'ticket.reset_link_redeemed',
    subjectType: 'ticket',
    subjectId: won.id,
    ip: options.ip,
    occurredAt: now,
  });
  return { status: 'redeemed', ticketId: won.id, userId: won.userId, lostFactors: won.lostFactors };
}
