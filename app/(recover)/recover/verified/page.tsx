import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { getChallengeView } from '@/lib/verification/challenges';
import { CheckIcon } from '../../../_components/icons';
import { ToolGrid } from '../../../_components/tools';
import { Card, PageContainer } from '../../../_components/ui';
import { currentChallengeId, verificationDeps } from '../context';

export const metadata: Metadata = { title: 'Verified' };

export default async function VerifiedPage() {
  const challengeId = await currentChallengeId();
  const view = challengeId ? await getChallengeView(await verificationDeps(), challengeId) : undefined;
  if (view?.status !== 'verified') redirect('/recover');
  return (
    <PageContainer className="space-y-8 py-10">
      <Card className="mx-auto max-w-xl space-y-3 p-6 text-center sm:p-8">
        <CheckIcon className="mx-auto h-12 w-12 text-success" />
        <h1 className="text-2xl font-bold tracking-tight">You&apos;re verified</h1>
        <p className="text-muted">
          Thanks — that confirms you can reach a contact on the account. Choose what you need to recover next. For your safety you are not signed in
          automatically.
        </p>
      </Card>
      <section aria-labelledby="next-heading" className="space-y-3">
        <h2 id="next-heading" className="text-xl font-bold">
          What do you need to recover?
        </h2>
        <ToolGrid />
      </section>
    </PageContainer>
  );
}
