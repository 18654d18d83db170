import type { Metadata } from 'next';
import { Card, PageContainer } from '../../../_components/ui';
import { CancelForm } from './form';

export const metadata: Metadata = { title: 'Cancel a recovery request' };

/**
 * The "This wasn't me" link in the account owner's notice (docs/security.md rule 27; token in the
 * fragment). Opening it changes nothing: mail scanners fetch links, so the request is cancelled
 * only by pressing the button (a POST).
 */
export default function CancelPage() {
  return (
    <PageContainer className="py-10">
      <Card className="mx-auto max-w-xl space-y-5 p-6 sm:p-8">
        <div className="space-y-1">
          <h1 className="text-2xl font-bold tracking-tight">Didn’t ask to recover your account?</h1>
          <p className="text-muted">
            Someone asked us to recover your account with an identity document. If it wasn’t you, cancel the request here. Nothing on your account
            changes until a request is approved and its waiting time has passed.
          </p>
        </div>
        <CancelForm />
        <p className="text-sm text-muted">
          Afterwards, open the app, or type the address you always use into your browser, and check your sign-in methods. Nobody from Support will ever
          ask for your password or your codes.
        </p>
      </Card>
    </PageContainer>
  );
}
