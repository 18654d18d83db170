import type { Metadata } from 'next';
import { cookies } from 'next/headers';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { DEVICE_COOKIE } from '@/lib/sessions/devices';
import { type ApprovalRequest, listApprovalRequests } from '@/lib/verification/approvals';
import { Alert, ButtonLink, Card, PageContainer } from '../../../_components/ui';
import { Decision } from './decision';
import { Refresh } from './refresh';

export const metadata: Metadata = { title: 'Approval requests' };

export default async function ApprovalsPage() {
  const deviceToken = (await cookies()).get(DEVICE_COOKIE)?.value;
  let requests: ApprovalRequest[] | undefined;
  try {
    requests = await listApprovalRequests({ db: getPrisma(), hmacKey: getConfig().hmacKey, deviceToken, now: new Date() });
  } catch {
    requests = undefined;
  }

  return (
    <PageContainer className="py-10">
      <div className="mx-auto max-w-xl space-y-5">
        <h1 className="text-2xl font-bold tracking-tight sm:text-3xl">Approval requests</h1>
        {requests === undefined ? (
          <Card className="space-y-3">
            <p className="font-semibold">This device is not signed in</p>
            <p className="text-sm text-muted">Only a phone or computer that is already signed in to your account can approve a request.</p>
            <ButtonLink href="/signin" variant="secondary">
              Sign in
            </ButtonLink>
          </Card>
        ) : requests.length === 0 ? (
          <Card className="space-y-2">
            <p className="font-semibold">No requests waiting</p>
            <p className="text-sm text-muted">When someone asks to approve a sign-in or recovery from this account, it appears here. This page checks by itself.</p>
            <Refresh />
          </Card>
        ) : (
          <>
            <Alert tone="warning" title="Only approve a request you made yourself">
              Support will never ask you to approve a request. If you did not just try to recover your account, deny it.
            </Alert>
            {requests.map((r) => (
              <Card key={r.challengeId} className="space-y-4">
                <div>
                  <p className="font-semibold">
                    {r.purpose === 'factor_reset'
                      ? 'Someone is trying to replace a sign-in method (passkey or authenticator app) on your account'
                      : 'Someone is trying to recover your account'}
                  </p>
                  <dl className="mt-3 grid grid-cols-[8rem_1fr] gap-y-1.5 text-sm">
                    <dt className="text-muted">Requested</dt>
                    <dd>
                      <time dateTime={r.requestedAt}>{new Date(r.requestedAt).toUTCString().replace(' GMT', ' UTC')}</time>
                    </dd>
                    <dt className="text-muted">Device</dt>
                    <dd>{r.device}</dd>
                    <dt className="text-muted">Network</dt>
                    <dd>{r.network}</dd>
                  </dl>
                </div>
                <Decision challengeId={r.challengeId} />
              </Card>
            ))}
          </>
        )}
      </div>
    </PageContainer>
  );
}
