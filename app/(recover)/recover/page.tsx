import type { Metadata } from 'next';
import Link from 'next/link';
import { parseLostFactor, type LostFactor } from '@/lib/recovery/policy';
import { Card, PageContainer } from '../../_components/ui';
import { StartForm } from './_components/start-form';

export const metadata: Metadata = { title: "Can't sign in?" };

/** A self-service tile names what was lost (`?lost=passkey`); the choice rides along to "What did you lose?". */
const PURPOSE: Record<LostFactor, string> = {
  authenticator: 'Reset your authenticator app',
  passkey: 'Replace a passkey',
  phone: 'Change a lost phone number',
  email: 'Change an email address you can’t use',
};

export default async function RecoverStartPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const lost = parseLostFactor((await searchParams).lost);
  return (
    <PageContainer className="py-10">
      <div className="mx-auto grid max-w-4xl gap-8 md:grid-cols-[1fr_18rem]">
        <Card className="space-y-5 p-6 sm:p-8">
          <div className="space-y-2">
            <p className="text-sm font-semibold uppercase tracking-wide text-accent">Step 1 of 2</p>
            <h1 className="text-2xl font-bold tracking-tight sm:text-3xl">{lost ? PURPOSE[lost] : <>Can&apos;t sign in?</>}</h1>
            <p className="text-muted">
              {lost && <>First we make sure it&apos;s you. </>}
              Enter the email address or phone number on your account. We&apos;ll send a 6-digit code to a contact we have on file.
            </p>
          </div>
          <StartForm lost={lost} />
        </Card>
        <aside className="space-y-4 text-sm">
          <div className="rounded-xl border border-line bg-surface p-4">
            <h2 className="font-semibold">For your security</h2>
            <p className="mt-1 text-muted">
              This page looks the same whether or not an account exists, so nobody can use it to find out who has an account.
            </p>
          </div>
          <div className="rounded-xl border border-line bg-surface p-4">
            <h2 className="font-semibold">No longer have your phone?</h2>
            <p className="mt-1 text-muted">
              You can also get the code by phone call, by email or by approving on a device that is still signed in. Read{' '}
              <Link href="/articles/sms-code-not-received" className="font-semibold text-accent underline">
                SMS code not received
              </Link>
              .
            </p>
          </div>
        </aside>
      </div>
    </PageContainer>
  );
}
