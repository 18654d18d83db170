import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { parseLostFactor } from '@/lib/recovery/policy';
import { getChallengeView } from '@/lib/verification/challenges';
import { Alert, ButtonLink, Card, PageContainer } from '../../../_components/ui';
import { CodeForm } from '../_components/code-form';
import { CodeLadder } from '../_components/code-ladder';
import { ExpiryCountdown } from '../_components/countdown';
import { DeliveryWatch } from '../_components/delivery-watch';
import { currentChallengeId, verificationDeps } from '../context';

export const metadata: Metadata = { title: 'Enter your code' };

const how = { sms: 'by text message to', voice: 'by phone call to', email: 'by email to' } as const;

export default async function VerifyPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  // What a self-service tile said was lost rides along to "What did you lose?".
  const lost = parseLostFactor((await searchParams).lost);
  const query = lost ? `?lost=${lost}` : '';
  const challengeId = await currentChallengeId();
  const view = challengeId ? await getChallengeView(await verificationDeps(), challengeId) : undefined;
  if (!view) redirect(`/recover${query}`);
  if (view.status === 'verified') redirect(`/recover/verified${query}`);

  const ended = view.status === 'expired' || view.status === 'locked';
  return (
    <PageContainer className="py-10">
      <Card className="mx-auto max-w-xl space-y-5 p-6 sm:p-8">
        <div className="space-y-2">
          <p className="text-sm font-semibold uppercase tracking-wide text-accent">Step 2 of 2</p>
          <h1 className="text-2xl font-bold tracking-tight sm:text-3xl">Enter your code</h1>
          <p className="text-muted">
            We sent a 6-digit code {how[view.channel]} <strong className="whitespace-nowrap text-fg">{view.destination}</strong>.
          </p>
        </div>

        {!view.deliveryProblem && !ended && <DeliveryWatch sentAt={view.resendAvailableAt} />}
        {view.deliveryProblem && (
          <Alert tone="warning" title="The code may not have arrived">
            {view.deliveryProblem}
          </Alert>
        )}

        {ended ? (
          <div className="space-y-4">
            <Alert tone="error" title={view.status === 'locked' ? 'Too many wrong codes' : 'This code has expired'}>
              {view.status === 'locked'
                ? 'For your safety this request is closed. Start again to get a new code.'
                : 'Codes last 10 minutes. Start again to get a new one.'}
            </Alert>
            <ButtonLink href={`/recover${query}`}>Start again</ButtonLink>
          </div>
        ) : (
          <>
            <ExpiryCountdown until={view.expiresAt} />
            <CodeForm attemptsLeft={view.attemptsLeft} lost={lost} />
            <CodeLadder resendAvailableAt={view.resendAvailableAt} />
          </>
        )}
      </Card>
    </PageContainer>
  );
}
