import type { Metadata } from 'next';
import { cookies } from 'next/headers';
import Link from 'next/link';
import { getPrisma } from '@/lib/db/client';
import type { TicketStatus } from '@/lib/db/generated/enums';
import { requestNow } from '@/lib/http/request';
import { MAX_UPLOAD_BYTES } from '@/lib/recovery/documents';
import { getTicketStatusView, REPLY_MAX_LENGTH, type TicketStatusView } from '@/lib/recovery/tickets';
import { CheckIcon, VideoIcon } from '../../../_components/icons';
import { Alert, Button, Card, PageContainer } from '../../../_components/ui';
import { ExpiryCountdown } from '../_components/countdown';
import { readPendingCode, readTicketGrant } from '../_components/ticket-access';
import { utcText } from '../_components/utc';
import { UtcTime, UtcWindow } from '../_components/utc-time';
import { closeStatusAction, startOverAction } from './actions';
import { CALL_CANCELLED } from './call-words';
import { ChangeCallForm, ExtraImage, ReplyForm, StatusCodeClosed, StatusCodeForm, StatusStartForm } from './forms';

export const metadata: Metadata = { title: 'Check a recovery request' };

export default async function StatusPage() {
  const now = requestNow(await cookies());
  const grant = await readTicketGrant('status');
  const view = grant ? await getTicketStatusView({ db: getPrisma(), ticketId: grant.ticketId, now }) : undefined;
  if (view) return <StatusView view={view} />;

  const pending = await readPendingCode('status');
  if (pending && new Date(pending.expiresAt) > now && pending.attemptsLeft <= 0) {
    // Too many wrong codes (or a request that inherited them): closed, with one way forward.
    return (
      <Narrow>
        <h1 className="text-2xl font-bold tracking-tight">Check your email</h1>
        <StatusCodeClosed message="Too many wrong codes, so this request is closed. Wait 10 minutes, then start again to get a new code." />
      </Narrow>
    );
  }
  if (pending && new Date(pending.expiresAt) > now) {
    return (
      <Narrow>
        <div className="space-y-2">
          <h1 className="text-2xl font-bold tracking-tight">Check your email</h1>
          <p className="text-muted">
            If that reference and email address belong to a recovery request, we’ve sent a 6-digit code to{' '}
            <span className="font-semibold text-fg">{pending.destination}</span>. It can take a minute to arrive.
          </p>
        </div>
        <ExpiryCountdown until={pending.expiresAt} />
        <StatusCodeForm attemptsLeft={pending.attemptsLeft} />
        <form action={startOverAction} className="border-t border-line pt-4 text-sm">
          <p className="text-muted">
            No email after a few minutes? Check your spam folder, and that the reference and address were typed exactly. Then start again for a new
            code.
          </p>
          <Button type="submit" variant="ghost" className="mt-2 -ml-4">
            Start again
          </Button>
        </form>
      </Narrow>
    );
  }

  return (
    <Narrow>
      <div className="space-y-2">
        <h1 className="text-2xl font-bold tracking-tight sm:text-3xl">Check a recovery request</h1>
        <p className="text-muted">
          Enter the reference number of your request and the email address you gave with it. We’ll email you a code to open it, so only you can see
          it.
        </p>
      </div>
      {pending && <Alert tone="info">Your last code has expired. Ask for a new one below.</Alert>}
      <StatusStartForm />
      <p className="border-t border-line pt-4 text-sm text-muted">
        Don’t have a request yet?{' '}
        <Link href="/recover/documents" className="font-semibold text-accent underline">
          Recover with an identity document
        </Link>{' '}
        or{' '}
        <Link href="/recover" className="font-semibold text-accent underline">
          start from “Can’t sign in?”
        </Link>
        .
      </p>
    </Narrow>
  );
}

function Narrow({ children }: { children: React.ReactNode }) {
  return (
    <PageContainer className="py-10">
      <Card className="mx-auto max-w-xl space-y-5 p-6 sm:p-8">{children}</Card>
    </PageContainer>
  );
}

const KIND_LABELS = { ID_FRONT: 'Front of your document', ID_BACK: 'Back of your document', SELFIE: 'Selfie', EXTRA: 'Extra image' } as const;

function StatusView({ view }: { view: TicketStatusView }) {
  const waitingForYou = view.status === 'MORE_INFO_REQUESTED';
  return (
    <PageContainer className="py-10">
      <div className="mx-auto max-w-2xl space-y-6">
        <Card className="space-y-5 p-5 sm:p-8">
          <div className="space-y-1">
            <p className="text-sm font-semibold text-muted">Recovery request</p>
            <h1 className="font-mono text-2xl font-bold tracking-wider">{view.reference}</h1>
            <p className="text-sm text-muted">
              Opened {utcText(view.createdAt)}. Last update {utcText(view.updatedAt)}.
            </p>
          </div>
          <Stepper status={view.status} />
          <Alert tone={waitingForYou ? 'warning' : view.status === 'APPROVED' || view.status === 'COMPLETED' ? 'success' : 'info'} title={view.statusLabel}>
            {view.explanation}
          </Alert>
          {view.linkSendsAt && (
            // docs/security.md rules 21 and 27: the wait is stated as a time, in words, not only as a clock.
            <p className="rounded-lg border border-line bg-surface-muted p-4 text-sm" data-testid="link-sends-at">
              Your link will be sent at <UtcTime value={view.linkSendsAt} /> unless the account owner cancels.
            </p>
          )}
          {view.appointment && (
            <div className="flex gap-3 rounded-lg border border-line bg-surface-muted p-4 text-sm">
              <VideoIcon className="h-5 w-5 shrink-0 text-accent" />
              <div className="min-w-0 flex-1 space-y-2">
                <h2 className="font-semibold">Video call booked</h2>
                <p>
                  <UtcWindow start={view.appointment.startsAt} end={view.appointment.endsAt} />
                </p>
                <p className="text-muted">
                  To get the link, open{' '}
                  <Link href="/recover/video" className="font-semibold text-accent underline">
                    Join video call appointment
                  </Link>{' '}
                  with a code we email you and a code from your authenticator app.
                </p>
                <ChangeCallForm />
              </div>
            </div>
          )}
          {view.cancelledCall && (
            <div className="flex gap-3 rounded-lg border border-line bg-surface-muted p-4 text-sm">
              <VideoIcon className="h-5 w-5 shrink-0 text-muted" />
              <div className="min-w-0 flex-1 space-y-2">
                <h2 className="font-semibold">{CALL_CANCELLED[view.cancelledCall.reason].title}</h2>
                <p className="text-muted">
                  <s>
                    <UtcWindow start={view.cancelledCall.startsAt} end={view.cancelledCall.endsAt} />
                  </s>
                </p>
                <p>{CALL_CANCELLED[view.cancelledCall.reason].body}</p>
              </div>
            </div>
          )}
        </Card>

        <Card className="space-y-4 p-5 sm:p-8">
          <h2 className="text-xl font-bold">Messages</h2>
          {view.conversation.length === 0 ? (
            <p className="text-sm text-muted">No messages yet. If our team needs anything, their question appears here and we email you.</p>
          ) : (
            <ol className="space-y-3" aria-label="Messages, oldest first">
              {view.conversation.map((message, index) => (
                <li
                  key={`${message.at}-${index}`}
                  className={`rounded-lg border p-3 ${message.from === 'support' ? 'border-accent/30 bg-accent-soft' : 'border-line bg-surface-muted sm:ml-8'}`}
                >
                  <p className="text-xs font-semibold">
                    {message.from === 'support' ? 'Our security team' : 'You'} <span className="font-normal text-muted">· {utcText(message.at)}</span>
                  </p>
                  <p className="mt-1 whitespace-pre-wrap break-words text-sm">{message.body}</p>
                </li>
              ))}
            </ol>
          )}
          {view.canReply ? (
            <ReplyForm maxLength={REPLY_MAX_LENGTH} answering={waitingForYou} />
          ) : (
            <p className="text-sm text-muted">This request is closed, so it can’t take new messages.</p>
          )}
        </Card>

        <Card className="space-y-4 p-5 sm:p-8">
          <h2 className="text-xl font-bold">Your documents</h2>
          {view.documents.length === 0 ? (
            <p className="text-sm text-muted">No photos on this request yet.{view.canReply ? ' You can add them below.' : ''}</p>
          ) : (
            <ul className="divide-y divide-line rounded-lg border border-line">
              {view.documents.map((doc, index) => (
                <li key={`${doc.uploadedAt}-${index}`} className="space-y-1 p-3 text-sm">
                  <div className="flex flex-wrap items-center justify-between gap-2">
                    <span className="font-semibold">{KIND_LABELS[doc.kind]}</span>
                    <span className="text-muted">Added {utcText(doc.uploadedAt)}</span>
                  </div>
                  <DocumentResult ok={doc.ok} problems={doc.problems} />
                </li>
              ))}
            </ul>
          )}
          <p className="text-xs text-muted">For your security we never show your documents again here; our team sees them in their review.</p>
          {view.canReply && <ExtraImage maxBytes={MAX_UPLOAD_BYTES} />}
        </Card>

        <form action={closeStatusAction} className="text-center">
          <Button type="submit" variant="secondary">
            Close this request on this device
          </Button>
        </form>
      </div>
    </PageContainer>
  );
}

function DocumentResult({ ok, problems }: { ok: boolean | null; problems: string[] }) {
  if (ok === null) return <p className="text-muted">Waiting to be checked.</p>;
  if (!ok)
    return (
      <ul className="list-disc pl-5 text-danger">
        {problems.map((problem) => (
          <li key={problem}>{problem}</li>
        ))}
      </ul>
    );
  return (
    <div>
      <p className="flex items-center gap-1.5 text-success">
        <CheckIcon className="h-4 w-4" />
        <span className="text-fg">Passed our checks</span>
      </p>
      {problems.length > 0 && (
        <ul className="mt-1 list-disc pl-5 text-muted">
          {problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Where the request is: submitted → in review → decision. The current step is marked for screen readers too. */
function Stepper({ status }: { status: TicketStatus }) {
  const current = status === 'SUBMITTED' ? 0 : status === 'IN_REVIEW' || status === 'MORE_INFO_REQUESTED' ? 1 : 2;
  const decision = { APPROVED: 'Approved', REJECTED: 'Not approved', COMPLETED: 'Completed', EXPIRED: 'Expired' } as Partial<Record<TicketStatus, string>>;
  const steps = ['Submitted', status === 'MORE_INFO_REQUESTED' ? 'In review: waiting for you' : 'In review', decision[status] ?? 'Decision'];
  return (
    <ol className="grid grid-cols-3 gap-2 text-xs font-semibold sm:text-sm" aria-label="Progress of your request">
      {steps.map((label, index) => (
        <li
          key={index}
          aria-current={index === current ? 'step' : undefined}
          className={`border-t-4 pt-1.5 ${index <= current ? 'border-accent text-fg' : 'border-line text-muted'}`}
        >
          {index < current && <CheckIcon className="mr-1 inline h-3.5 w-3.5 text-success" />}
          {label}
          <span className="sr-only">{index < current ? ' (done)' : index === current ? ' (current step)' : ' (not yet)'}</span>
        </li>
      ))}
    </ol>
  );
}
