'use client';

import { useRouter } from 'next/navigation';
import { useActionState, useEffect, useRef, useState } from 'react';
import { AlertIcon } from '../../../_components/icons';
import { Alert, Button, TextField } from '../../../_components/ui';
import { EmailCodeFields } from '../_components/email-code-fields';
import { PhotoPicker } from '../_components/photo-picker';
import { ReferenceField } from '../_components/reference-field';
import { changeCallAction, replyAction, requestStatusCodeAction, startOverAction, uploadExtraAction, verifyStatusCodeAction, type FormState } from './actions';
import { CALL_CANCELLED } from './call-words';

export function StatusStartForm() {
  const [state, action, pending] = useActionState<FormState, FormData>(requestStatusCodeAction, undefined);
  const error = state && !state.ok ? state.error : undefined;
  return (
    <form action={action} className="space-y-4" noValidate>
      {error && !error.fieldErrors && <Alert tone="error">{error.message}</Alert>}
      <ReferenceField hint="It looks like RG-7K4M-2Q9X and is in the email we sent when you opened the request." error={error?.fieldErrors?.reference?.[0]} />
      <TextField
        id="email"
        name="email"
        type="email"
        label="Email address"
        hint="The one you gave with the request."
        autoComplete="email"
        inputMode="email"
        autoCapitalize="none"
        spellCheck={false}
        maxLength={254}
        required
        error={error?.fieldErrors?.email?.[0]}
      />
      <Button type="submit" disabled={pending} className="w-full sm:w-auto">
        {pending ? 'Sending…' : 'Send me a code'}
      </Button>
    </form>
  );
}

/** What a closed code request says: one message and the way forward, never a count of tries. */
export function StatusCodeClosed({ message }: { message: string }) {
  return (
    <div className="space-y-4" aria-live="polite">
      <Alert tone="error" title="This code no longer works">
        {message}
      </Alert>
      <form action={startOverAction}>
        <Button type="submit">Start again</Button>
      </form>
    </div>
  );
}

export function StatusCodeForm({ attemptsLeft }: { attemptsLeft: number }) {
  const [state, action, pending] = useActionState<FormState, FormData>(verifyStatusCodeAction, undefined);
  const error = state && !state.ok ? state.error : undefined;
  if (error?.code === 'conflict') return <StatusCodeClosed message={error.message} />;
  return (
    <form action={action} className="space-y-4" noValidate>
      {error && !error.fieldErrors && (
        <Alert tone="error" title="We couldn’t check that code">
          {error.message}
        </Alert>
      )}
      <EmailCodeFields error={error} attemptsLeft={attemptsLeft} pending={pending} submitLabel="Open my request" />
    </form>
  );
}

export function ReplyForm({ maxLength, answering }: { maxLength: number; answering: boolean }) {
  const router = useRouter();
  const [state, action, pending] = useActionState<FormState, FormData>(replyAction, undefined);
  const [length, setLength] = useState(0);
  const form = useRef<HTMLFormElement>(null);
  const error = state && !state.ok ? state.error : undefined;
  const fieldError = error?.fieldErrors?.body?.[0];
  const sent = state?.ok === true;

  // After a reply is stored, the conversation above (and maybe the status) changed on the server.
  useEffect(() => {
    if (!sent) return;
    form.current?.reset();
    setLength(0);
    router.refresh();
  }, [sent, state, router]);

  return (
    <form ref={form} action={action} className="space-y-3" noValidate>
      <div className="space-y-1.5">
        <label htmlFor="reply-body" className="block text-sm font-semibold">
          {answering ? 'Your answer' : 'Write to our security team'}
        </label>
        <p id="reply-hint" className="text-sm text-muted">
          Plain text only. Never include passwords, sign-in codes or recovery phrases: we will never ask for them.
        </p>
        <textarea
          id="reply-body"
          name="body"
          rows={5}
          maxLength={maxLength}
          required
          aria-invalid={fieldError ? true : undefined}
          aria-describedby={['reply-hint', 'reply-count', fieldError ? 'reply-error' : ''].filter(Boolean).join(' ')}
          onChange={(event) => setLength(event.currentTarget.value.length)}
          className={`block w-full rounded-lg border bg-surface px-3 py-2 text-base text-fg ${fieldError ? 'border-danger' : 'border-line'}`}
        />
        <p id="reply-count" className="text-xs text-muted">
          {length} of {maxLength} characters
        </p>
        {fieldError && (
          <p id="reply-error" className="flex items-center gap-1.5 text-sm font-medium text-danger">
            <AlertIcon className="h-4 w-4 shrink-0" />
            {fieldError}
          </p>
        )}
      </div>
      <div aria-live="polite">
        {error && !error.fieldErrors && <Alert tone="error">{error.message}</Alert>}
        {sent && <Alert tone="success">Sent. Our team sees your message with your request.</Alert>}
      </div>
      <Button type="submit" disabled={pending}>
        {pending ? 'Sending…' : answering ? 'Send answer' : 'Send message'}
      </Button>
    </form>
  );
}

export function ExtraImage({ maxBytes }: { maxBytes: number }) {
  const router = useRouter();
  return (
    <PhotoPicker
      kind="EXTRA"
      title="Add an image"
      target="an extra image for your request"
      hint={`For example, a clearer photo of your document, or another document our team asked for. JPEG, PNG or WebP, up to ${Math.round(maxBytes / (1024 * 1024))} MB.`}
      capture="environment"
      maxBytes={maxBytes}
      upload={uploadExtraAction}
      onResult={(result) => {
        if (result.outcome?.status === 'accepted') router.refresh();
      }}
    />
  );
}

/**
 * "Can't make it?" under a booked call: cancel it, or ask for another time with the times that
 * suit. Either way the calendar event is cancelled by email and Support sees a message.
 */
export function ChangeCallForm() {
  const router = useRouter();
  const [state, action, pending] = useActionState<FormState, FormData>(changeCallAction, undefined);
  const [choice, setChoice] = useState<'another_time' | 'cancel'>('another_time');
  const error = state && !state.ok ? state.error : undefined;
  const done = state?.ok === true;

  useEffect(() => {
    if (done) router.refresh();
  }, [done, state, router]);

  if (done) {
    const words = CALL_CANCELLED[state.data === 'cancel' ? 'cancelled_by_you' : 'another_time'];
    return (
      <Alert tone="success" title={words.title}>
        {words.body}
      </Alert>
    );
  }
  return (
    <details className="group rounded-lg border border-line bg-surface p-3">
      <summary className="inline-flex min-h-11 cursor-pointer items-center font-semibold text-accent">Can’t make it?</summary>
      <form action={action} className="mt-2 space-y-3" noValidate>
        <fieldset className="space-y-2">
          <legend className="text-sm font-semibold">What would you like to do?</legend>
          {(
            [
              ['another_time', 'Ask for another time', 'We cancel this call and book a new one.'],
              ['cancel', 'Cancel the call', 'Our team carries on reviewing your documents without a call.'],
            ] as const
          ).map(([value, label, detail]) => (
            <label key={value} className="flex min-h-11 cursor-pointer items-start gap-3 rounded-lg border border-line bg-surface p-3 has-[:checked]:border-accent">
              <input type="radio" name="choice" value={value} checked={choice === value} onChange={() => setChoice(value)} className="mt-1 h-4 w-4" />
              <span>
                <span className="block text-sm font-semibold">{label}</span>
                <span className="block text-sm text-muted">{detail}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <div className="space-y-1.5">
          <label htmlFor="call-note" className="block text-sm font-semibold">
            {choice === 'another_time' ? 'Times that suit you (optional)' : 'Anything our team should know? (optional)'}
          </label>
          <textarea
            id="call-note"
            name="note"
            rows={3}
            maxLength={4000}
            aria-invalid={error?.fieldErrors?.note ? true : undefined}
            aria-describedby={error?.fieldErrors?.note ? 'call-note-error' : undefined}
            placeholder={choice === 'another_time' ? 'For example: weekdays after 18:00, or Saturday morning' : undefined}
            className="block w-full rounded-lg border border-line bg-surface px-3 py-2 text-base text-fg"
          />
          {error?.fieldErrors?.note?.[0] && (
            <p id="call-note-error" className="flex items-center gap-1.5 text-sm font-medium text-danger">
              <AlertIcon className="h-4 w-4 shrink-0" />
              {error.fieldErrors.note[0]}
            </p>
          )}
        </div>
        <div aria-live="polite">{error && !error.fieldErrors?.note && <Alert tone="error">{error.message}</Alert>}</div>
        <Button type="submit" variant={choice === 'cancel' ? 'secondary' : 'primary'} disabled={pending}>
          {pending ? 'Sending…' : choice === 'cancel' ? 'Cancel the call' : 'Ask for another time'}
        </Button>
      </form>
    </details>
  );
}
