'use client';

import { useActionState, useEffect, useState } from 'react';
import { AlertIcon } from '../../../_components/icons';
import { Alert, Button, TextField } from '../../../_components/ui';
import { openTicketAction, type FormState } from './actions';

const CHOICES = [
  { value: 'authenticator', label: 'My authenticator app', detail: 'New phone, deleted app, or the codes stopped working.' },
  { value: 'passkey', label: 'My passkey', detail: 'The device or password manager that held it is gone.' },
  { value: 'phone', label: 'My phone number', detail: 'I no longer have the number on my account.' },
  { value: 'email', label: 'Access to my email', detail: 'I can’t get into the email address on my account.' },
] as const;

type Lost = (typeof CHOICES)[number]['value'];

/**
 * Contact address and what was lost. When a recovery code already proved the account, its own
 * address (shown masked) receives the mail, unless the email is what was lost.
 */
export function StartForm({ accountEmail, defaultLost }: { accountEmail?: string | undefined; defaultLost?: Lost | undefined }) {
  const [state, action, pending] = useActionState<FormState, FormData>(openTicketAction, undefined);
  const [lost, setLost] = useState<Lost>(defaultLost ?? 'authenticator');
  const error = state && !state.ok ? state.error : undefined;
  const askForEmail = !accountEmail || lost === 'email';
  const lostError = error?.fieldErrors?.lost?.[0];
  // The browser's time zone, so a video call's email can give its time in the person's own clock.
  const [timeZone, setTimeZone] = useState('');
  useEffect(() => setTimeZone(Intl.DateTimeFormat().resolvedOptions().timeZone ?? ''), []);

  return (
    <form action={action} className="space-y-5" noValidate>
      <input type="hidden" name="timeZone" value={timeZone} />
      {error && !error.fieldErrors && (
        <Alert tone="error" title="We couldn’t open your request">
          {error.message}
        </Alert>
      )}
      <fieldset className="space-y-2" aria-describedby={lostError ? 'lost-error' : undefined}>
        <legend className="mb-2 text-lg font-bold">What can you no longer use?</legend>
        {CHOICES.map((choice) => (
          <label key={choice.value} className="flex min-h-11 cursor-pointer items-start gap-3 rounded-lg border border-line bg-surface p-3 has-[:checked]:border-accent">
            <input
              type="radio"
              name="lost"
              value={choice.value}
              checked={lost === choice.value}
              onChange={() => setLost(choice.value)}
              className="mt-1 h-4 w-4"
            />
            <span>
              <span className="block font-semibold">{choice.label}</span>
              <span className="block text-sm text-muted">{choice.detail}</span>
            </span>
          </label>
        ))}
        {lostError && (
          <p id="lost-error" className="flex items-center gap-1.5 text-sm font-medium text-danger">
            <AlertIcon className="h-4 w-4 shrink-0" />
            {lostError}
          </p>
        )}
      </fieldset>

      {askForEmail ? (
        <TextField
          id="contactEmail"
          name="contactEmail"
          type="email"
          label={accountEmail ? 'An email address you can read now' : 'Your email address'}
          hint={
            accountEmail
              ? 'Your account’s address won’t reach you, so we’ll write here instead. Our team takes this into account when reviewing.'
              : 'Use the address on your account if you can. We’ll first send a code to confirm it, then your reference number and every update.'
          }
          autoComplete="email"
          inputMode="email"
          autoCapitalize="none"
          spellCheck={false}
          maxLength={254}
          required
          error={error?.fieldErrors?.contactEmail?.[0]}
        />
      ) : (
        <div className="rounded-lg border border-line bg-surface-muted p-4 text-sm">
          <p className="font-semibold">We’ll write to {accountEmail}</p>
          <p className="mt-1 text-muted">That’s the email address on the account you just verified. Your reference number and every update go there.</p>
        </div>
      )}

      <Button type="submit" disabled={pending} className="w-full sm:w-auto">
        {pending ? 'Opening your request…' : 'Continue'}
      </Button>
    </form>
  );
}
