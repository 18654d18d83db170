'use client';

import { startAuthentication } from '@simplewebauthn/browser';
import Link from 'next/link';
import { useActionState, useRef, useState, useTransition } from 'react';
import { Alert, Button, CodeInput, RECOVERY_CODE_EXAMPLE, RecoveryCodeInput, TextField } from '../../_components/ui';
import { KeyIcon } from '../../_components/icons';
import { passkeyProblem } from '../_components/webauthn';
import { passkeyOptionsAction, passkeySignInAction, signInAction, type SignInState } from './actions';

/** Runs the browser's passkey prompt with fresh server options; undefined when it did not finish. */
async function askForPasskey(onProblem: (message: string) => void): Promise<string | undefined> {
  const options = await passkeyOptionsAction();
  if (!options.ok) {
    onProblem(options.error.message);
    return undefined;
  }
  try {
    return JSON.stringify(await startAuthentication({ optionsJSON: options.data }));
  } catch (problem) {
    onProblem(passkeyProblem(problem));
    return undefined;
  }
}

export function SignInForm() {
  const [state, action, pending] = useActionState<SignInState, FormData>(signInAction, undefined);
  const [passkeyMessage, setPasskeyMessage] = useState<string>();
  const [passkeyPending, startPasskey] = useTransition();
  const [secondFactor, setSecondFactor] = useState<'code' | 'passkey' | 'recovery'>('code');
  // Focus follows a switch the person made, never the first render (the email field comes first).
  const [switched, setSwitched] = useState(false);
  // Kept in state: React resets a form after its action, and a refused sign-in should not cost the typed email.
  const [email, setEmail] = useState('');
  const form = useRef<HTMLFormElement>(null);
  const passkeyField = useRef<HTMLInputElement>(null);
  const message = passkeyMessage ?? state?.message;

  function use(factor: typeof secondFactor) {
    setSecondFactor(factor);
    setSwitched(true);
  }

  function signInWithPasskey() {
    setPasskeyMessage(undefined);
    startPasskey(async () => {
      const response = await askForPasskey(setPasskeyMessage);
      if (!response) return;
      const refused = await passkeySignInAction(response);
      if (refused) setPasskeyMessage(refused.message);
    });
  }

  async function passwordWithPasskey() {
    setPasskeyMessage(undefined);
    if (!form.current?.reportValidity()) return;
    const response = await askForPasskey(setPasskeyMessage);
    if (!response || !passkeyField.current) return;
    passkeyField.current.value = response;
    form.current.requestSubmit();
  }

  return (
    <div className="space-y-5">
      <div aria-live="assertive">{message && <Alert tone="error">{message}</Alert>}</div>
      <Button type="button" className="w-full" disabled={passkeyPending || pending} onClick={signInWithPasskey}>
        <KeyIcon className="h-5 w-5" />
        {passkeyPending ? 'Waiting for your passkey…' : 'Sign in with a passkey'}
      </Button>
      <div className="flex items-center gap-3 text-xs font-semibold tracking-wide text-muted uppercase" aria-hidden="true">
        <span className="h-px flex-1 bg-line" /> or use your password <span className="h-px flex-1 bg-line" />
      </div>
      <form ref={form} action={action} onSubmit={() => setPasskeyMessage(undefined)} className="space-y-4">
        <TextField
          id="email"
          name="email"
          type="email"
          label="Email address"
          autoComplete="username webauthn"
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          required
        />
        <TextField id="password" name="password" type="password" label="Password" autoComplete="current-password" required />
        <input ref={passkeyField} type="hidden" name="passkeyResponse" defaultValue="" />
        {secondFactor === 'passkey' ? (
          <>
            <Button type="button" disabled={pending} className="w-full" onClick={() => void passwordWithPasskey()}>
              {pending ? 'Signing in…' : 'Continue with a passkey'}
            </Button>
            <SwitchLink onClick={() => use('code')}>Use an authenticator code instead</SwitchLink>
          </>
        ) : (
          <>
            <div className="space-y-1.5">
              {secondFactor === 'code' ? (
                <CodeInput id="code" name="code" label="Authenticator code" hint="The 6-digit code from your authenticator app." autoFocus={switched} required />
              ) : (
                <RecoveryCodeInput
                  id="recovery-code"
                  name="recoveryCode"
                  label="Recovery code"
                  hint={`One of the codes you saved, like ${RECOVERY_CODE_EXAMPLE}. Each code works once.`}
                  autoFocus={switched}
                  required
                />
              )}
              {secondFactor === 'code' ? (
                <SwitchLink onClick={() => use('recovery')}>Use a recovery code instead</SwitchLink>
              ) : (
                <SwitchLink onClick={() => use('code')}>Use an authenticator code instead</SwitchLink>
              )}
            </div>
            <Button type="submit" disabled={pending} className="w-full">
              {pending ? 'Signing in…' : 'Sign in'}
            </Button>
            <SwitchLink onClick={() => use('passkey')}>Use a passkey instead of a code</SwitchLink>
          </>
        )}
      </form>
      <div className="space-y-2 border-t border-line pt-4 text-center text-sm">
        <p>
          No authenticator app or passkey?{' '}
          <Link href="/signin/code" className="font-semibold text-accent underline">
            Sign in with an emailed code
          </Link>
        </p>
        <p>
          <Link href="/recover" className="font-semibold text-accent underline">
            Can&apos;t sign in?
          </Link>
        </p>
      </div>
    </div>
  );
}

/** Swaps the second factor in place; a button, since it changes the form rather than the page. */
function SwitchLink({ onClick, children }: { onClick: () => void; children: React.ReactNode }) {
  return (
    <button type="button" className="inline-flex min-h-6 items-center text-left text-sm font-semibold text-accent underline" onClick={onClick}>
      {children}
    </button>
  );
}
