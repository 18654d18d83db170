/**
 * An iCalendar (RFC 5545) event for a video call, attached to its emails so the person's calendar
 * shows it in their own time zone and drops it again when the call is cancelled (iTIP, RFC 5546:
 * METHOD REQUEST, then CANCEL with the same UID and a higher SEQUENCE). Times are written in UTC;
 * calendar apps convert them. The event carries no link: the meeting link is only ever given on
 * the join page, after both codes (docs/security.md rule 10).
 */
export type CalendarInvite = { method: 'REQUEST' | 'CANCEL'; content: string };

export function videoCallCalendar(options: {
  method: 'REQUEST' | 'CANCEL';
  /** Stable for the life of the appointment: a cancellation must name the event it removes. */
  uid: string;
  startsAt: Date;
  endsAt: Date;
  /** When this version of the event was written. */
  stamp: Date;
  summary: string;
  description: string;
  organizer: string;
  attendee: string;
}): CalendarInvite {
  const cancel = options.method === 'CANCEL';
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Regain//Support video calls//EN',
    'CALSCALE:GREGORIAN',
    `METHOD:${options.method}`,
    'BEGIN:VEVENT',
    `UID:${escapeText(options.uid)}`,
    `SEQUENCE:${cancel ? 1 : 0}`,
    `DTSTAMP:${utcStamp(options.stamp)}`,
    `DTSTART:${utcStamp(options.startsAt)}`,
    `DTEND:${utcStamp(options.endsAt)}`,
    `SUMMARY:${escapeText(options.summary)}`,
    `DESCRIPTION:${escapeText(options.description)}`,
    `ORGANIZER:mailto:${mailbox(options.organizer)}`,
    `ATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:${mailbox(options.attendee)}`,
    `STATUS:${cancel ? 'CANCELLED' : 'CONFIRMED'}`,
    'TRANSP:OPAQUE',
    ...(cancel ? [] : ['BEGIN:VALARM', 'ACTION:DISPLAY', 'DESCRIPTION:Video call with Support in 15 minutes', 'TRIGGER:-PT15M', 'END:VALARM']),
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return { method: options.method, content: `${lines.map(fold).join('\r\n')}\r\n` };
}

/** 20261208T140000Z */
export function utcStamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** RFC 5545 §3.3.11: backslash, semicolon, comma and line breaks are escaped in TEXT values. */
export function escapeText(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r\n|\r|\n/g, '\\n');
}

/** "Regain <no-reply@example.com>" → "no-reply@example.com"; anything with line breaks or spaces inside is refused. */
function mailbox(address: string): string {
  const inner = /<([^<>\s]+@[^<>\s]+)>/.exec(address)?.[1] ?? address.trim();
  if (!/^[^\s@<>;:,]+@[^\s@<>;:,]+$/.test(inner)) throw new Error('A calendar invitation needs a plain email address');
  return inner;
}

/** RFC 5545 §3.1: lines longer than 75 octets are folded with CRLF and a space, never inside a UTF-8 character. */
export function fold(line: string): string {
  const out: string[] = [];
  let current = '';
  let size = 0;
  for (const char of line) {
    const bytes = Buffer.byteLength(char);
    const limit = out.length === 0 ? 75 : 74;
    if (size + bytes > limit) {
      out.push(current);
      current = '';
      size = 0;
    }
    current += char;
    size += bytes;
  }
  out.push(current);
  return out.join('\r\n ');
}
