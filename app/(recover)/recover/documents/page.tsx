import type { Metadata } from 'next';
import { cookies } from 'next/headers';
import Link from 'next/link';
import { getPrisma } from '@/lib/db/client';
import { requestNow } from '@/lib/http/request';
import { DEFAULT_RETENTION_DAYS, FACE_CHECK_MAX_ATTEMPTS, getFaceCheckStatus, MAX_UPLOAD_BYTES } from '@/lib/recovery/documents';
import { getResetView } from '@/lib/recovery/resets';
import { getTicketStatusView, TICKET_SLA_HOURS } from '@/lib/recovery/tickets';
import { maskEmail } from '@/lib/verification/identifiers';
import { CheckIcon, ShieldIcon } from '../../../_components/icons';
import { Alert, ButtonLink, Card, PageContainer } from '../../../_components/ui';
import { readPendingCode, readTicketGrant } from '../_components/ticket-access';
import { CodeStep } from './code-step';
import { currentReset } from '../context';
import { verifiedAccount } from './account';
import { StartForm } from './start-form';
import { UploadStep } from './upload-step';

export const metadata: Metadata = { title: 'Recover with an identity document' };

export default async function DocumentsPage() {
  const db = getPrisma();
  const now = requestNow(await cookies());
  const grant = await readTicketGrant('documents');
  const view = grant ? await getTicketStatusView({ db, ticketId: grant.ticketId, now }) : undefined;

  if (grant && view && grant.stage === 'submitted') return <Submitted reference={view.reference} />;

  if (grant && view && grant.stage === 'confirm' && view.status === 'SUBMITTED') {
    const pending = await readPendingCode('documents');
    return (
      <Frame step={1}>
        <div className="space-y-1">
          <h1 className="text-2xl font-bold tracking-tight">Confirm your email address</h1>
        </div>
        <CodeStep attemptsLeft={pending?.attemptsLeft ?? 0} destination={pending?.destination} />
      </Frame>
    );
  }

  if (grant && view && grant.stage === 'upload' && view.canReply) {
    const face = await getFaceCheckStatus({ db, ticketId: grant.ticketId, now });
    // The newest upload of each kind is what counts (an earlier one may have been replaced).
    const saved: Record<string, { warnings: string[] }> = {};
    for (const doc of view.documents) if (doc.ok !== false) saved[doc.kind] = { warnings: doc.problems };
    return (
      <Frame step={2}>
        <div className="space-y-1">
          <h1 className="text-2xl font-bold tracking-tight">Add your photos</h1>
          <p className="text-muted">Use your phone’s camera, or choose photos you’ve already taken. You’ll see each one here with the result of our checks.</p>
        </div>
        <UploadStep
          reference={view.reference}
          maxBytes={MAX_UPLOAD_BYTES}
          saved={saved}
          faceCheck={{ attemptsLeft: face.attemptsLeft, lockedUntil: face.lockedUntil?.toISOString() ?? null }}
          maxFaceAttempts={FACE_CHECK_MAX_ATTEMPTS}
        />
      </Frame>
    );
  }

  const account = await verifiedAccount(db, now);
  const resetId = await currentReset();
  const reset = resetId ? await getResetView({ db, now }, resetId) : undefined;
  return (
    <Frame step={1}>
      <div className="space-y-2">
        <h1 className="text-2xl font-bold tracking-tight sm:text-3xl">Recover your account with an identity document</h1>
        <p className="text-muted">
          When a second sign-in method isn’t available, a member of our security team checks an identity document and a selfie instead. It takes about
          five minutes here.
        </p>
      </div>
      {grant && view && !view.canReply && (
        <Alert tone="info" title={`Request ${view.reference} can no longer take photos`}>
          It has moved on. You can follow it on the <Link href="/recover/status" className="font-semibold underline">status page</Link>, or open a new
          request below.
        </Alert>
      )}
      <Guidance />
      <section aria-labelledby="start-heading" className="space-y-4 border-t border-line pt-5">
        <h2 id="start-heading" className="text-xl font-bold">
          Start your request
        </h2>
        <StartForm accountEmail={account ? maskEmail(account.email) : undefined} defaultLost={reset?.lostFactor} />
      </section>
    </Frame>
  );
}

function Frame({ step, children }: { step: 1 | 2 | 3; children: React.ReactNode }) {
  const steps = ['Your details', 'Your photos', 'Submitted'];
  return (
    <PageContainer className="py-10">
      <Card className="mx-auto max-w-2xl space-y-6 p-5 sm:p-8">
        <ol className="flex gap-2 text-xs font-semibold" aria-label={`Step ${step} of 3`}>
          {steps.map((label, index) => (
            <li
              key={label}
              aria-current={index + 1 === step ? 'step' : undefined}
              className={`flex-1 border-t-4 pt-1.5 ${index + 1 <= step ? 'border-accent text-fg' : 'border-line text-muted'}`}
            >
              {label}
            </li>
          ))}
        </ol>
        {children}
      </Card>
    </PageContainer>
  );
}

function Guidance() {
  return (
    <div className="space-y-5">
      <section aria-labelledby="before-heading" className="space-y-2">
        <h2 id="before-heading" className="text-lg font-bold">
          Before you start
        </h2>
        <ul className="space-y-2 text-sm">
          {[
            'An ID card, driving licence or passport that hasn’t expired.',
            'Original colour photos taken for this request: not screenshots, photocopies, black-and-white scans or edited pictures.',
            'All four corners of the document in the picture, with the text sharp and no glare or fingers over it.',
            'Somewhere with good light for your selfie, with your face uncovered.',
          ].map((item) => (
            <li key={item} className="flex gap-2">
              <CheckIcon className="mt-0.5 h-4 w-4 shrink-0 text-success" />
              <span>{item}</span>
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="next-heading" className="space-y-2">
        <h2 id="next-heading" className="text-lg font-bold">
          What happens next
        </h2>
        <ol className="list-decimal space-y-1.5 pl-5 text-sm">
          <li>You get a reference number by email as soon as your request is open.</li>
          <li>A specialist compares your photos with the account, usually within {TICKET_SLA_HOURS} hours.</li>
          <li>
            We email you if we need anything else, and when there’s a decision. You can check progress and answer us any time on the{' '}
            <Link href="/recover/status" className="font-semibold text-accent underline">
              status page
            </Link>
            .
          </li>
          <li>If it’s approved, you get a single-use link to set up a new sign-in method. Nothing on your account changes before that.</li>
        </ol>
      </section>
      <div className="flex gap-3 rounded-lg border border-line bg-surface-muted p-4 text-sm">
        <ShieldIcon className="h-5 w-5 shrink-0 text-accent" />
        <div className="space-y-1">
          <h2 className="font-semibold">How we protect your documents</h2>
          <p className="text-muted">
            Your photos are encrypted as soon as they arrive and are never available at a public link. Only the specialist handling your request can
            open them, and every time they do is recorded. We delete them {DEFAULT_RETENTION_DAYS} days after your request is closed. We will never ask
            for your password or sign-in codes.
          </p>
        </div>
      </div>
    </div>
  );
}

function Submitted({ reference }: { reference: string }) {
  return (
    <Frame step={3}>
      <div className="space-y-4">
        <CheckIcon className="h-12 w-12 text-success" />
        <h1 className="text-2xl font-bold tracking-tight">Your request is with our security team</h1>
        <div className="rounded-lg border border-line bg-surface-muted p-4">
          <p className="text-sm text-muted">Your reference</p>
          <p className="font-mono text-2xl font-bold tracking-wider" data-testid="ticket-reference">
            {reference}
          </p>
        </div>
        <p>
          We sent a confirmation with this reference to your email address. Keep it: you need it to check your request or to answer our questions. A
          specialist usually reviews requests within {TICKET_SLA_HOURS} hours.
        </p>
        <Alert tone="info" title="While you wait">
          You don’t need to do anything. We’ll email you if we need something else. Didn’t get the email after a few minutes? Check your spam folder.
        </Alert>
        <div className="flex flex-wrap gap-2">
          <ButtonLink href="/recover/status">Check the status of your request</ButtonLink>
          <ButtonLink href="/" variant="secondary">
            Back to the help center
          </ButtonLink>
        </div>
      </div>
    </Frame>
  );
}
