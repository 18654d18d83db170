'use client';

import { useState } from 'react';
import { Button } from '../../_components/ui';

/**
 * One identity document, opened only when the agent asks (on demand, docs/security.md rule 19). The image
 * comes from the console's document route, which checks the agent, records the view and stamps
 * the agent's name and the time across it; nothing is fetched before the click.
 */
export function DocumentViewer({
  ticketId,
  documentId,
  label,
  isPdf,
}: {
  ticketId: string;
  documentId: string;
  label: string;
  isPdf: boolean;
}) {
  const [openedAt, setOpenedAt] = useState<number>();
  const [state, setState] = useState<'idle' | 'loading' | 'shown' | 'failed'>('idle');
  const href = `/console/tickets/${ticketId}/documents/${documentId}`;

  // Rule 29: agents only receive pixels. New PDF uploads are stored as page images; a PDF kept as
  // sent by an older version is not served, so the agent asks for a new upload instead.
  if (isPdf) {
    return <p className="text-sm text-muted">This file was uploaded as a PDF and can’t be shown. Ask the person to upload the document again.</p>;
  }

  return (
    <div className="space-y-2">
      {state === 'idle' || state === 'failed' ? (
        <Button
          type="button"
          variant="secondary"
          onClick={() => {
            setOpenedAt(Date.now());
            setState('loading');
          }}
        >
          {state === 'failed' ? 'Try again' : 'Open document'}
        </Button>
      ) : (
        <Button type="button" variant="ghost" onClick={() => setState('idle')}>
          Hide document
        </Button>
      )}
      {state === 'failed' && (
        <p role="alert" className="text-sm text-danger">
          The document could not be opened. It may have been deleted at the end of its retention period.
        </p>
      )}
      {(state === 'loading' || state === 'shown') && openedAt && (
        <figure className="space-y-1">
          {state === 'loading' && (
            <p role="status" className="text-sm text-muted">
              Opening…
            </p>
          )}
          {/* eslint-disable-next-line @next/next/no-img-element -- a private, per-view image: no optimisation, no caching */}
          <img
            src={`${href}?view=${openedAt}`}
            alt={`${label}, watermarked with your name and the time`}
            onLoad={() => setState('shown')}
            onError={() => setState('failed')}
            className="max-h-[70vh] w-auto max-w-full rounded-lg border border-line bg-surface-muted"
          />
          <figcaption className="text-xs text-muted">Watermarked with your name and the time. This view is recorded in the audit log.</figcaption>
        </figure>
      )}
    </div>
  );
}
