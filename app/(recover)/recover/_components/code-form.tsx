'use client';

import { useRouter } from 'next/navigation';
import { useActionState, useEffect } from 'react';
import { Alert, Button, ButtonLink, CodeInput } from '../../../_components/ui';
import { verifyAction, type FormState } from '../actions';

export function CodeForm({ attemptsLeft, lost }: { attemptsLeft: number; lost?: string | undefined }) {
  const [state, action, pending] = useActionState<FormState, FormData>(verifyAction, undefined);
  const error = state && !state.ok ? state.error : undefined;
  const router = useRouter();
  // A closed request (too many wrong codes, expired, used) says so once, with the way forward, and
  // never beside an attempts count; the page is reloaded into its own closed state.
  const closed = error?.code === 'conflict';
  useEffect(() => {
    if (closed) router.refresh();
  }, [closed, state, router]);
  if (closed) {
    return (
      <div className="space-y-4" aria-live="polite">
        <Alert tone="error" title="This code request has ended">
          {error.message}
        </Alert>
        <ButtonLink href={lost ? `/recover?lost=${lost}` : '/recover'}>Start again</ButtonLink>
      </div>
    );
  }
  return (
    <form action={action} className="space-y-4" noValidate>
      {lost && <input type="hidden" name="lost" value={lost} />}
      {error && !error.fieldErrors && (
        <Alert tone="error" title="We couldn't check that code">
          {error.message}
        </Alert>
      )}
      <CodeInput
        id="code"
        name="code"
        label="6-digit code"
        // After a wrong code the error below carries the up-to-date count; after any other refusal
        // (a wait, say) the count is beside the point.
        hint={error ? 'You can paste the code.' : `You can paste the code. ${attemptsLeft} ${attemptsLeft === 1 ? 'attempt' : 'attempts'} left.`}
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
