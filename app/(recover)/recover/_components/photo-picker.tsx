'use client';

import { useEffect, useId, useRef, useState } from 'react';
import type { ActionResult } from '@/lib/errors';
import { Alert, buttonClass } from '../../../_components/ui';
import type { UploadOutcome } from '@/lib/recovery/documents';

type Kind = UploadOutcome['kind'];
type Phase = 'empty' | 'checking' | 'accepted' | 'refused';

export type PickerResult = { outcome?: UploadOutcome; saved: boolean };

/**
 * One photo slot: take it with the phone's camera or choose a file, see it at once (a local
 * object URL: the image is never sent back from the server, rule 19), and see what the server's
 * checks said about it. A refused photo is replaced in this slot alone; whatever the other slots
 * hold is untouched, and a photo saved earlier in this slot stays saved.
 */
export function PhotoPicker({
  kind,
  title,
  target,
  hint,
  capture,
  allowPdf = false,
  maxBytes,
  upload,
  initiallySaved,
  disabled = false,
  cameraLabel = 'Take a photo',
  cameraSuffix = true,
  onResult,
  children,
}: {
  kind: Kind;
  title: string;
  /** Completes the buttons' accessible names: "Take a photo of {target}", "Choose a file for {target}". */
  target: string;
  hint: string;
  capture: 'user' | 'environment';
  allowPdf?: boolean;
  maxBytes: number;
  upload: (form: FormData) => Promise<ActionResult<UploadOutcome>>;
  initiallySaved?: { warnings: string[] } | undefined;
  disabled?: boolean;
  cameraLabel?: string;
  /** Whether the camera button's name ends with " of {target}" ("Take a selfie" needs nothing more). */
  cameraSuffix?: boolean;
  onResult?: (result: PickerResult) => void;
  children?: React.ReactNode;
}) {
  const id = useId();
  const [phase, setPhase] = useState<Phase>(initiallySaved ? 'accepted' : 'empty');
  const [saved, setSaved] = useState(Boolean(initiallySaved));
  const [message, setMessage] = useState<string>();
  const [warnings, setWarnings] = useState<string[]>(initiallySaved?.warnings ?? []);
  const [preview, setPreview] = useState<{ url?: string; name: string }>();
  const previewUrl = useRef<string | undefined>(undefined);

  // Object URLs hold the image in memory until revoked; identity photos should not linger.
  useEffect(() => () => void (previewUrl.current && URL.revokeObjectURL(previewUrl.current)), []);

  function showPreview(file: File) {
    if (previewUrl.current) URL.revokeObjectURL(previewUrl.current);
    previewUrl.current = file.type.startsWith('image/') ? URL.createObjectURL(file) : undefined;
    setPreview({ url: previewUrl.current, name: file.name });
  }

  async function onFile(input: HTMLInputElement) {
    const file = input.files?.[0];
    // Cleared so choosing the same file again (after fixing nothing) still triggers a new check.
    input.value = '';
    if (!file) return;
    showPreview(file);
    setWarnings([]);
    if (file.size > maxBytes) {
      // The server refuses it too; saying so here spares a slow upload on a phone connection.
      setPhase('refused');
      setMessage(`This file is ${megabytes(file.size)} MB; the limit is ${megabytes(maxBytes)} MB. A normal camera photo is well under that: take a new one, or choose a smaller copy.`);
      onResult?.({ saved });
      return;
    }
    setPhase('checking');
    setMessage(undefined);
    const form = new FormData();
    form.set('kind', kind);
    form.set('file', file);
    let result: ActionResult<UploadOutcome>;
    try {
      result = await upload(form);
    } catch {
      setPhase('refused');
      setMessage('We couldn’t send this photo. Check your connection and try again; your other photos are kept.');
      onResult?.({ saved });
      return;
    }
    if (!result.ok) {
      setPhase('refused');
      setMessage(result.error.fieldErrors?.file?.[0] ?? result.error.message);
      onResult?.({ saved });
      return;
    }
    const outcome = result.data;
    if (outcome.status === 'accepted') {
      setPhase('accepted');
      setSaved(true);
      setWarnings(outcome.warnings);
      setMessage(undefined);
      onResult?.({ outcome, saved: true });
    } else {
      setPhase('refused');
      setMessage(outcome.message);
      onResult?.({ outcome, saved });
    }
  }

  const accept = allowPdf ? 'image/*,application/pdf' : 'image/*';
  const busy = phase === 'checking';
  const inputsDisabled = disabled || busy;

  return (
    <section aria-labelledby={`${id}-title`} className="space-y-3 rounded-xl border border-line bg-surface p-4">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <h3 id={`${id}-title`} className="font-semibold">
          {title}
        </h3>
        <StatusBadge phase={phase} saved={saved} />
      </div>
      <p className="text-sm text-muted">{hint}</p>

      {preview && (
        <figure className="overflow-hidden rounded-lg border border-line bg-surface-muted">
          {preview.url ? (
            // A local blob: URL; next/image cannot optimise it and must not try to fetch it.
            // eslint-disable-next-line @next/next/no-img-element
            <img src={preview.url} alt={`Preview of ${target}`} className="mx-auto max-h-64 w-auto object-contain" />
          ) : (
            <p className="p-4 text-sm">PDF: {preview.name}</p>
          )}
        </figure>
      )}

      <div aria-live="polite" className="space-y-2">
        {phase === 'checking' && <p className="text-sm font-semibold">Checking your photo…</p>}
        {phase === 'accepted' && (
          <Alert tone="success" title={preview ? 'Saved. This photo passed our checks.' : 'Saved earlier. You can replace it if you like.'}>
            {warnings.length > 0 && (
              <ul className="list-disc space-y-1 pl-5">
                {warnings.map((warning) => (
                  <li key={warning}>{warning}</li>
                ))}
              </ul>
            )}
          </Alert>
        )}
      </div>
      {phase === 'refused' && message && (
        <Alert tone="error" title="Please try another photo">
          <p>{message}</p>
          {saved && <p className="mt-1">Your earlier photo for this step is still saved.</p>}
        </Alert>
      )}

      {children}

      <div className="flex flex-wrap gap-2">
        <FileButton id={`${id}-camera`} accept="image/*" capture={capture} disabled={inputsDisabled} onFile={onFile} variant="primary">
          {cameraLabel}
          {cameraSuffix && <span className="sr-only"> of {target}</span>}
        </FileButton>
        <FileButton id={`${id}-file`} accept={accept} disabled={inputsDisabled} onFile={onFile} variant="secondary">
          Choose a file
          <span className="sr-only"> for {target}</span>
        </FileButton>
      </div>
    </section>
  );
}

/**
 * A real file input (keyboard, screen readers and Playwright all reach it) styled through its
 * label; the focus ring follows the input via `peer`.
 */
function FileButton({
  id,
  accept,
  capture,
  disabled,
  onFile,
  variant,
  children,
}: {
  id: string;
  accept: string;
  capture?: 'user' | 'environment';
  disabled: boolean;
  onFile: (input: HTMLInputElement) => void;
  variant: 'primary' | 'secondary';
  children: React.ReactNode;
}) {
  return (
    <span className="relative">
      <input
        id={id}
        type="file"
        accept={accept}
        capture={capture}
        disabled={disabled}
        className="peer sr-only"
        onChange={(event) => void onFile(event.currentTarget)}
      />
      <label
        htmlFor={id}
        className={buttonClass(
          variant,
          `cursor-pointer peer-focus-visible:outline-2 peer-focus-visible:outline-offset-2 peer-focus-visible:outline-accent peer-disabled:cursor-not-allowed peer-disabled:opacity-60`,
        )}
      >
        {children}
      </label>
    </span>
  );
}

function StatusBadge({ phase, saved }: { phase: Phase; saved: boolean }) {
  const [text, tone] =
    phase === 'checking'
      ? ['Checking…', 'bg-surface-muted text-fg']
      : phase === 'accepted'
        ? ['Saved', 'bg-success-soft text-fg']
        : phase === 'refused'
          ? [saved ? 'Saved earlier' : 'Needs a new photo', saved ? 'bg-success-soft text-fg' : 'bg-danger-soft text-fg']
          : ['Not added yet', 'bg-surface-muted text-muted'];
  return <span className={`rounded-full px-2.5 py-0.5 text-xs font-semibold ${tone}`}>{text}</span>;
}

function megabytes(bytes: number) {
  return (bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '');
}
