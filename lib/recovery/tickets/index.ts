import { recordAudit } from '@/lib/audit';
import type { Db } from '@/lib/db/client';
import type { Prisma } from '@/lib/db/generated/client';
import { TicketType } from '@/lib/db/generated/enums';
import type { Delivery } from '@/lib/delivery/types';
import { isTimeZone, ticketReceivedEmail } from '@/lib/delivery/templates';
import { AppError, validationError } from '@/lib/errors';
import { log } from '@/lib/log';
import { CONTACT_CONFIRM_MINUTES, LOST_FACTORS, UNVERIFIED_TICKETS_PER_HOUR, type LostFactor } from '@/lib/recovery/policy';
import { identifierInput, maskEmail } from '@/lib/verification/identifiers';
import { SEND_LIMITS, TICKET_LIMITS } from '@/lib/limits/policy';
import { consumeCode } from '@/lib/verification/code-challenge';
import { attemptTicketCode, backgroundSchedule, destinationKey, issueTicketCode, limitAll, ticketSubject, type CodeRequest, type Schedule } from './challenges';
import { notifyTicketOwner } from './owner';
import { generateReference } from './reference';
import { assessTicketRisk } from './risk';

/**
 * Identity-document recovery tickets (docs/product.md C; docs/recovery-policy.md). A person who cannot give two proofs
 * (docs/security.md rule 10) opens a ticket; agents review it in the console; the person follows it on a
 * status page reached with the reference and a code sent to the contact address, answers the
 * agent's questions, may join a video call, and after approval gets a link (one browser, spent once used) to bind a new
 * factor. Status changes only through ./state.ts.
 */
export { TICKET_STATUSES, TICKET_TRANSITIONS, TransitionRefused, canTransition, isTerminal, transitionTicket, type TicketActor } from './state';
export { REFERENCE_ALPHABET, generateReference, parseReference } from './reference';
export { RISK_WINDOW_DAYS, assessTicketRisk, type RiskSignal, type RiskSignalKind } from './risk';
export { type CodeRequest, type Schedule } from './challenges';
export {
  REPLY_MAX_LENGTH,
  STATUS_EXPLANATIONS,
  getTicketStatusView,
  replyToTicket,
  requestMoreInfo,
  requestStatusCode,
  verifyStatusCode,
  type StatusCodeResult,
  type TicketStatusView,
} from './status';
export {
  RESET_TOKEN_TTL_HOURS,
  describeResetLink,
  issueResetToken,
  openResetLink,
  spendResetLink,
  type LinkRefusal,
  type LinkView,
  type OpenLinkResult,
} from './reset-token';
export { UNANSWERED_DAYS, expireStaleTickets } from './expiry';
export { CANCEL_LINK_TTL_DAYS, cancelTicketByOwner, issueCancelToken, notifyTicketOwner, type CancelResult } from './owner';
export {
  JOIN_EARLY_MINUTES,
  JoinRefused,
  MAX_APPOINTMENT_MINUTES,
  MAX_BOOKING_DAYS,
  appointmentTasks,
  buildMeetingUrl,
  cancelAppointmentByPerson,
  joinAppointment,
  requestJoinCode,
  scheduleAppointment,
  type JoinRefusalReason,
  type PersonCancelChoice,
} from './appointments';
export { APPOINTMENT_CANCELLED_TASK } from './cancel-calls';

/** How long a ticket may wait for a first decision; shown in the confirmation and the agents' queue. */
export const TICKET_SLA_HOURS = 48;

const TICKET_TYPES = Object.values(TicketType);

/**
 * Opens an identity-document ticket and emails a code to the contact address. Nothing else goes to
 * that address, and the ticket stays out of the queue, until the code comes back
 * (confirmTicketContact): the form would otherwise mail whatever address is typed (a relay, and a
 * way to flood the queue). Tickets opened without a verified recovery code also count against a
 * global hourly budget (UNVERIFIED_TICKETS_PER_HOUR).
 *
 * Enumeration (rule 13): the answer, the mail and the work done are the same whether or not an
 * account uses that address. Without one the ticket is stored with no user (and a
 * `no_matching_account` signal) and agents reject it; the person learns nothing on this page.
 *
 * `userId` is the account the caller already established (for example from a verified recovery
 * code); when null, the account is looked up by the contact address.
 */
export async function openDocumentTicket(options: {
  db: Db;
  delivery: Delivery;
  /** Keys the per-address send limit, so no address is stored in clear in the rate-limit table. */
  hmacKey: Buffer;
  userId: string | null;
  contactEmail: string;
  type: TicketType;
  lostFactors: readonly string[];
  /** The IANA time zone the person's browser reports; kept for video-call emails when valid. */
  timeZone?: string | undefined;
  ip: string;
  userAgent?: string | null | undefined;
  now: Date;
  schedule?: Schedule | undefined;
  newReference?: (() => string) | undefined;
  newCode?: (() => string) | undefined;
}): Promise<{ ticketId: string; reference: string; code: CodeRequest }> {
  const { db, now } = options;
  const email = identifierInput.safeParse(options.contactEmail);
  if (!email.success || email.data.kind !== 'email') throw validationError({ contactEmail: ['Enter the email address where we can reach you, like name@example.com.'] });
  const contactEmail = email.data.value;
  if (!TICKET_TYPES.includes(options.type)) throw validationError({ type: ['Choose what you need to recover.'] });
  const lostFactors = [...new Set(options.lostFactors)];
  if (lostFactors.length === 0 || lostFactors.some((f) => !LOST_FACTORS.includes(f as LostFactor))) {
    throw validationError({ lostFactors: ['Choose what you can no longer use.'] });
  }

  await limitAll(
    db,
    now,
    [
      [`ticket-open:ip:${options.ip}`, TICKET_LIMITS.openPerIp],
      [`send:email:${destinationKey(options.hmacKey, contactEmail)}`, SEND_LIMITS.emailPerDestination],
    ],
    'recovery requests',
  );

  const user = options.userId
    ? await db.user.findUnique({ where: { id: options.userId }, select: { id: true } })
    : await db.user.findUnique({ where: { email: contactEmail }, select: { id: true } });
  const risk = await assessTicketRisk(db, user?.id ?? null, now);
  const slaDueAt = new Date(now.getTime() + TICKET_SLA_HOURS * 3600 * 1000);

  let created: { id: string; reference: string } | undefined;
  // ~39 bits per reference: a collision is rare, but the unique index decides, not hope.
  for (let attempt = 0; attempt < 5 && !created; attempt++) {
    const reference = (options.newReference ?? generateReference)();
    try {
      created = await db.$transaction(async (tx) => {
        if (!options.userId) await spendUnverifiedBudget(tx, now);
        const ticket = await tx.recoveryTicket.create({
          data: {
            reference,
            userId: user?.id ?? null,
            type: options.type,
            status: 'SUBMITTED',
            contactEmail,
            timeZone: isTimeZone(options.timeZone) ? options.timeZone : null,
            lostFactors,
            riskLevel: risk.level,
            riskSignals: risk.signals as unknown as Prisma.InputJsonValue,
            slaDueAt,
            createdAt: now,
            contactUnconfirmedUntil: new Date(now.getTime() + CONTACT_CONFIRM_MINUTES * 60_000),
            openedUnverified: !options.userId,
          },
          select: { id: true, reference: true },
        });
        await recordAudit(tx, {
          actorType: user ? 'USER' : 'ANONYMOUS',
          actorId: user?.id ?? null,
          action: 'ticket.opened',
          subjectType: 'ticket',
          subjectId: ticket.id,
          ip: options.ip,
          userAgent: options.userAgent?.slice(0, 300),
          data: { type: options.type, lostFactors, riskLevel: risk.level, matchedAccount: Boolean(user) },
          occurredAt: now,
        });
        return ticket;
      });
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'P2002') throw error;
    }
  }
  if (!created) throw new Error('openDocumentTicket: could not find a free reference');

  const { id: ticketId, reference } = created;
  const code = await issueTicketCode({
    db,
    delivery: options.delivery,
    hmacKey: options.hmacKey,
    purpose: 'TICKET_CONTACT',
    subject: ticketSubject(ticketId),
    to: contactEmail,
    destinationMasked: maskEmail(contactEmail),
    ip: options.ip,
    userAgent: options.userAgent,
    now,
    schedule: options.schedule ?? backgroundSchedule,
    newCode: options.newCode,
  });
  return { ticketId, reference, code: { challengeId: code.challengeId, expiresAt: code.expiresAt, attemptsLeft: code.attemptsLeft } };
}

/**
 * The global budget of unverified tickets. Counted from the tickets themselves under a
 * transaction-scoped advisory lock, so concurrent opens cannot slip past it together, and with no
 * growing block: a spent budget refills as the hour moves on (rule 23, no open-ended lever).
 */
async function spendUnverifiedBudget(tx: Prisma.TransactionClient, now: Date) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('regain:unverified-ticket-budget'))`;
  const budget = await unverifiedTicketBudget(tx, now);
  if (budget.exhausted) {
    throw new AppError({
      code: 'rate_limited',
      userMessage: `We are receiving more identity-document requests than we can review right now. Nothing was sent and no request was opened. Please try again in ${budget.retryAfterMinutes} minutes.`,
      internalMessage: `unverified ticket budget spent: ${budget.used}/${budget.limit} in the last hour`,
      retryAfterSeconds: budget.retryAfterMinutes * 60,
    });
  }
}

/** How much of the hourly budget of unverified tickets is used (shown by /api/health). */
export async function unverifiedTicketBudget(db: Pick<Db, 'recoveryTicket'>, now: Date): Promise<{ used: number; limit: number; exhausted: boolean; retryAfterMinutes: number }> {
  const since = new Date(now.getTime() - 3_600_000);
  const where = { openedUnverified: true, createdAt: { gt: since, lte: now } };
  const used = await db.recoveryTicket.count({ where });
  const exhausted = used >= UNVERIFIED_TICKETS_PER_HOUR;
  let retryAfterMinutes = 0;
  if (exhausted) {
    // The budget refills when the oldest counted ticket leaves the hour.
    const oldest = await db.recoveryTicket.findFirst({ where, orderBy: { createdAt: 'asc' }, select: { createdAt: true } });
    retryAfterMinutes = Math.max(1, Math.ceil(((oldest?.createdAt.getTime() ?? now.getTime()) + 3_600_000 - now.getTime()) / 60_000));
  }
  return { used, limit: UNVERIFIED_TICKETS_PER_HOUR, exhausted, retryAfterMinutes };
}

export type ContactConfirmation =
  | { status: 'confirmed'; ticketId: string; reference: string }
  | { status: 'wrong'; attemptsLeft: number }
  | { status: 'expired' | 'used' | 'locked' };

/**
 * The code step after openDocumentTicket: a right code (the ticket-code machinery, its single use
 * and failure limits) marks the contact address confirmed, which puts the ticket in the queue.
 * Only then does the address get the "we received your request" mail, and the account's verified
 * contacts hear of the request with a cancel link (docs/security.md rule 27).
 */
export async function confirmTicketContact(options: {
  db: Db;
  delivery: Delivery;
  hmacKey: Buffer;
  appUrl: string;
  ticketId: string;
  challengeId: string;
  code: string;
  ip: string;
  userAgent?: string | null | undefined;
  now: Date;
  schedule?: Schedule | undefined;
}): Promise<ContactConfirmation> {
  const { db, now } = options;
  // The challenge must be this ticket's: another ticket's code is unknown here (docs/security.md rule 2).
  const attempt = await attemptTicketCode({ db, hmacKey: options.hmacKey, purpose: 'TICKET_CONTACT', challengeId: options.challengeId, code: options.code, ip: options.ip, now, ticketId: options.ticketId });
  if (attempt.status === 'mismatch') return { status: 'wrong', attemptsLeft: attempt.attemptsLeft };
  if (attempt.status !== 'match') return { status: attempt.status };
  if (!(await consumeCode(db, attempt.matched, now))) return { status: 'used' };

  const ticket = await db.$transaction(async (tx) => {
    const { count } = await tx.recoveryTicket.updateMany({
      where: { id: options.ticketId, status: 'SUBMITTED', contactUnconfirmedUntil: { gt: now } },
      data: { contactUnconfirmedUntil: null },
    });
    if (count !== 1) return undefined;
    const row = await tx.recoveryTicket.findUniqueOrThrow({ where: { id: options.ticketId }, select: { reference: true, contactEmail: true, userId: true } });
    await recordAudit(tx, {
      actorType: row.userId ? 'USER' : 'ANONYMOUS',
      actorId: row.userId,
      action: 'ticket.contact_confirmed',
      subjectType: 'ticket',
      subjectId: options.ticketId,
      ip: options.ip,
      userAgent: options.userAgent?.slice(0, 300),
      occurredAt: now,
    });
    return row;
  });
  if (!ticket) return { status: 'expired' };

  const { reference, contactEmail } = ticket;
  (options.schedule ?? backgroundSchedule)(async () => {
    const mail = ticketReceivedEmail({ reference, receivedAt: now, reviewWithinHours: TICKET_SLA_HOURS });
    await options.delivery
      .send({ channel: 'email', to: contactEmail, purpose: 'ticket-received', ...mail })
      .catch((error) => log.warn('ticket_confirmation_failed', { ticketId: options.ticketId, error: (error as Error).message }));
    await notifyTicketOwner({ db, delivery: options.delivery, hmacKey: options.hmacKey, appUrl: options.appUrl, ticketId: options.ticketId, event: 'opened', now });
  });
  return { status: 'confirmed', ticketId: options.ticketId, reference };
}

/**
 * "Send a new code" on the code step: the earlier code dies and its attempts carry over (rule 3,
 * in issueTicketCode); the per-destination send limit applies. Only for a ticket still waiting.
 */
export async function resendContactCode(options: {
  db: Db;
  delivery: Delivery;
  hmacKey: Buffer;
  ticketId: string;
  ip: string;
  userAgent?: string | null | undefined;
  now: Date;
  schedule?: Schedule | undefined;
}): Promise<CodeRequest> {
  const { db, now } = options;
  const ticket = await db.recoveryTicket.findFirst({
    where: { id: options.ticketId, status: 'SUBMITTED', contactUnconfirmedUntil: { gt: now } },
    select: { contactEmail: true },
  });
  if (!ticket) throw new AppError({ code: 'conflict', userMessage: 'This request has ended. Start a new one.' });
  await limitAll(db, now, [[`send:email:${destinationKey(options.hmacKey, ticket.contactEmail)}`, SEND_LIMITS.emailPerDestination]], 'codes');
  const code = await issueTicketCode({
    db,
    delivery: options.delivery,
    hmacKey: options.hmacKey,
    purpose: 'TICKET_CONTACT',
    subject: ticketSubject(options.ticketId),
    to: ticket.contactEmail,
    destinationMasked: maskEmail(ticket.contactEmail),
    ip: options.ip,
    userAgent: options.userAgent,
    now,
    schedule: options.schedule ?? backgroundSchedule,
  });
  return { challengeId: code.challengeId, expiresAt: code.expiresAt, attemptsLeft: code.attemptsLeft };
}
