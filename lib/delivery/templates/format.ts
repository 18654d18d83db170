/** Words every message family shares: durations, UTC times, and values someone else typed. */

export function minutes(n: number) {
  return n === 1 ? '1 minute' : `${n} minutes`;
}

export function hours(n: number) {
  return n === 1 ? '1 hour' : `${n} hours`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * "1 May 2026 at 10:00 UTC": spelled out, not locale-formatted, so every recipient reads the same
 * instant whatever the server's locale; UTC because the audit log records times in UTC
 * (docs/security.md rule 20) and support staff compare the two. The short form ("1 May 10:00 UTC")
 * is for the SMS.
 */
export function utcDateTime(date: Date, options: { short?: boolean } = {}) {
  const day = `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]}`;
  const time = `${String(date.getUTCHours()).padStart(2, '0')}:${String(date.getUTCMinutes()).padStart(2, '0')} UTC`;
  return options.short ? `${day} ${time}` : `${day} ${date.getUTCFullYear()} at ${time}`;
}

/** "1 May 2026, 10:00 to 10:30 UTC" (both dates in full when the window crosses midnight UTC). */
export function utcWindow(startsAt: Date, endsAt: Date): string {
  const sameDay = startsAt.toISOString().slice(0, 10) === endsAt.toISOString().slice(0, 10);
  if (!sameDay) return `${utcDateTime(startsAt)} to ${utcDateTime(endsAt)}`;
  const time = (d: Date) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  return `${startsAt.getUTCDate()} ${MONTHS[startsAt.getUTCMonth()]} ${startsAt.getUTCFullYear()}, ${time(startsAt)} to ${time(endsAt)} UTC`;
}

/** An IANA time zone name this runtime knows, e.g. "Europe/Berlin". */
export function isTimeZone(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 64 || !/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/**
 * "Tuesday 8 December 2026, 14:00 to 14:30 (Europe/Berlin, GMT+1)": the window in the person's own
 * time zone, as their browser reported it when they opened the request. Spelled in English with a
 * 24-hour clock like every other time we send, with the zone named so nobody has to guess.
 */
export function localWindow(startsAt: Date, endsAt: Date, timeZone: string): string {
  const day = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
  const time = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const offset = new Intl.DateTimeFormat('en-GB', { timeZone, timeZoneName: 'shortOffset' }).formatToParts(startsAt).find((p) => p.type === 'timeZoneName')?.value;
  const zone = `${timeZone.replace(/_/g, ' ')}${offset ? `, ${offset}` : ''}`;
  const sameDay = day.format(startsAt) === day.format(endsAt);
  return sameDay
    ? `${day.format(startsAt)}, ${time.format(startsAt)} to ${time.format(endsAt)} (${zone})`
    : `${day.format(startsAt)}, ${time.format(startsAt)} to ${day.format(endsAt)}, ${time.format(endsAt)} (${zone})`;
}

/**
 * A value someone typed (or a user agent sent), made safe for one line of text: control and
 * bidirectional-override characters would let it forge extra lines or reorder what a reader sees.
 */
export function userText(value: string | undefined, max = 60): string | undefined {
  if (value === undefined) return undefined;
  const line = value
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (line.length === 0) return undefined;
  return line.length > max ? `${line.slice(0, max - 1).trimEnd()}…` : line;
}

/** `userText` reduced to printable ASCII, for SMS (see codeSms). */
export function asciiText(value: string | undefined, max: number): string | undefined {
  const line = userText(value, Number.MAX_SAFE_INTEGER)
    ?.replace(/[^\x20-\x7e]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (!line) return undefined;
  return line.length > max ? line.slice(0, max).trimEnd() : line;
}
