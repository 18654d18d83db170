'use client';

import { useActionState } from 'react';
import { Alert, Button, CodeInput, TextField } from '../../../_components/ui';
import { ExpiryCountdown } from '../../../(recover)/recover/_components/countdown';
import { finishCodeSignInAction, restartCodeSignInAction, startCodeSignInAction, type CodeSignInState } from './actions';

const messageOf = (state: CodeSignInState) => (state && !state.ok ? ('message' in state ? state.message : state.error.message) : undefined);

export function DetailsStep() {
  const [state, action, pending] = useActionState<CodeSignInState, FormData>(startCodeSignInAction, undefined);
  const message = messageOf(state);
  return (
    <form action={action} className="space-y-4" noValidate>
      <div aria-live="assertive">{message && <Alert tone="error">{message}</Alert>}</div>
      <TextField id="email" name="email" type="email" label="Email address" autoComplete="username" required />
      <TextField id="password" name="password" type="password" label="Password" autoComplete="current-password" required />
      <Button type="submit" disabled={pending} className="w-full">
        {pending ? 'Sending…' : 'Email me a code'}
      </Button>
    </form>
  );
}

export function CodeStep({ expiresAt }: { expiresAt: string }) {
  const [state, action, pending] = useActionState<CodeSignInState, FormData>(finishCodeSignInAction, undefined);
  const message = messageOf(state);
  return (
    <div className="space-y-4">
      <form action={action} className="space-y-4" noValidate>
        <ExpiryCountdown until={expiresAt} />
        <CodeInput
          id="code"
          name="code"
          label="Code from the email"
          hint="6 digits. No email after a few minutes? Check your spam folder, then start again and check the password."
          error={message}
          required
          autoFocus
        />
        <Button type="submit" disabled={pending} className="w-full">
          {pending ? 'Signing in…' : 'Sign in'}
        </Button>
      </form>
      <form action={restartCodeSignInAction}>
        <Button type="submit" variant="ghost" className="-ml-4">
          Use a different email or password
        </Button>
      </form>
    </div>
  );
}
