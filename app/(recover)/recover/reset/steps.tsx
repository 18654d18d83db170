'use client';

import { startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { passkeyProblem } from '../../../(account)/_components/webauthn';
import { AuthenticatorSetupSteps, type AuthenticatorSetup } from '../../../_components/authenticator-setup';
import { Alert, Button, CodeInput } from '../../../_components/ui';
import { ApprovalWaiting } from '../_components/approval-waiting';
import {
  askDeviceAction,
  authenticatorProofAction,
  beginAuthenticatorRebindAction,
  beginPasskeyRebindAction,
  deviceProofStatusAction,
  finishAuthenticatorRebindAction,
  finishPasskeyRebindAction,
  passkeyProofAction,
  passkeyProofOptionsAction,
} from './actions';

type SecondProof = 'authenticator' | 'passkey' | 'trusted_device';

export function ProveStep({ options, attemptsLeft, deviceRequestPending }: { options: SecondProof[]; attemptsLeft: number; deviceRequestPending: boolean }) {
  const router = useRouter();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  // Each request gets its own waiting panel (a new key), so asking again starts a fresh wait.
  const [deviceRequest, setDeviceRequest] = useState(deviceRequestPending ? 1 : 0);

  async function askDevice() {
    setBusy(true);
    setError(undefined);
    const result = await askDeviceAction();
    setBusy(false);
    if (!result.ok) return setError(result.error.message);
    setDeviceRequest((n) => n + 1);
  }

  async function withCode(form: FormData) {
    setBusy(true);
    setError(undefined);
    const result = await authenticatorProofAction(String(form.get('code') ?? ''));
    setBusy(false);
    if (!result.ok) return setError(result.error.message);
    router.refresh();
  }

  async function withPasskey() {
    setBusy(true);
    setError(undefined);
    try {
      const options = await passkeyProofOptionsAction();
      if (!options.ok) return setError(options.error.message);
      let response;
      try {
        response = await startAuthentication({ optionsJSON: options.data });
      } catch (problem) {
        return setError(passkeyProblem(problem));
      }
      const result = await passkeyProofAction(JSON.stringify(response));
      if (!result.ok) return setError(result.error.message);
      router.refresh();
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="space-y-4">
      <div aria-live="assertive">{error && <Alert tone="error">{error}</Alert>}</div>
      {options.includes('authenticator') && (
        <form
          className="space-y-3"
          onSubmit={(event) => {
            event.preventDefault();
            void withCode(new FormData(event.currentTarget));
          }}
        >
          <CodeInput id="proof-code" name="code" label="Code from your authenticator app" hint={`${attemptsLeft} ${attemptsLeft === 1 ? 'try' : 'tries'} left.`} required />
          <Button type="submit" disabled={busy}>
            {busy ? 'Checking…' : 'Confirm code'}
          </Button>
        </form>
      )}
      {options.includes('passkey') && (
        <div className="space-y-2">
          {options.includes('authenticator') && <p className="text-sm font-semibold text-muted">Or</p>}
          <Button type="button" variant={options.includes('authenticator') ? 'secondary' : 'primary'} disabled={busy} onClick={() => void withPasskey()}>
            Use a passkey I still have
          </Button>
        </div>
      )}
      {options.includes('trusted_device') && (
        <div className="space-y-2">
          {options.length > 1 && <p className="text-sm font-semibold text-muted">Or</p>}
          {deviceRequest > 0 && (
            <ApprovalWaiting
              key={deviceRequest}
              initial="pending"
              check={deviceProofStatusAction}
              endedText="Nobody approved it in time. Send a new request, or choose another way."
            />
          )}
          <Button type="button" variant={options.length > 1 || deviceRequest > 0 ? 'secondary' : 'primary'} disabled={busy} onClick={() => void askDevice()}>
            {deviceRequest > 0 ? 'Send a new request' : 'Approve on a device where I’m signed in'}
          </Button>
        </div>
      )}
    </div>
  );
}


export function BindStep({ factor }: { factor: 'passkey' | 'authenticator' }) {
  const router = useRouter();
  const [error, setError] = useState<string>();
  const [fieldError, setFieldError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [setup, setSetup] = useState<AuthenticatorSetup>();

  async function beginAuthenticator() {
    setBusy(true);
    setError(undefined);
    const result = await beginAuthenticatorRebindAction();
    setBusy(false);
    if (!result.ok) return setError(result.error.message);
    setSetup(result.data);
  }

  async function finishAuthenticator(code: string) {
    if (!setup) return;
    setBusy(true);
    setError(undefined);
    setFieldError(undefined);
    const result = await finishAuthenticatorRebindAction({ authenticatorId: setup.authenticatorId, code });
    setBusy(false);
    if (!result.ok) return result.error.fieldErrors?.code?.[0] ? setFieldError(result.error.fieldErrors.code[0]) : setError(result.error.message);
    router.refresh();
  }

  async function createPasskey() {
    setBusy(true);
    setError(undefined);
    try {
      const options = await beginPasskeyRebindAction();
      if (!options.ok) return setError(options.error.message);
      let response;
      try {
        response = await startRegistration({ optionsJSON: options.data });
      } catch (problem) {
        return setError(passkeyProblem(problem));
      }
      const result = await finishPasskeyRebindAction(JSON.stringify(response));
      if (!result.ok) return setError(result.error.message);
      router.refresh();
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="space-y-4">
      <div aria-live="assertive">{error && <Alert tone="error">{error}</Alert>}</div>
      {factor === 'passkey' ? (
        <Button type="button" disabled={busy} onClick={() => void createPasskey()}>
          {busy ? 'Waiting for your passkey…' : 'Create my new passkey'}
        </Button>
      ) : !setup ? (
        <Button type="button" disabled={busy} onClick={() => void beginAuthenticator()}>
          Set up my new authenticator app
        </Button>
      ) : (
        <AuthenticatorSetupSteps
          setup={setup}
          busy={busy}
          fieldError={fieldError}
          confirmLabel="Confirm and finish"
          onConfirm={(code) => void finishAuthenticator(code)}
        />
      )}
    </div>
  );
}
