'use client';

import { useState } from 'react';
import { Alert, Button, CodeInput } from '../../../_components/ui';
import { useStepUp } from '../../_components/step-up';
import { beginAuthenticatorAction, confirmAuthenticatorAction } from './actions';
import { when } from './format';
import { QrCode } from '../../../_components/qr-code';

type Setup = { authenticatorId: string; setupKey: string; otpauthUri: string };

export function AuthenticatorPanel({ linked }: { linked: boolean }) {
  const guard = useStepUp();
  const [setup, setSetup] = useState<Setup>();
  const [error, setError] = useState<string>();
  const [fieldError, setFieldError] = useState<string>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);

  async function begin() {
    setError(undefined);
    setDone(undefined);
    setBusy(true);
    const result = await guard(() => beginAuthenticatorAction());
    setBusy(false);
    if (!result.ok) return setError(result.error.message);
    setSetup(result.data);
  }

  async function confirm(form: FormData) {
    if (!setup) return;
    setBusy(true);
    setError(undefined);
    setFieldError(undefined);
    const result = await guard(() => confirmAuthenticatorAction({ authenticatorId: setup.authenticatorId, code: String(form.get('code') ?? '') }));
    setBusy(false);
    if (!result.ok) {
      const field = result.error.fieldErrors?.code?.[0];
      return field ? setFieldError(field) : setError(result.error.message);
    }
    setSetup(undefined);
    setDone(
      result.data.replaced
        ? `Your new authenticator app is linked and the old one no longer works. Withdrawals and P2P trading are on hold until ${when(result.data.holdEndsAt!)}.`
        : 'Your authenticator app is linked. Use its codes the next time you sign in.',
    );
  }

  async function copyKey() {
    if (!setup) return;
    await navigator.clipboard.writeText(setup.setupKey.replaceAll(' ', ''));
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  }

  return (
    <section aria-labelledby="authenticator-title" className="space-y-4">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h2 id="authenticator-title" className="text-lg font-bold">
            Authenticator app
          </h2>
          <p className="text-sm text-muted">
            {linked ? 'Linked. Codes from the app confirm sign-ins and changes.' : 'Not linked. An app such as Google Authenticator or 1Password gives you a new code every 30 seconds.'}
          </p>
        </div>
        {!setup && (
          <Button type="button" variant={linked ? 'secondary' : 'primary'} disabled={busy} onClick={() => void begin()}>
            {linked ? 'Replace authenticator' : 'Link an authenticator app'}
          </Button>
        )}
      </div>
      <div aria-live="polite" className="space-y-2">
        {error && <Alert tone="error">{error}</Alert>}
        {done && <Alert tone={done.includes('on hold') ? 'warning' : 'success'}>{done}</Alert>}
      </div>

      {setup && (
        <div className="space-y-4 rounded-lg border border-line bg-surface-muted/50 p-4">
          {linked && (
            <Alert tone="warning" title="Replacing starts a 24-hour hold">
              Once the new app is confirmed, the old one stops working and withdrawals and P2P trading pause for 24 hours.
            </Alert>
          )}
          <ol className="list-decimal space-y-4 pl-5 text-sm">
            <li>
              <p className="font-semibold">Scan this QR code with your authenticator app.</p>
              <div className="mt-2">
                <QrCode value={setup.otpauthUri} label="QR code for your authenticator app" />
              </div>
            </li>
            <li>
              <p className="font-semibold">Can&apos;t scan? Enter this setup key instead.</p>
              <div className="mt-2 flex flex-wrap items-center gap-2">
                <code data-testid="setup-key" className="rounded-md border border-line bg-surface px-3 py-2 font-mono text-base tracking-wider">
                  {setup.setupKey}
                </code>
                <Button type="button" variant="secondary" onClick={() => void copyKey()}>
                  {copied ? 'Copied' : 'Copy key'}
                </Button>
              </div>
              <p className="mt-1 text-muted">Choose “time-based”. Keep this key private: anyone with it can make your codes.</p>
            </li>
            <li>
              <form
                className="space-y-3"
                onSubmit={(event) => {
                  event.preventDefault();
                  void confirm(new FormData(event.currentTarget));
                }}
              >
                <CodeInput id="new-authenticator-code" name="code" label="Enter the code the app shows" error={fieldError} required />
                <div className="flex flex-wrap gap-2">
                  <Button type="submit" disabled={busy}>
                    {busy ? 'Checking…' : 'Confirm and link'}
                  </Button>
                  <Button type="button" variant="ghost" onClick={() => setSetup(undefined)}>
                    Cancel
                  </Button>
                </div>
              </form>
            </li>
          </ol>
        </div>
      )}
    </section>
  );
}
