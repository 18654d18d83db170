const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const two = (n: number) => String(n).padStart(2, '0');

/**
 * "14:30 UTC on 1 May 2026". Times on these pages are written in UTC first because that is how
 * Support records and quotes them (rule 20), and because the server's text must not depend on the
 * server's time zone. The person's own clock is added next to it once the page runs in their browser.
 */
export function utcText(value: string | Date): string {
  const date = new Date(value);
  return `${two(date.getUTCHours())}:${two(date.getUTCMinutes())} UTC on ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

/** "14:00 to 14:30 UTC on 1 May 2026" for a window on one day; both ends in full otherwise. */
export function utcWindowText(start: string | Date, end: string | Date): string {
  const a = new Date(start);
  const b = new Date(end);
  if (a.toISOString().slice(0, 10) !== b.toISOString().slice(0, 10)) return `${utcText(a)} to ${utcText(b)}`;
  return `${two(a.getUTCHours())}:${two(a.getUTCMinutes())} to ${two(b.getUTCHours())}:${two(b.getUTCMinutes())} UTC on ${a.getUTCDate()} ${MONTHS[a.getUTCMonth()]} ${a.getUTCFullYear()}`;
}
