import type { Metadata } from 'next';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { getPrisma } from '@/lib/db/client';
import { requestNow } from '@/lib/http/request';
import { preselectLostFactor } from '@/lib/recovery/resets';
import { getChallengeView } from '@/lib/verification/challenges';
import { CheckIcon } from '../../../_components/icons';
import { Button, Card, PageContainer } from '../../../_components/ui';
import { currentChallengeId, verificationDeps } from '../context';
import { chooseLostFactorAction } from '../reset/actions';

export const metadata: Metadata = { title: 'Verified' };

const CHOICES = [
  { value: 'authenticator', label: 'My authenticator app', detail: 'New phone, deleted app, or the codes stopped working.' },
  { value: 'passkey', label: 'My passkey', detail: 'The device or password manager that held it is gone.' },
  { value: 'phone', label: 'My phone number', detail: 'I no longer have the number on my account.' },
  { value: 'email', label: 'Access to my email', detail: 'I can’t get into the email address on my account.' },
] as const;

export default async function VerifiedPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const challengeId = await currentChallengeId();
  const view = challengeId ? await getChallengeView(await verificationDeps(), challengeId) : undefined;
  if (view?.status !== 'verified') redirect('/recover');
  // A self-service tile's choice, only if the account has that factor; otherwise nothing is chosen for the person.
  const preselected = await preselectLostFactor({ db: getPrisma(), now: requestNow(await cookies()) }, { challengeId: challengeId!, wanted: (await searchParams).lost });
  return (
    <PageContainer className="py-10">
      <Card className="mx-auto max-w-xl space-y-6 p-6 sm:p-8">
        <div className="space-y-2">
          <CheckIcon className="h-10 w-10 text-success" />
          <h1 className="text-2xl font-bold tracking-tight">You&apos;re verified</h1>
          <p className="text-muted">That confirms you can reach a contact on the account. For your safety you are not signed in automatically.</p>
        </div>
        <form action={chooseLostFactorAction} className="space-y-4">
          <fieldset className="space-y-2">
            <legend className="mb-2 text-lg font-bold">What did you lose?</legend>
            {preselected && <p className="mb-2 text-sm text-muted">We chose the answer from where you started. You can change it.</p>}
            {CHOICES.map((choice) => (
              <label key={choice.value} className="flex min-h-11 cursor-pointer items-start gap-3 rounded-lg border border-line bg-surface p-3 has-[:checked]:border-accent">
                <input type="radio" name="lost" value={choice.value} defaultChecked={choice.value === preselected} required className="mt-1 h-4 w-4" />
                <span>
                  <span className="block font-semibold">{choice.label}</span>
                  <span className="block text-sm text-muted">{choice.detail}</span>
                </span>
              </label>
            ))}
          </fieldset>
          <Button type="submit">Continue</Button>
        </form>
      </Card>
    </PageContainer>
  );
}
