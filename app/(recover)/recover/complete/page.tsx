import type { Metadata } from 'next';
import { Card, PageContainer } from '../../../_components/ui';
import { CompleteForm } from './form';

export const metadata: Metadata = { title: 'Finish your recovery' };

/**
 * The emailed link after an approved ticket (token in the fragment). Opening it changes nothing:
 * mail scanners fetch links, so the link is bound to a browser only by pressing Continue (a POST).
 * From then on it works in that browser alone, until the new method is set up
 * (lib/recovery/tickets/reset-token.ts).
 */
export default function CompletePage() {
  return (
    <PageContainer className="py-10">
      <Card className="mx-auto max-w-xl space-y-5 p-6 sm:p-8">
        <div className="space-y-1">
          <h1 className="text-2xl font-bold tracking-tight">Your recovery was approved</h1>
          <p className="text-muted">Set up your new sign-in method now, on this device.</p>
        </div>
        <CompleteForm />
        <p className="text-sm text-muted">
          This link works in the browser where you first press Continue. If you close the page before you finish, open the link from the email again in
          the same browser. Once your new method is set up, the link stops working. You will not be signed in automatically: you sign in with your new
          method afterwards.
        </p>
      </Card>
    </PageContainer>
  );
}
