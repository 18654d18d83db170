'use client';

import { useActionState, useEffect, useState } from 'react';
import { Alert, Button } from '../../../_components/ui';
import { completeTicketAction } from './actions';

export function CompleteForm() {
  const [state, action, pending] = useActionState(completeTicketAction, undefined);
  const [token, setToken] = useState<string | null>(null);
  useEffect(() => {
    // Read once from the fragment, then drop it from the address bar and history.
    setToken(window.location.hash.slice(1));
    window.history.replaceState(null, '', window.location.pathname);
  }, []);
  if (token === '') {
    return <Alert tone="error">This link is incomplete. Open the newest email we sent about your request and use the link in it.</Alert>;
  }
  return (
    <form action={action} className="space-y-4">
      <div aria-live="assertive">{state && !state.ok && <Alert tone="error">{state.error.message}</Alert>}</div>
      <input type="hidden" name="token" value={token ?? ''} />
      <Button type="submit" disabled={pending || token === null}>
        {pending ? 'Opening…' : 'Continue to set up a new sign-in method'}
      </Button>
    </form>
  );
}
