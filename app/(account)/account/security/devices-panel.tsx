'use client';

import { useState } from 'react';
import { Alert, Button } from '../../../_components/ui';
import { reportActivityAction, signOutDeviceAction } from './actions';
import { when } from './format';

export type DeviceRow = { id: string; name: string; lastSeenAt: string; firstSeenAt: string; current: boolean };

export function DevicesPanel({ devices }: { devices: DeviceRow[] }) {
  const [notice, setNotice] = useState<{ tone: 'success' | 'error' | 'warning'; text: string }>();
  const [busy, setBusy] = useState<string>();

  async function signOut(device: DeviceRow) {
    setBusy(device.id);
    const result = await signOutDeviceAction(device.id);
    setBusy(undefined);
    setNotice(result.ok ? { tone: 'success', text: `${result.data.name} is signed out and can no longer approve requests.` } : { tone: 'error', text: result.error.message });
  }

  return (
    <section aria-labelledby="devices-title" className="space-y-3">
      <div>
        <h2 id="devices-title" className="text-lg font-bold">
          Devices
        </h2>
        <p className="text-sm text-muted">Signed-in devices can approve a sign-in or recovery. Sign out any you don&apos;t use.</p>
      </div>
      <div aria-live="polite">{notice && <Alert tone={notice.tone}>{notice.text}</Alert>}</div>
      {devices.length === 0 ? (
        <p className="text-sm text-muted">No other devices.</p>
      ) : (
        <ul className="divide-y divide-line">
          {devices.map((device) => (
            <li key={device.id} className="flex flex-wrap items-center justify-between gap-2 py-3">
              <div>
                <p className="font-semibold">
                  {device.name}{' '}
                  {device.current && <span className="ml-1 rounded-full bg-accent-soft px-2 py-0.5 text-xs text-accent">This device</span>}
                </p>
                <p className="text-sm text-muted">
                  First seen {when(device.firstSeenAt)} · Last used {when(device.lastSeenAt)}
                </p>
              </div>
              {!device.current && (
                <Button type="button" variant="secondary" disabled={busy === device.id} onClick={() => void signOut(device)} aria-label={`Sign out ${device.name}`}>
                  {busy === device.id ? 'Signing out…' : 'Sign out'}
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** "This wasn't me": one clear, confirmed action that locks everything else out. */
export function UnrecognisedActivity() {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ tone: 'warning' | 'error'; text: string }>();

  async function report() {
    setBusy(true);
    const outcome = await reportActivityAction();
    setBusy(false);
    setConfirming(false);
    setResult(
      outcome.ok
        ? {
            tone: 'warning',
            text: `Done. ${outcome.data.sessionsEnded === 1 ? '1 other session was' : `${outcome.data.sessionsEnded} other sessions were`} signed out and withdrawals and P2P trading are on hold until ${when(outcome.data.holdEndsAt)}. Next, review your passkeys and replace your authenticator app if you think someone has it.`,
          }
        : { tone: 'error', text: outcome.error.message },
    );
  }

  return (
    <div className="space-y-3">
      <div aria-live="polite">{result && <Alert tone={result.tone}>{result.text}</Alert>}</div>
      {confirming ? (
        <div role="group" aria-label="Confirm" className="space-y-3 rounded-lg border border-danger/30 bg-danger-soft p-4 text-sm">
          <p>
            We&apos;ll sign out every other device, stop them approving requests, and hold withdrawals and P2P trading for 24 hours. You stay signed in here.
          </p>
          <div className="flex flex-wrap gap-2">
            <Button type="button" disabled={busy} onClick={() => void report()}>
              {busy ? 'Securing your account…' : 'Sign out everywhere else'}
            </Button>
            <Button type="button" variant="ghost" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
          </div>
        </div>
      ) : (
        <Button type="button" variant="secondary" onClick={() => setConfirming(true)}>
          This wasn&apos;t me
        </Button>
      )}
    </div>
  );
}
