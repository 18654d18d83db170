'use client';

import { useRouter } from 'next/navigation';
import { useActionState, useEffect } from 'react';
import { Alert } from '../../../_components/ui';
import { resendAction, type FormState } from '../actions';
import { formatSeconds, useSecondsLeft } from './countdown';

const sentLabel = { sms: 'a text message', voice: 'a phone call', email: 'email' } as const;

function LadderButton({ children, disabled, label }: { children: React.ReactNode; disabled: boolean; label: string }) {
  return (
    <button
      type="submit"
      disabled={disabled}
      className="flex min-h-12 w-full items-center justify-between gap-3 rounded-lg border border-line bg-surface px-4 text-left text-sm font-semibold hover:bg-surface-muted disabled:cursor-not-allowed disabled:opacity-60"
    >
      <span>{children}</span>
      <span className="text-xs font-normal text-muted">{label}</span>
    </button>
  );
}

/**
 * "Didn't get the code?": opens after a cooldown that grows with every send; offers another text,
 * a phone call that reads the code, or email. Approval on a signed-in device is never a first
 * proof: it is offered only after a code, as the second proof of a reset (docs/security.md rule 22).
 */
export function CodeLadder({ resendAvailableAt }: { resendAvailableAt: string }) {
  const router = useRouter();
  const seconds = useSecondsLeft(resendAvailableAt);
  const waiting = seconds === null || seconds > 0;
  const [sms, smsAction, smsPending] = useActionState<FormState, FormData>(resendAction.bind(null, 'sms'), undefined);
  const [voice, voiceAction, voicePending] = useActionState<FormState, FormData>(resendAction.bind(null, 'voice'), undefined);
  const [email, emailAction, emailPending] = useActionState<FormState, FormData>(resendAction.bind(null, 'email'), undefined);
  const pending = smsPending || voicePending || emailPending;
  const latest = [sms, voice, email].find((s) => s !== undefined && !s.ok) ?? undefined;
  const succeeded = [sms, voice, email].some((s) => s?.ok);

  // A new code changes the page above (destination, expiry): reload it.
  useEffect(() => {
    if (succeeded) router.refresh();
  }, [sms, voice, email, succeeded, router]);

  return (
    <section aria-labelledby="ladder-heading" className="space-y-3 rounded-xl border border-line bg-surface-muted/50 p-4">
      <h2 id="ladder-heading" className="font-semibold">
        Didn&apos;t get the code?
      </h2>
      {waiting ? (
        <p className="text-sm text-muted">
          Codes can take a minute to arrive. You can ask again in{' '}
          <span className="font-mono font-semibold text-fg">{seconds === null ? '…' : formatSeconds(seconds)}</span>.
        </p>
      ) : (
        <p className="text-sm text-muted">Choose another way. A new code replaces the old one.</p>
      )}
      {latest && !latest.ok && <Alert tone="error">{latest.error.message}</Alert>}
      {[sms, voice, email].map((s, i) =>
        s?.ok ? (
          <Alert key={i} tone="success">
            We sent a new code by {sentLabel[s.data as keyof typeof sentLabel]}.
          </Alert>
        ) : null,
      )}
      <div className="grid gap-2 sm:grid-cols-2">
        <form action={smsAction}>
          <LadderButton disabled={waiting || pending} label="SMS">Text me a new code</LadderButton>
        </form>
        <form action={voiceAction}>
          <LadderButton disabled={waiting || pending} label="Voice">Call me instead</LadderButton>
        </form>
        <form action={emailAction}>
          <LadderButton disabled={waiting || pending} label="Email">Email me a code</LadderButton>
        </form>
      </div>
    </section>
  );
}
