import type { Metadata } from 'next';
import { cookies } from 'next/headers';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { currentUser } from '@/lib/sessions/auth';
import { CODE_SIGN_IN_COOKIE, readCodeSignInCookie } from '@/lib/sessions/cookies';
import { Card, PageContainer } from '../../../_components/ui';
import { CodeStep, DetailsStep } from './forms';

export const metadata: Metadata = { title: 'Sign in with an emailed code' };

/**
 * For accounts with a password and a verified email but no authenticator app or passkey: the
 * password, then a code sent to that email.
 */
export default async function CodeSignInPage() {
  if (await currentUser()) redirect('/account/security');
  const pending = readCodeSignInCookie((await cookies()).get(CODE_SIGN_IN_COOKIE)?.value);
  const live = pending && Date.parse(pending.expiresAt) > Date.now() ? pending : undefined;
  return (
    <PageContainer className="py-10">
      <Card className="mx-auto max-w-md space-y-5 p-6 sm:p-8">
        {live ? (
          <>
            <div className="space-y-1">
              <p className="text-sm font-semibold uppercase tracking-wide text-accent">Step 2 of 2</p>
              <h1 className="text-2xl font-bold tracking-tight">Check your email</h1>
              <p className="text-sm text-muted">
                If the email and password are right, and your account has no authenticator app or passkey, we sent a 6-digit code to{' '}
                <span className="font-semibold text-fg">{live.sentTo}</span>. It works once, for 10 minutes.
              </p>
            </div>
            <CodeStep expiresAt={live.expiresAt} />
          </>
        ) : (
          <>
            <div className="space-y-1">
              <p className="text-sm font-semibold uppercase tracking-wide text-accent">Step 1 of 2</p>
              <h1 className="text-2xl font-bold tracking-tight">Sign in with an emailed code</h1>
              <p className="text-sm text-muted">
                For accounts without an authenticator app or passkey: enter your password, then the code we email you. If your account has an app or a
                passkey,{' '}
                <Link href="/signin" className="font-semibold text-accent underline">
                  sign in with it
                </Link>{' '}
                instead.
              </p>
            </div>
            <DetailsStep />
          </>
        )}
        <p className="border-t border-line pt-4 text-center text-sm">
          <Link href="/recover" className="font-semibold text-accent underline">
            Can&apos;t sign in?
          </Link>
        </p>
      </Card>
    </PageContainer>
  );
}
