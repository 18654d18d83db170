'use client';

import { startAuthentication } from '@simplewebauthn/browser';
import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import type { ActionResult } from '@/lib/errors';
import { stepUpOptionsAction } from '../account/security/actions';
import { Alert, Button, CodeInput } from '../../_components/ui';
import { passkeyProblem } from './webauthn';

type Guard = <T>(run: () => Promise<ActionResult<T>>) => Promise<ActionResult<T>>;

const StepUpContext = createContext<Guard>((run) => run());

/**
 * Factor changes need a sign-in from the last 5 minutes (docs/security.md rule 17). `guard` runs an
 * action; when the server answers `reauthentication_required` it asks the person to confirm with
 * their authenticator app or a passkey, then runs the action once more.
 */
export function StepUpProvider({ hasAuthenticator, hasPasskey, children }: { hasAuthenticator: boolean; hasPasskey: boolean; children: React.ReactNode }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const settle = useRef<((confirmed: boolean) => void) | null>(null);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const ask = useCallback(() => {
    setError(undefined);
    dialog.current?.showModal();
    return new Promise<boolean>((resolve) => {
      settle.current = resolve;
    });
  }, []);

  const guard: Guard = useCallback(
    async (run) => {
      const first = await run();
      if (first.ok || first.error.code !== 'reauthentication_required') return first;
      return (await ask()) ? run() : first;
    },
    [ask],
  );

  const finish = (confirmed: boolean) => {
    settle.current?.(confirmed);
    settle.current = null;
    dialog.current?.close();
  };

  useEffect(() => {
    const node = dialog.current;
    const onClose = () => settle.current?.(false);
    node?.addEventListener('close', onClose);
    return () => node?.removeEventListener('close', onClose);
  }, []);

  async function confirm(input: { code?: string; passkeyResponse?: string }) {
    setBusy(true);
    setError(undefined);
    // A route handler, not a server action: the renewed cookie must not re-render the page underneath.
    const response = await fetch('/api/account/step-up', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(input),
    }).catch(() => undefined);
    setBusy(false);
    if (response?.ok) return finish(true);
    const body = (await response?.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
    setError(body?.error?.message ?? 'We could not reach the server. Check your connection and try again.');
  }

  async function withPasskey() {
    setError(undefined);
    const options = await stepUpOptionsAction();
    if (!options.ok) return setError(options.error.message);
    try {
      const response = await startAuthentication({ optionsJSON: options.data });
      await confirm({ passkeyResponse: JSON.stringify(response) });
    } catch (problem) {
      setError(passkeyProblem(problem));
    }
  }

  return (
    <StepUpContext.Provider value={guard}>
      {children}
      <dialog
        ref={dialog}
        aria-labelledby="step-up-title"
        className="m-auto w-[min(28rem,calc(100vw-2rem))] rounded-xl border border-line bg-surface p-0 text-fg shadow-xl backdrop:bg-black/40"
      >
        <form
          className="space-y-4 p-6"
          onSubmit={(event) => {
            event.preventDefault();
            void confirm({ code: String(new FormData(event.currentTarget).get('code') ?? '') });
          }}
        >
          <div className="space-y-1">
            <h2 id="step-up-title" className="text-lg font-bold">
              Confirm it&apos;s you
            </h2>
            <p className="text-sm text-muted">You signed in more than 5 minutes ago. Before we change how you sign in, confirm with one of your methods.</p>
          </div>
          {error && <Alert tone="error">{error}</Alert>}
          {hasAuthenticator && <CodeInput id="step-up-code" name="code" label="Authenticator code" hint="The 6-digit code your app shows now." autoFocus required />}
          <div className="flex flex-wrap gap-2">
            {hasAuthenticator && (
              <Button type="submit" disabled={busy}>
                {busy ? 'Checking…' : 'Confirm'}
              </Button>
            )}
            {hasPasskey && (
              <Button type="button" variant="secondary" disabled={busy} onClick={() => void withPasskey()}>
                Use a passkey
              </Button>
            )}
            <Button type="button" variant="ghost" onClick={() => finish(false)}>
              Cancel
            </Button>
          </div>
        </form>
      </dialog>
    </StepUpContext.Provider>
  );
}

export function useStepUp() {
  return useContext(StepUpContext);
}
