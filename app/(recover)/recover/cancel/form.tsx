'use client';

import { useActionState, useEffect, useState } from 'react';
import { Alert, Button } from '../../../_components/ui';
import { cancelTicketAction } from './actions';

export function CancelForm() {
  const [state, action, pending] = useActionState(cancelTicketAction, undefined);
  const [token, setToken] = useState<string | null>(null);
  useEffect(() => {
    // Read once from the fragment, then drop it from the address bar and history (rule 26).
    setToken(window.location.hash.slice(1));
    window.history.replaceState(null, '', window.location.pathname);
  }, []);
  if (state?.ok) {
    return (
      <div aria-live="polite">
        <Alert tone="success" title="Request cancelled">
          Recovery request {state.data.reference} is cancelled. Nothing on your account was changed by it.
        </Alert>
      </div>
    );
  }
  if (token === '') {
    return <Alert tone="error">This link is incomplete. Open the newest message we sent you and use the link in it.</Alert>;
  }
  return (
    <form action={action} className="space-y-4">
      <div aria-live="assertive">{state && !state.ok && <Alert tone="error">{state.error.message}</Alert>}</div>
      <input type="hidden" name="token" value={token ?? ''} />
      <Button type="submit" disabled={pending || token === null}>
        {pending ? 'Cancelling…' : 'This wasn’t me: cancel the request'}
      </Button>
    </form>
  );
}
