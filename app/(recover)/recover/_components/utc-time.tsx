'use client';

import { useEffect, useState } from 'react';
import { utcText, utcWindowText } from './utc';

/** A UTC time with the person's local time after it, e.g. "14:30 UTC on 1 May 2026 (16:30 your time)". */
export function UtcTime({ value }: { value: string }) {
  const local = useLocalTime(value);
  return (
    <time dateTime={value}>
      {utcText(value)}
      {local && ` (${local} your time)`}
    </time>
  );
}

export function UtcWindow({ start, end }: { start: string; end: string }) {
  const from = useLocalTime(start);
  const to = useLocalTime(end);
  return (
    <span>
      <time dateTime={start}>{utcWindowText(start, end)}</time>
      {from && to && ` (${from} to ${to} your time)`}
    </span>
  );
}

/** Rendered only in the browser: the server cannot know the person's time zone, and guessing would mismatch on hydration. */
function useLocalTime(value: string) {
  const [text, setText] = useState<string>();
  useEffect(() => {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone === 'UTC' || zone === 'Etc/UTC') return;
    setText(new Date(value).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
  }, [value]);
  return text;
}
