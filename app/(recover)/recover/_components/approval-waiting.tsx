'use client';

import { useEffect, useState } from 'react';
import { Alert } from '../../../_components/ui';
import { approvalStatusAction } from '../actions';

/** Waits for a signed-in device to approve; checks every few seconds and moves on by itself. */
export function ApprovalWaiting({ initial }: { initial: 'pending' | 'denied' | 'approved' | 'none' }) {
  const [state, setState] = useState<string>(initial);
  useEffect(() => {
    if (state !== 'pending' && state !== 'approved') return;
    const timer = setInterval(async () => {
      try {
        setState(await approvalStatusAction());
      } catch {
        // Offline for a moment: keep waiting; the next check may succeed.
      }
    }, 2500);
    return () => clearInterval(timer);
  }, [state]);

  if (state === 'denied') {
    return (
      <Alert tone="warning" title="The request was denied on your device">
        If that wasn&apos;t you, no action is needed. Otherwise choose another way below.
      </Alert>
    );
  }
  if (state === 'ended') {
    return <Alert tone="warning" title="The request has ended">Start again to get a new code.</Alert>;
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
