'use client';

import { useEffect, useState } from 'react';
import { utcText, utcWindowText } from './utc';

/**
 * A time in the person's own clock once the page runs in their browser, with UTC after it (how
 * Support records and quotes times), e.g. "16:30 on Friday 1 May, your time (14:30 UTC on 1 May 2026)".
 * Before that, and for someone whose clock is UTC, the UTC text alone.
 */
export function UtcTime({ value }: { value: string }) {
  const local = useLocal((zone) => `${clock(value, zone)} on ${day(value, zone)}`, value);
  return (
    <time dateTime={value}>
      {local ? `${local}, your time (${utcText(value)})` : utcText(value)}
    </time>
  );
}

/** "Tuesday 8 December, 18:30 to 19:00 your time (13:00 to 13:30 UTC on 8 Dec 2026)". */
export function UtcWindow({ start, end }: { start: string; end: string }) {
  const local = useLocal(
    (zone) => (day(start, zone) === day(end, zone) ? `${day(start, zone)}, ${clock(start, zone)} to ${clock(end, zone)}` : `${day(start, zone)}, ${clock(start, zone)} to ${day(end, zone)}, ${clock(end, zone)}`),
    `${start}/${end}`,
  );
  return (
    <time dateTime={start}>
      {local ? `${local} your time (${utcWindowText(start, end)})` : utcWindowText(start, end)}
    </time>
  );
}

const day = (value: string, timeZone: string) => new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'long', day: 'numeric', month: 'long' }).format(new Date(value));
const clock = (value: string, timeZone: string) => new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(value));

/** Rendered only in the browser: the server cannot know the person's time zone, and guessing would mismatch on hydration. */
function useLocal(format: (zone: string) => string, key: string) {
  const [text, setText] = useState<string>();
  useEffect(() => {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    setText(!zone || zone === 'UTC' || zone === 'Etc/UTC' ? undefined : format(zone));
    // `format` is a new function each render; the times it reads are all in `key`.
  }, [key]);
  return text;
}
