'use client';

import { useState } from 'react';
import { QrCode } from './qr-code';
import { Button, CodeInput } from './ui';

export type AuthenticatorSetup = { authenticatorId: string; setupKey: string; otpauthUri: string };

/**
 * The three steps of linking an authenticator app: scan the QR code, or type the setup key, then
 * confirm with the first code. Used on the security page and when a recovery binds a new app.
 */
export function AuthenticatorSetupSteps({
  setup,
  busy,
  fieldError,
  confirmLabel,
  onConfirm,
  onCancel,
}: {
  setup: AuthenticatorSetup;
  busy: boolean;
  fieldError: string | undefined;
  confirmLabel: string;
  onConfirm: (code: string) => void;
  onCancel?: () => void;
}) {
  const [copied, setCopied] = useState(false);

  async function copyKey() {
    await navigator.clipboard.writeText(setup.setupKey.replaceAll(' ', ''));
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  }

  return (
    <ol className="list-decimal space-y-4 pl-5 text-sm">
      <li>
        <p className="font-semibold">Scan this QR code with your authenticator app.</p>
        <div className="mt-2">
          <QrCode value={setup.otpauthUri} label="QR code for your authenticator app" />
        </div>
      </li>
      <li>
        <p className="font-semibold">Can&apos;t scan? Enter this setup key instead.</p>
        <div className="mt-2 flex flex-wrap items-center gap-2">
          <code data-testid="setup-key" className="rounded-md border border-line bg-surface px-3 py-2 font-mono text-base tracking-wider">
            {setup.setupKey}
          </code>
          <Button type="button" variant="secondary" onClick={() => void copyKey()}>
            {copied ? 'Copied' : 'Copy key'}
          </Button>
        </div>
        <p className="mt-1 text-muted">Choose “time-based”. Keep this key private: anyone with it can make your codes.</p>
      </li>
      <li>
        <form
          className="space-y-3"
          onSubmit={(event) => {
            event.preventDefault();
            onConfirm(String(new FormData(event.currentTarget).get('code') ?? ''));
          }}
        >
          <CodeInput id="new-authenticator-code" name="code" label="Enter the code the app shows" error={fieldError} required />
          <div className="flex flex-wrap gap-2">
            <Button type="submit" disabled={busy}>
              {busy ? 'Checking…' : confirmLabel}
            </Button>
            {onCancel && (
              <Button type="button" variant="ghost" onClick={onCancel}>
                Cancel
              </Button>
            )}
          </div>
        </form>
      </li>
    </ol>
  );
}
