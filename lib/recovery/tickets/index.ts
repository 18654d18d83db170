import { recordAudit } from '@/lib/audit';
import type { Db } from '@/lib/db/client';
import type { Prisma } from '@/lib/db/generated/client';
import { TicketType } from '@/lib/db/generated/enums';
import type { Delivery } from '@/lib/delivery/types';
import { ticketReceivedEmail } from '@/lib/delivery/templates';
import { validationError } from '@/lib/errors';
import { log } from '@/lib/log';
import { LOST_FACTORS, type LostFactor } from '@/lib/recovery/policy';
import { identifierInput } from '@/lib/verification/identifiers';
import { SEND_LIMITS } from '@/lib/verification/policy';
import { backgroundSchedule, destinationKey, limitAll, type Schedule } from './challenges';
import { generateReference } from './reference';
import { assessTicketRisk } from './risk';

/**
 * Identity-document recovery tickets (issue 6; product.md C). A person who cannot give two proofs
 * (security.md rule 10) opens a ticket; agents review it (issue 7); the person follows it on a
 * status page reached with the reference and a code sent to the contact address, answers the
 * agent's questions, may join a video call, and after approval gets a single-use link to bind a new
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
export { RESET_TOKEN_TTL_HOURS, issueResetToken, redeemResetToken, type RedeemResult } from './reset-token';
export { UNANSWERED_DAYS, expireStaleTickets } from './expiry';
export { JOIN_EARLY_MINUTES, JoinRefused, buildMeetingUrl, joinAppointment, requestJoinCode, scheduleAppointment, type JoinRefusalReason } from './appointments';

/** How long a ticket may wait for a first decision; shown in the confirmation and the agents' queue. */
export const TICKET_SLA_HOURS = 48;

/** Opening tickets sends mail to the typed address: the send limits of rule 4 apply. */
const OPEN_LIMITS = { perIp: { limit: 10, windowSeconds: 3600 } } as const;

const TICKET_TYPES = Object.values(TicketType);

/**
 * Opens an identity-document ticket and emails its reference to the contact address.
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
  ip: string;
  userAgent?: string | null | undefined;
  now: Date;
  schedule?: Schedule | undefined;
  newReference?: (() => string) | undefined;
}): Promise<{ ticketId: string; reference: string }> {
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
      [`ticket-open:ip:${options.ip}`, OPEN_LIMITS.perIp],
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
        const ticket = await tx.recoveryTicket.create({
          data: {
            reference,
            userId: user?.id ?? null,
            type: options.type,
            status: 'SUBMITTED',
            contactEmail,
            lostFactors,
            riskLevel: risk.level,
            riskSignals: risk.signals as unknown as Prisma.InputJsonValue,
            slaDueAt,
            createdAt: now,
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
  (options.schedule ?? backgroundSchedule)(async () => {
    const mail = ticketReceivedEmail({ reference, receivedAt: now, reviewWithinHours: TICKET_SLA_HOURS });
    await options.delivery
      .send({ channel: 'email', to: contactEmail, purpose: 'ticket-received', ...mail })
      .catch((error) => log.warn('ticket_confirmation_failed', { ticketId, error: (error as Error).message }));
  });
  return { ticketId, reference };
}
