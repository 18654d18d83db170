import { recordAudit } from '@/lib/audit';
import type { Prisma } from '@/lib/db/generated/client';
import type { RiskLevel, TicketStatus } from '@/lib/db/generated/enums';
import type { Delivery } from '@/lib/delivery/types';
import { ticketRejectedEmail } from '@/lib/delivery/templates';
import { AppError, validationError } from '@/lib/errors';
import { log } from '@/lib/log';
import { applyApprovedTicket, enqueueTicketReset } from '@/lib/recovery/ticket-reset';
import { assessTicketRisk, type RiskSignal, type Schedule, transitionTicket } from '@/lib/recovery/tickets';
import { backgroundSchedule } from '@/lib/recovery/tickets/challenges';
import { cleanMessage } from '@/lib/recovery/tickets/status';
import { type ActingAgent, isOpen, mayAccess, refusalFor, ticketNotFound, type TicketAccessFacts } from '@/lib/access';
import { authorizeTicket, refuseConflictedDecision } from './access';
import { auditFor, type ConsoleRequest, TX } from './work';

/**
 * Deciding a ticket (docs/recovery-policy.md; docs/security.md rule 12: "high-risk approvals need a second person").
 *
 * - Low risk: one approval moves the ticket IN_REVIEW → APPROVED and runs the reset
 *   (applyApprovedTicket: lost factors removed, sessions ended, hold started, the single-use link
 *   emailed).
 * - High risk: the first approval only records who gave it (approvedById) and the ticket waits.
 *   A different person (another agent, or a supervisor) confirms: APPROVED + confirmedById, then the
 *   reset runs. The person who gave the first approval can never confirm it, whatever their role.
 *
 * The risk is taken again at approval time and the higher of the two counts: an account whose
 * contact changed since the ticket was opened needs two people even if it looked harmless then.
 *
 * Each decision locks the ticket row (SELECT … FOR UPDATE) and re-checks everything on the locked
 * row, so two people deciding at once are served one after the other: of two concurrent
 * confirmations exactly one approves and exactly one reset runs. The approval's transaction enqueues
 * the reset's job (lib/recovery/ticket-reset); the request then runs the reset at once too (one
 * transaction of its own), and whichever comes second finds it applied. The link is issued and
 * mailed by its own job after the reset commits: the console says "queued", not "emailed".
 */

export type DecisionDeps = {
  delivery: Delivery;
  hmacKey: Buffer;
  /** Public base URL for the emailed link (config APP_URL). */
  appUrl: string;
  /** Background work (mail); Next's after() in routes, a collector in tests. */
  schedule?: Schedule | undefined;
  /** docs/security.md rule 27: the owner's cancel window (config TICKET_CANCEL_WINDOW_HOURS). */
  cancelWindowHours?: number | undefined;
};

export type ApprovalOutcome =
  | { outcome: 'waiting_for_second_approver' }
  // proceedsAt: the approval waits out the owner's cancel window (docs/security.md rule 27) until then;
  // holdEndsAt and linkExpiresAt are null until it has gone ahead.
  // alreadyApplied: an overlapping run (the reset's job) applied it first. The link is queued by its
  // own job after the reset: getApprovalLinkState says whether its mail was sent.
  | { outcome: 'approved'; removed: string[]; holdEndsAt: Date | null; linkExpiresAt: Date | null; proceedsAt: Date | null; alreadyApplied?: boolean | undefined };

type Locked = TicketAccessFacts & { id: string; userId: string | null; riskLevel: RiskLevel; riskSignals: unknown };

async function lockTicket(tx: Prisma.TransactionClient, ticketId: string): Promise<Locked | undefined> {
  const [row] = await tx.$queryRaw<Locked[]>`
    SELECT "id", "userId", "status", "riskLevel", "riskSignals", "assigneeId", "approvedById", "confirmedById"
    FROM "RecoveryTicket" WHERE "id" = ${ticketId}::uuid FOR UPDATE`;
  return row;
}

/** The same rule as authorizeTicket, applied again to the locked row (an assignment may have moved meanwhile). */
function recheck(agent: ActingAgent, ticket: Locked | undefined, need: 'work' | 'confirm'): Locked {
  if (!ticket || !mayAccess(agent, ticket, 'view')) throw ticketNotFound();
  if (!mayAccess(agent, ticket, need)) throw refusalFor(agent, ticket, need);
  return ticket;
}

const conflict = (userMessage: string) => new AppError({ code: 'conflict', userMessage });

/**
 * Approves, or records the first of two approvals. `note` (optional) is kept as the decision reason.
 */
export async function approveTicket(options: ConsoleRequest & DecisionDeps & { note?: string | undefined }): Promise<ApprovalOutcome> {
  const { db, now } = options;
  const { agent, ticket } = await authorizeTicket({ ...options, need: 'work' });
  await refuseConflictedDecision({ ...options, agent, ticketId: ticket.id });
  if (!ticket.userId) throw conflict('This request does not match an account, so there is nothing to reset. Reject it instead.');
  if (ticket.status !== 'IN_REVIEW') throw conflict(ticket.status === 'APPROVED' ? 'This request is already approved.' : 'Only a request that is in review can be approved.');
  const note = options.note?.trim() ? cleanMessage(options.note, 'note') : undefined;
  const riskNow = await assessTicketRisk(db, ticket.userId, now);
  const audit = auditFor(options, agent.id);

  const decided = await db.$transaction(async (tx) => {
    const locked = recheck(agent, await lockTicket(tx, ticket.id), 'work');
    if (locked.status !== 'IN_REVIEW') throw conflict('This request changed while you were working on it. Reload it to see where it is now.');

    let riskLevel = locked.riskLevel;
    if (riskLevel === 'LOW' && riskNow.level === 'HIGH') {
      // Raised, never lowered: what made a ticket high risk when it was opened still counts.
      riskLevel = 'HIGH';
      const signals = [...signalsOf(locked.riskSignals), ...riskNow.signals];
      await tx.recoveryTicket.update({ where: { id: locked.id }, data: { riskLevel, riskSignals: signals as unknown as Prisma.InputJsonValue }, select: { id: true } });
      await audit(tx, 'ticket.risk_raised', { from: 'LOW', to: 'HIGH', signals: riskNow.signals.map((s) => s.signal) });
    }

    if (riskLevel === 'HIGH') {
      if (locked.approvedById === agent.id) throw conflict('You already approved this request. It is waiting for a second approver.');
      if (locked.approvedById !== null) throw conflict('Someone else already gave the first approval. Confirm it instead, if you agree.');
      await tx.recoveryTicket.update({ where: { id: locked.id }, data: { approvedById: agent.id, ...(note ? { decisionReason: note } : {}) }, select: { id: true } });
      await tx.ticketMessage.create({
        data: { ticketId: locked.id, kind: 'INTERNAL_NOTE', agentId: agent.id, body: `First approval given${note ? `: ${note}` : ''}. High risk: a different agent or a supervisor has to confirm it.`, createdAt: now },
        select: { id: true },
      });
      await audit(tx, 'ticket.approval_recorded', { riskLevel, fourEyes: true, step: 1 });
      return 'waiting' as const;
    }

    await transitionTicket(tx, { ticketId: locked.id, from: 'IN_REVIEW', to: 'APPROVED', actor: { kind: 'agent', agentId: agent.id }, reason: note, now, ip: options.ip });
    await audit(tx, 'ticket.approved', { riskLevel, fourEyes: false });
    // docs/security.md rule 28: the reset's job commits with the approval, so it cannot be lost.
    await enqueueTicketReset(tx, { ticketId: locked.id, agentId: agent.id });
    return 'approved' as const;
  }, TX);

  if (decided === 'waiting') return { outcome: 'waiting_for_second_approver' };
  return runReset(options, agent.id);
}

/**
 * The second approval of a high-risk ticket, by anyone but the first approver. Two people
 * confirming at the same moment: the row lock serves them in turn, the second finds the ticket
 * already approved and is refused, and the reset runs once.
 */
export async function confirmApproval(options: ConsoleRequest & DecisionDeps): Promise<ApprovalOutcome & { outcome: 'approved' }> {
  const { db, now } = options;
  const { agent, ticket } = await authorizeTicket({ ...options, need: 'confirm' });
  await refuseConflictedDecision({ ...options, agent, ticketId: ticket.id });
  const audit = auditFor(options, agent.id);

  await db.$transaction(async (tx) => {
    const locked = await lockTicket(tx, ticket.id);
    if (locked && locked.status === 'APPROVED') throw conflict('This request was just approved by someone else.');
    const ready = recheck(agent, locked, 'confirm');
    const firstApprover = ready.approvedById!;
    // transitionTicket records the acting agent as approver; the first approver is put back and the
    // second recorded as confirmer, in the same transaction.
    await transitionTicket(tx, { ticketId: ready.id, from: 'IN_REVIEW', to: 'APPROVED', actor: { kind: 'agent', agentId: agent.id }, now, ip: options.ip });
    await tx.recoveryTicket.update({ where: { id: ready.id }, data: { approvedById: firstApprover, confirmedById: agent.id }, select: { id: true } });
    await audit(tx, 'ticket.approval_confirmed', { approvedById: firstApprover, fourEyes: true, step: 2 });
    // docs/security.md rule 28: the reset's job commits with the approval, so it cannot be lost.
    await enqueueTicketReset(tx, { ticketId: ready.id, agentId: agent.id });
  }, TX);

  return runReset(options, agent.id);
}

async function runReset(options: ConsoleRequest & DecisionDeps, agentId: string): Promise<ApprovalOutcome & { outcome: 'approved' }> {
  try {
    const effect = await applyApprovedTicket(
      { db: options.db, delivery: options.delivery, hmacKey: options.hmacKey, appUrl: options.appUrl, now: options.now, cancelWindowHours: options.cancelWindowHours, ...(options.schedule ? { schedule: options.schedule } : {}) },
      { ticketId: options.ticketId, agentId },
    );
    return { outcome: 'approved', ...effect };
  } catch (error) {
    // The approval stands (it was committed), and so does the reset's job enqueued with it: the
    // queue runs the reset again with back-off (and housekeeping's retryUnappliedApprovals after that).
    log.error('ticket_reset_after_approval_failed', { ticketId: options.ticketId, error });
    await recordAudit(options.db, {
      actorType: 'SYSTEM',
      action: 'recovery.ticket_reset_failed',
      subjectType: 'ticket',
      subjectId: options.ticketId,
      data: { approvedBy: agentId },
      occurredAt: options.now,
    }).catch(() => undefined);
    throw new AppError({
      code: 'internal',
      userMessage: 'The request is approved, but the reset did not finish. It runs again automatically in a few minutes, and the person gets their link then.',
      cause: error,
    });
  }
}

// ── Rejecting ────────────────────────────────────────────────────────────────

/**
 * Why a request was not approved. The person's mail carries the fixed explanation for the chosen
 * reason, never the agent's own words (see ticketRejectedEmail): the note stays internal.
 */
export const REJECTION_REASONS = {
  documents_unreadable: {
    label: 'Documents unreadable or incomplete',
    explanation: "The photos of your identity document weren't clear or complete enough for us to check them.",
  },
  documents_mismatch: {
    label: "Documents don't match the account",
    explanation: "The identity document didn't match the details we hold for the account.",
  },
  identity_not_confirmed: {
    label: 'Identity not confirmed',
    explanation: "We couldn't confirm that you are the account holder from what we received.",
  },
  no_matching_account: {
    label: 'No matching account',
    explanation: "We couldn't match this request to an account from the details you gave.",
  },
  suspected_fraud: {
    label: 'Suspected takeover attempt',
    explanation: "We couldn't confirm that you are the account holder from what we received.",
  },
  no_response: {
    label: 'No answer to our questions',
    explanation: "We didn't receive the information we asked for.",
  },
} as const satisfies Record<string, { label: string; explanation: string }>;

export type RejectionReason = keyof typeof REJECTION_REASONS;

/**
 * Rejects with a reason (required: one of REJECTION_REASONS plus a note for the file). Nothing on
 * the account changes; the person is emailed the decision. A first approval waiting for its second
 * approver is withdrawn with it.
 */
export async function rejectTicket(
  options: ConsoleRequest & { delivery: Delivery; reason: string; note: string; schedule?: Schedule | undefined },
): Promise<{ status: 'REJECTED' }> {
  const { db, now } = options;
  const reason = options.reason as RejectionReason;
  if (!Object.hasOwn(REJECTION_REASONS, reason)) throw validationError({ reason: ['Choose why the request is not approved.'] });
  const note = options.note?.trim() ? cleanMessage(options.note, 'note') : undefined;
  if (!note) throw validationError({ note: ['Write a short note for the file: what you checked and why it is not approved.'] });
  const { agent, ticket } = await authorizeTicket({ ...options, need: 'work' });
  await refuseConflictedDecision({ ...options, agent, ticketId: ticket.id });
  const audit = auditFor(options, agent.id);

  const rejected = await db.$transaction(async (tx) => {
    const locked = recheck(agent, await lockTicket(tx, ticket.id), 'work');
    if (!isOpen(locked.status)) throw conflict('Only an open request can be rejected.');
    await transitionTicket(tx, {
      ticketId: locked.id,
      from: locked.status,
      to: 'REJECTED',
      actor: { kind: 'agent', agentId: agent.id },
      reason: `${REJECTION_REASONS[reason].label}: ${note}`,
      now,
      ip: options.ip,
    });
    if (locked.approvedById) await tx.recoveryTicket.update({ where: { id: locked.id }, data: { approvedById: null }, select: { id: true } });
    await audit(tx, 'ticket.rejected', { reason, ...(locked.approvedById ? { withdrawnApprovalBy: locked.approvedById } : {}) });
    return tx.recoveryTicket.findUniqueOrThrow({ where: { id: locked.id }, select: { reference: true, contactEmail: true } });
  }, TX);

  (options.schedule ?? backgroundSchedule)(async () => {
    const mail = ticketRejectedEmail({ reference: rejected.reference, explanation: REJECTION_REASONS[reason].explanation });
    await options.delivery
      .send({ channel: 'email', to: rejected.contactEmail, purpose: 'ticket-rejected', ...mail })
      .catch((error) => log.warn('ticket_rejection_mail_failed', { ticketId: ticket.id, error: (error as Error).message }));
  });
  return { status: 'REJECTED' };
}

function signalsOf(value: unknown): RiskSignal[] {
  return Array.isArray(value) ? (value.filter((s) => s && typeof s === 'object' && typeof (s as RiskSignal).signal === 'string') as RiskSignal[]) : [];
}
