'use client';

import { useEffect, useState } from 'react';
import { Alert } from '../../../_components/ui';

export type ApprovalState = 'pending' | 'denied' | 'approved' | 'none' | 'ended';

/**
 * Waits for a signed-in device to approve: `check` (a server action) is asked every few seconds and
 * moves the page on by itself once the approval is in.
 */
export function ApprovalWaiting({ initial, check, endedText }: { initial: ApprovalState; check: () => Promise<ApprovalState>; endedText: string }) {
  const [state, setState] = useState<ApprovalState>(initial);
  useEffect(() => {
    if (state !== 'pending' && state !== 'approved') return;
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
        If that wasn&apos;t you, no action is needed. Otherwise choose another way below.
      </Alert>
    );
  }
  if (state === 'ended') {
    return <Alert tone="warning" title="The request has ended">{endedText}</Alert>;
  }
  return (
    <div role="status" className="flex items-start gap-3 rounded-lg border border-accent/30 bg-accent-soft p-4 text-sm">
      <span className="mt-0.5 inline-block h-4 w-4 shrink-0 animate-spin rounded-full border-2 border-accent border-t-transparent" aria-hidden="true" />
      <div>
        <p className="font-semibold">Waiting for approval on your signed-in device</p>
        <p className="text-muted">
          Open the app or our website on a phone or computer where you are still signed in, go to <strong>Account › Approvals</strong>, check
          the details and approve. This page moves on by itself.
        </p>
      </div>
    </div>
  );
}
