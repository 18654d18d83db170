import { randomBytes } from 'node:crypto';
import { recordAudit } from '@/lib/audit';
import { keyedHash } from '@/lib/crypto';
import type { Db } from '@/lib/db/client';
import type { Prisma } from '@/lib/db/generated/client';
import type { Delivery } from '@/lib/delivery/types';
import { log } from '@/lib/log';
import { notifySecurityChange } from '@/lib/notifications';
import { isTerminal, transitionTicket, TransitionRefused } from './state';

/**
 * The account owner's side of an identity-document ticket (docs/security.md rule 27): every verified
 * contact of the account hears when a ticket is opened for it and when one is approved, and each
 * notice carries a "This wasn't me" link that cancels the ticket.
 *
 * The link holds 256 random bits; only a keyed hash is stored (rules 1 and 26), one row per notice,
 * so an older notice's link keeps working after a newer one went out. It lives in the URL fragment
 * (like the approval link, /recover/complete): browsers never send a fragment to a server, and the
 * page changes nothing until the person presses the button, so a mail scanner that opens links
 * cannot cancel a real request.
 */
export const CANCEL_LINK_TTL_DAYS = 7;
const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

type Client = Db | Prisma.TransactionClient;

function cancelTokenHash(hmacKey: Buffer, token: string) {
  return new Uint8Array(keyedHash(hmacKey, 'ticket-cancel-token', token));
}

/** Stores a new cancel link for the ticket and returns its token (to be put in one notice only). */
export async function issueCancelToken(db: Client, options: { hmacKey: Buffer; ticketId: string; now: Date; random?: ((size: number) => Buffer) | undefined }): Promise<string> {
  const token = (options.random ?? randomBytes)(TOKEN_BYTES).toString('base64url');
  if (!TOKEN_PATTERN.test(token)) throw new Error('The random source returned the wrong number of bytes');
  await db.ticketCancelToken.create({
    data: {
      ticketId: options.ticketId,
      tokenHash: cancelTokenHash(options.hmacKey, token),
      expiresAt: new Date(options.now.getTime() + CANCEL_LINK_TTL_DAYS * 86_400_000),
      createdAt: options.now,
    },
    select: { id: true },
  });
  return token;
}

export type OwnerNoticeEvent = 'opened' | 'approved';

/**
 * Tells every verified contact of the ticket's account (lib/notifications picks them) that a
 * recovery was asked for or approved, with a fresh cancel link. A ticket with no account tells
 * nobody (there is no owner to tell, and rule 13 forbids showing whether one exists). A failed send
 * is logged, never thrown: the caller's change is already committed.
 */
export async function notifyTicketOwner(options: {
  db: Db;
  delivery: Delivery;
  hmacKey: Buffer;
  appUrl: string;
  ticketId: string;
  event: OwnerNoticeEvent;
  now: Date;
  /** For an approval: when it goes ahead unless cancelled. */
  proceedsAt?: Date | undefined;
}): Promise<void> {
  const ticket = await options.db.recoveryTicket.findUnique({ where: { id: options.ticketId }, select: { userId: true } });
  if (!ticket?.userId) return;
  try {
    const token = await issueCancelToken(options.db, { hmacKey: options.hmacKey, ticketId: options.ticketId, now: options.now });
    await notifySecurityChange({
      db: options.db,
      delivery: options.delivery,
      userId: ticket.userId,
      change: options.event === 'opened' ? 'recovery_ticket_opened' : 'recovery_ticket_approved',
      now: options.now,
      context: { cancelUrl: `${options.appUrl}/recover/cancel#${token}`, proceedsAt: options.proceedsAt },
    });
  } catch (error) {
    log.error('ticket_owner_notice_failed', { ticketId: options.ticketId, event: options.event, error });
  }
}

export type CancelResult = { status: 'cancelled'; reference: string } | { status: 'invalid' | 'expired' | 'used' | 'too_late' };

/**
 * "This wasn't me": spends the link and rejects the ticket, in one transaction. The link is spent by
 * a conditional UPDATE (`usedAt IS NULL AND expiresAt > now`), so of any number of simultaneous
 * presses exactly one has an effect; the move to REJECTED goes through the state machine, which
 * writes the ticket's history and the status audit event, and the cancel itself is audited
 * (rule 20; the token never is, rule 26). A ticket that already finished (the new factor is bound)
 * cannot be cancelled: the person is told to secure the account instead.
 */
export async function cancelTicketByOwner(options: { db: Db; hmacKey: Buffer; token: string; ip?: string | undefined; userAgent?: string | null | undefined; now: Date }): Promise<CancelResult> {
  const { db, now } = options;
  const token = options.token.trim();
  if (!TOKEN_PATTERN.test(token)) return { status: 'invalid' };
  const tokenHash = cancelTokenHash(options.hmacKey, token);
  return db.$transaction(
    async (tx) => {
      const [won] = await tx.$queryRaw<{ ticketId: string }[]>`
        UPDATE "TicketCancelToken" SET "usedAt" = ${now}
        WHERE "tokenHash" = ${tokenHash} AND "usedAt" IS NULL AND "expiresAt" > ${now}
        RETURNING "ticketId"`;
      if (!won) {
        const row = await tx.ticketCancelToken.findUnique({ where: { tokenHash }, select: { usedAt: true } });
        return { status: !row ? 'invalid' : row.usedAt ? 'used' : 'expired' } as const;
      }
      const ticket = await tx.recoveryTicket.findUnique({ where: { id: won.ticketId }, select: { status: true, reference: true, userId: true } });
      if (!ticket || isTerminal(ticket.status)) {
        // Rolls back the spending too: the link says the same thing next time.
        throw new CancelTooLate();
      }
      try {
        await transitionTicket(tx, { ticketId: won.ticketId, from: ticket.status, to: 'REJECTED', actor: { kind: 'customer' }, reason: 'Cancelled by the account owner', now, ip: options.ip });
      } catch (error) {
        if (error instanceof TransitionRefused) throw new CancelTooLate();
        throw error;
      }
      // Any other cancel link of this ticket has nothing left to do.
      await tx.ticketCancelToken.updateMany({ where: { ticketId: won.ticketId, usedAt: null }, data: { usedAt: now } });
      await recordAudit(tx, {
        actorType: ticket.userId ? 'USER' : 'ANONYMOUS',
        actorId: ticket.userId,
        action: 'ticket.cancelled_by_owner',
        subjectType: 'ticket',
        subjectId: won.ticketId,
        ip: options.ip,
        userAgent: options.userAgent?.slice(0, 300),
        data: { from: ticket.status },
        occurredAt: now,
      });
      return { status: 'cancelled', reference: ticket.reference } as const;
    },
    { maxWait: 10_000, timeout: 15_000 },
  ).catch((error: unknown) => {
    if (error instanceof CancelTooLate) return { status: 'too_late' } as const;
    throw error;
  });
}

class CancelTooLate extends Error {}
