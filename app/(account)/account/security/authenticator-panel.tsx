'use client';

import { useState } from 'react';
import { AuthenticatorSetupSteps, type AuthenticatorSetup } from '../../../_components/authenticator-setup';
import { Alert, Button } from '../../../_components/ui';
import { useStepUp } from '../../_components/step-up';
import { beginAuthenticatorAction, confirmAuthenticatorAction } from './actions';
import { when } from './format';


export function AuthenticatorPanel({ linked }: { linked: boolean }) {
  const guard = useStepUp();
  const [setup, setSetup] = useState<AuthenticatorSetup>();
  const [error, setError] = useState<string>();
  const [fieldError, setFieldError] = useState<string>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function begin() {
    setError(undefined);
    setDone(undefined);
    setBusy(true);
    const result = await guard(() => beginAuthenticatorAction());
    setBusy(false);
    if (!result.ok) return setError(result.error.message);
    setSetup(result.data);
  }

  async function confirm(code: string) {
    if (!setup) return;
    setBusy(true);
    setError(undefined);
    setFieldError(undefined);
    const result = await guard(() => confirmAuthenticatorAction({ authenticatorId: setup.authenticatorId, code }));
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
          <AuthenticatorSetupSteps
            setup={setup}
            busy={busy}
            fieldError={fieldError}
            confirmLabel="Confirm and link"
            onConfirm={(code) => void confirm(code)}
            onCancel={() => setSetup(undefined)}
          />
        </div>
      )}
    </section>
  );
}
