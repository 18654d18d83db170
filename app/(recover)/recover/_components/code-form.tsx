'use client';

import { useActionState } from 'react';
import { Alert, Button, CodeInput } from '../../../_components/ui';
import { verifyAction, type FormState } from '../actions';

export function CodeForm({ attemptsLeft }: { attemptsLeft: number }) {
  const [state, action, pending] = useActionState<FormState, FormData>(verifyAction, undefined);
  const error = state && !state.ok ? state.error : undefined;
  return (
    <form action={action} className="space-y-4" noValidate>
      {error && !error.fieldErrors && (
        <Alert tone="error" title="We couldn't check that code">
          {error.message}
        </Alert>
      )}
      <CodeInput
        id="code"
        name="code"
        label="6-digit code"
        // After a wrong code the error below carries the up-to-date count.
        hint={error?.fieldErrors ? 'You can paste the code.' : `You can paste the code. ${attemptsLeft} ${attemptsLeft === 1 ? 'attempt' : 'attempts'} left.`}
        required
        autoFocus
        error={error?.fieldErrors?.code?.[0]}
      />
      <Button type="submit" disabled={pending} className="w-full sm:w-auto">
        {pending ? 'Checking…' : 'Verify'}
      </Button>
    </form>
  );
}
