import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { currentAgent } from '@/lib/sessions/auth';
import { Card, PageContainer } from '../../../_components/ui';
import { AgentSignInForm } from './form';

export const metadata: Metadata = { title: 'Console sign-in' };

export default async function ConsoleSignInPage() {
  if (await currentAgent()) redirect('/console');
  return (
    <PageContainer className="py-10">
      <Card className="mx-auto max-w-md space-y-5 p-6 sm:p-8">
        <div className="space-y-1">
          <h1 className="text-2xl font-bold tracking-tight">Support console</h1>
          <p className="text-sm text-muted">For Regain support staff. Sign in with your passkey, or your password and authenticator app.</p>
        </div>
        <AgentSignInForm />
      </Card>
    </PageContainer>
  );
}
