import type { Metadata } from 'next';
import Link from 'next/link';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { getPrisma } from '@/lib/db/client';
import { requestNow } from '@/lib/http/request';
import { currentUser } from '@/lib/sessions/auth';
import { getSecurityOverview } from '@/lib/sessions/overview';
import { Alert, Button, Card, PageContainer } from '../../../_components/ui';
import { StepUpProvider } from '../../_components/step-up';
import { signOutAction } from './actions';
import { AuthenticatorPanel } from './authenticator-panel';
import { DevicesPanel, UnrecognisedActivity } from './devices-panel';
import { when } from './format';
import { PasskeysPanel } from './passkeys-panel';
import { RecoveryCodesPanel } from './recovery-codes-panel';

export const metadata: Metadata = { title: 'Account security' };

const SCOPE_LABEL = { withdrawals: 'withdrawals', p2p_trading: 'P2P trading' } as const;

function Contact({ label, value, verified }: { label: string; value: string; verified: boolean }) {
  return (
    <div className="flex items-center justify-between gap-3 py-3">
      <div className="min-w-0">
        <p className="font-semibold">{label}</p>
        <p className="text-sm break-words text-muted">{value}</p>
      </div>
      <span className={`shrink-0 rounded-full px-2.5 py-1 text-xs font-semibold ${verified ? 'bg-success-soft text-success' : 'bg-surface-muted text-muted'}`}>
        {verified ? 'Verified' : 'Not verified'}
      </span>
    </div>
  );
}

export default async function SecurityPage() {
  const user = await currentUser();
  if (!user) redirect('/signin');
  const overview = await getSecurityOverview({ db: getPrisma(), userId: user.userId, sessionId: user.sessionId, now: requestNow(await cookies()) });
  const held = overview.hold ? overview.hold.scope.map((s) => SCOPE_LABEL[s]).join(' and ') : '';

  return (
    <PageContainer className="space-y-6 py-10">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-2xl font-bold tracking-tight sm:text-3xl">Account security</h1>
          <p className="text-muted">Signed in as {overview.name}</p>
        </div>
        <form action={signOutAction}>
          <Button type="submit" variant="secondary">
            Sign out
          </Button>
        </form>
      </div>

      {!overview.authenticator && overview.passkeys.length === 0 && (
        <Alert tone="info" title="Add a passkey">
          You sign in with your password and a code we email you. A passkey signs you in with your fingerprint, face or screen lock instead: it only
          works on this site, so it can&apos;t be phished, and it keeps your account yours even if someone gets into your email. Add one under Passkeys.
        </Alert>
      )}

      {overview.hold && (
        <Alert tone="warning" title={`Security hold: ${held.charAt(0).toUpperCase() + held.slice(1)} are paused until ${when(overview.hold.endsAt)}`}>
          A sign-in method changed or unusual activity was reported. The hold protects your funds if it wasn&apos;t you; deposits and spot trading keep
          working. It ends by itself — nobody from Support can lift it early.
        </Alert>
      )}

      <StepUpProvider hasAuthenticator={overview.authenticator} hasPasskey={overview.passkeys.length > 0}>
        <div className="grid gap-6 lg:grid-cols-[3fr_2fr]">
          <div className="space-y-6">
            <Card>
              <PasskeysPanel passkeys={overview.passkeys} />
            </Card>
            <Card>
              <AuthenticatorPanel linked={overview.authenticator} />
            </Card>
            <Card>
              <RecoveryCodesPanel status={overview.recoveryCodes} account={`${overview.name} (${overview.email.masked})`} />
            </Card>
          </div>
          <div className="space-y-6">
            <Card>
              <h2 className="text-lg font-bold">Contact details</h2>
              <p className="text-sm text-muted">Security notices go to every verified contact.</p>
              <div className="divide-y divide-line">
                <Contact label="Email" value={overview.email.masked} verified={overview.email.verified} />
                {overview.phone && <Contact label="Phone (SMS and calls)" value={overview.phone.masked} verified={overview.phone.verified} />}
              </div>
            </Card>
            <Card>
              <DevicesPanel devices={overview.devices} />
              <p className="mt-3 text-sm text-muted">
                Requests to approve appear under{' '}
                <Link href="/account/approvals" className="font-semibold text-accent underline">
                  Approvals
                </Link>
                .
              </p>
            </Card>
          </div>
        </div>
      </StepUpProvider>

      <Card>
        <div className="flex flex-wrap items-start justify-between gap-3">
          <div>
            <h2 className="text-lg font-bold">Recent sign-ins</h2>
            <p className="text-sm text-muted">Times are in UTC. Something you don&apos;t recognise? Secure your account straight away.</p>
          </div>
          <UnrecognisedActivity />
        </div>
        {overview.signIns.length === 0 ? (
          <p className="mt-3 text-sm text-muted">No sign-ins yet.</p>
        ) : (
          <>
            {/* Phones get one card per sign-in; wider screens a table that reads across. */}
            <ul className="mt-3 divide-y divide-line sm:hidden">
              {overview.signIns.map((s) => (
                <li key={s.id} className="py-3 text-sm">
                  <p className="flex justify-between gap-2 font-semibold">
                    <span>{when(s.at)}</span>
                    <span className={s.succeeded ? 'text-success' : 'text-danger'}>{s.succeeded ? 'Signed in' : 'Refused'}</span>
                  </p>
                  <p className="text-muted">
                    {s.device} · {s.where}
                  </p>
                  <p className="text-muted">{s.method}</p>
                </li>
              ))}
            </ul>
            <div className="mt-3 hidden overflow-x-auto sm:block">
              <table className="w-full text-left text-sm">
                <caption className="sr-only">Recent sign-ins, newest first</caption>
                <thead className="text-muted">
                  <tr>
                    <th scope="col" className="py-2 pr-4 font-semibold">Time</th>
                    <th scope="col" className="py-2 pr-4 font-semibold">Device</th>
                    <th scope="col" className="py-2 pr-4 font-semibold">Network</th>
                    <th scope="col" className="py-2 pr-4 font-semibold">Method</th>
                    <th scope="col" className="py-2 font-semibold">Result</th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-line">
                  {overview.signIns.map((s) => (
                    <tr key={s.id}>
                      <td className="py-2 pr-4 whitespace-nowrap">{when(s.at)}</td>
                      <td className="py-2 pr-4">{s.device}</td>
                      <td className="py-2 pr-4 whitespace-nowrap">{s.where}</td>
                      <td className="py-2 pr-4">{s.method}</td>
                      <td className={`py-2 font-semibold ${s.succeeded ? 'text-success' : 'text-danger'}`}>{s.succeeded ? 'Signed in' : 'Refused'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </Card>
    </PageContainer>
  );
}
