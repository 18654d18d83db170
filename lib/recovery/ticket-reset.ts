import { randomUUID } from 'node:crypto';
import { removeAuthenticators } from '@/lib/authenticator';
import { recordAudit } from '@/lib/audit';
import type { Db } from '@/lib/db/client';
import type { Delivery } from '@/lib/delivery';
import { ticketApprovedEmail } from '@/lib/delivery/templates';
import { AppError } from '@/lib/errors';
import { startHold } from '@/lib/holds';
import { enqueueJob, type JobDb, type TaskList } from '@/lib/jobs';
import { log } from '@/lib/log';
import { notifySecurityChange } from '@/lib/notifications';
import { listPasskeys, revokeUnrecognisedPasskey } from '@/lib/passkeys';
import { enqueueWebhook } from '@/lib/webhooks';
import { endSessionsAndUntrustDevices } from '@/lib/sessions/devices';
import type { Tx } from '@/lib/db/transaction';
import { describeResetLink, issueResetToken, notifyTicketOwner, openResetLink, type LinkRefusal } from './tickets';
import { DEFAULT_CANCEL_WINDOW_HOURS, LOST_FACTORS, type LostFactor } from './policy';
import { newResetKey, RESET_TTL_SECONDS, suggestedNewEmail } from './resets';

/**
 * What an approved identity-document ticket does (docs/security.md rules 10-12 and 28): the lost
 * factors are removed, every session ends, the 24-hour hold starts, every verified channel and the
 * host are told, and the contact address gets a link to bind a new factor (one browser, spent once it is bound). The agent never sees or sets a secret; the person binds the new factor themselves and
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
  /** docs/security.md rule 27: hours an approval waits for the owner's cancel (config TICKET_CANCEL_WINDOW_HOURS). */
  cancelWindowHours?: number | undefined;
};

export type TicketResetEffect = {
  removed: string[];
  holdEndsAt: Date | null;
  /** Always null here: the link is issued by its own job (TICKET_LINK_TASK) after the reset commits. */
  linkExpiresAt: Date | null;
  /** Set while the approval waits out the cancel window: when it goes ahead unless cancelled. */
  proceedsAt: Date | null;
  /** The reset had already been applied by an earlier or overlapping run; this one changed nothing. */
  alreadyApplied?: boolean | undefined;
};

/**
 * docs/security.md rule 28 for approvals. The approval's own transaction enqueues TICKET_RESET_TASK
 * (one job per ticket). The reset is one transaction: lost factors removed, sessions ended, devices
 * untrusted, hold, webhooks, audit, notices queued, and TICKET_LINK_TASK enqueued. That job issues
 * the link and queues its mail in one transaction; the link is written only while the ticket has
 * none, so overlapping runs issue one link and one mail, and a failed mail is retried by the
 * message queue (lib/delivery) with the same link.
 */
export const TICKET_RESET_TASK = 'ticket-reset';
export const TICKET_LINK_TASK = 'ticket-reset-link';
const resetJobKey = (ticketId: string) => `ticket-reset:${ticketId}`;
const linkJobKey = (ticketId: string) => `ticket-reset-link:${ticketId}`;
/** Enough tries to outlast a database restart or a long outage (graphile-worker backs off exponentially). */
const JOB_ATTEMPTS = 25;

/**
 * Call in the approval's transaction: the reset cannot be forgotten once the approval committed.
 * The job key keeps one job per ticket however often this is called.
 */
export async function enqueueTicketReset(tx: JobDb, input: { ticketId: string; agentId: string; runAt?: Date | undefined }): Promise<void> {
  await enqueueJob(tx, TICKET_RESET_TASK, { ticketId: input.ticketId, agentId: input.agentId }, { jobKey: resetJobKey(input.ticketId), jobKeyMode: 'keep', runAt: input.runAt, maxAttempts: JOB_ATTEMPTS });
}

async function enqueueTicketLink(tx: JobDb, ticketId: string): Promise<void> {
  await enqueueJob(tx, TICKET_LINK_TASK, { ticketId }, { jobKey: linkJobKey(ticketId), jobKeyMode: 'keep', maxAttempts: JOB_ATTEMPTS });
}

/**
 * Call once the ticket is APPROVED (after four-eyes where required). The reset is one transaction
 * that ends by enqueueing the link's job, so an APPROVED ticket either has its reset and its link
 * job, or neither. Running this again (the job, the sweep, another instance) changes nothing more.
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

  // docs/security.md rule 27: an approval made on documents alone changes nothing until the account's
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
  return runTicketReset(deps, input, { userId, lostFactors: ticket.lostFactors });
}

/**
 * The reset itself, as one transaction (docs/security.md rule 28). The ticket row is locked first, so
 * of two overlapping runs (the request, the job, the sweep, on any instance) exactly one applies it;
 * the other finds it applied and changes nothing.
 */
async function runTicketReset(
  deps: TicketResetDeps,
  input: { ticketId: string; agentId: string; retry?: boolean },
  ticket: { userId: string; lostFactors: string[] },
): Promise<TicketResetEffect> {
  const userId = ticket.userId;
  const owner = { userId };
  return deps.db.$transaction(
    async (tx) => {
      const [locked] = await tx.$queryRaw<{ status: string; resetAppliedAt: Date | null; linkIssued: boolean }[]>`
        SELECT "status"::text AS "status", "resetAppliedAt", "resetTokenHash" IS NOT NULL AS "linkIssued" FROM "RecoveryTicket" WHERE "id" = ${input.ticketId}::uuid FOR UPDATE`;
      if (locked?.status !== 'APPROVED') {
        throw new AppError({ code: 'conflict', userMessage: 'This request is no longer approved.', internalMessage: `runTicketReset: ticket ${input.ticketId} is ${locked?.status ?? 'gone'}` });
      }
      if (locked.resetAppliedAt) {
        // Applied already; only its link may be missing (a ticket from before the link job existed).
        if (!locked.linkIssued) await enqueueTicketLink(tx, input.ticketId);
        return { removed: [], holdEndsAt: null, linkExpiresAt: null, proceedsAt: null, alreadyApplied: true };
      }
      const removed: string[] = [];
      if (ticket.lostFactors.includes('authenticator') && (await removeAuthenticators({ db: tx, owner })) > 0) removed.push('authenticator');
      if (ticket.lostFactors.includes('passkey')) {
        const passkeys = await listPasskeys({ db: tx, owner });
        for (const passkey of passkeys) await revokeUnrecognisedPasskey({ db: tx, owner, passkeyId: passkey.id, now: deps.now });
        if (passkeys.length > 0) removed.push('passkey');
      }
      // Rule 22: a recovery leaves no device trusted, so none can approve the next request.
      await endSessionsAndUntrustDevices(tx, userId, deps.now);
      const hold = await startHold({ db: tx, userId, reason: 'RECOVERY_COMPLETED', now: deps.now });
      for (const factor of removed) {
        await enqueueWebhook(tx, { event: 'factor.changed', payload: { accountId: userId, factor, change: 'removed' }, now: deps.now });
      }
      await recordAudit(tx, {
        actorType: 'AGENT',
        actorId: input.agentId,
        action: 'recovery.ticket_reset_applied',
        subjectType: 'ticket',
        subjectId: input.ticketId,
        data: { removed: removed.join(',') || 'none', userId, ...(input.retry ? { retried: 'true' } : {}) },
        occurredAt: deps.now,
      });
      await tx.recoveryTicket.update({ where: { id: input.ticketId }, data: { resetAppliedAt: deps.now }, select: { id: true } });
      for (const factor of removed) {
        await notifySecurityChange({
          db: tx,
          delivery: deps.delivery,
          userId,
          change: factor === 'passkey' ? 'passkey_removed' : 'authenticator_removed',
          now: deps.now,
          context: { holdEndsAt: hold.endsAt },
        });
      }
      await enqueueTicketLink(tx, input.ticketId);
      return { removed, holdEndsAt: hold.endsAt, linkExpiresAt: null, proceedsAt: null };
    },
    { maxWait: 10_000, timeout: 15_000 },
  );
}

export type ApprovalLinkResult = { outcome: 'queued'; messageId: string; expiresAt: Date } | { outcome: 'already_issued' | 'not_due' };

/**
 * Issues the link and queues its mail, in one transaction (TICKET_LINK_TASK runs this;
 * so may the sweep). The link is written only while the ticket has none (issueResetToken with
 * onlyIfNone), under the ticket's row lock, so overlapping runs issue one link and queue one mail.
 * The mail is queued in this transaction (lib/delivery), so the link exists exactly when its mail
 * does; delivery retries come from the message queue with the same link.
 */
export async function issueApprovalLink(deps: Pick<TicketResetDeps, 'db' | 'delivery' | 'hmacKey' | 'appUrl' | 'now'>, input: { ticketId: string }): Promise<ApprovalLinkResult> {
  return deps.db.$transaction(
    async (tx) => {
      const [ticket] = await tx.$queryRaw<{ status: string; resetAppliedAt: Date | null; reference: string; contactEmail: string; lostFactors: string[] }[]>`
        SELECT "status"::text AS "status", "resetAppliedAt", "reference", "contactEmail", "lostFactors" FROM "RecoveryTicket" WHERE "id" = ${input.ticketId}::uuid FOR UPDATE`;
      if (ticket?.status !== 'APPROVED' || !ticket.resetAppliedAt) return { outcome: 'not_due' as const };
      const issued = await issueResetToken({ tx, hmacKey: deps.hmacKey, ticketId: input.ticketId, now: deps.now, onlyIfNone: true });
      if (!issued) return { outcome: 'already_issued' as const };
      // The token rides in the fragment: browsers never send it to a server, so it stays out of access
      // logs and Referer headers; the page reads it in the browser and posts it on "Continue".
      const resetUrl = `${deps.appUrl}/recover/complete#${issued.token}`;
      const mail = ticketApprovedEmail({ reference: ticket.reference, resetUrl, expiresAt: issued.expiresAt, setUp: factorOf(ticket.lostFactors) });
      const sent = await deps.delivery.send({ channel: 'email', to: ticket.contactEmail, purpose: 'ticket-approved', sensitive: [issued.token], ...mail }, { db: tx });
      await tx.recoveryTicket.update({ where: { id: input.ticketId }, data: { resetLinkMessageId: sent.messageId }, select: { id: true } });
      return { outcome: 'queued' as const, messageId: sent.messageId, expiresAt: issued.expiresAt };
    },
    { maxWait: 10_000, timeout: 15_000 },
  );
}

export type ApprovalLinkState =
  /** Waiting out the owner's cancel window, or the reset has not run yet. */
  | { state: 'pending' }
  /** Issued; the mail is queued and not yet handed to the provider. */
  | { state: 'queued' }
  | { state: 'sent' }
  /** The provider refused or failed; the message queue tries again. */
  | { state: 'retrying' }
  /** Given up after the last try (or the address was refused): Support has to act. */
  | { state: 'failed' }
  /** A link from before its mail was tracked. */
  | { state: 'unknown' };

/** What the console shows about the approval link: from the ticket and its queued message, never a guess. */
export async function getApprovalLinkState(db: Db, ticketId: string): Promise<ApprovalLinkState> {
  const ticket = await db.recoveryTicket.findUnique({ where: { id: ticketId }, select: { resetTokenHash: true, resetLinkMessageId: true } });
  if (!ticket?.resetTokenHash) return { state: 'pending' };
  if (!ticket.resetLinkMessageId) return { state: 'unknown' };
  const message = await db.outboundMessage.findUnique({ where: { id: ticket.resetLinkMessageId }, select: { status: true, error: true } });
  if (!message) return { state: 'unknown' };
  if (message.status === 'FAILED') return { state: 'failed' };
  if (message.status === 'QUEUED') return message.error ? { state: 'retrying' } : { state: 'queued' };
  return { state: 'sent' };
}

export type TicketResetTaskDeps = Omit<TicketResetDeps, 'now' | 'schedule'> & { now?: (() => Date) | undefined };

/** The job handlers of this use case, for lib/worker (and tests, with runDueJobs). */
export function ticketResetTasks(deps: TicketResetTaskDeps): TaskList {
  const now = deps.now ?? (() => new Date());
  return {
    [TICKET_RESET_TASK]: async (payload) => {
      const { ticketId, agentId } = payload as { ticketId: string; agentId: string };
      const at = now();
      const ticket = await deps.db.recoveryTicket.findUnique({ where: { id: ticketId }, select: { status: true, userId: true } });
      // Cancelled by the owner, rejected or expired meanwhile: nothing to do.
      if (ticket?.status !== 'APPROVED' || !ticket.userId) return;
      const effect = await applyApprovedTicket({ ...deps, now: at }, { ticketId, agentId });
      if (effect.proceedsAt && effect.proceedsAt > at) {
        // The cancel window started with this run (or was still running): come back when it ends.
        // 'replace' from inside the running job adds a new one (graphile-worker clears the key of a
        // locked job first).
        await enqueueJob(deps.db, TICKET_RESET_TASK, { ticketId, agentId }, { jobKey: resetJobKey(ticketId), runAt: effect.proceedsAt, maxAttempts: JOB_ATTEMPTS });
      }
    },
    [TICKET_LINK_TASK]: async (payload) => {
      const { ticketId } = payload as { ticketId: string };
      await issueApprovalLink({ ...deps, now: now() }, { ticketId });
    },
  };
}

const LINK_REFUSED: Record<LinkRefusal, string> = {
  invalid: 'This link is not valid. Open the newest email we sent about your request.',
  expired: 'This link has expired. Contact Support from the help center to get a new one.',
  used: 'This link was already used to set up your new sign-in method. Sign in with it; if that was not you, contact Support from the help center.',
  other_browser:
    'This link is already in use in another browser. Open it in the browser where you first pressed Continue. If that wasn’t you, contact Support from the help center.',
};

/** The one factor a link binds: the strongest lost one first; an approval with no recognised factor binds an authenticator. */
function factorOf(lostFactors: readonly string[]): LostFactor {
  return LOST_FACTORS.find((f) => lostFactors.includes(f)) ?? 'authenticator';
}

export type TicketCompletionView =
  | {
      state: 'ready' | 'resumable';
      /** What will be set up. */
      lostFactor: LostFactor;
      /** A lost email address: the address the person gave on the ticket (and read this link at), offered as the new one. */
      suggestedEmail: string | undefined;
      expiresAt: Date;
    }
  | { state: 'refused'; reason: LinkRefusal; message: string };

/**
 * What the completion page shows before "Continue", changing nothing: what the link will set up,
 * or why it cannot be used in this browser.
 */
export async function describeTicketCompletion(
  deps: Pick<TicketResetDeps, 'db' | 'hmacKey' | 'now'>,
  input: { token: string; browserKey?: string | undefined },
): Promise<TicketCompletionView> {
  const link = await describeResetLink({ db: deps.db, hmacKey: deps.hmacKey, token: input.token, browserKey: input.browserKey, now: deps.now });
  if (link.status !== 'ready' && link.status !== 'resumable') return { state: 'refused', reason: link.status, message: LINK_REFUSED[link.status] };
  const lostFactor = factorOf(link.lostFactors);
  return { state: link.status, lostFactor, suggestedEmail: await suggestedEmail(deps.db, lostFactor, link), expiresAt: link.expiresAt };
}

/**
 * The address typed on the ticket is where this link was mailed, so it reaches the person; when the
 * email is what was lost it is the natural new one (still proved by a code before it replaces the
 * old one). Never the account's current address.
 */
async function suggestedEmail(db: Db | Tx, lostFactor: LostFactor, ticket: { userId: string; contactEmail: string }) {
  return lostFactor === 'email' ? suggestedNewEmail(db, ticket) : undefined;
}

/**
 * "Continue" on the emailed link: binds the link to this browser (first time) or picks it up again
 * (same browser), and starts or resumes the binding step of a reset backed by the approved ticket.
 * The link stays usable in this browser until the new factor is bound: the binding completes the
 * ticket and spends the link in its own transaction (lib/recovery/resets). Another browser is
 * refused, and the refusal is audited.
 */
export async function beginTicketCompletion(
  deps: Pick<TicketResetDeps, 'db' | 'hmacKey' | 'now'>,
  input: { token: string; browserKey?: string | undefined; ip?: string | undefined },
): Promise<{ resetToken: string; browserKey: string; linkExpiresAt: Date; resumed: boolean }> {
  // One transaction (docs/security.md rule 28): the link is bound only together with the reset it
  // opens, so a failure between them cannot leave a bound link and no way to bind the new factor.
  type Outcome = { refused: LinkRefusal } | { resetToken: string; browserKey: string; linkExpiresAt: Date; resumed: boolean };
  const outcome = await deps.db.$transaction(async (tx): Promise<Outcome> => {
    const link = await openResetLink({ db: tx, hmacKey: deps.hmacKey, token: input.token, browserKey: input.browserKey, ip: input.ip, now: deps.now });
    if (link.status !== 'opened' && link.status !== 'resumed') return { refused: link.status };
    const key = newResetKey();
    const resumed = link.status === 'resumed';
    // The reset lives its usual 30 minutes from each (re)start, never beyond the link's own expiry.
    const expiresAt = new Date(Math.min(deps.now.getTime() + RESET_TTL_SECONDS * 1000, link.expiresAt.getTime()));
    // One reset per ticket (its id fills the unique "started from" column). Picking the link up again
    // hands this browser a new reset key (only the newest cookie drives it) and keeps a new address
    // or number already typed; a link opened afresh (a re-issued link) starts the binding over.
    const [reset] = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO "RecoveryReset" ("id", "userId", "lostFactor", "challengeId", "proofs", "browserKeyHash", "expiresAt", "createdAt")
      VALUES (${randomUUID()}::uuid, ${link.userId}::uuid, ${factorOf(link.lostFactors)}, ${link.ticketId}::uuid, ARRAY['approved_ticket']::text[],
              ${key.hash}, ${expiresAt}, ${deps.now})
      ON CONFLICT ("challengeId") DO UPDATE SET "browserKeyHash" = EXCLUDED."browserKeyHash", "expiresAt" = EXCLUDED."expiresAt",
        "newContact" = CASE WHEN ${resumed} THEN "RecoveryReset"."newContact" END,
        "contactChallengeId" = CASE WHEN ${resumed} THEN "RecoveryReset"."contactChallengeId" END
        WHERE "RecoveryReset"."completedAt" IS NULL
      RETURNING "id"`;
    if (!reset) return { refused: 'used' };
    return { resetToken: key.token, browserKey: link.browserKey, linkExpiresAt: link.expiresAt, resumed };
  }, { maxWait: 10_000, timeout: 15_000 });
  if ('refused' in outcome) {
    throw new AppError({ code: 'conflict', userMessage: LINK_REFUSED[outcome.refused], internalMessage: `beginTicketCompletion: link refused (${outcome.refused})` });
  }
  return outcome;
}

/** How long an approval may be in flight before housekeeping takes it as stuck. */
export const STUCK_APPROVAL_MINUTES = 10;

/**
 * Housekeeping (cron-callable; safe to run on several instances at once): runs the reset for every
 * approved ticket whose cancel window has passed (docs/security.md rule 27) and that has had no link for
 * STUCK_APPROVAL_MINUTES, then issues its link, in the name of the agent whose approval made it
 * final. Approvals made since the reset job exists are carried by TICKET_RESET_TASK; this catches
 * approvals from before it (no job was ever enqueued for them) and any whose job became a dead
 * letter. The row lock and the link written only when none exists make overlapping runs and the
 * jobs give one reset, one link and one mail. Returns how many were completed; one that fails again
 * is logged and left for the next run.
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
      if (effect.proceedsAt) continue;
      const link = await issueApprovalLink(deps, { ticketId: ticket.id });
      if (!effect.alreadyApplied || link.outcome === 'queued') applied++;
    } catch (error) {
      log.error('ticket_reset_retry_failed', { ticketId: ticket.id, error });
    }
  }
  return applied;
}
