import Link from 'next/link';
import { redirect } from 'next/navigation';
import { currentAgent } from '@/lib/sessions/auth';
import { Button } from '../../../_components/ui';
import { consoleSignOutAction } from './actions';

const ROLE_LABEL = { AGENT: 'Agent', SUPERVISOR: 'Supervisor', ADMIN: 'Admin' } as const;

/** Every console page: a signed-in, active agent (each page and action checks its own role again). */
export default async function ConsoleLayout({ children }: { children: React.ReactNode }) {
  const agent = await currentAgent();
  if (!agent) redirect('/console/signin');
  const links = [
    { href: '/console', label: 'Queue' },
    ...(agent.role !== 'AGENT'
      ? [
          { href: '/console/audit', label: 'Audit log' },
          { href: '/console/analytics', label: 'Analytics' },
        ]
      : []),
    ...(agent.role === 'ADMIN' ? [{ href: '/console/admin', label: 'Admin' }] : []),
  ];
  return (
    <div className="min-h-full">
      <div className="border-b border-line bg-surface">
        <div className="mx-auto flex w-full max-w-7xl flex-wrap items-center gap-3 px-4 py-2 sm:px-6">
          <nav aria-label="Console" className="flex flex-wrap gap-1 text-sm font-semibold">
            {links.map((link) => (
              <Link key={link.href} href={link.href} className="inline-flex min-h-11 items-center rounded-md px-3 hover:bg-surface-muted">
                {link.label}
              </Link>
            ))}
          </nav>
          <div className="ml-auto flex items-center gap-3 text-sm">
            <span className="text-muted">
              {agent.name} · {ROLE_LABEL[agent.role]}
            </span>
            <form action={consoleSignOutAction}>
              <Button type="submit" variant="secondary">
                Sign out
              </Button>
            </form>
          </div>
        </div>
      </div>
      <div className="mx-auto w-full max-w-7xl px-4 py-6 sm:px-6">{children}</div>
    </div>
  );
}
