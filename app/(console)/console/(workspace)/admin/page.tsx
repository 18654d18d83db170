import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { getPrisma } from '@/lib/db/client';
import { AppError } from '@/lib/errors';
import { type AgentListing, type ApiKeyListing, listAgents, listHostApiKeys } from '@/lib/platform/admin';
import { Card } from '../../../../_components/ui';
import { consoleRequest } from '../audit/context';
import { refuseRole } from '../audit/refuse-role';
import { AgentControls } from './agent-controls';
import { CreateKeyForm, RevokeKeyButton } from './api-keys';

export const metadata: Metadata = { title: 'Administration' };

const when = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

export default async function AdminPage() {
  const { agent, actor } = await consoleRequest();
  if (!agent) redirect('/console/signin');
  let agents: AgentListing[];
  let keys: ApiKeyListing[];
  try {
    const db = getPrisma();
    [agents, keys] = await Promise.all([listAgents({ db, actor }), listHostApiKeys({ db, actor })]);
  } catch (error) {
    if (error instanceof AppError && error.code === 'forbidden') refuseRole();
    if (error instanceof AppError && error.code === 'unauthorized') redirect('/console/signin');
    throw error;
  }

  return (
    <div className="space-y-5">
      <div>
        <h1 className="text-2xl font-bold tracking-tight">Administration</h1>
        <p className="text-sm text-muted">Console access and the host platform&apos;s API keys. Every change here is recorded in the audit log. Times are UTC.</p>
      </div>

      <Card className="space-y-3">
        <div>
          <h2 className="text-lg font-bold">Agents</h2>
          <p className="text-sm text-muted">
            Agents work tickets; supervisors also assign tickets, confirm high-risk approvals and read the audit log and analytics; admins also manage
            this page. A change applies from the person&apos;s next click; deactivating signs them out everywhere.
          </p>
        </div>
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Agents with their role and status</caption>
            <thead className="text-xs tracking-wide text-muted uppercase">
              <tr>
                <th scope="col" className="px-3 py-2 font-semibold">Agent</th>
                <th scope="col" className="px-3 py-2 font-semibold">Role</th>
                <th scope="col" className="px-3 py-2 font-semibold">Status</th>
                <th scope="col" className="px-3 py-2 font-semibold whitespace-nowrap">Added</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-line">
              {agents.map((a) => (
                <tr key={a.id} className={`align-top ${a.active ? '' : 'text-muted'}`}>
                  <th scope="row" className="px-3 py-2 text-left font-normal">
                    <span className="block font-semibold text-fg">
                      {a.name}
                      {a.isYou && <span className="ml-2 rounded-full bg-accent-soft px-2 py-0.5 text-xs font-semibold text-accent">You</span>}
                    </span>
                    <span className="text-xs text-muted">{a.email}</span>
                  </th>
                  <AgentControls agent={{ id: a.id, name: a.name, role: a.role, active: a.active, isYou: a.isYou }} />
                  <td className="px-3 py-2 whitespace-nowrap text-muted">{when.format(a.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>

      <Card className="space-y-4">
        <div>
          <h2 className="text-lg font-bold">Host API keys</h2>
          <p className="text-sm text-muted">
            The host platform calls Regain&apos;s API with these keys (for example to check a security hold before a withdrawal). Keys are told apart by
            their prefix; the secret part is never stored.
          </p>
        </div>
        <CreateKeyForm />
        {keys.length === 0 ? (
          <p className="rounded-lg border border-dashed border-line p-6 text-center text-sm text-muted">No API keys yet. Create one for each host environment.</p>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <caption className="sr-only">Host API keys, active first</caption>
              <thead className="text-xs tracking-wide text-muted uppercase">
                <tr>
                  <th scope="col" className="px-3 py-2 font-semibold">Key</th>
                  <th scope="col" className="px-3 py-2 font-semibold">Name</th>
                  <th scope="col" className="px-3 py-2 font-semibold">Created</th>
                  <th scope="col" className="px-3 py-2 font-semibold">Last used</th>
                  <th scope="col" className="px-3 py-2 font-semibold">Status</th>
                  <th scope="col" className="px-3 py-2 text-right font-semibold">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-line">
                {keys.map((k) => (
                  <tr key={k.id} className={k.revokedAt ? 'text-muted' : ''}>
                    <td className="px-3 py-2 font-mono text-xs whitespace-nowrap">rg_live_{k.prefix}_…</td>
                    <th scope="row" className="px-3 py-2 text-left font-semibold">
                      {k.name}
                    </th>
                    <td className="px-3 py-2 whitespace-nowrap">
                      {when.format(k.createdAt)}
                      {k.createdByName && <span className="block text-xs text-muted">by {k.createdByName}</span>}
                    </td>
                    <td className="px-3 py-2 whitespace-nowrap">{k.lastUsedAt ? when.format(k.lastUsedAt) : <span className="text-muted">Never</span>}</td>
                    <td className="px-3 py-2 whitespace-nowrap">
                      {k.revokedAt ? (
                        <span className="text-xs font-semibold">Revoked {when.format(k.revokedAt)}</span>
                      ) : (
                        <span className="rounded-full bg-success-soft px-2.5 py-1 text-xs font-semibold text-success">Active</span>
                      )}
                    </td>
                    <td className="px-3 py-2 text-right">{!k.revokedAt && <RevokeKeyButton apiKeyId={k.id} prefix={k.prefix} name={k.name} />}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}
