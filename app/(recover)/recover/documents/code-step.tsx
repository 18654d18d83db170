'use client';

import { useActionState } from 'react';
import { Alert, Button } from '../../../_components/ui';
import { EmailCodeFields } from '../_components/email-code-fields';
import { confirmContactAction, resendContactCodeAction, restartDocumentsAction, type FormState } from './actions';

/**
 * Step 1b: the code sent to the contact address. Until it comes back the request is not in the
 * queue and that address gets nothing else (docs/security.md rules 21 and 27).
 */
export function CodeStep({ attemptsLeft, destination }: { attemptsLeft: number; destination: string | undefined }) {
  const [state, action, pending] = useActionState<FormState, FormData>(confirmContactAction, undefined);
  const [resent, resend, resending] = useActionState<FormState>(resendContactCodeAction, undefined);
  const error = state && !state.ok ? state.error : undefined;
  const resendError = resent && !resent.ok ? resent.error : undefined;
  const closed = error?.code === 'conflict' || attemptsLeft <= 0;
  return (
    <div className="space-y-4">
      <p>
        We sent a 6-digit code to <strong>{destination ?? 'the email address you gave'}</strong>. Enter it to confirm the address; your request reaches our
        team only after that.
      </p>
      <div aria-live="assertive" className="space-y-2">
        {error && !error.fieldErrors && (
          <Alert tone="error" title={closed ? 'This code no longer works' : 'We couldn’t check that code'}>
            {error.message}
          </Alert>
        )}
        {resendError && <Alert tone="error">{resendError.message}</Alert>}
      </div>
      {!closed && (
        <form action={action} className="space-y-4" noValidate>
          <EmailCodeFields error={error} attemptsLeft={attemptsLeft} pending={pending} submitLabel="Confirm and continue" />
        </form>
      )}
      <div className="flex flex-wrap gap-3 border-t border-line pt-4">
        {!closed && (
          <form action={resend}>
            <Button type="submit" variant="secondary" disabled={resending}>
              {resending ? 'Sending…' : 'Send a new code'}
            </Button>
          </form>
        )}
        <form action={restartDocumentsAction}>
          <Button type="submit" variant="secondary">
            Start again
          </Button>
        </form>
      </div>
    </div>
  );
}
