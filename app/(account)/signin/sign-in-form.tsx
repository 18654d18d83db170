'use client';

import Link from 'next/link';
import { useActionState } from 'react';
import { Alert, Button, CodeInput, TextField } from '../../_components/ui';
import { signInAction, type SignInState } from './actions';

export function SignInForm() {
  const [state, action, pending] = useActionState<SignInState, FormData>(signInAction, undefined);
  return (
    <form action={action} className="space-y-4">
      {state && <Alert tone="error">{state.message}</Alert>}
      <TextField id="email" name="email" type="email" label="Email address" autoComplete="username" required autoFocus />
      <TextField id="password" name="password" type="password" label="Password" autoComplete="current-password" required />
      <CodeInput id="code" name="code" label="Authenticator code" hint="The 6-digit code from your authenticator app." required />
      <Button type="submit" disabled={pending} className="w-full">
        {pending ? 'Signing in…' : 'Sign in'}
      </Button>
      <p className="text-center text-sm">
        <Link href="/recover" className="font-semibold text-accent underline">
          Can&apos;t sign in?
        </Link>
      </p>
    </form>
  );
}
