import { randomUUID } from 'node:crypto';
import { removeAuthenticators } from '@/lib/authenticator';
import { recordAudit } from '@/lib/audit';
import type { Db } from '@/lib/db/client';
import type { Delivery } from '@/lib/delivery';
import { ticketApprovedEmail } from '@/lib/delivery/templates';
import { AppError } from '@/lib/errors';
import { startHold } from '@/lib/holds';
import { log } from '@/lib/log';
import { notifySecurityChange } from '@/lib/notifications';
import { listPasskeys, revokeUnrecognisedPasskey } from '@/lib/passkeys';
import { enqueueWebhook } from '@/lib/platform/webhooks';
import { endSessionsAndUntrustDevices } from '@/lib/sessions/devices';
import { issueResetToken, notifyTicketOwner, redeemResetToken } from './tickets';
import { DEFAULT_CANCEL_WINDOW_HOURS, LOST_FACTORS } from './policy';
import { newResetKey, RESET_TTL_SECONDS } from './resets';

/**
 * What an approved identity-document ticket does (issue 7 "Approving runs the reset"; security.md
 * rules 10-12): the lost factors are removed, every session ends, the 24-hour hold starts, every
 * verified channel and the host are told, and the contact address gets a single-use link to bind a
 * new factor. The agent never sees or sets a secret; the person binds the new factor themselves and
 * is never signed in by it.
 */
export type TicketResetDeps = {
  db: Db;
  delivery: Delivery;
  hmacKey: Buffer;
  /** Public base URL for the emailed link (config APP_URL). */
  appUrl: string;
  now: Date;
  schedule?: (work: () => Promise<void>) => void;
  /** security.md rule 27: hours an approval waits for the owner's cancel (config TICKET_CANCEL_WINDOW_HOURS). */
  cancelWindowHours?: number | undefined;
};

export type TicketResetEffect = {
  removed: string[];
  holdEndsAt: Date | null;
  linkExpiresAt: Date | null;
  /** Set while the approval waits out the cancel window: when it goes ahead unless cancelled. */
  proceedsAt: Date | null;
};

/**
 * Call once the ticket is APPROVED (after four-eyes where required). The link is issued last, so a
 * ticket that is APPROVED with no link is one whose reset did not finish: `retryUnappliedApprovals`
 * (scheduled housekeeping) runs it again. Every step before the link can run twice without harm.
 */
export async function applyApprovedTicket(deps: TicketResetDeps, input: { ticketId: string; agentId: string; retry?: boolean }): Promise<TicketResetEffect> {
  const ticket = await deps.db.recoveryTicket.findFirst({
    where: { id: input.ticketId, status: 'APPROVED', userId: { not: null } },
    select: { userId: true, lostFactors: true, reference: true, contactEmail: true, applyNotBefore: true },
  });
  if (!ticket) {
    throw new AppError({
      code: 'conflict',
      userMessage: 'A reset can only run for an approved request that belongs to an account.',
      internalMessage: `applyApprovedTicket: ticket ${input.ticketId} is not approved or has no account`,
    });
  }
  const userId = ticket.userId!;

  // security.md rule 27: an approval made on documents alone changes nothing until the account's
  // verified contacts have had the cancel window to say "This wasn't me". Every approval waits:
  // no ticket records a proof of a factor the person still holds, and each one either replaces a
  // contact, removes a factor, or hands out a link to bind one. The window starts once (the first
  // run sets applyNotBefore and sends the owner's notice); housekeeping runs the reset after it.
  const windowHours = deps.cancelWindowHours ?? DEFAULT_CANCEL_WINDOW_HOURS;
  let proceedsAt = ticket.applyNotBefore;
  if (!proceedsAt) {
    proceedsAt = new Date(deps.now.getTime() + windowHours * 3_600_000);
    const { count } = await deps.db.recoveryTicket.updateMany({ where: { id: input.ticketId, status: 'APPROVED', applyNotBefore: null }, data: { applyNotBefore: proceedsAt } });
    if (count === 1) {
      const notice = () => notifyTicketOwner({ db: deps.db, delivery: deps.delivery, hmacKey: deps.hmacKey, appUrl: deps.appUrl, ticketId: input.ticketId, event: 'approved', now: deps.now, proceedsAt: windowHours > 0 ? proceedsAt! : undefined });
      if (deps.schedule) deps.schedule(notice);
      else await notice();
    } else {
      proceedsAt = (await deps.db.recoveryTicket.findUnique({ where: { id: input.ticketId }, select: { applyNotBefore: true } }))?.applyNotBefore ?? proceedsAt;
    }
  }
  if (proceedsAt.getTime() > deps.now.getTime()) {
    return { removed: [], holdEndsAt: null, linkExpiresAt: null, proceedsAt };
  }
  return runTicketReset(deps, input, { userId, lostFactors: ticket.lostFactors, reference: ticket.reference, contactEmail: ticket.contactEmail });
}

async function runTicketReset(
  deps: TicketResetDeps,
  input: { ticketId: string; agentId: string; retry?: boolean },
  ticket: { userId: string; lostFactors: string[]; reference: string; contactEmail: string },
): Promise<TicketResetEffect> {
  const userId = ticket.userId;
  const owner = { userId };
  const removed: string[] = [];
  if (ticket.lostFactors.includes('authenticator') && (await removeAuthenticators({ db: deps.db, owner })) > 0) removed.push('authenticator');
  if (ticket.lostFactors.includes('passkey')) {
    const passkeys = await listPasskeys({ db: deps.db, owner });
    for (const passkey of passkeys) await revokeUnrecognisedPasskey({ db: deps.db, owner, passkeyId: passkey.id, now: deps.now });
    if (passkeys.length > 0) removed.push('passkey');
  }
  // Rule 22: a recovery leaves no device trusted, so none can approve the next request.
  await endSessionsAndUntrustDevices(deps.db, userId, deps.now);
  const hold = await startHold({ db: deps.db, userId, reason: 'RECOVERY_COMPLETED', now: deps.now });
  for (const factor of removed) {
    await enqueueWebhook(deps.db, { event: 'factor.changed', payload: { accountId: userId, factor, change: 'removed' }, now: deps.now });
  }
  await recordAudit(deps.db, {
    actorType: 'AGENT',
    actorId: input.agentId,
    action: 'recovery.ticket_reset_applied',
    subjectType: 'ticket',
    subjectId: input.ticketId,
    data: { removed: removed.join(',') || 'none', userId, ...(input.retry ? { retried: 'true' } : {}) },
    occurredAt: deps.now,
  });
  const { token, expiresAt } = await issueResetToken({ tx: deps.db, hmacKey: deps.hmacKey, ticketId: input.ticketId, now: deps.now });

  // The token rides in the fragment: browsers never send it to a server, so it stays out of access
  // logs and Referer headers; the page reads it in the browser and posts it on "Continue".
  const resetUrl = `${deps.appUrl}/recover/complete#${token}`;
  const send = async () => {
    try {
      const mail = ticketApprovedEmail({ reference: ticket.reference, resetUrl, expiresAt });
      await deps.delivery.send({ channel: 'email', to: ticket.contactEmail, purpose: 'ticket-approved', sensitive: [token], ...mail });
      for (const factor of removed) {
        await notifySecurityChange({
          db: deps.db,
          delivery: deps.delivery,
          userId,
          change: factor === 'passkey' ? 'passkey_removed' : 'authenticator_removed',
          now: deps.now,
          context: { holdEndsAt: hold.endsAt },
        });
      }
    } catch (error) {
      log.error('ticket_approval_mail_failed', { ticketId: input.ticketId, error });
    }
  };
  if (deps.schedule) deps.schedule(send);
  else await send();
  return { removed, holdEndsAt: hold.endsAt, linkExpiresAt: expiresAt, proceedsAt: null };
}

/**
 * Opens the emailed link (once) and starts the binding step of a reset backed by the approved
 * ticket. The ticket moves to COMPLETED when the new factor is bound (lib/recovery/resets).
 */
export async function beginTicketCompletion(deps: Pick<TicketResetDeps, 'db' | 'hmacKey' | 'now'>, input: { token: string; ip?: string }): Promise<{ resetId: string; resetToken: string }> {
  const redeemed = await redeemResetToken({ db: deps.db, hmacKey: deps.hmacKey, token: input.token, ip: input.ip, now: deps.now });
  if (redeemed.status !== 'redeemed') {
    const message = {
      invalid: 'This link is not valid. Open the newest email we sent about your request.',
      expired: 'This link has expired. Contact Support from the help center to get a new one.',
      used: 'This link was already used. If you did not finish, contact Support from the help center.',
    }[redeemed.status];
    throw new AppError({ code: 'conflict', userMessage: message });
  }
  // One factor per link, the strongest first; an approval with no recognised factor binds an authenticator.
  const lostFactor = LOST_FACTORS.find((f) => redeemed.lostFactors.includes(f)) ?? 'authenticator';
  const resetId = randomUUID();
  const key = newResetKey();
  await deps.db.recoveryReset.create({
    data: {
      id: resetId,
      browserKeyHash: key.hash,
      userId: redeemed.userId,
      lostFactor,
      // The approved ticket is what this reset stands on (its id fills the unique "started from" column).
      challengeId: redeemed.ticketId,
      proofs: ['approved_ticket'],
      expiresAt: new Date(deps.now.getTime() + RESET_TTL_SECONDS * 1000),
      createdAt: deps.now,
    },
  });
  return { resetId, resetToken: key.token };
}

/** How long an approval may be in flight before housekeeping takes it as stuck. */
export const STUCK_APPROVAL_MINUTES = 10;

/**
 * Housekeeping: runs the reset for every approved ticket whose cancel window has passed (security.md
 * rule 27), and again for every one that has had no link for STUCK_APPROVAL_MINUTES (the reset after
 * the approval failed, e.g. the database went away midway), in the name of the agent whose approval
 * made it final. Returns how many were completed; one that fails again is logged and left for the
 * next run.
 */
export async function retryUnappliedApprovals(deps: Omit<TicketResetDeps, 'schedule'>): Promise<number> {
  const stuck = await deps.db.recoveryTicket.findMany({
    where: {
      status: 'APPROVED',
      userId: { not: null },
      resetTokenHash: null,
      // Setting applyNotBefore touched updatedAt, so a window that started long ago passes this too;
      // an approval changed in the last minutes may still be running and is left alone.
      updatedAt: { lt: new Date(deps.now.getTime() - STUCK_APPROVAL_MINUTES * 60_000) },
      OR: [{ applyNotBefore: null }, { applyNotBefore: { lte: deps.now } }],
    },
    select: { id: true, approvedById: true, confirmedById: true },
    orderBy: { updatedAt: 'asc' },
    take: 50,
  });
  let applied = 0;
  for (const ticket of stuck) {
    const agentId = ticket.confirmedById ?? ticket.approvedById;
    if (!agentId) continue;
    try {
      const effect = await applyApprovedTicket(deps, { ticketId: ticket.id, agentId, retry: true });
      if (!effect.proceedsAt) applied++;
    } catch (error) {
      log.error('ticket_reset_retry_failed', { ticketId: ticket.id, error });
    }
  }
  return applied;
}
