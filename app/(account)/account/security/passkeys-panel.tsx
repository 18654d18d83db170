'use client';

import { startRegistration } from '@simplewebauthn/browser';
import { useState } from 'react';
import { Alert, Button, TextField } from '../../../_components/ui';
import { useStepUp } from '../../_components/step-up';
import { passkeyProblem } from '../../_components/webauthn';
import { addPasskeyAction, deletePasskeyAction, passkeyOptionsAction, renamePasskeyAction, reportPasskeyAction } from './actions';
import { when } from './format';

export type PasskeyRow = { id: string; name: string; kind: 'this_device' | 'synced' | 'security_key'; createdAt: string; lastUsedAt: string | null };

const KIND_LABEL: Record<PasskeyRow['kind'], string> = {
  this_device: 'On one device',
  synced: 'Synced passkey',
  security_key: 'Security key',
};

const HINTS = [
  { value: 'localDevice', label: 'This device', detail: "Face, fingerprint or screen lock on the device you're using." },
  { value: 'remoteDevice', label: 'Another phone or tablet', detail: 'Your browser shows a QR code to scan with the other device.' },
  { value: 'securityKey', label: 'Security key', detail: 'A USB or NFC key, such as a YubiKey.' },
] as const;

type Notice = { tone: 'success' | 'error' | 'warning'; text: string } | undefined;

export function PasskeysPanel({ passkeys }: { passkeys: PasskeyRow[] }) {
  const guard = useStepUp();
  const [notice, setNotice] = useState<Notice>();
  const [adding, setAdding] = useState(false);
  const [busy, setBusy] = useState<string>();
  const [renaming, setRenaming] = useState<string>();
  const [confirming, setConfirming] = useState<{ id: string; kind: 'delete' | 'report' }>();
  const last = passkeys.length === 1;

  async function add(form: FormData) {
    setNotice(undefined);
    setBusy('add');
    try {
      const hint = String(form.get('hint') ?? 'localDevice') as (typeof HINTS)[number]['value'];
      const options = await guard(() => passkeyOptionsAction(hint));
      if (!options.ok) return setNotice({ tone: 'error', text: options.error.message });
      let response;
      try {
        response = await startRegistration({ optionsJSON: options.data });
      } catch (problem) {
        return setNotice({ tone: 'error', text: passkeyProblem(problem) });
      }
      const saved = await guard(() => addPasskeyAction({ response: JSON.stringify(response), name: String(form.get('name') ?? '').trim() }));
      if (!saved.ok) return setNotice({ tone: 'error', text: saved.error.message });
      setAdding(false);
      setNotice({ tone: 'success', text: `“${saved.data.name}” is saved. You can use it to sign in now.` });
    } finally {
      setBusy(undefined);
    }
  }

  async function rename(id: string, form: FormData) {
    setBusy(id);
    const result = await renamePasskeyAction(id, String(form.get('name') ?? ''));
    setBusy(undefined);
    if (!result.ok) return setNotice({ tone: 'error', text: result.error.fieldErrors?.name?.[0] ?? result.error.message });
    setRenaming(undefined);
    setNotice({ tone: 'success', text: 'Passkey renamed.' });
  }

  async function remove(id: string, kind: 'delete' | 'report') {
    setBusy(id);
    setNotice(undefined);
    if (kind === 'delete') {
      const result = await guard(() => deletePasskeyAction(id));
      setNotice(result.ok ? { tone: 'success', text: `“${result.data.name}” was deleted. It can no longer sign in.` } : { tone: 'error', text: result.error.message });
    } else {
      const result = await guard(() => reportPasskeyAction(id));
      setNotice(
        result.ok
          ? { tone: 'warning', text: `“${result.data.name}” was removed and every other session was signed out. Withdrawals and P2P trading are on hold until ${when(result.data.holdEndsAt)}.` }
          : { tone: 'error', text: result.error.message },
      );
    }
    setBusy(undefined);
    setConfirming(undefined);
  }

  return (
    <section aria-labelledby="passkeys-title" className="space-y-4">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h2 id="passkeys-title" className="text-lg font-bold">
            Passkeys
          </h2>
          <p className="text-sm text-muted">Sign in with your face, fingerprint or screen lock. Passkeys can&apos;t be phished.</p>
        </div>
        {!adding && (
          <Button type="button" onClick={() => setAdding(true)}>
            Add a passkey
          </Button>
        )}
      </div>

      <div aria-live="polite">{notice && <Alert tone={notice.tone}>{notice.text}</Alert>}</div>

      {adding && (
        <form
          className="space-y-4 rounded-lg border border-line bg-surface-muted/50 p-4"
          onSubmit={(event) => {
            event.preventDefault();
            void add(new FormData(event.currentTarget));
          }}
        >
          <fieldset className="space-y-2">
            <legend className="text-sm font-semibold">Where will this passkey live?</legend>
            {HINTS.map((hint, index) => (
              <label key={hint.value} className="flex min-h-11 cursor-pointer items-start gap-3 rounded-lg border border-line bg-surface p-3 has-[:checked]:border-accent">
                <input type="radio" name="hint" value={hint.value} defaultChecked={index === 0} className="mt-1 h-4 w-4 accent-[var(--color-accent)]" />
                <span>
                  <span className="block font-semibold">{hint.label}</span>
                  <span className="block text-sm text-muted">{hint.detail}</span>
                </span>
              </label>
            ))}
          </fieldset>
          <TextField id="passkey-name" name="name" label="Name (optional)" hint="So you can tell your passkeys apart, e.g. “Work laptop”." maxLength={60} />
          <div className="flex flex-wrap gap-2">
            <Button type="submit" disabled={busy === 'add'}>
              {busy === 'add' ? 'Waiting for your passkey…' : 'Continue'}
            </Button>
            <Button type="button" variant="ghost" onClick={() => setAdding(false)}>
              Cancel
            </Button>
          </div>
        </form>
      )}

      {passkeys.length === 0 ? (
        <p className="rounded-lg border border-dashed border-line p-4 text-sm text-muted">
          No passkeys yet. Add one to sign in without typing a password or a code.
        </p>
      ) : (
        <ul className="divide-y divide-line rounded-lg border border-line">
          {passkeys.map((passkey) => (
            <li key={passkey.id} className="space-y-3 p-4">
              <div className="flex flex-wrap items-start justify-between gap-2">
                <div className="min-w-0">
                  <p className="font-semibold break-words">{passkey.name}</p>
                  <p className="text-sm text-muted">
                    <span className="mr-2 inline-block rounded-full bg-surface-muted px-2 py-0.5 text-xs font-semibold text-fg">{KIND_LABEL[passkey.kind]}</span>
                    Added {when(passkey.createdAt)} · {passkey.lastUsedAt ? `Last used ${when(passkey.lastUsedAt)}` : 'Not used yet'}
                  </p>
                </div>
                <div className="flex flex-wrap gap-1">
                  <Button type="button" variant="ghost" onClick={() => setRenaming(renaming === passkey.id ? undefined : passkey.id)} aria-label={`Rename ${passkey.name}`}>
                    Rename
                  </Button>
                  <Button
                    type="button"
                    variant="ghost"
                    disabled={last}
                    aria-describedby={last ? 'last-passkey-note' : undefined}
                    onClick={() => setConfirming({ id: passkey.id, kind: 'delete' })}
                    aria-label={`Delete ${passkey.name}`}
                  >
                    Delete
                  </Button>
                </div>
              </div>

              {renaming === passkey.id && (
                <form
                  className="flex flex-wrap items-end gap-2"
                  onSubmit={(event) => {
                    event.preventDefault();
                    void rename(passkey.id, new FormData(event.currentTarget));
                  }}
                >
                  <TextField id={`rename-${passkey.id}`} name="name" label="New name" defaultValue={passkey.name} maxLength={60} required className="min-w-0 flex-1" />
                  <Button type="submit" disabled={busy === passkey.id}>
                    Save name
                  </Button>
                </form>
              )}

              {confirming?.id === passkey.id && (
                <div role="group" aria-label="Confirm" className="space-y-3 rounded-lg border border-warning/40 bg-warning-soft p-3 text-sm">
                  {confirming.kind === 'delete' ? (
                    <p>Delete “{passkey.name}”? It will no longer sign in to your account.</p>
                  ) : (
                    <p>
                      We&apos;ll remove “{passkey.name}”, sign out every other device, and hold withdrawals and P2P trading for 24 hours in case someone else has
                      access.
                    </p>
                  )}
                  <div className="flex flex-wrap gap-2">
                    <Button type="button" disabled={busy === passkey.id} onClick={() => void remove(passkey.id, confirming.kind)}>
                      {confirming.kind === 'delete' ? 'Delete passkey' : 'Remove and secure my account'}
                    </Button>
                    <Button type="button" variant="ghost" onClick={() => setConfirming(undefined)}>
                      Keep it
                    </Button>
                  </div>
                </div>
              )}

              {confirming?.id !== passkey.id && (
                <button
                  type="button"
                  className="inline-flex min-h-6 items-center text-sm font-semibold text-danger underline-offset-2 hover:underline"
                  onClick={() => setConfirming({ id: passkey.id, kind: 'report' })}
                >
                  I don&apos;t recognise this passkey
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {last && (
        <p id="last-passkey-note" className="text-sm text-muted">
          Your only passkey can&apos;t be deleted: add another one first. If you don&apos;t recognise it, use “I don&apos;t recognise this passkey”.
        </p>
      )}
    </section>
  );
}
