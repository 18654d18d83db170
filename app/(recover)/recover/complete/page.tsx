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
        <CompleteForm />
      </Card>
    </PageContainer>
  );
}
