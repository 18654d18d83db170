'use client';

import { useEffect, useState } from 'react';
import { Alert } from '../../../_components/ui';

export type ApprovalState = 'pending' | 'denied' | 'ended';

/**
 * Waits for a signed-in device to approve: shows the number to pick there (number matching), and
 * asks `check` (a server action) every few seconds; it moves the page on by itself once approved.
 */
export function ApprovalWaiting({ number, check, endedText }: { number: number; check: () => Promise<ApprovalState>; endedText: string }) {
  const [state, setState] = useState<ApprovalState>('pending');
  useEffect(() => {
    if (state !== 'pending') return;
    const timer = setInterval(async () => {
      try {
        setState(await check());
      } catch {
        // Offline for a moment: keep waiting; the next check may succeed.
      }
    }, 2500);
    return () => clearInterval(timer);
  }, [state, check]);

  if (state === 'denied') {
    return (
      <Alert tone="warning" title="The request was denied on your device">
        It was denied, or a different number was picked there. Send a new request, or choose another way.
      </Alert>
    );
  }
  if (state === 'ended') {
    return <Alert tone="warning" title="The request has ended">{endedText}</Alert>;
  }
  return (
    <div className="space-y-3 rounded-lg border border-accent/30 bg-accent-soft p-4 text-sm">
      <div className="flex items-center gap-4">
        <p className="text-4xl font-bold tabular-nums tracking-wider" data-testid="approval-number" aria-label={`Your number is ${number}`}>
          {number}
        </p>
        <p className="font-semibold">Pick this number on your signed-in device</p>
      </div>
      <div role="status" className="flex items-start gap-3">
        <span className="mt-0.5 inline-block h-4 w-4 shrink-0 animate-spin rounded-full border-2 border-accent border-t-transparent" aria-hidden="true" />
        <p className="text-muted">
          On a phone or computer where you are signed in, open <strong>Account › Approvals</strong>, check the details, and choose{' '}
          <strong className="text-fg">{number}</strong>. This page moves on by itself once you do.
        </p>
      </div>
    </div>
  );
}
