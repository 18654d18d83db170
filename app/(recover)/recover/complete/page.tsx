import type { Metadata } from 'next';
import { Card, PageContainer } from '../../../_components/ui';
import { CompleteForm } from './form';

export const metadata: Metadata = { title: 'Finish your recovery' };

/**
 * The emailed link after an approved ticket (token in the fragment). Opening it changes nothing:
 * mail scanners fetch links, so the single-use token is spent only by pressing Continue (a POST).
 */
export default function CompletePage() {
  return (
    <PageContainer className="py-10">
      <Card className="mx-auto max-w-xl space-y-5 p-6 sm:p-8">
        <div className="space-y-1">
          <h1 className="text-2xl font-bold tracking-tight">Your recovery was approved</h1>
          <p className="text-muted">Next, set up a new passkey or authenticator app. It takes about two minutes; keep your phone nearby.</p>
        </div>
        <CompleteForm />
        <p className="text-sm text-muted">The link works once. You will not be signed in automatically: you sign in with your new method afterwards.</p>
      </Card>
    </PageContainer>
  );
}
