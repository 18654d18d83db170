import { randomBytes } from 'node:crypto';
import { hasAuthenticator, verifyAuthenticatorCode } from '@/lib/authenticator';
import { recordAudit } from '@/lib/audit';
import { keyedHash } from '@/lib/crypto';
import type { Db } from '@/lib/db/client';
import type { TicketStatus } from '@/lib/db/generated/enums';
import type { Delivery } from '@/lib/delivery/types';
import { appointmentCancelledEmail, appointmentScheduledEmail, type CancelReason, utcWindow } from '@/lib/delivery/templates';
import type { TaskList } from '@/lib/jobs';
import { APPOINTMENT_CANCELLED_TASK, cancelAppointmentsAhead } from './cancel-calls';
import { AppError, validationError } from '@/lib/errors';
import { normalizeCode } from '@/lib/verification/codes';
import { released } from '@/lib/limits/failures';
import { SEND_LIMITS } from '@/lib/verification/policy';
import { isOpen } from '@/lib/access';
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
import { cleanMessage } from './status';

/**
 * Video-call appointments (docs/product.md C and D: an agent schedules, the person joins). The meeting
 * link is the one thing here that lets a stranger face an agent as the account holder, so it is
 * random, never mailed, and handed out only to someone who proves both the ticket's contact
 * address (an email code) and the account's authenticator app (rule 10: two independent proofs),
 * and only around the appointment's time.
 */

/** Joining opens this long before the start, so people can check their camera. */
export const JOIN_EARLY_MINUTES = 5;
/** Longest call an agent can book; a longer window would keep a link usable for longer. */
export const MAX_APPOINTMENT_MINUTES = 120;
/** How far ahead an agent can book. */
export const MAX_BOOKING_DAYS = 60;

/**
 * `meetingUrlTemplate` comes from configuration, e.g. "https://meet.jit.si/regain-{room}". The room
 * is 128 random bits: a Jitsi room is open to whoever knows its name, so the name is the lock.
 */
export function buildMeetingUrl(template: string, random: (size: number) => Buffer = randomBytes): string {
  if (template.split('{room}').length !== 2) throw new Error('The meeting URL template must contain {room} exactly once');
  const room = random(16).toString('hex');
  const url = new URL(template.replace('{room}', room));
  if (url.protocol !== 'https:') throw new Error('The meeting URL template must be an https:// address');
  return url.toString();
}

const agentRefusal = (userMessage: string) => new AppError({ code: 'conflict', userMessage });

/** Who calendar events say they come from: a no-reply mailbox on the help center's own host. */
export function calendarOrganizer(appUrl: string): string {
  return `no-reply@${new URL(appUrl).hostname}`;
}

/**
 * An agent books a call. The person is emailed the window in their own time zone and in UTC, how
 * to join, and a calendar event; never the link. A new booking replaces any earlier one still
 * ahead (one link alive per ticket), and the earlier one's event is cancelled. Checking that the
 * agent may work this ticket is the console's job (lib/access; rule 12).
 */
export async function scheduleAppointment(options: {
  db: Db;
  delivery: Delivery;
  ticketId: string;
  agentId: string;
  startsAt: Date;
  endsAt: Date;
  meetingUrlTemplate: string;
  appUrl: string;
  ip?: string | undefined;
  now: Date;
}): Promise<{ appointmentId: string; meetingUrl: string; startsAt: Date; endsAt: Date }> {
  const { db, now, startsAt, endsAt } = options;
  if (Number.isNaN(startsAt.getTime()) || Number.isNaN(endsAt.getTime())) throw validationError({ startsAt: ['Choose a start and end time.'] });
  if (startsAt <= now) throw validationError({ startsAt: ['Choose a start time in the future.'] });
  if (endsAt <= startsAt) throw validationError({ endsAt: ['The call must end after it starts.'] });
  if (endsAt.getTime() - startsAt.getTime() > MAX_APPOINTMENT_MINUTES * 60_000) throw validationError({ endsAt: [`A call can last ${MAX_APPOINTMENT_MINUTES} minutes at most.`] });
  if (startsAt.getTime() - now.getTime() > MAX_BOOKING_DAYS * 24 * 3600_000) throw validationError({ startsAt: [`Book within the next ${MAX_BOOKING_DAYS} days.`] });

  const ticket = await db.recoveryTicket.findUnique({
    where: { id: options.ticketId },
    select: { id: true, reference: true, status: true, userId: true, contactEmail: true, timeZone: true, lostFactors: true },
  });
  if (!ticket) throw new AppError({ code: 'not_found', userMessage: 'That recovery request was not found.' });
  if (!isOpen(ticket.status)) throw agentRefusal('A call can only be booked while the request is being reviewed.');
  if (!ticket.userId) throw agentRefusal('This request does not belong to an account, so there is nobody to call.');
  // Joining takes an authenticator code: without one (or with the app reported lost) the person
  // could never get the link.
  if (ticket.lostFactors.includes('authenticator') || !(await hasAuthenticator({ db, owner: { userId: ticket.userId } }))) {
    throw agentRefusal('This person cannot use an authenticator app, which joining a call needs. Review the documents without a call.');
  }

  const meetingUrl = buildMeetingUrl(options.meetingUrlTemplate);
  const appointment = await db.$transaction(
    async (tx) => {
      const replaced = await cancelAppointmentsAhead(tx, { ticketId: ticket.id, reason: 'rebooked', now });
      const created = await tx.videoAppointment.create({
        data: { ticketId: ticket.id, agentId: options.agentId, startsAt, endsAt, meetingUrl, createdAt: now },
        select: { id: true },
      });
      await recordAudit(tx, {
        actorType: 'AGENT',
        actorId: options.agentId,
        action: 'ticket.appointment_scheduled',
        subjectType: 'ticket',
        subjectId: ticket.id,
        ip: options.ip,
        data: { appointmentId: created.id, startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString(), replaced },
        occurredAt: now,
      });
      // Queued with the booking (docs/security.md rule 28): no booking without its mail, no mail without its booking.
      const mail = appointmentScheduledEmail({
        id: created.id,
        reference: ticket.reference,
        startsAt,
        endsAt,
        timeZone: ticket.timeZone,
        organizer: calendarOrganizer(options.appUrl),
        attendee: ticket.contactEmail,
        now,
        earlyMinutes: JOIN_EARLY_MINUTES,
      });
      await options.delivery.send({ channel: 'email', to: ticket.contactEmail, purpose: 'ticket-appointment', ...mail }, { db: tx });
      return created;
    },
    { maxWait: 10_000, timeout: 15_000 },
  );
  return { appointmentId: appointment.id, meetingUrl, startsAt, endsAt };
}

// ── Cancelling ───────────────────────────────────────────────────────────────

export type PersonCancelChoice = 'cancel' | 'another_time';

/**
 * The person cancels the booked call, or asks for another time, from the status page. `ticketId`
 * comes from the status page's grant (reference + email code), never from the form. Asking for
 * another time leaves a message for Support, with the times that suit the person when they gave
 * some, and the ticket stays where it is.
 */
export async function cancelAppointmentByPerson(options: {
  db: Db;
  ticketId: string;
  choice: PersonCancelChoice;
  note?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | null | undefined;
  now: Date;
}): Promise<{ cancelled: number }> {
  const { db, ticketId, now } = options;
  if (options.choice !== 'cancel' && options.choice !== 'another_time') throw validationError({ choice: ['Choose what to do with the call.'] });
  const note = options.note?.trim() ? cleanMessage(options.note, 'note') : undefined;
  return db.$transaction(
    async (tx) => {
      const [ticket] = await tx.$queryRaw<{ status: TicketStatus; userId: string | null }[]>`
        SELECT "status", "userId" FROM "RecoveryTicket" WHERE "id" = ${ticketId}::uuid FOR UPDATE`;
      if (!ticket || !isOpen(ticket.status)) throw new AppError({ code: 'conflict', userMessage: 'This request is closed, so there is no call to change.' });
      const cancelled = await cancelAppointmentsAhead(tx, { ticketId, reason: options.choice === 'cancel' ? 'cancelled_by_you' : 'another_time', now });
      if (cancelled === 0) throw new AppError({ code: 'conflict', userMessage: 'There is no video call booked ahead on this request any more.' });
      const body =
        options.choice === 'cancel'
          ? `I cancelled the video call.${note ? `\n\n${note}` : ''}`
          : `Please book the video call at another time.${note ? `\n\nTimes that suit me: ${note}` : ''}`;
      await tx.ticketMessage.create({ data: { ticketId, kind: 'CUSTOMER_REPLY', agentId: null, body, createdAt: now }, select: { id: true } });
      await recordAudit(tx, {
        actorType: ticket.userId ? 'USER' : 'ANONYMOUS',
        actorId: ticket.userId,
        action: options.choice === 'cancel' ? 'ticket.appointment_cancelled' : 'ticket.appointment_another_time',
        subjectType: 'ticket',
        subjectId: ticketId,
        ip: options.ip,
        userAgent: options.userAgent?.slice(0, 300),
        data: { cancelled, ...(note ? { noteLength: note.length } : {}) },
        occurredAt: now,
      });
      return { cancelled };
    },
    { maxWait: 10_000, timeout: 15_000 },
  );
}

/** The worker's side: the cancellation email with its calendar CANCEL. */
export function appointmentTasks(deps: { db: Db; delivery: Delivery; appUrl: string; now?: () => Date }): TaskList {
  return {
    [APPOINTMENT_CANCELLED_TASK]: async (payload) => {
      const { appointmentId } = payload as { appointmentId: string };
      const appointment = await deps.db.videoAppointment.findUnique({
        where: { id: appointmentId },
        select: { id: true, startsAt: true, endsAt: true, cancelledAt: true, cancelReason: true, ticket: { select: { reference: true, contactEmail: true, timeZone: true } } },
      });
      if (!appointment?.cancelledAt) return;
      const mail = appointmentCancelledEmail({
        id: appointment.id,
        reference: appointment.ticket.reference,
        startsAt: appointment.startsAt,
        endsAt: appointment.endsAt,
        timeZone: appointment.ticket.timeZone,
        organizer: calendarOrganizer(deps.appUrl),
        attendee: appointment.ticket.contactEmail,
        now: deps.now?.() ?? new Date(),
        reason: (appointment.cancelReason ?? 'request_decided') as CancelReason,
      });
      await deps.delivery.send({ channel: 'email', to: appointment.ticket.contactEmail, purpose: 'ticket-appointment-cancelled', ...mail });
    },
  };
}

/**
 * "Join video call appointment", step 1: a code to the ticket's contact address. Unknown
 * references, tickets without an account and tickets with no call ahead get a decoy that answers
 * the same and never verifies (rule 13); limits per reference, address and IP apply (rule 4). The
 * per-reference budget is kept per client: knowing a reference must not be enough to spend its
 * owner's budget (rule 23).
 */
export async function requestJoinCode(options: {
  db: Db;
  delivery: Delivery;
  hmacKey: Buffer;
  reference: string;
  ip: string;
  userAgent?: string | null | undefined;
  now: Date;
  schedule?: Schedule | undefined;
  newCode?: (() => string) | undefined;
}): Promise<CodeRequest> {
  const { db, hmacKey, now } = options;
  const reference = parseReference(options.reference);
  await limitAll(
    db,
    now,
    [
      [`video-call:ref:${keyedHash(hmacKey, 'ticket-reference', reference).toString('base64url')}:client:${options.ip}`, SEND_LIMITS.perIdentifier],
      [`send:ip:${options.ip}`, SEND_LIMITS.perIp],
    ],
    'code requests',
  );
  const ticket = await db.recoveryTicket.findUnique({
    where: { reference },
    select: {
      id: true,
      userId: true,
      contactEmail: true,
      // Same bound as joinAppointment's window (its end is inclusive).
      appointments: { where: { cancelledAt: null, endsAt: { gte: now } }, select: { id: true }, take: 1 },
    },
  });
  const real = ticket !== null && ticket.userId !== null && ticket.appointments.length > 0;
  await limitAll(
    db,
    now,
    [[`send:email:${destinationKey(hmacKey, real ? ticket.contactEmail : `decoy:${reference}`)}`, SEND_LIMITS.emailPerDestination]],
    'codes sent to this address',
  );
  const request = await issueTicketCode({
    db,
    delivery: options.delivery,
    hmacKey,
    purpose: 'VIDEO_CALL',
    subject: real ? ticketSubject(ticket.id) : decoySubject(hmacKey, 'video', reference),
    to: real ? ticket.contactEmail : undefined,
    destinationMasked: 'the email address on your request',
    ip: options.ip,
    userAgent: options.userAgent,
    now,
    schedule: options.schedule ?? backgroundSchedule,
    newCode: options.newCode,
    auditAction: 'ticket.video_code_requested',
  });
  return { challengeId: request.challengeId, expiresAt: request.expiresAt, attemptsLeft: request.attemptsLeft };
}

export type JoinRefusalReason = 'wrong_codes' | 'expired' | 'used' | 'locked' | 'outside_window' | 'no_appointment';

/** Why joining did not work, with what the page needs to say so (window times, attempts left). */
export class JoinRefused extends AppError {
  constructor(
    readonly reason: JoinRefusalReason,
    readonly details: { attemptsLeft?: number; window?: { opensAt: Date; startsAt: Date; endsAt: Date } } = {},
  ) {
    super({ code: reason === 'wrong_codes' || reason === 'locked' ? 'unauthorized' : 'conflict', userMessage: joinMessage(reason, details) });
    this.name = 'JoinRefused';
  }
}

function joinMessage(reason: JoinRefusalReason, details: JoinRefused['details']): string {
  switch (reason) {
    case 'wrong_codes': {
      const left = details.attemptsLeft ?? 0;
      // One message for a wrong email code and a wrong app code alike: saying which was right would
      // let someone holding one of them work on the other.
      return `Those codes didn't work. Check the code in the email and the one your authenticator app shows now. ${left === 1 ? '1 try' : `${left} tries`} left.`;
    }
    case 'locked':
      return 'Too many wrong codes, so this code is closed. Wait 10 minutes, then start again.';
    case 'used':
      return 'That email code was already used. Ask for a new one to join again.';
    case 'expired':
      return 'That email code has expired. Ask for a new one.';
    case 'no_appointment':
      return 'There is no video call booked for this request. We will email you if one is booked.';
    case 'outside_window': {
      const w = details.window!;
      return `Your video call is on ${utcWindow(w.startsAt, w.endsAt)}. You can join from ${JOIN_EARLY_MINUTES} minutes before the start until it ends.`;
    }
  }
}

/**
 * "Join video call appointment", step 2: the email code and an authenticator code give the meeting
 * link, inside [start − 5 minutes, end] only.
 *
 * Both codes are one attempt: the attempt is counted on the email challenge before anything is
 * checked (5 at most, rule 3), a wrong app code counts exactly like a wrong email code, and every
 * try also counts per IP (rule 14). The authenticator's own replay rule applies (a step works
 * once). The window is checked only after both codes are right, so the times are never shown to
 * someone who only knows a reference; the email code is spent only when the link is handed out.
 */
export async function joinAppointment(options: {
  db: Db;
  hmacKey: Buffer;
  encryptionKey: Buffer;
  challengeId: string;
  emailCode: string;
  authenticatorCode: string;
  ip: string;
  userAgent?: string | null | undefined;
  now: Date;
}): Promise<{ meetingUrl: string; startsAt: Date; endsAt: Date }> {
  const { db, now } = options;
  const emailCode = normalizeCode(options.emailCode);
  const appCode = normalizeCode(options.authenticatorCode);
  if (!emailCode || !appCode) {
    throw validationError({
      ...(emailCode ? {} : { emailCode: ['Enter the 6-digit code from the email.'] }),
      ...(appCode ? {} : { authenticatorCode: ['Enter the 6-digit code your authenticator app shows.'] }),
    });
  }
  const audit = (action: string, actor: { userId: string | null }, ticketId: string | undefined, data: Record<string, unknown> = {}) =>
    recordAudit(db, {
      actorType: actor.userId ? 'USER' : 'ANONYMOUS',
      actorId: actor.userId,
      action,
      subjectType: ticketId ? 'ticket' : null,
      subjectId: ticketId ?? null,
      ip: options.ip,
      userAgent: options.userAgent?.slice(0, 300),
      data,
      occurredAt: now,
    });

  const attempt = await attemptTicketCode({ db, hmacKey: options.hmacKey, purpose: 'VIDEO_CALL', challengeId: options.challengeId, code: emailCode, ip: options.ip, now });
  if (attempt.status !== 'match' && attempt.status !== 'mismatch') {
    await audit('ticket.video_join_failed', { userId: null }, undefined, { failureReason: attempt.status });
    throw new JoinRefused(attempt.status);
  }

  const ticketId = attempt.ticketId;
  const ticket =
    attempt.status === 'match'
      ? await db.recoveryTicket.findUnique({ where: { id: attempt.ticketId }, select: { id: true, userId: true } })
      : null;
  // The app code is checked only behind a right email code: checking it for every guess would let
  // strangers spend the real person's current authenticator step (a step works once).
  const appOk = ticket?.userId
    ? (await verifyAuthenticatorCode({ db, encryptionKey: options.encryptionKey, owner: { userId: ticket.userId }, code: appCode, now })).ok
    : false;

  if (attempt.status !== 'match' || !ticket?.userId || !appOk) {
    // Whichever code was wrong, the attempt was already counted on the challenge and stays counted
    // as a failure for this ticket and client (attemptTicketCode reserved it).
    const { attemptsLeft } = attempt;
    // Nobody has proved who they are yet: the try is anonymous, about this ticket.
    await audit('ticket.video_join_failed', { userId: null }, ticketId, { failureReason: 'wrong', attemptsLeft });
    throw attemptsLeft > 0 ? new JoinRefused('wrong_codes', { attemptsLeft }) : new JoinRefused('locked');
  }

  const appointments = await db.videoAppointment.findMany({
    where: { ticketId: ticket.id, cancelledAt: null },
    select: { id: true, startsAt: true, endsAt: true, meetingUrl: true, joinedAt: true },
    orderBy: { startsAt: 'asc' },
  });
  const opens = (a: { startsAt: Date }) => new Date(a.startsAt.getTime() - JOIN_EARLY_MINUTES * 60_000);
  const open = appointments.find((a) => opens(a) <= now && now <= a.endsAt);
  if (!open) {
    const shown = appointments.find((a) => a.startsAt > now) ?? appointments.at(-1);
    // Both codes were right: the try was not a guess and does not count as a failure.
    if (attempt.admission) await released(db, attempt.admission);
    await audit('ticket.video_join_failed', { userId: ticket.userId }, ticket.id, { failureReason: shown ? 'outside_window' : 'no_appointment' });
    if (!shown) throw new JoinRefused('no_appointment');
    throw new JoinRefused('outside_window', { window: { opensAt: opens(shown), startsAt: shown.startsAt, endsAt: shown.endsAt } });
  }

  if (!(await consumeCode(db, attempt.matched, now))) throw new JoinRefused('used');
  await db.videoAppointment.updateMany({ where: { id: open.id, joinedAt: null }, data: { joinedAt: now } });
  await audit('ticket.appointment_joined', { userId: ticket.userId }, ticket.id, { appointmentId: open.id });
  return { meetingUrl: open.meetingUrl, startsAt: open.startsAt, endsAt: open.endsAt };
}

