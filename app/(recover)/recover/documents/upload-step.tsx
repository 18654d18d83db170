'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { Alert, Button } from '../../../_components/ui';
import type { FaceCheckState } from '@/lib/recovery/documents';
import { PhotoPicker, type PickerResult } from '../_components/photo-picker';
import { UtcTime } from '../_components/utc-time';
import Link from 'next/link';
import { submitDocumentsAction, submitForVideoCallAction, uploadDocumentAction } from './actions';

type SlotKind = 'ID_FRONT' | 'ID_BACK' | 'SELFIE';

const SLOTS: { kind: SlotKind; title: string; target: string; hint: string; capture: 'user' | 'environment'; camera: string }[] = [
  {
    kind: 'ID_FRONT',
    title: '1. Front of your document',
    target: 'the front of your document',
    hint: 'The side with your photo. Lay it on a plain, dark surface; all four corners in the frame, no glare, no fingers over the text.',
    capture: 'environment',
    camera: 'Take a photo',
  },
  {
    kind: 'ID_BACK',
    title: '2. Back of your document',
    target: 'the back of your document',
    hint: 'Turn it over and take it the same way. For a passport, photograph the page with your signature.',
    capture: 'environment',
    camera: 'Take a photo',
  },
  {
    kind: 'SELFIE',
    title: '3. A selfie',
    target: 'your selfie',
    hint: 'Face the camera in good light, with nothing covering your face (no sunglasses, hat or mask). You don’t need to hold the document.',
    capture: 'user',
    camera: 'Take a selfie',
  },
];

export function UploadStep({
  reference,
  maxBytes,
  saved,
  faceCheck: initialFace,
  maxFaceAttempts,
}: {
  reference: string;
  maxBytes: number;
  saved: Partial<Record<SlotKind, { warnings: string[] }>>;
  faceCheck: FaceCheckState;
  maxFaceAttempts: number;
}) {
  const router = useRouter();
  const [done, setDone] = useState<Record<SlotKind, boolean>>({ ID_FRONT: Boolean(saved.ID_FRONT), ID_BACK: Boolean(saved.ID_BACK), SELFIE: Boolean(saved.SELFIE) });
  const [face, setFace] = useState(initialFace);
  const [submitError, setSubmitError] = useState<string>();
  const [submitting, setSubmitting] = useState(false);

  function track(kind: SlotKind) {
    return (result: PickerResult) => {
      setDone((current) => ({ ...current, [kind]: result.saved }));
      if (result.outcome?.faceCheck) setFace(result.outcome.faceCheck);
      setSubmitError(undefined);
    };
  }

  async function submit(videoCall = false) {
    const missing = SLOTS.filter((slot) => !done[slot.kind] && !(videoCall && slot.kind === 'SELFIE')).map((slot) => slot.target);
    if (missing.length > 0) return setSubmitError(`Almost there: we still need ${missing.join(' and ')}.`);
    setSubmitting(true);
    setSubmitError(undefined);
    const result = await (videoCall ? submitForVideoCallAction() : submitDocumentsAction()).catch(() => undefined);
    setSubmitting(false);
    if (!result) return setSubmitError('We couldn’t reach our servers. Check your connection and try again; your photos are saved.');
    if (!result.ok) return setSubmitError(result.error.message);
    router.refresh();
  }

  const locked = face.lockedUntil !== null;

  return (
    <div className="space-y-5">
      <p className="rounded-lg border border-line bg-surface-muted p-3 text-sm">
        Your request <span className="font-mono font-semibold">{reference}</span> is open. Add the three photos below; each one is checked as soon as it
        arrives.
      </p>

      {SLOTS.map((slot) => (
        <PhotoPicker
          key={slot.kind}
          kind={slot.kind}
          title={slot.title}
          target={slot.target}
          hint={slot.hint}
          capture={slot.capture}
          cameraLabel={slot.camera}
          cameraSuffix={slot.kind !== 'SELFIE'}
          allowPdf={slot.kind !== 'SELFIE'}
          maxBytes={maxBytes}
          upload={uploadDocumentAction}
          initiallySaved={saved[slot.kind]}
          disabled={slot.kind === 'SELFIE' && locked}
          onResult={track(slot.kind)}
        >
          {slot.kind === 'SELFIE' && (
            <FaceCheckNote
              face={face}
              max={maxFaceAttempts}
              needsFront={!done.ID_FRONT}
              onRecheck={() => router.refresh()}
              onVideoCall={() => void submit(true)}
              submitting={submitting}
            />
          )}
        </PhotoPicker>
      ))}

      <div className="space-y-3 border-t border-line pt-5">
        <div aria-live="polite">{submitError && <Alert tone="error">{submitError}</Alert>}</div>
        <Button onClick={() => void submit()} disabled={submitting} className="w-full sm:w-auto">
          {submitting ? 'Submitting…' : 'Submit for review'}
        </Button>
        <p className="text-sm text-muted">Submit once all three photos are saved. If a photo needs redoing later, you can add it from the status page.</p>
      </div>
    </div>
  );
}

function FaceCheckNote({
  face,
  max,
  needsFront,
  onRecheck,
  onVideoCall,
  submitting,
}: {
  face: FaceCheckState;
  max: number;
  needsFront: boolean;
  onRecheck: () => void;
  onVideoCall: () => void;
  submitting: boolean;
}) {
  if (face.lockedUntil) {
    return (
      <div className="space-y-3">
        <Alert tone="warning" title="The face check is paused">
          <p>
            You’ve used all {max} tries. For your safety, you can take a new selfie from <UtcTime value={face.lockedUntil} />. Your document photos are
            saved, so you only need the selfie then.
          </p>
          <button type="button" onClick={onRecheck} className="mt-2 min-h-11 font-semibold text-accent underline">
            It’s past that time: check again
          </button>
        </Alert>
        <div className="space-y-2 rounded-lg border border-line p-4 text-sm" data-testid="video-call-offer">
          <h4 className="font-semibold">Or confirm it’s you on a video call</h4>
          <p>
            Submit your document photos without the selfie and ask for a video call. Our team books one with you if your account allows it (joining needs
            a code from an authenticator app); otherwise they tell you what else they need. You follow your request on the{' '}
            <Link href="/recover/status" className="font-semibold text-accent underline">
              status page
            </Link>{' '}
            and join the call from{' '}
            <Link href="/recover/video" className="font-semibold text-accent underline">
              Join a video call appointment
            </Link>
            .
          </p>
          <Button type="button" variant="secondary" onClick={onVideoCall} disabled={submitting}>
            {submitting ? 'Submitting…' : 'Submit and ask for a video call'}
          </Button>
        </div>
      </div>
    );
  }
  return (
    <p className="text-sm">
      {needsFront && <span className="block text-muted">Add the front of your document first: the selfie is checked against it.</span>}
      <span className="font-semibold">
        Face check: {face.attemptsLeft} of {max} {face.attemptsLeft === 1 ? 'try' : 'tries'} left.
      </span>{' '}
      <span className="text-muted">Good light and your whole face in the frame make the first try count.</span>
    </p>
  );
}
