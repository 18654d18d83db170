'use client';

import { useActionState } from 'react';
import { Alert, Button, TextField } from '../../../_components/ui';
import { startAction, type FormState } from '../actions';

export function StartForm({ lost }: { lost?: string | undefined }) {
  const [state, action, pending] = useActionState<FormState, FormData>(startAction, undefined);
  const error = state && !state.ok ? state.error : undefined;
  return (
    <form action={action} className="space-y-4" noValidate>
      {error && !error.fieldErrors && <Alert tone="error">{error.message}</Alert>}
      {lost && <input type="hidden" name="lost" value={lost} />}
      <TextField
        id="identifier"
        name="identifier"
        label="Email address or phone number"
        hint="Phone numbers start with your country code, for example +44 7700 900123."
        autoComplete="username"
        inputMode="email"
        autoCapitalize="none"
        spellCheck={false}
        required
        maxLength={254}
        error={error?.fieldErrors?.identifier?.[0]}
        autoFocus
      />
      <Button type="submit" disabled={pending} className="w-full sm:w-auto">
        {pending ? 'Sending a code…' : 'Continue'}
      </Button>
    </form>
  );
}
