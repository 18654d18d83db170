import type { Metadata } from 'next';
import { cookies } from 'next/headers';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { getPrisma } from '@/lib/db/client';
import { requestNow } from '@/lib/http/request';
import { getResetView } from '@/lib/recovery/resets';
import { CheckIcon } from '../../../_components/icons';
import { Alert, ButtonLink, Card, PageContainer } from '../../../_components/ui';
import { currentReset } from '../context';
import { BindStep, ContactBindStep, ProveStep } from './steps';

export const metadata: Metadata = { title: 'Reset a sign-in method' };

const LOST_LABEL = { passkey: 'passkey', authenticator: 'authenticator app', phone: 'phone number', email: 'email access' } as const;
const NEW_LABEL = { passkey: 'passkey', authenticator: 'authenticator app', phone: 'phone number', email: 'email address' } as const;
const when = (iso: string) => new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(iso)) + ' UTC';

export default async function ResetPage() {
  const resetToken = await currentReset();
  const view = resetToken ? await getResetView({ db: getPrisma(), now: requestNow(await cookies()) }, resetToken) : undefined;
  if (!view) redirect('/recover');

  return (
    <PageContainer className="py-10">
      <Card className="mx-auto max-w-xl space-y-5 p-6 sm:p-8">
        {view.step === 'prove' && (
          <>
            <Progress step={2} />
            <div className="space-y-1">
              <h1 className="text-2xl font-bold tracking-tight">Confirm it&apos;s you a second way</h1>
              <p className="text-muted">
                You verified a code. To replace your {LOST_LABEL[view.lostFactor]} we need one more proof that only you have — this keeps someone who
                took over your email or phone number out.
              </p>
            </div>
            <ProveStep options={view.options} attemptsLeft={view.attemptsLeft} deviceRequest={view.deviceRequest} />
            <p className="text-sm text-muted">
              Can&apos;t use any of these?{' '}
              <Link href="/recover/documents" className="font-semibold text-accent underline">
                Verify with an identity document instead
              </Link>
              .
            </p>
          </>
        )}
        {view.step === 'bind' && (
          <>
            {/* An approved request's link skips the code and second proof: no steps to show. */}
            {!view.proved.includes('approved_ticket') && <Progress step={3} />}
            <div className="space-y-1">
              <h1 className="text-2xl font-bold tracking-tight">Set up your new {NEW_LABEL[view.lostFactor]}</h1>
              <p className="text-muted">
                {view.proved.includes('approved_ticket') ? 'Your request was approved.' : 'Both proofs checked out.'} Once the new one is confirmed,
                the old one stops working and every device is signed out.
              </p>
            </div>
            {view.lostFactor === 'phone' || view.lostFactor === 'email' ? (
              <ContactBindStep factor={view.lostFactor} codeSentTo={view.codeSentTo} suggested={view.suggestedContact} />
            ) : (
              <BindStep factor={view.lostFactor} />
            )}
          </>
        )}
        {view.step === 'documents' && (
          <>
            <div className="space-y-1">
              <h1 className="text-2xl font-bold tracking-tight">We need to check your identity</h1>
              <p className="text-muted">
                We can&apos;t replace your {LOST_LABEL[view.lostFactor]} on the spot with the proofs available. A code to your email or phone alone
                isn&apos;t enough: anyone who took over one of those could use it.
              </p>
            </div>
            <Alert tone="info" title="What happens next">
              You upload a photo of an ID document and a selfie. A specialist reviews them, usually within 48 hours, and emails you. You can follow the
              request at any time.
            </Alert>
            <ButtonLink href="/recover/documents">Continue with an identity document</ButtonLink>
          </>
        )}
        {view.step === 'done' && (
          <div className="space-y-4 text-center">
            <CheckIcon className="mx-auto h-12 w-12 text-success" />
            <h1 className="text-2xl font-bold tracking-tight">Your {NEW_LABEL[view.lostFactor]} is replaced</h1>
            <p className="text-muted">
              The old one no longer works and every device was signed out. We sent a notice to your email and phone
              {view.lostFactor === 'phone' || view.lostFactor === 'email' ? ', old and new,' : ''}. For your safety you are not signed in
              automatically.
            </p>
            {view.holdEndsAt && (
              <div className="text-left">
              <Alert tone="warning" title={`Withdrawals and P2P trading are on hold until ${when(view.holdEndsAt)}`}>
                This protects your funds in case someone else started this recovery. If it wasn&apos;t you, contact Support right away.
              </Alert>
              </div>
            )}
            <ButtonLink href="/signin">Sign in</ButtonLink>
          </div>
        )}
      </Card>
    </PageContainer>
  );
}

function Progress({ step }: { step: 2 | 3 }) {
  const steps = ['Verify a code', 'Second proof', 'New sign-in method'];
  return (
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
  );
}
