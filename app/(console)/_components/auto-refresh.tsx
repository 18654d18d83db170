'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useState, useTransition } from 'react';

/**
 * Keeps a server-rendered list current without a full reload: router.refresh() re-renders the
 * page on the server and React swaps in what changed, keeping scroll position and focus. Paused
 * while the tab is hidden. `renderedAt` comes from the server render, so "Updated" tells when the
 * data was read, not when the timer fired. Not a live region: a screen reader is not interrupted
 * every 15 seconds; the time is there to read when wanted.
 */
export function AutoRefresh({ renderedAt, everySeconds = 15 }: { renderedAt: string; everySeconds?: number }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [paused, setPaused] = useState(false);

  useEffect(() => {
    const refresh = () => {
      if (document.visibilityState === 'visible') startTransition(() => router.refresh());
    };
    const timer = paused ? undefined : setInterval(refresh, everySeconds * 1000);
    const onVisible = () => {
      if (!paused && document.visibilityState === 'visible') refresh();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      if (timer) clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [router, everySeconds, paused]);

  const time = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: 'UTC', hourCycle: 'h23' }).format(new Date(renderedAt));
  return (
    <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-sm text-muted">
      <span data-testid="queue-updated-at">
        {pending ? 'Updating…' : <>Updated <time dateTime={renderedAt}>{time} UTC</time></>}
        {paused ? ' · auto-refresh paused' : ` · refreshes every ${everySeconds} s`}
      </span>
      <button
        type="button"
        onClick={() => startTransition(() => router.refresh())}
        className="inline-flex min-h-9 items-center rounded-md px-2 font-semibold text-accent hover:bg-accent-soft"
      >
        Refresh now
      </button>
      <button
        type="button"
        aria-pressed={paused}
        onClick={() => setPaused((p) => !p)}
        className="inline-flex min-h-9 items-center rounded-md px-2 font-semibold text-accent hover:bg-accent-soft"
      >
        {paused ? 'Resume auto-refresh' : 'Pause auto-refresh'}
      </button>
    </div>
  );
}
