import { recordAudit } from '@/lib/audit';
import { constantTimeEqual, keyedHash } from '@/lib/crypto';
import type { Db } from '@/lib/db/client';
import type { DocumentKind, TicketStatus } from '@/lib/db/generated/enums';
import type { Delivery } from '@/lib/delivery/types';
import { ticketInfoRequestEmail } from '@/lib/delivery/templates';
import { AppError, validationError } from '@/lib/errors';
import { log } from '@/lib/log';
import { normalizeCode } from '@/lib/verification/codes';
import { identifierInput, maskEmail } from '@/lib/verification/identifiers';
import { SEND_LIMITS, TICKET_LIMITS } from '@/lib/limits/policy';
import { isOpen } from '@/lib/access';
import { isUuid } from '@/lib/db/ids';
import { consumeCode } from '@/lib/verification/code-challenge';
import {
  attemptTicketCode,
  backgroundSchedule,
  type CodeRequest,
  decoySubject,
  destinationKey,
  issueTicketCode,
  limitAll,
  type Schedule,
  ticketSubject,
} from './challenges';
import { parseReference } from './reference';
import { transitionTicket } from './state';

/**
 * The person's side of a ticket: the status page behind reference + email code, the agent's
 * questions and the person's answers.
 */

// ── Getting to the status page ───────────────────────────────────────────────

/**
 * "Check a recovery request": a code goes to the ticket's contact address only when the reference
 * and the email typed belong together. Otherwise a decoy challenge answers the same (rule 13), so
 * the form cannot be used to learn which references exist or whose they are. Limits per
 * reference, per address and per IP apply before anything is looked up (rule 4). The
 * per-reference budget is kept per client, so strangers who know a reference spend their own
 * budget, never the owner's (rule 23).
 */
export async function requestStatusCode(options: {
  db: Db;
  delivery: Delivery;
  hmacKey: Buffer;
  reference: string;
  email: string;
  ip: string;
  userAgent?: string | null | undefined;
  now: Date;
  schedule?: Schedule | undefined;
  newCode?: (() => string) | undefined;
}): Promise<CodeRequest & { destination: string }> {
  const { db, hmacKey, now } = options;
  const reference = parseReference(options.reference);
  const parsed = identifierInput.safeParse(options.email);
  if (!parsed.success || parsed.data.kind !== 'email') throw validationError({ email: ['Enter the email address you gave with your request.'] });
  const email = parsed.data.value;

  await limitAll(
    db,
    now,
    [
      [`ticket-status:ref:${keyedHash(hmacKey, 'ticket-reference', reference).toString('base64url')}:client:${options.ip}`, SEND_LIMITS.perIdentifier],
      [`send:email:${destinationKey(hmacKey, email)}`, SEND_LIMITS.emailPerDestination],
      [`send:ip:${options.ip}`, SEND_LIMITS.perIp],
    ],
    'code requests',
  );

  // A ticket whose contact address was never confirmed is answered like an unknown reference: its
  // address gets nothing but the confirmation code (openDocumentTicket).
  const ticket = await db.recoveryTicket.findFirst({ where: { reference, contactUnconfirmedUntil: null }, select: { id: true, contactEmail: true } });
  // Compared as keyed hashes of equal length, in constant time, whether or not a ticket was found.
  const typed = keyedHash(hmacKey, 'ticket-contact', email);
  const stored = keyedHash(hmacKey, 'ticket-contact', ticket?.contactEmail ?? `no-ticket:${email}`);
  const matched = ticket !== null && constantTimeEqual(typed, stored);

  const request = await issueTicketCode({
    db,
    delivery: options.delivery,
    hmacKey,
    purpose: 'TICKET_STATUS',
    subject: matched ? ticketSubject(ticket.id) : decoySubject(hmacKey, 'status', reference, email),
    to: matched ? ticket.contactEmail : undefined,
    // Masked from what was typed, for real and decoy alike: the page shows it back either way.
    destinationMasked: maskEmail(email),
    ip: options.ip,
    userAgent: options.userAgent,
    now,
    schedule: options.schedule ?? backgroundSchedule,
    newCode: options.newCode,
    auditAction: 'ticket.status_code_requested',
  });
  return { challengeId: request.challengeId, expiresAt: request.expiresAt, attemptsLeft: request.attemptsLeft, destination: maskEmail(email) };
}

export type StatusCodeResult =
  | { status: 'verified'; ticketId: string }
  | { status: 'wrong'; attemptsLeft: number }
  | { status: 'expired' | 'used' | 'locked' };

/**
 * Checks the status-page code: single use, 5 attempts, a decoy never verifies (rules 2, 3, 13).
 * The caller keeps the returned ticketId server-side (a session bound to this browser), never in a
 * URL or form field the browser could change (rule 12: no IDOR).
 */
export async function verifyStatusCode(options: {
  db: Db;
  hmacKey: Buffer;
  challengeId: string;
  code: string;
  ip: string;
  userAgent?: string | null | undefined;
  now: Date;
}): Promise<StatusCodeResult> {
  const { db, now } = options;
  const code = normalizeCode(options.code);
  if (!code) throw validationError({ code: ['Enter the 6-digit code from the email.'] });
  const attempt = await attemptTicketCode({ db, hmacKey: options.hmacKey, purpose: 'TICKET_STATUS', challengeId: options.challengeId, code, ip: options.ip, now });
  const audit = (action: string, ticketId: string | undefined, data: Record<string, unknown>) =>
    recordAudit(db, {
      actorType: 'ANONYMOUS',
      action,
      subjectType: ticketId ? 'ticket' : null,
      subjectId: ticketId ?? null,
      ip: options.ip,
      userAgent: options.userAgent?.slice(0, 300),
      data,
      occurredAt: now,
    });

  if (attempt.status === 'match') {
    if (!(await consumeCode(db, attempt.matched, now))) return { status: 'used' };
    await audit('ticket.status_code_verified', attempt.ticketId, {});
    return { status: 'verified', ticketId: attempt.ticketId };
  }
  if (attempt.status !== 'mismatch') {
    await audit('ticket.status_code_failed', undefined, { failureReason: attempt.status });
    return attempt;
  }
  const { attemptsLeft } = attempt;
  await audit('ticket.status_code_failed', attempt.ticketId, { failureReason: 'wrong', attemptsLeft });
  return attemptsLeft > 0 ? { status: 'wrong', attemptsLeft } : { status: 'locked' };
}

// ── The status page ──────────────────────────────────────────────────────────

export const STATUS_EXPLANATIONS: Readonly<Record<TicketStatus, { label: string; explanation: string }>> = {
  SUBMITTED: {
    label: 'Received',
    explanation: "We have your request. A member of our security team will start reviewing it soon. You don't need to do anything right now.",
  },
  IN_REVIEW: {
    label: 'In review',
    explanation: "Someone from our security team is checking your request and documents. You don't need to do anything right now; we'll email you if we need something.",
  },
  MORE_INFO_REQUESTED: {
    label: 'Waiting for you',
    explanation: 'We need something more from you before we can continue. Read our request below and answer it here.',
  },
  APPROVED: {
    label: 'Approved',
    explanation: 'Your request was approved. We emailed you a link to set up a new way to sign in. It works in the browser you first open it in, until your new method is set up, and expires after 72 hours.',
  },
  REJECTED: {
    label: 'Not approved',
    explanation: "We couldn't confirm that the account is yours, so nothing on the account was changed. If you think this is a mistake, you can start a new request.",
  },
  COMPLETED: {
    label: 'Completed',
    explanation: 'Your account was recovered and your new sign-in method is set up. Withdrawals and P2P trading are paused for 24 hours after a recovery.',
  },
  EXPIRED: {
    label: 'Expired',
    explanation: 'This request was closed because it was not completed in time. Nothing on the account was changed. You can start a new request.',
  },
};

const APPROVED_WAITING =
  "Your request was approved. To protect the account, its owner's verified email and phone were told, and we wait before anything changes. Unless the account owner cancels, we email you a link to set up a new way to sign in at the time below.";

export type TicketStatusView = {
  reference: string;
  status: TicketStatus;
  statusLabel: string;
  explanation: string;
  createdAt: string;
  /** The latest thing that happened: a message, a status change or an upload. */
  updatedAt: string;
  /** The agent's questions and the person's answers, oldest first. Internal notes never appear. */
  conversation: { from: 'support' | 'you'; body: string; at: string }[];
  canReply: boolean;
  /** What was uploaded and what the checks found; never the files themselves. */
  documents: { kind: DocumentKind; uploadedAt: string; ok: boolean | null; problems: string[] }[];
  /** The next (or current) video call window; the link is given only by joinAppointment. */
  appointment: { startsAt: string; endsAt: string } | null;
  /**
   * When no call is booked: the person's own latest "Can't make it?" (cancelled, or another time
   * asked for), so the page keeps saying what happened after a reload. Null otherwise.
   */
  cancelledCall: { startsAt: string; endsAt: string; reason: 'cancelled_by_you' | 'another_time' } | null;
  /**
   * An approval waiting out the owner's cancel window (docs/security.md rule 27): when the single-use
   * link will be sent unless the account owner cancels. Null otherwise.
   */
  linkSendsAt: string | null;
};

/**
 * What the status page shows. `ticketId` must come from verifyStatusCode (kept server-side), never
 * from the request. Agent names stay out: a name on a page is a name to drop in a phishing call.
 */
export async function getTicketStatusView(options: { db: Db; ticketId: string; now: Date }): Promise<TicketStatusView | undefined> {
  const { db, ticketId, now } = options;
  if (!isUuid(ticketId)) return undefined;
  const ticket = await db.recoveryTicket.findUnique({
    where: { id: ticketId },
    select: {
      reference: true,
      status: true,
      createdAt: true,
      applyNotBefore: true,
      resetTokenHash: true,
      // Allow-lists all the way down: the reset-token hash, risk signals, decision reason and
      // internal notes are agents' business, and document bytes never leave lib/ this way.
      messages: {
        where: { kind: { in: ['INFO_REQUEST', 'CUSTOMER_REPLY', 'STATUS_CHANGE'] } },
        select: { kind: true, body: true, createdAt: true },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      },
      documents: { where: { deletedAt: null }, select: { kind: true, createdAt: true, checkResult: true }, orderBy: { createdAt: 'asc' } },
      appointments: {
        where: { cancelledAt: null, endsAt: { gt: now } },
        select: { startsAt: true, endsAt: true },
        orderBy: { startsAt: 'asc' },
        take: 1,
      },
    },
  });
  if (!ticket) return undefined;
  // The latest booking, if the person called it off themselves, nothing was booked since, and the
  // request is still open (a decided request has no call to wait for).
  const latest =
    ticket.appointments.length || !isOpen(ticket.status)
      ? null
      : await db.videoAppointment.findFirst({ where: { ticketId }, select: { startsAt: true, endsAt: true, cancelReason: true }, orderBy: { createdAt: 'desc' } });
  const cancelledCall =
    latest && (latest.cancelReason === 'cancelled_by_you' || latest.cancelReason === 'another_time')
      ? { startsAt: latest.startsAt.toISOString(), endsAt: latest.endsAt.toISOString(), reason: latest.cancelReason as 'cancelled_by_you' | 'another_time' }
      : null;
  const times = [ticket.createdAt, ...ticket.messages.map((m) => m.createdAt), ...ticket.documents.map((d) => d.createdAt)];
  const updatedAt = new Date(Math.max(...times.map((t) => t.getTime())));
  const appointment = ticket.appointments[0];
  const waiting = ticket.status === 'APPROVED' && ticket.resetTokenHash === null && ticket.applyNotBefore !== null;
  return {
    reference: ticket.reference,
    status: ticket.status,
    statusLabel: STATUS_EXPLANATIONS[ticket.status].label,
    explanation: waiting ? APPROVED_WAITING : STATUS_EXPLANATIONS[ticket.status].explanation,
    linkSendsAt: waiting ? ticket.applyNotBefore!.toISOString() : null,
    createdAt: ticket.createdAt.toISOString(),
    updatedAt: updatedAt.toISOString(),
    conversation: ticket.messages
      .filter((m) => m.kind !== 'STATUS_CHANGE')
      .map((m) => ({ from: m.kind === 'INFO_REQUEST' ? ('support' as const) : ('you' as const), body: m.body, at: m.createdAt.toISOString() })),
    canReply: isOpen(ticket.status),
    documents: ticket.documents.map((d) => ({ kind: d.kind, uploadedAt: d.createdAt.toISOString(), ...checkSummary(d.checkResult) })),
    appointment: appointment ? { startsAt: appointment.startsAt.toISOString(), endsAt: appointment.endsAt.toISOString() } : null,
    cancelledCall,
  };
}

/** `checkResult` is { ok, problems[] } as the upload checks wrote it; anything else reads as "not checked yet". */
function checkSummary(value: unknown): { ok: boolean | null; problems: string[] } {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { ok: null, problems: [] };
  const { ok, problems } = value as { ok?: unknown; problems?: unknown };
  return {
    ok: typeof ok === 'boolean' ? ok : null,
    problems: Array.isArray(problems) ? problems.filter((p): p is string => typeof p === 'string').slice(0, 20) : [],
  };
}

// ── Questions and answers ────────────────────────────────────────────────────

/** Long enough for a careful explanation, short enough that a message is read, not skimmed. */
export const REPLY_MAX_LENGTH = 4000;

/**
 * Plain text only: line breaks kept, control and bidirectional-override characters removed (they
 * could disguise what an agent reads), surrounding blank space trimmed. Too long is an error, not
 * a silent cut: the person should know what was not sent.
 */
export function cleanMessage(body: string, field: string): string {
  const text = body
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/\n{4,}/g, '\n\n\n')
    .trim();
  if (!text) throw validationError({ [field]: ['Write your message first.'] });
  if (text.length > REPLY_MAX_LENGTH) {
    throw validationError({ [field]: [`Your message is ${text.length} characters long; the limit is ${REPLY_MAX_LENGTH}. Shorten it, or send it in two parts.`] });
  }
  return text;
}

/**
 * The person answers on the status page. A ticket waiting for them goes back to review in the same
 * transaction, so the answer and the status never disagree.
 */
export async function replyToTicket(options: {
  db: Db;
  ticketId: string;
  body: string;
  ip?: string | undefined;
  userAgent?: string | null | undefined;
  now: Date;
}): Promise<{ status: TicketStatus }> {
  const { db, ticketId, now } = options;
  const body = cleanMessage(options.body, 'body');
  if (!isUuid(ticketId)) throw closed();
  await limitAll(db, now, [[`ticket-reply:${ticketId}`, TICKET_LIMITS.repliesPerTicket]], 'messages');
  return db.$transaction(
    async (tx) => {
      // Locks the ticket so an agent's decision cannot slip between the check and the reply.
      const [ticket] = await tx.$queryRaw<{ status: TicketStatus; userId: string | null }[]>`
        SELECT "status", "userId" FROM "RecoveryTicket" WHERE "id" = ${ticketId}::uuid FOR UPDATE`;
      if (!ticket || !isOpen(ticket.status)) throw closed();
      await tx.ticketMessage.create({ data: { ticketId, kind: 'CUSTOMER_REPLY', agentId: null, body, createdAt: now }, select: { id: true } });
      await recordAudit(tx, {
        actorType: ticket.userId ? 'USER' : 'ANONYMOUS',
        actorId: ticket.userId,
        action: 'ticket.customer_replied',
        subjectType: 'ticket',
        subjectId: ticketId,
        ip: options.ip,
        userAgent: options.userAgent?.slice(0, 300),
        data: { length: body.length },
        occurredAt: now,
      });
      if (ticket.status !== 'MORE_INFO_REQUESTED') return { status: ticket.status };
      const moved = await transitionTicket(tx, { ticketId, from: 'MORE_INFO_REQUESTED', to: 'IN_REVIEW', actor: { kind: 'customer' }, now, ip: options.ip });
      return { status: moved.to };
    },
    { maxWait: 10_000, timeout: 15_000 },
  );
}

const closed = () => new AppError({ code: 'conflict', userMessage: 'This request is closed, so it cannot take new messages. You can start a new request.' });

/**
 * An agent asks the person for more (called from the console, which checks the agent may
 * work this ticket: rule 12). The question is stored for the status page; the mail only says there
 * is one (see ticketInfoRequestEmail).
 */
export async function requestMoreInfo(options: {
  db: Db;
  delivery: Delivery;
  ticketId: string;
  agentId: string;
  body: string;
  ip?: string | undefined;
  now: Date;
  schedule?: Schedule | undefined;
}): Promise<void> {
  const { db, ticketId, now } = options;
  const body = cleanMessage(options.body, 'body');
  const ticket = await db.$transaction(
    async (tx) => {
      await transitionTicket(tx, { ticketId, from: 'IN_REVIEW', to: 'MORE_INFO_REQUESTED', actor: { kind: 'agent', agentId: options.agentId }, now, ip: options.ip });
      await tx.ticketMessage.create({ data: { ticketId, kind: 'INFO_REQUEST', agentId: options.agentId, body, createdAt: now }, select: { id: true } });
      await recordAudit(tx, {
        actorType: 'AGENT',
        actorId: options.agentId,
        action: 'ticket.info_requested',
        subjectType: 'ticket',
        subjectId: ticketId,
        ip: options.ip,
        data: { length: body.length },
        occurredAt: now,
      });
      return tx.recoveryTicket.findUniqueOrThrow({ where: { id: ticketId }, select: { reference: true, contactEmail: true } });
    },
    { maxWait: 10_000, timeout: 15_000 },
  );
  (options.schedule ?? backgroundSchedule)(async () => {
    const mail = ticketInfoRequestEmail({ reference: ticket.reference });
    await options.delivery
      .send({ channel: 'email', to: ticket.contactEmail, purpose: 'ticket-info-request', ...mail })
      .catch((error) => log.warn('ticket_info_request_mail_failed', { ticketId, error: (error as Error).message }));
  });
}
