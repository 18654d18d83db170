'use client';

import { useActionState, useState } from 'react';
import { AlertIcon, CheckIcon } from '../../../../_components/icons';
import { Alert, Button, TextField } from '../../../../_components/ui';
import { createKeyAction, type CreateKeyState, revokeKeyAction, type RevokeKeyState } from './actions';

/** Name a key, get it once. Closing the panel or leaving the page loses it for good. */
export function CreateKeyForm() {
  const [state, create, pending] = useActionState<CreateKeyState, FormData>(createKeyAction, undefined);
  const [closed, setClosed] = useState<string>();
  const [copied, setCopied] = useState<string>();
  const created = state?.ok && state.data.key !== closed ? state.data : undefined;

  async function copy(key: string) {
    try {
      await navigator.clipboard.writeText(key);
      setCopied(key);
    } catch {
      setCopied(undefined);
    }
  }

  return (
    <div className="space-y-4">
      <form action={create} className="flex flex-wrap items-end gap-3">
        <TextField
          id="key-name"
          name="name"
          label="New key name"
          hint="Who uses it and where, e.g. “Exchange production”."
          required
          minLength={3}
          maxLength={80}
          autoComplete="off"
          className="min-w-64 flex-1"
          error={state && !state.ok ? (state.error.fieldErrors?.name?.[0] ?? state.error.message) : undefined}
        />
        <Button type="submit" disabled={pending}>
          {pending ? 'Creating…' : 'Create key'}
        </Button>
      </form>

      {created && (
        <div role="status" className="space-y-3 rounded-lg border-2 border-warning bg-warning-soft p-4">
          <p className="flex items-center gap-2 font-bold">
            <AlertIcon className="h-5 w-5 shrink-0 text-warning" />
            Copy this key now. It is shown only once.
          </p>
          <p className="text-sm">
            Regain keeps only a fingerprint of it, so nobody can show it again. Give it to the host platform over a secure channel; if it is lost,
            revoke it and create a new one.
          </p>
          <div className="flex flex-wrap items-end gap-2">
            <div className="min-w-0 flex-1 space-y-1.5">
              <label htmlFor="new-key" className="block text-sm font-semibold">
                API key “{created.name}”
              </label>
              <input
                id="new-key"
                readOnly
                value={created.key}
                onFocus={(e) => e.currentTarget.select()}
                spellCheck={false}
                className="block min-h-11 w-full rounded-lg border border-line bg-surface px-3 font-mono text-sm"
              />
            </div>
            <Button type="button" onClick={() => copy(created.key)}>
              {copied === created.key ? <CheckIcon className="h-4 w-4" /> : null}
              {copied === created.key ? 'Copied' : 'Copy key'}
            </Button>
            <Button type="button" variant="secondary" onClick={() => setClosed(created.key)}>
              I have stored it
            </Button>
          </div>
        </div>
      )}
    </div>
  );
}

/** Revoking cannot be undone, so it takes a second, explicit click. */
export function RevokeKeyButton({ apiKeyId, prefix, name }: { apiKeyId: string; prefix: string; name: string }) {
  const [state, revoke, pending] = useActionState<RevokeKeyState, FormData>(revokeKeyAction, undefined);
  const [confirming, setConfirming] = useState(false);
  return (
    <div className="space-y-1">
      {confirming ? (
        <form action={revoke} className="flex flex-wrap items-center justify-end gap-2">
          <input type="hidden" name="apiKeyId" value={apiKeyId} />
          <button
            type="submit"
            disabled={pending}
            className="inline-flex min-h-11 items-center justify-center rounded-lg bg-danger px-4 text-sm font-semibold text-surface hover:opacity-90 disabled:cursor-not-allowed disabled:opacity-60"
          >
            {pending ? 'Revoking…' : `Revoke ${prefix} now`}
          </button>
          <Button type="button" variant="secondary" onClick={() => setConfirming(false)} disabled={pending}>
            Cancel
          </Button>
        </form>
      ) : (
        <div className="flex justify-end">
          <Button type="button" variant="ghost" onClick={() => setConfirming(true)} aria-label={`Revoke key ${prefix} (${name})`}>
            Revoke…
          </Button>
        </div>
      )}
      {state && !state.ok && <Alert tone="error">{state.error.message}</Alert>}
    </div>
  );
}
