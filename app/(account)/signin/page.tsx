import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { currentUser } from '@/lib/sessions/auth';
import { Card, PageContainer } from '../../_components/ui';
import { SignInForm } from './sign-in-form';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage() {
  if (await currentUser()) redirect('/account/security');
  return (
    <PageContainer className="py-10">
      <Card className="mx-auto max-w-md space-y-5 p-6 sm:p-8">
        <div className="space-y-1">
          <h1 className="text-2xl font-bold tracking-tight">Sign in</h1>
          <p className="text-sm text-muted">Use a passkey, or your password with a code from your authenticator app or one of your recovery codes.</p>
        </div>
        <SignInForm />
      </Card>
    </PageContainer>
  );
}
