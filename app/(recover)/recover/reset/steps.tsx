'use client';

import { startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import type { SecondProof } from '@/lib/recovery/resets';
import { passkeyCeremony } from '../../../(account)/_components/webauthn';
import { AuthenticatorSetupSteps, type AuthenticatorSetup } from '../../../_components/authenticator-setup';
import { Alert, Button, CodeInput, RECOVERY_CODE_EXAMPLE, RecoveryCodeInput, TextField } from '../../../_components/ui';
import { ApprovalWaiting } from '../_components/approval-waiting';
import {
  askDeviceAction,
  authenticatorProofAction,
  beginAuthenticatorRebindAction,
  beginContactRebindAction,
  beginPasskeyRebindAction,
  deviceProofStatusAction,
  finishAuthenticatorRebindAction,
  finishContactRebindAction,
  finishPasskeyRebindAction,
  passkeyProofAction,
  passkeyProofOptionsAction,
  recoveryCodeProofAction,
} from './actions';

export function ProveStep({ options, attemptsLeft, deviceRequest: pending }: { options: SecondProof[]; attemptsLeft: number; deviceRequest: { number: number } | undefined }) {
  const router = useRouter();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  // Each request gets its own waiting panel (a new key), so asking again starts a fresh wait.
  const [deviceRequest, setDeviceRequest] = useState(pending ? { key: 1, number: pending.number } : undefined);

  async function askDevice() {
    setBusy(true);
    setError(undefined);
    const result = await askDeviceAction();
    setBusy(false);
    if (!result.ok) return setError(result.error.message);
    setDeviceRequest((previous) => ({ key: (previous?.key ?? 0) + 1, number: result.data.number }));
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
      const problem = await passkeyCeremony(passkeyProofOptionsAction, (optionsJSON) => startAuthentication({ optionsJSON }), passkeyProofAction);
      if (problem) return setError(problem);
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
      {options.includes('recovery_code') && (
        <RecoveryCodeProof
          alone={options.length === 1}
          after={options.includes('authenticator') || options.includes('passkey')}
          attemptsLeft={attemptsLeft}
          disabled={busy}
        />
      )}
      {options.includes('trusted_device') && (
        <div className="space-y-2">
          {options.length > 1 && <p className="text-sm font-semibold text-muted">Or</p>}
          {deviceRequest && (
            <ApprovalWaiting
              key={deviceRequest.key}
              number={deviceRequest.number}
              check={deviceProofStatusAction}
              endedText="Nobody approved it in time. Send a new request, or choose another way."
            />
          )}
          <Button type="button" variant={options.length > 1 || deviceRequest ? 'secondary' : 'primary'} disabled={busy} onClick={() => void askDevice()}>
            {deviceRequest ? 'Send a new request' : 'Approve on a device where I’m signed in'}
          </Button>
          {!deviceRequest && (
            <p className="text-sm text-muted">The device must be signed in to your account. You will see a number here to pick on that device.</p>
          )}
        </div>
      )}
    </div>
  );
}

/**
 * One of the account's recovery codes as the second proof (docs/security.md rule 30). Offered
 * behind a button when there are other ways, straight away when it is the only one. The code is
 * read as typed (any case, spaces or dashes); a wrong one costs one of the reset's tries.
 */
function RecoveryCodeProof({ alone, after, attemptsLeft, disabled }: { alone: boolean; after: boolean; attemptsLeft: number; disabled: boolean }) {
  const router = useRouter();
  const [open, setOpen] = useState(alone);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const opened = useRef(false);
  const focusField = () => document.getElementById('proof-recovery-code')?.focus();

  useEffect(() => {
    if (open && opened.current) focusField();
  }, [open]);

  async function submit(form: FormData) {
    setBusy(true);
    setError(undefined);
    const result = await recoveryCodeProofAction(String(form.get('code') ?? ''));
    setBusy(false);
    if (result.ok) return router.refresh();
    setError(result.error.fieldErrors?.code?.[0] ?? result.error.message);
    // The message under the field is read out with it when the field takes focus again.
    focusField();
    // A wrong code used one of the reset's tries: the other hints on the page count them too.
    if (result.error.code === 'unauthorized') router.refresh();
  }

  return (
    <div className="space-y-2">
      {after && <p className="text-sm font-semibold text-muted">Or</p>}
      {!open ? (
        <Button
          type="button"
          variant="secondary"
          disabled={disabled}
          onClick={() => {
            opened.current = true;
            setOpen(true);
          }}
        >
          Use a recovery code
        </Button>
      ) : (
        <form
          className="space-y-3"
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            void submit(new FormData(event.currentTarget));
          }}
        >
          <RecoveryCodeInput
            id="proof-recovery-code"
            name="code"
            label="Recovery code"
            hint={`One of the codes you saved, like ${RECOVERY_CODE_EXAMPLE}. ${attemptsLeft} ${attemptsLeft === 1 ? 'try' : 'tries'} left.`}
            error={error}
            required
          />
          <Button type="submit" variant={alone ? 'primary' : 'secondary'} disabled={busy || disabled}>
            {busy ? 'Checking…' : 'Confirm recovery code'}
          </Button>
        </form>
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
      const problem = await passkeyCeremony(beginPasskeyRebindAction, (optionsJSON) => startRegistration({ optionsJSON }), finishPasskeyRebindAction);
      if (problem) return setError(problem);
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

/**
 * A lost phone number or email address: the new one, then the code sent to it. The account keeps
 * the old contact until the code comes back, so a typo costs nothing but a new code.
 */
export function ContactBindStep({ factor, codeSentTo, suggested }: { factor: 'phone' | 'email'; codeSentTo: string | undefined; suggested?: string | undefined }) {
  const router = useRouter();
  const [sentTo, setSentTo] = useState(codeSentTo);
  const [changing, setChanging] = useState(false);
  const [error, setError] = useState<string>();
  const [fieldError, setFieldError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const email = factor === 'email';

  async function send(form: FormData) {
    setBusy(true);
    setError(undefined);
    setFieldError(undefined);
    const result = await beginContactRebindAction(String(form.get('contact') ?? ''));
    setBusy(false);
    if (!result.ok) {
      const field = result.error.fieldErrors?.[email ? 'email' : 'phone']?.[0];
      return field ? setFieldError(field) : setError(result.error.message);
    }
    setSentTo(result.data.codeSentTo);
    setChanging(false);
  }

  async function confirm(form: FormData) {
    setBusy(true);
    setError(undefined);
    setFieldError(undefined);
    const result = await finishContactRebindAction(String(form.get('code') ?? ''));
    setBusy(false);
    if (!result.ok) return result.error.fieldErrors?.code?.[0] ? setFieldError(result.error.fieldErrors.code[0]) : setError(result.error.message);
    router.refresh();
  }

  const submit = (handler: (form: FormData) => Promise<void>) => (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    void handler(new FormData(event.currentTarget));
  };

  return (
    <div className="space-y-4">
      <div aria-live="assertive">{error && <Alert tone="error">{error}</Alert>}</div>
      {!sentTo || changing ? (
        <form className="space-y-3" onSubmit={submit(send)} noValidate>
          <TextField
            id="new-contact"
            name="contact"
            label={email ? 'Your new email address' : 'Your new phone number'}
            hint={
              email
                ? suggested
                  ? 'Filled in with the address you gave us on your request; change it if you like. We send a code there to make sure it reaches you.'
                  : 'We send a code there to make sure it reaches you.'
                : 'With the country code, for example +44 7700 900123. We text a code to it.'
            }
            type={email ? 'email' : 'tel'}
            autoComplete={email ? 'email' : 'tel'}
            error={fieldError}
            defaultValue={suggested}
            required
          />
          <Button type="submit" disabled={busy}>
            {busy ? 'Sending…' : 'Send a code'}
          </Button>
        </form>
      ) : (
        <form className="space-y-3" onSubmit={submit(confirm)}>
          <p role="status" className="text-sm">
            We sent a 6-digit code to <strong>{sentTo}</strong>. It works for 10 minutes.
          </p>
          <CodeInput id="contact-code" name="code" label="6-digit code" error={fieldError} required />
          <div className="flex flex-wrap gap-3">
            <Button type="submit" disabled={busy}>
              {busy ? 'Checking…' : 'Confirm and finish'}
            </Button>
            <Button
              type="button"
              variant="secondary"
              disabled={busy}
              onClick={() => {
                setChanging(true);
                setFieldError(undefined);
              }}
            >
              {email ? 'Use another address or send again' : 'Use another number or send again'}
            </Button>
          </div>
        </form>
      )}
    </div>
  );
}
