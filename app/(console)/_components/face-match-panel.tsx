'use client';

import { useId, useState } from 'react';
import { Button } from '../../_components/ui';

export type FaceMatchPanelProps = {
  ticketId: string;
  /** False when the agent may not open this ticket's documents (not claimed). */
  canOpen: boolean;
  match: {
    selfieId: string;
    documentFrontId: string;
    result: 'similar' | 'not_similar' | 'unavailable';
    distance: number | null;
    threshold: number | null;
    modelVersion: string;
    checkedAt: string;
    imagesKept: boolean;
  };
};

const OUTCOME: Record<FaceMatchPanelProps['match']['result'], { label: string; tone: string; explain: string }> = {
  similar: {
    label: 'Similar',
    tone: 'bg-success-soft text-success',
    explain: 'The model found the two faces alike. That is not proof that the same person took the selfie: look at both yourself.',
  },
  not_similar: {
    label: 'Not similar',
    tone: 'bg-warning-soft text-warning',
    explain: 'The model found the two faces different. Age, glasses, lighting or a worn card can cause this: look at both yourself, and ask for a new photo or a video call if unsure.',
  },
  unavailable: {
    label: 'Could not run',
    tone: 'bg-surface-muted text-muted',
    explain: 'The face match did not run for this selfie. Compare the selfie with the document photo by eye.',
  },
};

/**
 * "Face match" on the ticket page: the outcome of the local comparison, its distance against the
 * threshold, and, when the agent asks, the two faces side by side. The faces are cut from the stored
 * documents on demand (the console's faces route: audited and watermarked like a document), so
 * nothing is fetched before the click. It is an aid: nothing here approves or rejects anything.
 */
export function FaceMatchPanel({ ticketId, canOpen, match }: FaceMatchPanelProps) {
  const [openedAt, setOpenedAt] = useState<number>();
  const [loaded, setLoaded] = useState(0);
  const [failed, setFailed] = useState(false);
  const facesId = useId();
  const outcome = OUTCOME[match.result];
  const shown = openedAt !== undefined;

  return (
    <div className="space-y-4">
      <dl className="grid gap-x-6 gap-y-3 text-sm sm:grid-cols-3">
        <div>
          <dt className="text-muted">Outcome</dt>
          <dd>
            <span className={`inline-block rounded-full px-2.5 py-1 text-xs font-semibold ${outcome.tone}`} data-testid="face-match-outcome">
              {outcome.label}
            </span>
          </dd>
        </div>
        {match.distance !== null && match.threshold !== null && (
          <div>
            <dt className="text-muted">Distance (lower is more alike)</dt>
            <dd className="font-semibold" data-testid="face-match-distance">
              {match.distance.toFixed(2)} <span className="font-normal text-muted">against a threshold of {match.threshold.toFixed(2)}</span>
            </dd>
          </div>
        )}
        <div>
          <dt className="text-muted">Checked</dt>
          <dd>
            <span className="block">{match.checkedAt.slice(0, 16).replace('T', ' ')} UTC</span>
            <span className="block text-xs break-words text-muted">Model: {match.modelVersion}</span>
          </dd>
        </div>
      </dl>
      <p className="text-sm">{outcome.explain}</p>
      <p className="rounded-lg border border-line bg-surface-muted p-3 text-sm">
        <strong>An aid, not a decision.</strong> Nothing is approved or rejected because of this result; you decide. It was computed on this server;
        only the outcome, the distance and the model version are kept, never the face measurements.
      </p>

      {!match.imagesKept ? (
        <p className="text-sm text-muted">The selfie or the document has been deleted at the end of its retention period, so the faces can no longer be shown.</p>
      ) : !canOpen ? (
        <p className="text-sm text-muted">Claim the request to see the two faces.</p>
      ) : (
        <div className="space-y-3">
          <Button
            type="button"
            variant="secondary"
            aria-expanded={shown}
            aria-controls={facesId}
            onClick={() => {
              if (shown) {
                setOpenedAt(undefined);
              } else {
                setLoaded(0);
                setFailed(false);
                setOpenedAt(Date.now());
              }
            }}
          >
            {shown ? 'Hide the faces' : 'Show the two faces side by side'}
          </Button>
          <div id={facesId}>
            {shown && (
              <div className="space-y-2">
                {loaded < 2 && !failed && (
                  <p role="status" className="text-sm text-muted">
                    Finding the faces…
                  </p>
                )}
                {failed && (
                  <p role="alert" className="text-sm text-danger">
                    A face could not be shown. The image may have been deleted, or no face was found in it; open the documents below instead.
                  </p>
                )}
                <div className="grid grid-cols-2 gap-3" data-testid="face-match-faces">
                  <FaceFigure
                    src={`/console/tickets/${ticketId}/faces/${match.selfieId}?view=${openedAt}`}
                    caption="Selfie"
                    alt="The face in the selfie, watermarked with your name and the time"
                    onLoad={() => setLoaded((n) => n + 1)}
                    onError={() => setFailed(true)}
                  />
                  <FaceFigure
                    src={`/console/tickets/${ticketId}/faces/${match.documentFrontId}?view=${openedAt}`}
                    caption="Document front"
                    alt="The face photo on the front of the document, watermarked with your name and the time"
                    onLoad={() => setLoaded((n) => n + 1)}
                    onError={() => setFailed(true)}
                  />
                </div>
                <p className="text-xs text-muted">Cut from the stored images when you asked, watermarked with your name and the time. Both views are recorded in the audit log.</p>
              </div>
            )}
          </div>
        </div>
      )}
    </div>
  );
}

function FaceFigure({ src, caption, alt, onLoad, onError }: { src: string; caption: string; alt: string; onLoad: () => void; onError: () => void }) {
  return (
    <figure className="min-w-0 space-y-1">
      {/* eslint-disable-next-line @next/next/no-img-element -- a private, per-view image: no optimisation, no caching */}
      <img src={src} alt={alt} onLoad={onLoad} onError={onError} width={320} height={320} className="aspect-square h-auto w-full rounded-lg border border-line bg-surface-muted object-contain" />
      <figcaption className="text-sm font-semibold">{caption}</figcaption>
    </figure>
  );
}
