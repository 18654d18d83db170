import { describe, expect, it } from 'vitest';
import { escapeText, fold, utcStamp, videoCallCalendar } from '@/lib/delivery/templates/calendar';

const base = {
  uid: '01a2b3c4@regain',
  startsAt: new Date('2026-12-08T13:00:00Z'),
  endsAt: new Date('2026-12-08T13:30:00Z'),
  stamp: new Date('2026-12-05T09:00:00.123Z'),
  summary: 'Regain Support video call',
  description: 'About recovery request RG-7K4M-2Q9X; bring your document, please.\nNo link here.',
  organizer: 'no-reply@help.regain.test',
  attendee: 'person@example.com',
};

/** Unfolds RFC 5545 content lines (CRLF followed by one space continues the line). */
const unfold = (content: string) => content.replace(/\r\n /g, '').split('\r\n').filter(Boolean);

describe('video-call calendar events (RFC 5545 / 5546)', () => {
  it('a booking is a REQUEST with UTC times, the event UID and a reminder, in CRLF lines of at most 75 octets', () => {
    const { method, content } = videoCallCalendar({ ...base, method: 'REQUEST' });
    expect(method).toBe('REQUEST');
    expect(content.endsWith('\r\n')).toBe(true);
    for (const line of content.split('\r\n')) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
    const lines = unfold(content);
    expect(lines).toEqual(
      expect.arrayContaining([
        'METHOD:REQUEST',
        'UID:01a2b3c4@regain',
        'SEQUENCE:0',
        'DTSTART:20261208T130000Z',
        'DTEND:20261208T133000Z',
        'DTSTAMP:20261205T090000Z',
        'STATUS:CONFIRMED',
        'ORGANIZER:mailto:no-reply@help.regain.test',
        'ATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:person@example.com',
        'TRIGGER:-PT15M',
      ]),
    );
    expect(lines).toContain('DESCRIPTION:About recovery request RG-7K4M-2Q9X\\; bring your document\\, please.\\nNo link here.');
    expect(lines[0]).toBe('BEGIN:VCALENDAR');
    expect(lines.at(-1)).toBe('END:VCALENDAR');
  });

  it('a cancellation names the same event with a higher sequence, so calendars remove it', () => {
    const lines = unfold(videoCallCalendar({ ...base, method: 'CANCEL' }).content);
    expect(lines).toEqual(expect.arrayContaining(['METHOD:CANCEL', 'UID:01a2b3c4@regain', 'SEQUENCE:1', 'STATUS:CANCELLED']));
    expect(lines.some((l) => l.startsWith('BEGIN:VALARM'))).toBe(false);
  });

  it('never lets an address add its own lines or properties', () => {
    expect(() => videoCallCalendar({ ...base, method: 'REQUEST', attendee: 'a@b.test\r\nATTENDEE:mailto:x@evil.test' })).toThrow();
    expect(() => videoCallCalendar({ ...base, method: 'REQUEST', attendee: 'a@b.test;RSVP=TRUE' })).toThrow();
    expect(unfold(videoCallCalendar({ ...base, method: 'REQUEST', organizer: 'Regain <no-reply@help.regain.test>' }).content)).toContain('ORGANIZER:mailto:no-reply@help.regain.test');
  });

  it('escapes text and folds long lines without splitting a character', () => {
    expect(escapeText('a;b,c\\d\r\ne')).toBe('a\\;b\\,c\\\\d\\ne');
    const long = `DESCRIPTION:${'é'.repeat(80)}`;
    const folded = fold(long);
    for (const part of folded.split('\r\n')) expect(Buffer.byteLength(part)).toBeLessThanOrEqual(75);
    expect(folded.replace(/\r\n /g, '')).toBe(long);
    expect(utcStamp(new Date('2026-01-02T03:04:05.678Z'))).toBe('20260102T030405Z');
  });
});
