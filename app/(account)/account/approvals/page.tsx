import type { Metadata } from 'next';
import { cookies } from 'next/headers';
import { hasAuthenticator } from '@/lib/authenticator';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { requestNow } from '@/lib/http/request';
import { countPasskeys } from '@/lib/passkeys';
import { currentUser } from '@/lib/sessions/auth';
import { DEVICE_COOKIE } from '@/lib/sessions/devices';
import { type ApprovalChange, type ApprovalRequest, listApprovalRequests } from '@/lib/sessions/approvals';
import { Alert, ButtonLink, Card, PageContainer } from '../../../_components/ui';
import { StepUpProvider } from '../../_components/step-up';
import { Decision } from './decision';
import { Refresh } from './refresh';

export const metadata: Metadata = { title: 'Approval requests' };

const CHANGE_LABEL: Record<ApprovalChange, string> = {
  passkey: 'replace the passkeys on your account with a new one',
  authenticator: 'replace the authenticator app on your account',
  phone: 'change the phone number on your account',
  email: 'change the email address on your account',
};

export default async function ApprovalsPage() {
  const jar = await cookies();
  const user = await currentUser();
  const db = getPrisma();
  let requests: ApprovalRequest[] | undefined;
  try {
    requests = user
      ? await listApprovalRequests({
          db,
          hmacKey: getConfig().hmacKey,
          approver: { userId: user.userId, sessionId: user.sessionId, deviceToken: jar.get(DEVICE_COOKIE)?.value },
          now: requestNow(jar),
        })
      : undefined;
  } catch {
    requests = undefined;
  }
  const [authenticator, passkeys] = user && requests?.length ? await Promise.all([hasAuthenticator({ db, owner: { userId: user.userId } }), countPasskeys(db, user.userId)]) : [false, 0];

  return (
    <PageContainer className="py-10">
      <div className="mx-auto max-w-xl space-y-5">
        <h1 className="text-2xl font-bold tracking-tight sm:text-3xl">Approval requests</h1>
        {requests === undefined ? (
          <Card className="space-y-3">
            <p className="font-semibold">This device is not signed in</p>
            <p className="text-sm text-muted">Only a phone or computer where you are signed in to your account can approve a request. Signing out ends that.</p>
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
          <StepUpProvider hasAuthenticator={authenticator} hasPasskey={passkeys > 0}>
            <Alert tone="warning" title="Only approve a request you made yourself">
              Support will never ask you to approve a request. If you did not just try to recover your account, deny it.
            </Alert>
            {requests.map((r) => (
              <Card key={r.challengeId} className="space-y-4">
                <div>
                  <p className="text-lg font-semibold">Someone is asking to {CHANGE_LABEL[r.change]}</p>
                  <dl className="mt-3 grid grid-cols-[9rem_1fr] gap-y-1.5 text-sm">
                    <dt className="text-muted">Requested</dt>
                    <dd>
                      <time dateTime={r.requestedAt}>{new Date(r.requestedAt).toUTCString().replace(' GMT', ' UTC')}</time>
                    </dd>
                    <dt className="text-muted">Network</dt>
                    <dd>{r.network} (as our server saw it)</dd>
                    <dt className="text-muted">Browser</dt>
                    <dd>{r.reportedBrowser} (as that browser describes itself)</dd>
                  </dl>
                </div>
                <Decision challengeId={r.challengeId} choices={r.choices} />
              </Card>
            ))}
          </StepUpProvider>
        )}
      </div>
    </PageContainer>
  );
}
