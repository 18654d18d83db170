/**
 * Mail about a video-call appointment on a recovery ticket (docs/product.md C). No link, as for
 * tickets: the calendar event carries the time, and the meeting link is given only on the join page.
 */
import { videoCallCalendar, type CalendarInvite } from './calendar';
import { isTimeZone, localWindow, minutes, utcWindow } from './format';
import { PRODUCT, escapeHtml, para, small } from './layout';
import { NEVER_ASK, WHERE_STATUS, ticketEmailHtml, type TicketEmail } from './tickets';

export { utcWindow };

export type AppointmentEmail = TicketEmail & { calendar: CalendarInvite };

type Appointment = {
  /** The appointment's id: the calendar event's UID, so a cancellation removes the same event. */
  id: string;
  reference: string;
  startsAt: Date;
  endsAt: Date;
  /** The person's IANA time zone, as their browser reported it; without one, times are in UTC only. */
  timeZone: string | null;
  /** Who the calendar says sent the event, and to whom. */
  organizer: string;
  attendee: string;
  /** When this mail was written (the event's DTSTAMP). */
  now: Date;
};

/** "Tuesday, 8 December 2026, 14:00 to 14:30 (Europe/Berlin, GMT+1) — 13:00 to 13:30 UTC", or UTC alone. */
export function appointmentWindow(startsAt: Date, endsAt: Date, timeZone: string | null): string {
  const utc = utcWindow(startsAt, endsAt);
  return timeZone && isTimeZone(timeZone) && timeZone !== 'UTC' && timeZone !== 'Etc/UTC' ? `${localWindow(startsAt, endsAt, timeZone)}, which is ${utc}` : utc;
}

const SUMMARY = `${PRODUCT} Support video call`;

/** A video call was booked: the window in the person's time and UTC, how to join, and a calendar event. */
export function appointmentScheduledEmail(options: Appointment & { earlyMinutes: number }): AppointmentEmail {
  const { reference, startsAt, endsAt, earlyMinutes } = options;
  const subject = `Your ${PRODUCT} video call is booked`;
  const window = appointmentWindow(startsAt, endsAt, options.timeZone);
  const intro = `A member of our security team will meet you by video call about your recovery request ${reference}.`;
  const when = `When: ${window}`;
  const how = `To join: open the ${PRODUCT} help center by typing the address you always use, go to “Self-service tools”, then “Join video call appointment”. Enter your reference; we'll email you a code, and you also need a code from your authenticator app. Joining opens ${minutes(earlyMinutes)} before the start.`;
  const change = `Can't make it? ${WHERE_STATUS} There you can cancel the call or ask for another time.`;
  const bring = 'Have the identity document you uploaded with you, in a quiet place with good light.';
  const calendarNote = 'The attached calendar event (video-call.ics) adds the call to your calendar in your own time zone.';
  const notYou = `If you didn't ask to recover a ${PRODUCT} account, ignore this email and don't join. Nobody can join the call without the codes.`;
  const text = [
    `${PRODUCT}: video call booked`,
    '',
    intro,
    '',
    when,
    '',
    how,
    '',
    bring,
    '',
    change,
    '',
    calendarNote,
    '',
    "Wasn't you?",
    `- ${notYou}`,
    `- ${NEVER_ASK}`,
    '',
    `This is an automatic security message from ${PRODUCT}. Replies are not read.`,
  ].join('\n');
  const html = ticketEmailHtml({
    subject,
    preheader: `${window}.`,
    heading: 'Your video call is booked',
    body: [
      para(intro),
      `<p style="margin:0 0 16px;padding:16px;background-color:#f3f4f6;border-radius:8px;font-size:17px;line-height:26px;font-weight:700;color:#111827;">${escapeHtml(window)}</p>`,
      para(how),
      small(bring),
      small(change),
      small(calendarNote),
    ].join('\n'),
    warning: [notYou, NEVER_ASK],
  });
  const calendar = videoCallCalendar({
    method: 'REQUEST',
    uid: `${options.id}@regain`,
    startsAt,
    endsAt,
    stamp: options.now,
    summary: SUMMARY,
    description: `About recovery request ${reference}. Join from the help center: Self-service tools, then Join video call appointment. You need the emailed code and a code from your authenticator app. Support will never ask for your password or codes.`,
    organizer: options.organizer,
    attendee: options.attendee,
  });
  return { subject, text, html, calendar };
}

export type CancelReason = 'cancelled_by_you' | 'another_time' | 'request_decided' | 'rebooked';

const CANCEL_WORDS: Record<CancelReason, string> = {
  cancelled_by_you: 'You cancelled it. Our security team will carry on reviewing your request without a call.',
  another_time: 'You asked for another time. Our security team will book a new call and email you when it is booked.',
  request_decided: 'Your recovery request has been decided, so the call is no longer needed. Check the request for the outcome.',
  rebooked: 'It was replaced by a new booking: look for the email with the new time.',
};

/** A booked call is off: why, and a calendar cancellation for the same event. */
export function appointmentCancelledEmail(options: Appointment & { reason: CancelReason }): AppointmentEmail {
  const { reference, startsAt, endsAt } = options;
  const subject = `Your ${PRODUCT} video call is cancelled`;
  const window = appointmentWindow(startsAt, endsAt, options.timeZone);
  const intro = `The video call about your recovery request ${reference}, booked for ${window}, is cancelled.`;
  const why = CANCEL_WORDS[options.reason];
  const check = options.reason === 'request_decided' || options.reason === 'cancelled_by_you' ? WHERE_STATUS : undefined;
  const notYou = `If you didn't cancel a call or ask to recover a ${PRODUCT} account, you can ignore this email.`;
  const text = [
    `${PRODUCT}: video call cancelled`,
    '',
    intro,
    '',
    why,
    ...(check ? ['', check] : []),
    '',
    "Wasn't you?",
    `- ${notYou}`,
    `- ${NEVER_ASK}`,
    '',
    `This is an automatic security message from ${PRODUCT}. Replies are not read.`,
  ].join('\n');
  const html = ticketEmailHtml({
    subject,
    preheader: `${window}.`,
    heading: 'Your video call is cancelled',
    body: [para(intro), para(why), ...(check ? [small(check)] : [])].join('\n'),
    warning: [notYou, NEVER_ASK],
  });
  const calendar = videoCallCalendar({
    method: 'CANCEL',
    uid: `${options.id}@regain`,
    startsAt,
    endsAt,
    stamp: options.now,
    summary: SUMMARY,
    description: `Cancelled: the video call about recovery request ${reference}.`,
    organizer: options.organizer,
    attendee: options.attendee,
  });
  return { subject, text, html, calendar };
}
