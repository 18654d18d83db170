import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { getPrisma } from '@/lib/db/client';
import { currentUser } from '@/lib/sessions/auth';
import { getSecurityOverview } from '@/lib/sessions/overview';
import { describeUserAgent } from '@/lib/verification/approvals';
import { Alert, Button, Card, PageContainer } from '../../../_components/ui';
import { signOutAction } from './actions';

export const metadata: Metadata = { title: 'Account security' };

const when = (date: Date | string) =>
  new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(date)) + ' UTC';

function Row({ label, value, status }: { label: string; value: string; status: 'on' | 'off' }) {
  return (
    <div className="flex items-center justify-between gap-3 py-3">
      <div>
        <p className="font-semibold">{label}</p>
        <p className="text-sm text-muted">{value}</p>
      </div>
      <span className={`rounded-full px-2.5 py-1 text-xs font-semibold ${status === 'on' ? 'bg-success-soft text-success' : 'bg-surface-muted text-muted'}`}>
        {status === 'on' ? 'On' : 'Off'}
      </span>
    </div>
  );
}

export default async function SecurityPage() {
  const user = await currentUser();
  if (!user) redirect('/signin');
  const overview = await getSecurityOverview({ db: getPrisma(), userId: user.userId, sessionId: user.sessionId, now: new Date() });

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

      {overview.hold && (
        <Alert tone="warning" title={`Withdrawals and P2P trading are on hold until ${when(overview.hold.endsAt)}`}>
          A security method was reset recently. The hold protects your funds if someone else made the change; deposits and spot trading keep working.
        </Alert>
      )}

      <div className="grid gap-6 lg:grid-cols-2">
        <Card>
          <h2 className="text-lg font-bold">Sign-in methods</h2>
          <div className="divide-y divide-line">
            <Row label="Authenticator app" value={overview.authenticator ? 'Linked' : 'Not linked'} status={overview.authenticator ? 'on' : 'off'} />
            <Row label="Passkeys" value={overview.passkeys ? `${overview.passkeys} saved` : 'None yet'} status={overview.passkeys ? 'on' : 'off'} />
            <Row label="Email" value={overview.email.masked} status={overview.email.verified ? 'on' : 'off'} />
            {overview.phone && <Row label="Phone (SMS and calls)" value={overview.phone.masked} status={overview.phone.verified ? 'on' : 'off'} />}
          </div>
        </Card>

        <Card>
          <h2 className="text-lg font-bold">Trusted devices</h2>
          <p className="text-sm text-muted">
            These can approve a sign-in or recovery. Requests appear under{' '}
            <Link href="/account/approvals" className="font-semibold text-accent underline">
              Approvals
            </Link>
            .
          </p>
          <ul className="mt-2 divide-y divide-line">
            {overview.devices.map((d) => (
              <li key={d.id} className="py-3">
                <p className="font-semibold">
                  {d.name} {d.current && <span className="ml-1 rounded-full bg-accent-soft px-2 py-0.5 text-xs text-accent">This device</span>}
                </p>
                <p className="text-sm text-muted">Last used {when(d.lastSeenAt)}</p>
              </li>
            ))}
          </ul>
        </Card>
      </div>

      <Card>
        <h2 className="text-lg font-bold">Recent sign-ins</h2>
        <div className="overflow-x-auto">
          <table className="mt-2 w-full text-left text-sm">
            <thead className="text-muted">
              <tr>
                <th className="py-2 pr-4 font-semibold">Time</th>
                <th className="py-2 pr-4 font-semibold">Device</th>
                <th className="py-2 pr-4 font-semibold">Method</th>
                <th className="py-2 font-semibold">Result</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-line">
              {overview.signIns.map((s) => (
                <tr key={s.id}>
                  <td className="py-2 pr-4 whitespace-nowrap">{when(s.createdAt)}</td>
                  <td className="py-2 pr-4">{describeUserAgent(s.userAgent)}</td>
                  <td className="py-2 pr-4">{s.method}</td>
                  <td className={`py-2 font-semibold ${s.result === 'SUCCESS' ? 'text-success' : 'text-danger'}`}>{s.result === 'SUCCESS' ? 'Signed in' : 'Refused'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
    </PageContainer>
  );
}
