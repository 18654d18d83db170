'use client';

import { useEffect, useRef, useState } from 'react';
import { Alert, Button } from '../../../_components/ui';
import { useStepUp } from '../../_components/step-up';
import { createRecoveryCodesAction } from './actions';
import { when } from './format';
import './recovery-codes-print.css';

export type RecoveryCodesStatus = { remaining: number; total: number; createdAt: string; low: boolean };

type Shown = { codes: string[]; replaced: boolean };
type Notice = { tone: 'success' | 'error' | 'info'; text: string } | undefined;

/** What the downloaded file says: who it is for, when the set was made, the codes, how they work. */
function codesFile(codes: string[], account: string, createdAt: string) {
  return [
    'Regain recovery codes',
    `Account: ${account}`,
    `Created: ${when(createdAt)}`,
    '',
    ...codes,
    '',
    'Each code works once. Use one to sign in or to recover your account when your authenticator app or passkey is not at hand.',
    'Creating a new set makes all of these stop working.',
    '',
  ].join('\n');
}

/**
 * Recovery codes (docs/security.md rule 30): the status of the set, creating or replacing it (a
 * factor change, so behind the step-up guard), and the new codes, shown this once.
 */
export function RecoveryCodesPanel({ status, account }: { status: RecoveryCodesStatus | undefined; account: string }) {
  const guard = useStepUp();
  const [confirming, setConfirming] = useState(false);
  const [shown, setShown] = useState<Shown>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<Notice>();
  const codesHeading = useRef<HTMLHeadingElement>(null);
  const returnFocus = useRef(false);

  // Focus goes where the next thing to do is, so keyboard and screen-reader users are not left behind.
  useEffect(() => {
    if (shown) codesHeading.current?.focus();
  }, [shown]);
  useEffect(() => {
    if (confirming) document.getElementById('recovery-codes-replace')?.focus();
  }, [confirming]);
  useEffect(() => {
    if (!shown && !confirming && returnFocus.current) {
      returnFocus.current = false;
      document.getElementById('recovery-codes-create')?.focus();
    }
  }, [shown, confirming]);

  async function create() {
    setBusy(true);
    setError(undefined);
    setNotice(undefined);
    const result = await guard(() => createRecoveryCodesAction());
    setBusy(false);
    if (!result.ok) return setError(result.error.message);
    setConfirming(false);
    setShown({ codes: result.data.codes, replaced: result.data.replaced });
  }

  async function copy() {
    if (!shown) return;
    try {
      await navigator.clipboard.writeText(shown.codes.join('\n'));
      setNotice({ tone: 'success', text: 'Copied. Paste them into your password manager.' });
    } catch {
      setNotice({ tone: 'error', text: "Your browser didn't let us copy. Select the codes and copy them yourself, or download them instead." });
    }
  }

  function download() {
    if (!shown) return;
    const file = new Blob([codesFile(shown.codes, account, status?.createdAt ?? new Date().toISOString())], { type: 'text/plain;charset=utf-8' });
    const url = URL.createObjectURL(file);
    const link = document.createElement('a');
    link.href = url;
    link.download = 'regain-recovery-codes.txt';
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 0);
    setNotice({ tone: 'success', text: 'Downloaded regain-recovery-codes.txt. Move it somewhere safe, off this device if you can.' });
  }

  function saved() {
    returnFocus.current = true;
    setShown(undefined);
    setNotice({ tone: 'success', text: 'Done. Keep your codes somewhere safe: when your authenticator app or passkey isn’t at hand, one of them signs you in.' });
  }

  function cancel() {
    returnFocus.current = true;
    setConfirming(false);
    setError(undefined);
  }

  return (
    <section aria-labelledby="recovery-codes-title" className="space-y-4">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0 flex-1 basis-56">
          <h2 id="recovery-codes-title" className="text-lg font-bold">
            Recovery codes
          </h2>
          {status ? (
            <p className="text-sm text-muted" data-testid="recovery-codes-status">
              {status.remaining} of {status.total} left · created {when(status.createdAt)}
            </p>
          ) : (
            <p className="text-sm text-muted">
              Single-use codes for when your authenticator app or passkey isn&apos;t at hand. Each one signs you in or confirms a recovery once. Keep them
              offline, for example printed and stored at home.
            </p>
          )}
        </div>
        {!confirming && !shown && (
          <Button
            id="recovery-codes-create"
            type="button"
            variant={!status || status.low ? 'primary' : 'secondary'}
            disabled={busy}
            // With unused codes left, replacing them is confirmed first; with none (or no set) there is nothing to lose.
            onClick={() => (status && status.remaining > 0 ? setConfirming(true) : void create())}
          >
            {busy ? 'Creating…' : status ? 'Create new codes' : 'Create recovery codes'}
          </Button>
        )}
      </div>

      {status?.low && !shown && !confirming && (
        <Alert tone="warning" title={status.remaining === 0 ? 'You have no recovery codes left' : `Only ${status.remaining} recovery ${status.remaining === 1 ? 'code' : 'codes'} left`}>
          {status.remaining === 0
            ? 'Every code in your set has been used. Create a new set so you still have a way in without your authenticator app or passkey.'
            : 'Create a new set so you don’t run out. The codes you have now stop working when you do.'}
        </Alert>
      )}

      <div aria-live="polite" className="space-y-2">
        {error && <Alert tone="error">{error}</Alert>}
        {notice && !shown && <Alert tone={notice.tone}>{notice.text}</Alert>}
      </div>

      {confirming && (
        <div role="group" aria-labelledby="recovery-codes-confirm" className="space-y-3 rounded-lg border border-warning/40 bg-warning-soft p-4 text-sm">
          <p id="recovery-codes-confirm">
            <strong>Replace your recovery codes?</strong> Your current codes stop working straight away, including any you printed or saved. You&apos;ll get 10 new
            ones.
          </p>
          <div className="flex flex-wrap gap-2">
            <Button id="recovery-codes-replace" type="button" disabled={busy} onClick={() => void create()}>
              {busy ? 'Creating…' : 'Replace my codes'}
            </Button>
            <Button type="button" variant="ghost" disabled={busy} onClick={cancel}>
              Keep my current codes
            </Button>
          </div>
        </div>
      )}

      {shown && (
        <div data-print-codes className="space-y-4 rounded-lg border border-line bg-surface-muted/50 p-3 sm:p-4">
          <div className="hidden space-y-1 print:block">
            <p className="text-lg font-bold">Regain recovery codes</p>
            <p>Account: {account}</p>
            {status && <p>Created: {when(status.createdAt)}</p>}
          </div>
          <h3 ref={codesHeading} tabIndex={-1} className="font-bold outline-none print:hidden">
            Save your new recovery codes
          </h3>
          <div className="print:hidden">
            <Alert tone="warning" title="You won’t see these codes again">
              Save them now: copy them into a password manager, download them, or print them. Each code works once.
              {shown.replaced && ' Your previous codes no longer work.'}
            </Alert>
          </div>
          <ul aria-label="Your recovery codes" className="grid grid-cols-2 gap-2">
            {shown.codes.map((code) => (
              <li key={code} data-testid="recovery-code" className="rounded-md border border-line bg-surface px-1 py-2 text-center font-mono text-base whitespace-nowrap sm:tracking-wide">
                {code}
              </li>
            ))}
          </ul>
          <p className="hidden text-sm print:block">Each code works once. Creating a new set makes all of these stop working.</p>
          <div className="flex flex-wrap gap-2 print:hidden">
            <Button type="button" variant="secondary" onClick={() => void copy()}>
              Copy
            </Button>
            <Button type="button" variant="secondary" onClick={download}>
              Download
            </Button>
            <Button type="button" variant="secondary" onClick={() => window.print()}>
              Print
            </Button>
          </div>
          <div aria-live="polite" className="print:hidden">
            {notice && <Alert tone={notice.tone}>{notice.text}</Alert>}
          </div>
          <div className="border-t border-line pt-4 print:hidden">
            <Button type="button" onClick={saved}>
              I&apos;ve saved my codes
            </Button>
          </div>
        </div>
      )}
    </section>
  );
}
