'use client';

import { useActionState, useEffect, useRef } from 'react';
import type { ActionResult } from '@/lib/errors';
import { VideoIcon } from '../../../_components/icons';
import { Alert, Button, CodeInput } from '../../../_components/ui';
import { UtcTime, UtcWindow } from '../_components/utc-time';
import { ReferenceField } from '../_components/reference-field';
import { joinAction, newJoinCodeAction, requestJoinCodeAction, startOverAction, type FormState, type JoinOutcome } from './actions';

export function ReferenceForm() {
  const [state, action, pending] = useActionState<FormState, FormData>(requestJoinCodeAction, undefined);
  const error = state && !state.ok ? state.error : undefined;
  return (
    <form action={action} className="space-y-4" noValidate>
      {error && !error.fieldErrors && <Alert tone="error">{error.message}</Alert>}
      <ReferenceField hint="It looks like RG-7K4M-2Q9X and is in the email that confirmed your appointment." error={error?.fieldErrors?.reference?.[0]} />
      <Button type="submit" disabled={pending} className="w-full sm:w-auto">
        {pending ? 'Sending…' : 'Email me a code'}
      </Button>
    </form>
  );
}

/** `intro` (the code's countdown) and `footer` (start over) belong to the code step and go once the link is shown. */
export function JoinForm({ attemptsLeft, intro, footer }: { attemptsLeft: number; intro?: React.ReactNode; footer?: React.ReactNode }) {
  const [state, action, pending] = useActionState<ActionResult<JoinOutcome> | undefined, FormData>(joinAction, undefined);
  const result = state?.ok ? state.data : undefined;
  const error = state && !state.ok ? state.error : undefined;
  const joinLink = useRef<HTMLAnchorElement>(null);

  // The link is the one thing the person came for: take focus there so it is announced and one key away.
  useEffect(() => {
    if (result?.joined) joinLink.current?.focus();
  }, [result]);

  if (result?.joined) {
    return (
      <div className="space-y-4">
        <Alert tone="success" title="You’re confirmed. Your call is ready.">
          <p>
            Your call: <UtcWindow start={result.startsAt} end={result.endsAt} />.
          </p>
        </Alert>
        <a
          ref={joinLink}
          href={result.meetingUrl}
          target="_blank"
          rel="noopener noreferrer"
          className="inline-flex min-h-11 w-full items-center justify-center gap-2 rounded-lg bg-accent px-4 text-sm font-semibold text-on-accent hover:bg-accent-hover sm:w-auto"
        >
          <VideoIcon className="h-5 w-5" />
          Join the call
          <span className="sr-only">(opens in a new tab)</span>
        </a>
        <ul className="list-disc space-y-1 pl-5 text-sm text-muted">
          <li>The link works only until the call ends. Please don’t share it: it lets anyone who has it into your call.</li>
          <li>Have the identity document you uploaded with you. Our specialist will never ask for your password or sign-in codes.</li>
          <li>Allow your browser to use the camera and microphone when it asks.</li>
        </ul>
      </div>
    );
  }

  const refusal = result && !result.joined ? result : undefined;
  const fieldErrors = error?.fieldErrors;
  const left = refusal?.attemptsLeft ?? attemptsLeft;
  // Too many wrong codes: one message and "Start again", never a count of tries beside it. A new
  // code from this browser would inherit the spent tries for a while, so it is not offered.
  const closed = refusal?.reason === 'locked' || (!refusal && left <= 0);
  const spent = refusal && (refusal.reason === 'used' || refusal.reason === 'expired');

  return (
    <div className="space-y-4">
      {intro}
      <div aria-live="polite" className="space-y-2">
        {error && !fieldErrors && <Alert tone="error">{error.message}</Alert>}
        {closed && !refusal && (
          <Alert tone="error" title="We couldn’t let you in">
            Too many wrong codes. Wait 10 minutes, then start again.
          </Alert>
        )}
        {refusal?.reason === 'outside_window' && refusal.window ? (
          <Alert tone="warning" title={refusal.window.ended ? 'This appointment has ended' : 'It’s not time for your call yet'}>
            <p>
              Your call is booked for <UtcWindow start={refusal.window.startsAt} end={refusal.window.endsAt} />.
            </p>
            {!refusal.window.ended && (
              <p className="mt-1">
                You can join from <UtcTime value={refusal.window.opensAt} />. Come back then and enter the codes again.
              </p>
            )}
            {refusal.window.ended && <p className="mt-1">If you missed it, answer on your request’s status page and we’ll arrange another time.</p>}
          </Alert>
        ) : (
          refusal && (
            <Alert tone="error" title="We couldn’t let you in">
              {refusal.message}
            </Alert>
          )
        )}
      </div>
      {closed ? (
        <form action={startOverAction}>
          <Button type="submit">Start again</Button>
        </form>
      ) : spent ? (
        <NewCodeButton />
      ) : (
        <form action={action} className="space-y-4" noValidate>
          <CodeInput
            id="emailCode"
            name="emailCode"
            label="Code from the email"
            hint="6 digits. You can paste it."
            required
            autoFocus
            error={fieldErrors?.emailCode?.[0]}
          />
          <CodeInput
            id="authenticatorCode"
            name="authenticatorCode"
            label="Code from your authenticator app"
            hint="The 6-digit code the app shows right now for this account."
            required
            error={fieldErrors?.authenticatorCode?.[0]}
          />
          {!error && (
            <p className="text-sm text-muted">
              {left} {left === 1 ? 'try' : 'tries'} left with this email code.
            </p>
          )}
          <Button type="submit" disabled={pending} className="w-full sm:w-auto">
            {pending ? 'Checking…' : 'Get my meeting link'}
          </Button>
        </form>
      )}
      {!closed && footer}
    </div>
  );
}

function NewCodeButton() {
  const [state, action, pending] = useActionState<FormState, FormData>(newJoinCodeAction, undefined);
  const error = state && !state.ok ? state.error : undefined;
  return (
    <form action={action} className="space-y-2">
      {error && <Alert tone="error">{error.message}</Alert>}
      <Button type="submit" disabled={pending}>
        {pending ? 'Sending…' : 'Email me a new code'}
      </Button>
    </form>
  );
}
