import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { beginAuthenticatorSetup, confirmAuthenticatorSetup } from '@/lib/authenticator';
import { base32Decode, totp } from '@/lib/authenticator/totp';
import type { TicketStatus } from '@/lib/db/generated/enums';
import { runDueJobs } from '@/lib/jobs';
import {
  TICKET_SLA_HOURS,
  appointmentTasks,
  cancelAppointmentByPerson,
  generateReference,
  getTicketStatusView,
  openDocumentTicket,
  scheduleAppointment,
  transitionTicket,
} from '@/lib/recovery/tickets';
import { listQueue } from '@/lib/recovery/console';
import { capturingDelivery } from '../support/capturing-delivery';
import { useTestDatabase } from '../support/db';
import { createUser, nextIp } from '../support/factories';

// Video calls people can keep: their own time, a calendar event, and a way to cancel or ask for
// another time; a decided request cancels its call.
const { db, url } = await useTestDatabase();
const hmacKey = randomBytes(32);
const encryptionKey = randomBytes(32);
const APP_URL = 'https://help.regain.test';
const MEETING_TEMPLATE = 'https://meet.jit.si/regain-{room}';
const MINUTE = 60_000;
const T0 = new Date(Math.floor((Date.now() + 30 * 86_400_000) / 60_000) * 60_000);
const at = (ms: number) => new Date(T0.getTime() + ms);
// 13:00–13:30 UTC three days on is 18:30–19:00 in Kolkata (GMT+5:30 all year: no daylight saving).
const START = new Date(Date.UTC(T0.getUTCFullYear(), T0.getUTCMonth(), T0.getUTCDate() + 3, 13, 0));
const END = new Date(START.getTime() + 30 * MINUTE);

async function ticketWithApp(options: { status?: TicketStatus; timeZone?: string | null } = {}) {
  const user = await createUser(db);
  const setup = await beginAuthenticatorSetup({ db, encryptionKey, owner: { userId: user.id }, accountName: user.email });
  await confirmAuthenticatorSetup({ db, encryptionKey, owner: { userId: user.id }, authenticatorId: setup.authenticatorId, code: totp(base32Decode(setup.setupKey), { time: at(-MINUTE) }), now: at(-MINUTE) });
  const agent = await db.agent.create({ data: { email: `agent-${randomBytes(4).toString('hex')}@example.com`, name: 'Test Agent' }, select: { id: true } });
  const ticket = await db.recoveryTicket.create({
    data: {
      reference: generateReference(),
      userId: user.id,
      type: 'PASSKEY_RESET',
      status: options.status ?? 'IN_REVIEW',
      contactEmail: `person-${randomBytes(4).toString('hex')}@example.com`,
      timeZone: options.timeZone === undefined ? 'Asia/Kolkata' : options.timeZone,
      lostFactors: ['passkey'],
      slaDueAt: at(TICKET_SLA_HOURS * 3600_000),
      createdAt: T0,
    },
    select: { id: true, reference: true, contactEmail: true },
  });
  const capture = capturingDelivery();
  const book = (startsAt = START, endsAt = END) =>
    scheduleAppointment({ db, delivery: capture.delivery, ticketId: ticket.id, agentId: agent.id, startsAt, endsAt, meetingUrlTemplate: MEETING_TEMPLATE, appUrl: APP_URL, now: T0 });
  const runJobs = () => runDueJobs({ connectionString: url, taskList: appointmentTasks({ db, delivery: capture.delivery, appUrl: APP_URL, now: () => T0 }) });
  return { user, agent, ticket, capture, book, runJobs };
}

const unfold = (ics: string) => ics.replace(/\r\n /g, '').split('\r\n');

describe('a booked call in the person’s own time, with a calendar event', () => {
  it('the email gives the window in the time zone the person’s browser reported, and in UTC, and carries a REQUEST event without any link', async () => {
    const h = await ticketWithApp();
    const booked = await h.book();
    expect(h.capture.sent).toHaveLength(1);
    const mail = h.capture.sent[0]!;
    expect(mail).toMatchObject({ to: h.ticket.contactEmail, purpose: 'ticket-appointment' });
    expect(mail.text).toMatch(/18:30 to 19:00 \(Asia\/Kolkata, GMT\+5:30\), which is .*13:00 to 13:30 UTC/);
    expect(mail.text).toContain('cancel the call or ask for another time');
    const ics = unfold(mail.calendar!.content);
    expect(mail.calendar!.method).toBe('REQUEST');
    expect(ics).toEqual(expect.arrayContaining([`UID:${booked.appointmentId}@regain`, 'METHOD:REQUEST', 'ORGANIZER:mailto:no-reply@help.regain.test', `ATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:${h.ticket.contactEmail}`]));
    expect(mail.calendar!.content).not.toContain(booked.meetingUrl.split('regain-')[1]);
    expect(mail.calendar!.content).not.toMatch(/https?:/);
  });

  it('without a known time zone, the email says UTC only', async () => {
    const h = await ticketWithApp({ timeZone: null });
    await h.book();
    expect(h.capture.sent[0]!.text).toContain('13:00 to 13:30 UTC');
    expect(h.capture.sent[0]!.text).not.toContain('which is');
  });

  it('a request keeps the time zone only when the browser sent a real one', async () => {
    const open = async (timeZone: string) => {
      const { ticketId } = await openDocumentTicket({
        db, delivery: capturingDelivery().delivery, hmacKey, userId: null, contactEmail: `tz-${randomBytes(4).toString('hex')}@example.com`,
        type: 'PASSKEY_RESET', lostFactors: ['passkey'], timeZone, ip: nextIp(), now: T0, schedule: () => undefined,
      });
      return (await db.recoveryTicket.findUniqueOrThrow({ where: { id: ticketId }, select: { timeZone: true } })).timeZone;
    };
    expect(await open('America/New_York')).toBe('America/New_York');
    expect(await open('Mars/Olympus_Mons')).toBeNull();
    expect(await open('Europe/Berlin\r\nBcc: x@evil.test')).toBeNull();
  });
});

describe('cancelling a call', () => {
  it('booking again cancels the earlier call and its calendar event, with its own email', async () => {
    const h = await ticketWithApp();
    const first = await h.book();
    const second = await h.book(new Date(START.getTime() + 86_400_000), new Date(END.getTime() + 86_400_000));
    expect(await db.videoAppointment.findUniqueOrThrow({ where: { id: first.appointmentId }, select: { cancelledAt: true, cancelReason: true } })).toEqual({ cancelledAt: T0, cancelReason: 'rebooked' });
    expect(await db.videoAppointment.findUniqueOrThrow({ where: { id: second.appointmentId }, select: { cancelledAt: true } })).toEqual({ cancelledAt: null });
    await h.runJobs();
    const cancelled = h.capture.sent.find((m) => m.purpose === 'ticket-appointment-cancelled')!;
    expect(cancelled.subject).toBe('Your Regain video call is cancelled');
    expect(cancelled.text).toContain('replaced by a new booking');
    expect(unfold(cancelled.calendar!.content)).toEqual(expect.arrayContaining(['METHOD:CANCEL', `UID:${first.appointmentId}@regain`, 'SEQUENCE:1']));
  });

  it('rejecting, approving or expiring the request cancels its call ahead, and the person is told once', async () => {
    for (const [from, to] of [['IN_REVIEW', 'REJECTED'], ['IN_REVIEW', 'APPROVED'], ['MORE_INFO_REQUESTED', 'EXPIRED']] as const) {
      const h = await ticketWithApp({ status: from });
      if (from !== 'IN_REVIEW') await db.recoveryTicket.update({ where: { id: h.ticket.id }, data: { status: 'IN_REVIEW' } });
      const booked = await h.book();
      if (from !== 'IN_REVIEW') await db.recoveryTicket.update({ where: { id: h.ticket.id }, data: { status: from } });
      await transitionTicket(db, { ticketId: h.ticket.id, from, to, actor: { kind: 'system' }, now: at(MINUTE) });
      expect(await db.videoAppointment.findUniqueOrThrow({ where: { id: booked.appointmentId }, select: { cancelReason: true } })).toEqual({ cancelReason: 'request_decided' });
      await h.runJobs();
      await h.runJobs();
      const cancellations = h.capture.sent.filter((m) => m.purpose === 'ticket-appointment-cancelled');
      expect(cancellations, `${from} → ${to}`).toHaveLength(1);
      expect(cancellations[0]!.text).toContain('has been decided');
    }
  });

  it('a call already over is history, not cancelled, when the request closes', async () => {
    const h = await ticketWithApp();
    const booked = await h.book(at(10 * MINUTE), at(40 * MINUTE));
    await transitionTicket(db, { ticketId: h.ticket.id, from: 'IN_REVIEW', to: 'REJECTED', actor: { kind: 'system' }, now: at(60 * MINUTE) });
    expect(await db.videoAppointment.findUniqueOrThrow({ where: { id: booked.appointmentId }, select: { cancelledAt: true } })).toEqual({ cancelledAt: null });
  });

  it('the person cancels from the status page: Support sees it in the conversation and the calendar event is removed', async () => {
    const h = await ticketWithApp();
    const booked = await h.book();
    await cancelAppointmentByPerson({ db, ticketId: h.ticket.id, choice: 'cancel', ip: nextIp(), now: at(MINUTE) });
    expect(await db.videoAppointment.findUniqueOrThrow({ where: { id: booked.appointmentId }, select: { cancelReason: true } })).toEqual({ cancelReason: 'cancelled_by_you' });
    const messages = await db.ticketMessage.findMany({ where: { ticketId: h.ticket.id, kind: 'CUSTOMER_REPLY' }, select: { body: true } });
    expect(messages.map((m) => m.body)).toEqual(['I cancelled the video call.']);
    expect(await db.auditEvent.count({ where: { subjectId: h.ticket.id, action: 'ticket.appointment_cancelled' } })).toBe(1);
    await h.runJobs();
    expect(h.capture.sent.filter((m) => m.purpose === 'ticket-appointment-cancelled').map((m) => m.calendar?.method)).toEqual(['CANCEL']);
    // Nothing left to cancel.
    await expect(cancelAppointmentByPerson({ db, ticketId: h.ticket.id, choice: 'cancel', now: at(2 * MINUTE) })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('asking for another time leaves the times that suit the person for Support, and a closed request has no call to change', async () => {
    const h = await ticketWithApp();
    await h.book();
    await cancelAppointmentByPerson({ db, ticketId: h.ticket.id, choice: 'another_time', note: 'Weekdays after 18:00 my time', now: at(MINUTE) });
    const [message] = await db.ticketMessage.findMany({ where: { ticketId: h.ticket.id, kind: 'CUSTOMER_REPLY' }, select: { body: true } });
    expect(message!.body).toBe('Please book the video call at another time.\n\nTimes that suit me: Weekdays after 18:00 my time');
    // The status page keeps saying so after a reload, until Support books again.
    const view = await getTicketStatusView({ db, ticketId: h.ticket.id, now: at(2 * MINUTE) });
    expect(view).toMatchObject({ appointment: null, cancelledCall: { reason: 'another_time', startsAt: START.toISOString() } });
    // A decided request has no call to wait for.
    await transitionTicket(db, { ticketId: h.ticket.id, from: 'IN_REVIEW', to: 'APPROVED', actor: { kind: 'system' }, now: at(2 * MINUTE) });
    expect(await getTicketStatusView({ db, ticketId: h.ticket.id, now: at(2 * MINUTE) })).toMatchObject({ cancelledCall: null });
    await db.recoveryTicket.update({ where: { id: h.ticket.id }, data: { status: 'IN_REVIEW' } });
    await h.book(new Date(START.getTime() + 86_400_000), new Date(END.getTime() + 86_400_000));
    expect(await getTicketStatusView({ db, ticketId: h.ticket.id, now: at(3 * MINUTE) })).toMatchObject({ appointment: { startsAt: new Date(START.getTime() + 86_400_000).toISOString() }, cancelledCall: null });
    await expect(cancelAppointmentByPerson({ db, ticketId: h.ticket.id, choice: 'another_time', note: 'x'.repeat(5000), now: at(MINUTE) })).rejects.toMatchObject({ code: 'validation_failed' });

    const closed = await ticketWithApp();
    await closed.book();
    await transitionTicket(db, { ticketId: closed.ticket.id, from: 'IN_REVIEW', to: 'REJECTED', actor: { kind: 'system' }, now: at(MINUTE) });
    await expect(cancelAppointmentByPerson({ db, ticketId: closed.ticket.id, choice: 'cancel', now: at(2 * MINUTE) })).rejects.toMatchObject({ code: 'conflict' });
  });
});

describe('the SLA measures our time, not the person’s', () => {
  it('stops while the ticket waits for the person and moves on by the time waited when they answer', async () => {
    const h = await ticketWithApp();
    const due = at(TICKET_SLA_HOURS * 3600_000);
    const supervisor = await db.agent.create({ data: { email: `sup-${randomBytes(4).toString('hex')}@example.com`, name: 'Supervisor', role: 'SUPERVISOR' }, select: { id: true } });
    const remaining = async (now: Date) => {
      const page = await listQueue({ db, agent: { agentId: supervisor.id }, filters: { assignee: 'any', status: undefined }, sort: 'newest', limit: 100, now });
      return page.items.find((i) => i.id === h.ticket.id)?.slaRemainingMinutes;
    };
    expect(await remaining(at(60 * MINUTE))).toBe(TICKET_SLA_HOURS * 60 - 60);

    await transitionTicket(db, { ticketId: h.ticket.id, from: 'IN_REVIEW', to: 'MORE_INFO_REQUESTED', actor: { kind: 'agent', agentId: h.agent.id }, now: at(60 * MINUTE) });
    expect(await db.recoveryTicket.findUniqueOrThrow({ where: { id: h.ticket.id }, select: { slaPausedAt: true, slaDueAt: true } })).toEqual({ slaPausedAt: at(60 * MINUTE), slaDueAt: due });
    // A day of waiting for the person costs the team nothing.
    expect(await remaining(at(25 * 60 * MINUTE))).toBe(TICKET_SLA_HOURS * 60 - 60);

    await transitionTicket(db, { ticketId: h.ticket.id, from: 'MORE_INFO_REQUESTED', to: 'IN_REVIEW', actor: { kind: 'customer' }, now: at(25 * 60 * MINUTE) });
    expect(await db.recoveryTicket.findUniqueOrThrow({ where: { id: h.ticket.id }, select: { slaPausedAt: true, slaDueAt: true } })).toEqual({
      slaPausedAt: null,
      slaDueAt: new Date(due.getTime() + 24 * 3600_000),
    });
    expect(await remaining(at(25 * 60 * MINUTE))).toBe(TICKET_SLA_HOURS * 60 - 60);
  });
});
