import type { Metadata } from 'next';
import { cookies } from 'next/headers';
import Link from 'next/link';
import { requestNow } from '@/lib/http/request';
import { JOIN_EARLY_MINUTES } from '@/lib/recovery/tickets';
import { VideoIcon } from '../../../_components/icons';
import { Alert, Button, Card, PageContainer } from '../../../_components/ui';
import { ExpiryCountdown } from '../_components/countdown';
import { readPendingCode } from '../_components/ticket-access';
import { startOverAction } from './actions';
import { JoinForm, ReferenceForm } from './forms';

export const metadata: Metadata = { title: 'Join a video call appointment' };

export default async function VideoPage() {
  const now = requestNow(await cookies());
  const pending = await readPendingCode('video');
  const live = pending && new Date(pending.expiresAt) > now;

  return (
    <PageContainer className="py-10">
      <div className="mx-auto grid max-w-4xl gap-8 md:grid-cols-[1fr_18rem]">
        <Card className="space-y-5 p-6 sm:p-8">
          {live ? (
            <>
              <div className="space-y-2">
                <p className="text-sm font-semibold uppercase tracking-wide text-accent">Step 2 of 2</p>
                <h1 className="text-2xl font-bold tracking-tight">Confirm it’s you</h1>
                <p className="text-muted">
                  If {pending.reference ? <span className="font-mono font-semibold text-fg">{pending.reference}</span> : 'that reference'} has a video call
                  booked, we’ve emailed a 6-digit code to the address on the request. Enter it with a code from your authenticator app.
                </p>
              </div>
              <JoinForm
                attemptsLeft={pending.attemptsLeft}
                intro={<ExpiryCountdown until={pending.expiresAt} />}
                footer={
                  <form action={startOverAction} className="border-t border-line pt-4 text-sm">
                    <p className="text-muted">No email after a few minutes? Check your spam folder and the reference number.</p>
                    <Button type="submit" variant="ghost" className="mt-2 -ml-4">
                      Use a different reference
                    </Button>
                  </form>
                }
              />
            </>
          ) : (
            <>
              <div className="space-y-2">
                <p className="text-sm font-semibold uppercase tracking-wide text-accent">Step 1 of 2</p>
                <h1 className="flex items-center gap-2 text-2xl font-bold tracking-tight sm:text-3xl">
                  <VideoIcon className="h-7 w-7 text-accent" />
                  Join your video call
                </h1>
                <p className="text-muted">
                  Enter the reference number of your recovery request. We’ll email a code to the address on the request; together with a code from your
                  authenticator app, it gives you the meeting link.
                </p>
              </div>
              {pending && <Alert tone="info">Your last code has expired. Enter your reference to get a new one.</Alert>}
              <ReferenceForm />
            </>
          )}
        </Card>
        <aside className="space-y-4 text-sm">
          <div className="rounded-xl border border-line bg-surface p-4">
            <h2 className="font-semibold">When can I join?</h2>
            <p className="mt-1 text-muted">
              From {JOIN_EARLY_MINUTES} minutes before your appointment until it ends. The time is in the email that confirmed it, and on your{' '}
              <Link href="/recover/status" className="font-semibold text-accent underline">
                request’s status page
              </Link>
              .
            </p>
          </div>
          <div className="rounded-xl border border-line bg-surface p-4">
            <h2 className="font-semibold">Why two codes?</h2>
            <p className="mt-1 text-muted">
              The call decides whether someone gets into your account, so we check both your email and your authenticator app before giving out the
              link. We never send the link by email.
            </p>
          </div>
          <div className="rounded-xl border border-line bg-surface p-4">
            <h2 className="font-semibold">Can’t make it?</h2>
            <p className="mt-1 text-muted">
              On your{' '}
              <Link href="/recover/status" className="font-semibold text-accent underline">
                request’s status page
              </Link>{' '}
              you can cancel the call or ask for another time. We email you a calendar cancellation either way.
            </p>
          </div>
          <div className="rounded-xl border border-line bg-surface p-4">
            <h2 className="font-semibold">No authenticator app?</h2>
            <p className="mt-1 text-muted">Reply on your request’s status page and our team will review your documents without a call.</p>
          </div>
        </aside>
      </div>
    </PageContainer>
  );
}
