import { randomBytes } from 'node:crypto';
import { recordAudit } from '@/lib/audit';
import { constantTimeEqual, keyedHash } from '@/lib/crypto';
import type { Db } from '@/lib/db/client';
import type { Prisma } from '@/lib/db/generated/client';
import { AppError } from '@/lib/errors';

/**
 * The link after an approval (docs/security.md rule 10: an approved identity-document ticket
 * stands in for the second proof). 256 random bits, returned once to be put in the approval mail
 * (ticketApprovedEmail); only an HMAC is stored, so a database reader cannot use a live link
 * (the same rule as codes, rule 1). It works in one browser and is spent when the new factor is
 * bound (openResetLink, spendResetLink); opening it never signs anyone in (rule 11).
 */
export const RESET_TOKEN_TTL_HOURS = 72;
const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

function tokenHash(hmacKey: Buffer, token: string) {
  return new Uint8Array(keyedHash(hmacKey, 'ticket-reset-token', token));
}

/**
 * Call inside the approval's transaction, after the ticket became APPROVED. Issuing again replaces
 * the previous link (it stops working, and the new one may be opened in any one browser), unless `onlyIfNone`: then a ticket that already has a link
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
    data: { resetTokenHash: tokenHash(options.hmacKey, token), resetTokenExpiresAt: expiresAt, resetLinkBrowserHash: null },
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

/**
 * The link works in one browser (docs/recovery-policy.md, "The approval link"). The first
 * "Continue" binds it to the browser that pressed it: that browser holds a 256-bit secret in an
 * HttpOnly cookie and the ticket keeps only its keyed hash. Opening it spends nothing: the same
 * browser may come back to it (a closed tab, a restarted phone) until the new factor is bound,
 * which spends it for good (spendResetLink), or until it expires. Any other browser is refused,
 * so a forwarded or intercepted link never becomes usable by a second browser.
 */
const BROWSER_KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newLinkBrowserKey(random: (size: number) => Buffer = randomBytes): string {
  return random(TOKEN_BYTES).toString('base64url');
}

function browserKeyHash(hmacKey: Buffer, browserKey: string) {
  return new Uint8Array(keyedHash(hmacKey, 'ticket-reset-link-browser', browserKey));
}

export type LinkRefusal = 'invalid' | 'expired' | 'used' | 'other_browser';

export type OpenLinkResult =
  | {
      /** opened: this browser is now the link's browser; resumed: it already was. */
      status: 'opened' | 'resumed';
      ticketId: string;
      userId: string;
      lostFactors: string[];
      expiresAt: Date;
      /** The secret this browser must keep (its own, if it sent a well-formed one). */
      browserKey: string;
    }
  | { status: LinkRefusal };

export type LinkView =
  /** ready: never opened; resumable: opened in this browser and not finished. */
  | { status: 'ready' | 'resumable'; ticketId: string; userId: string; lostFactors: string[]; contactEmail: string; expiresAt: Date }
  | { status: LinkRefusal };

type LinkRow = {
  id: string;
  userId: string | null;
  lostFactors: string[];
  contactEmail: string;
  status: string;
  resetTokenExpiresAt: Date | null;
  resetLinkBrowserHash: Uint8Array | null;
};

/** The one place that says what a link is worth to a browser, for reading and for opening alike. */
function classify(row: LinkRow | undefined, hmacKey: Buffer, browserKey: string | undefined, now: Date): 'unbound' | 'this_browser' | LinkRefusal {
  if (!row) return 'invalid';
  // A spent link keeps its hash with no expiry, which is how "already used" is told apart from "never issued".
  if (row.status === 'COMPLETED' || row.resetTokenExpiresAt === null) return 'used';
  if (row.status !== 'APPROVED' || !row.userId) return 'invalid';
  if (row.resetTokenExpiresAt <= now) return 'expired';
  if (!row.resetLinkBrowserHash) return 'unbound';
  const presented = browserKey && BROWSER_KEY_PATTERN.test(browserKey) ? browserKeyHash(hmacKey, browserKey) : undefined;
  return presented && constantTimeEqual(presented, new Uint8Array(row.resetLinkBrowserHash)) ? 'this_browser' : 'other_browser';
}

async function findLink(db: Db | Prisma.TransactionClient, hash: Uint8Array, forUpdate: boolean): Promise<LinkRow | undefined> {
  const rows = forUpdate
    ? await db.$queryRaw<LinkRow[]>`
        SELECT "id", "userId", "lostFactors", "contactEmail", "status"::text AS "status", "resetTokenExpiresAt", "resetLinkBrowserHash"
        FROM "RecoveryTicket" WHERE "resetTokenHash" = ${hash} FOR UPDATE`
    : await db.$queryRaw<LinkRow[]>`
        SELECT "id", "userId", "lostFactors", "contactEmail", "status"::text AS "status", "resetTokenExpiresAt", "resetLinkBrowserHash"
        FROM "RecoveryTicket" WHERE "resetTokenHash" = ${hash}`;
  return rows[0];
}

/**
 * What the link would do in this browser, changing nothing (the completion page shows it before
 * "Continue": what will be set up, or why the link cannot be used here).
 */
export async function describeResetLink(options: { db: Db | Prisma.TransactionClient; hmacKey: Buffer; token: string; browserKey?: string | undefined; now: Date }): Promise<LinkView> {
  const token = options.token.trim();
  if (!TOKEN_PATTERN.test(token)) return { status: 'invalid' };
  const row = await findLink(options.db, tokenHash(options.hmacKey, token), false);
  const state = classify(row, options.hmacKey, options.browserKey, options.now);
  if (state !== 'unbound' && state !== 'this_browser') return { status: state };
  return {
    status: state === 'unbound' ? 'ready' : 'resumable',
    ticketId: row!.id,
    userId: row!.userId!,
    lostFactors: row!.lostFactors,
    contactEmail: row!.contactEmail,
    expiresAt: row!.resetTokenExpiresAt!,
  };
}

/**
 * Opens the link for this browser. Call inside a transaction that commits even when the answer is
 * a refusal (the refusal of another browser is audited): the ticket row is locked, so of any number
 * of simultaneous first opens exactly one binds the link (ASVS 6.5.1 applied to links) and every
 * other browser is refused. Never signs anyone in (rule 11): it only tells the caller which
 * account may bind a new factor for which lost ones. The ticket stays APPROVED; binding the new
 * factor completes it and spends the link in the same transaction.
 */
export async function openResetLink(options: {
  db: Db | Prisma.TransactionClient;
  hmacKey: Buffer;
  token: string;
  browserKey?: string | undefined;
  ip?: string | undefined;
  now: Date;
}): Promise<OpenLinkResult> {
  const { db, now } = options;
  const token = options.token.trim();
  if (!TOKEN_PATTERN.test(token)) return { status: 'invalid' };
  const row = await findLink(db, tokenHash(options.hmacKey, token), true);
  const state = classify(row, options.hmacKey, options.browserKey, now);
  if (state === 'other_browser') {
    // Rule 20: a second browser trying a bound link is recorded (the ticket, never the link or key).
    await recordAudit(db, {
      actorType: 'SYSTEM',
      action: 'ticket.reset_link_refused',
      subjectType: 'ticket',
      subjectId: row!.id,
      ip: options.ip,
      data: { reason: 'other_browser' },
      occurredAt: now,
    });
  }
  if (state !== 'unbound' && state !== 'this_browser') return { status: state };
  const ticket = row!;
  let browserKey = options.browserKey!;
  if (state === 'unbound') {
    // A browser that already holds a key (another request's link) keeps it: one cookie serves both.
    browserKey = options.browserKey && BROWSER_KEY_PATTERN.test(options.browserKey) ? options.browserKey : newLinkBrowserKey();
    await db.recoveryTicket.update({ where: { id: ticket.id }, data: { resetLinkBrowserHash: browserKeyHash(options.hmacKey, browserKey) }, select: { id: true } });
  }
  await recordAudit(db, {
    actorType: 'USER',
    actorId: ticket.userId!,
    action: state === 'unbound' ? 'ticket.reset_link_redeemed' : 'ticket.reset_link_resumed',
    subjectType: 'ticket',
    subjectId: ticket.id,
    ip: options.ip,
    occurredAt: now,
  });
  return { status: state === 'unbound' ? 'opened' : 'resumed', ticketId: ticket.id, userId: ticket.userId!, lostFactors: ticket.lostFactors, expiresAt: ticket.resetTokenExpiresAt!, browserKey };
}

/** Binding the new factor spends the link for good: call in that binding's transaction. */
export async function spendResetLink(tx: Db | Prisma.TransactionClient, ticketId: string, now: Date): Promise<void> {
  await tx.recoveryTicket.update({ where: { id: ticketId }, data: { resetTokenExpiresAt: null, updatedAt: now }, select: { id: true } });
}
