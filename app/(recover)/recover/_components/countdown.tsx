'use client';

import { useEffect, useState } from 'react';

function remaining(until: string) {
  return Math.max(0, Math.ceil((new Date(until).getTime() - Date.now()) / 1000));
}

export function formatSeconds(seconds: number) {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** Seconds left until `until`, ticking once a second; `null` before the first client render. */
export function useSecondsLeft(until: string) {
  const [seconds, setSeconds] = useState<number | null>(null);
  useEffect(() => {
    setSeconds(remaining(until));
    const timer = setInterval(() => setSeconds(remaining(until)), 1000);
    return () => clearInterval(timer);
  }, [until]);
  return seconds;
}

/**
 * "Code expires in 9:41". The visible clock ticks every second; screen readers hear it only at
 * whole minutes and at the end, and the absolute time is always written next to it.
 */
export function ExpiryCountdown({ until }: { until: string }) {
  const seconds = useSecondsLeft(until);
  const clock = new Date(until).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const announcement = seconds === null ? '' : seconds === 0 ? 'The code has expired.' : `${Math.ceil(seconds / 60)} minutes left to enter the code.`;
  return (
    <p className="text-sm text-muted">
      {seconds === 0 ? (
        <span className="font-semibold text-danger">The code has expired.</span>
      ) : (
        <>
          Code expires in <span className="font-mono font-semibold text-fg">{seconds === null ? '10:00' : formatSeconds(seconds)}</span> (at {clock}).
        </>
      )}
      <span className="sr-only" aria-live="polite">
        {announcement}
      </span>
    </p>
  );
}
