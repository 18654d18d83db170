'use client';

import { startAuthentication } from '@simplewebauthn/browser';
import { useActionState, useState, useTransition } from 'react';
import { KeyIcon } from '../../../_components/icons';
import { Alert, Button, CodeInput, TextField } from '../../../_components/ui';
import { passkeyProblem } from '../../../(account)/_components/webauthn';
import { agentPasskeyOptionsAction, agentPasskeySignInAction, agentSignInAction, type AgentSignInState } from './actions';

export function AgentSignInForm() {
  const [state, action, pending] = useActionState<AgentSignInState, FormData>(agentSignInAction, undefined);
  const [passkeyMessage, setPasskeyMessage] = useState<string>();
  const [passkeyPending, startPasskey] = useTransition();
  const message = passkeyMessage ?? state?.message;

  function withPasskey() {
    setPasskeyMessage(undefined);
    startPasskey(async () => {
      const options = await agentPasskeyOptionsAction();
      if (!options.ok) return setPasskeyMessage(options.error.message);
      try {
        const refused = await agentPasskeySignInAction(JSON.stringify(await startAuthentication({ optionsJSON: options.data })));
        if (refused) setPasskeyMessage(refused.message);
      } catch (problem) {
        setPasskeyMessage(passkeyProblem(problem));
      }
    });
  }

  return (
    <div className="space-y-5">
      <div aria-live="assertive">{message && <Alert tone="error">{message}</Alert>}</div>
      <Button type="button" className="w-full" disabled={passkeyPending || pending} onClick={withPasskey}>
        <KeyIcon className="h-5 w-5" />
        {passkeyPending ? 'Waiting for your passkey…' : 'Sign in with a passkey'}
      </Button>
      <div className="flex items-center gap-3 text-xs font-semibold tracking-wide text-muted uppercase" aria-hidden="true">
        <span className="h-px flex-1 bg-line" /> or <span className="h-px flex-1 bg-line" />
      </div>
      <form action={action} onSubmit={() => setPasskeyMessage(undefined)} className="space-y-4">
        <TextField id="email" name="email" type="email" label="Work email" autoComplete="username" required />
        <TextField id="password" name="password" type="password" label="Password" autoComplete="current-password" required />
        <CodeInput id="code" name="code" label="Authenticator code" required />
        <Button type="submit" disabled={pending} className="w-full">
          {pending ? 'Signing in…' : 'Sign in to the console'}
        </Button>
      </form>
    </div>
  );
}
