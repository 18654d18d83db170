import { currentAgent } from '@/lib/sessions/auth';
import { ButtonLink, Card } from '../../../../_components/ui';

const ROLE_LABEL = { AGENT: 'agents', SUPERVISOR: 'supervisors', ADMIN: 'admins' } as const;

/** The body of a segment's forbidden.tsx: the refusal, naming the signed-in agent's role. */
export async function RoleRefusedPage({ page, allowed }: { page: string; allowed: string }) {
  const agent = await currentAgent();
  return <RoleRefused page={page} allowed={allowed} role={agent?.role ?? 'AGENT'} />;
}

/** What a signed-in agent sees on a console page their role may not open (the 403 of the console). */
export function RoleRefused({ page, allowed, role }: { page: string; allowed: string; role: keyof typeof ROLE_LABEL }) {
  return (
    <Card className="mx-auto mt-6 max-w-xl space-y-4 p-8 text-center">
      <p className="text-sm font-semibold tracking-wide text-danger uppercase">403 · Not available to your role</p>
      <h1 className="text-2xl font-bold">{page} is for {allowed}</h1>
      <p className="text-muted">
        You are signed in as one of the {ROLE_LABEL[role]}. If you need access for your work, ask an admin to change your role.
      </p>
      <div className="flex justify-center pt-2">
        <ButtonLink href="/console">Back to the queue</ButtonLink>
      </div>
    </Card>
  );
}
