'use client';

import { useActionState } from 'react';
import { Button } from '../../../../_components/ui';
import { agentAccessAction, type AgentAccessState } from './actions';

const ROLES = [
  { value: 'AGENT', label: 'Agent' },
  { value: 'SUPERVISOR', label: 'Supervisor' },
  { value: 'ADMIN', label: 'Admin' },
] as const;

type Row = { id: string; name: string; role: string; active: boolean; isYou: boolean };

/** The role and status cells of one agent's row: change the role, deactivate or reactivate. */
export function AgentControls({ agent }: { agent: Row }) {
  const [roleState, saveRole, savingRole] = useActionState<AgentAccessState, FormData>(agentAccessAction, undefined);
  const [activeState, toggle, toggling] = useActionState<AgentAccessState, FormData>(agentAccessAction, undefined);
  const problem = [roleState, activeState].find((s) => s && !s.ok);
  const pending = savingRole || toggling;
  const roleLabel = ROLES.find((r) => r.value === agent.role)?.label ?? agent.role;

  if (agent.isYou) {
    return (
      <>
        <td className="px-3 py-2">
          <span className="inline-flex min-h-11 items-center font-semibold">{roleLabel}</span>
        </td>
        <td className="px-3 py-2">
          <span className="inline-flex min-h-11 items-center gap-2">
            <Status active={agent.active} />
            <span className="text-xs text-muted">Your own access is changed by another admin.</span>
          </span>
        </td>
      </>
    );
  }

  return (
    <>
      <td className="px-3 py-2">
        <form action={saveRole} className="flex items-center gap-2">
          <input type="hidden" name="agentId" value={agent.id} />
          <label htmlFor={`role-${agent.id}`} className="sr-only">
            Role for {agent.name}
          </label>
          <select
            id={`role-${agent.id}`}
            name="role"
            defaultValue={agent.role}
            disabled={pending}
            className="min-h-11 rounded-lg border border-line bg-surface px-2 text-sm"
          >
            {ROLES.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
          <Button type="submit" variant="secondary" disabled={pending} aria-label={`Save role for ${agent.name}`}>
            {savingRole ? 'Saving…' : 'Save'}
          </Button>
        </form>
        <p aria-live="polite" className="text-xs text-success">
          {roleState?.ok && roleState.data.changed ? 'Saved. It applies from their next click.' : ''}
        </p>
      </td>
      <td className="px-3 py-2">
        <form action={toggle} className="flex flex-wrap items-center gap-2">
          <input type="hidden" name="agentId" value={agent.id} />
          <input type="hidden" name="active" value={agent.active ? 'false' : 'true'} />
          <Status active={agent.active} />
          <Button type="submit" variant={agent.active ? 'ghost' : 'secondary'} disabled={pending} aria-label={`${agent.active ? 'Deactivate' : 'Reactivate'} ${agent.name}`}>
            {toggling ? 'Saving…' : agent.active ? 'Deactivate' : 'Reactivate'}
          </Button>
        </form>
        <p aria-live="assertive" className="text-xs font-semibold text-danger">
          {problem && !problem.ok ? problem.error.message : ''}
        </p>
      </td>
    </>
  );
}

function Status({ active }: { active: boolean }) {
  return (
    <span className={`rounded-full px-2.5 py-1 text-xs font-semibold ${active ? 'bg-success-soft text-success' : 'bg-surface-muted text-muted'}`}>
      {active ? 'Active' : 'Deactivated'}
    </span>
  );
}
