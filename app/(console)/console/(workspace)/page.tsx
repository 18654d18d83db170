import type { Metadata } from 'next';
import { cookies } from 'next/headers';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { RiskLevel, TicketStatus, TicketType } from '@/lib/db/generated/enums';
import { getPrisma } from '@/lib/db/client';
import { AppError } from '@/lib/errors';
import { requestNow } from '@/lib/http/request';
import { listQueue, parseQueueQuery, type QueuePage } from '@/lib/recovery/console';
import { currentAgent } from '@/lib/sessions/auth';
import { Alert, buttonClass } from '../../../_components/ui';
import { AutoRefresh } from '../../_components/auto-refresh';
import { RiskBadge, SecondApproverBadge, SlaBadge, StatusBadge } from '../../_components/badges';
import { duration, STATUS_LABEL, TYPE_LABEL, utc } from '../../_components/format';
import { ClaimButton } from '../../_components/ticket-forms';

export const metadata: Metadata = { title: 'Recovery queue' };

const PAGE_SIZE = 50;
type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

const select = 'block min-h-11 w-full rounded-lg border border-line bg-surface px-3 text-sm text-fg';

export default async function QueuePage({ searchParams }: Props) {
  const agent = await currentAgent();
  if (!agent) redirect('/console/signin');
  const params = await searchParams;
  const query = parseQueueQuery(params);
  const now = requestNow(await cookies());
  const senior = agent.role !== 'AGENT';

  let page: QueuePage;
  let problem: string | undefined;
  try {
    page = await listQueue({ db: getPrisma(), agent, filters: query.filters, sort: query.sort, cursor: query.cursor, limit: PAGE_SIZE, now });
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
    problem = 'That page link is out of date, so the queue starts from the first page.';
    page = await listQueue({ db: getPrisma(), agent, filters: query.filters, sort: query.sort, limit: PAGE_SIZE, now });
  }

  const statusValue = query.filters.awaitingSecondApproval ? 'awaiting_second_approval' : (query.filters.status ?? '');
  const current = new URLSearchParams();
  for (const [key, value] of Object.entries({ status: statusValue, type: query.filters.type, assignee: query.filters.assignee, risk: query.filters.risk, sort: query.sort })) {
    if (value) current.set(key, value);
  }
  const nextHref = page.nextCursor ? `/console?${new URLSearchParams({ ...Object.fromEntries(current), cursor: page.nextCursor })}` : undefined;
  const filtered = Boolean(statusValue || query.filters.type || query.filters.assignee || query.filters.risk || query.sort !== 'sla');

  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div className="space-y-1">
          <h1 className="text-2xl font-bold tracking-tight">Recovery queue</h1>
          <p className="text-sm text-muted">
            {senior
              ? 'Every recovery request. Claim one to work on it, or open it to assign it.'
              : 'Your requests, the unassigned ones you can claim, and high-risk approvals waiting for a second approver.'}
          </p>
        </div>
        <AutoRefresh renderedAt={now.toISOString()} />
      </div>

      <form method="get" action="/console" className="rounded-xl border border-line bg-surface p-4 shadow-sm" aria-label="Filter and sort the queue">
        <div className="grid grid-cols-2 gap-3 md:grid-cols-3 lg:grid-cols-[repeat(5,minmax(0,1fr))_auto]">
          <div className="space-y-1">
            <label htmlFor="f-status" className="block text-xs font-semibold text-muted uppercase">
              Status
            </label>
            <select id="f-status" name="status" defaultValue={statusValue} className={select}>
              <option value="">Open (needs action)</option>
              <option value="awaiting_second_approval">Needs 2nd approval</option>
              {Object.values(TicketStatus).map((s) => (
                <option key={s} value={s}>
                  {STATUS_LABEL[s]}
                </option>
              ))}
            </select>
          </div>
          <div className="space-y-1">
            <label htmlFor="f-type" className="block text-xs font-semibold text-muted uppercase">
              Type
            </label>
            <select id="f-type" name="type" defaultValue={query.filters.type ?? ''} className={select}>
              <option value="">Any type</option>
              {Object.values(TicketType).map((t) => (
                <option key={t} value={t}>
                  {TYPE_LABEL[t]}
                </option>
              ))}
            </select>
          </div>
          <div className="space-y-1">
            <label htmlFor="f-assignee" className="block text-xs font-semibold text-muted uppercase">
              Assignee
            </label>
            <select id="f-assignee" name="assignee" defaultValue={query.filters.assignee ?? ''} className={select}>
              <option value="">{senior ? 'Anyone' : 'Mine and claimable'}</option>
              <option value="me">Me</option>
              <option value="unassigned">Unassigned</option>
            </select>
          </div>
          <div className="space-y-1">
            <label htmlFor="f-risk" className="block text-xs font-semibold text-muted uppercase">
              Risk
            </label>
            <select id="f-risk" name="risk" defaultValue={query.filters.risk ?? ''} className={select}>
              <option value="">Any risk</option>
              {Object.values(RiskLevel).map((r) => (
                <option key={r} value={r}>
                  {r === 'HIGH' ? 'High risk' : 'Low risk'}
                </option>
              ))}
            </select>
          </div>
          <div className="space-y-1">
            <label htmlFor="f-sort" className="block text-xs font-semibold text-muted uppercase">
              Sort
            </label>
            <select id="f-sort" name="sort" defaultValue={query.sort} className={select}>
              <option value="sla">SLA due first</option>
              <option value="oldest">Oldest first</option>
              <option value="newest">Newest first</option>
            </select>
          </div>
          <div className="col-span-2 flex items-end gap-2 md:col-span-1">
            <button type="submit" className={buttonClass('primary', 'flex-1 lg:flex-none')}>
              Apply
            </button>
            {filtered && (
              <Link href="/console" className={buttonClass('ghost')}>
                Reset
              </Link>
            )}
          </div>
        </div>
      </form>

      {problem && <Alert tone="warning">{problem}</Alert>}

      <div className="relative overflow-x-auto rounded-xl border border-line bg-surface shadow-sm" tabIndex={0} role="region" aria-label="Recovery requests">
        <table className="w-full min-w-[960px] border-collapse text-left text-sm">
          <caption className="sr-only">
            Recovery requests{query.cursor ? ' (next page)' : ''}, {query.sort === 'sla' ? 'SLA due first' : query.sort === 'oldest' ? 'oldest first' : 'newest first'}
          </caption>
          <thead className="border-b border-line bg-surface-muted text-xs font-semibold tracking-wide text-muted uppercase">
            <tr>
              <th scope="col" className="px-4 py-3">Request</th>
              <th scope="col" className="px-4 py-3">Type</th>
              <th scope="col" className="px-4 py-3">Age</th>
              <th scope="col" className="px-4 py-3">SLA remaining</th>
              <th scope="col" className="px-4 py-3">Status</th>
              <th scope="col" className="px-4 py-3">Assignee</th>
              <th scope="col" className="px-4 py-3">Risk</th>
              <th scope="col" className="px-4 py-3">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-line">
            {page.items.length === 0 && (
              <tr>
                <td colSpan={8} className="px-4 py-10 text-center text-muted">
                  {filtered ? 'No request matches these filters.' : 'Nothing waiting. The queue is clear.'}
                </td>
              </tr>
            )}
            {page.items.map((item) => (
              <tr key={item.id} className={item.slaRemainingMinutes < 0 && item.status !== 'APPROVED' ? 'bg-danger-soft/40' : undefined}>
                <th scope="row" className="px-4 py-3 font-mono text-sm font-semibold whitespace-nowrap">
                  {item.canOpen ? (
                    <Link href={`/console/tickets/${item.id}`} className="text-accent underline-offset-2 hover:underline">
                      {item.reference}
                    </Link>
                  ) : (
                    item.reference
                  )}
                </th>
                <td className="px-4 py-3 whitespace-nowrap">{TYPE_LABEL[item.type]}</td>
                <td className="px-4 py-3 whitespace-nowrap" title={`Opened ${utc(item.createdAt)}`}>
                  {duration(item.ageMinutes)}
                </td>
                <td className="px-4 py-3">
                  <SlaBadge status={item.status} remainingMinutes={item.slaRemainingMinutes} />
                </td>
                <td className="px-4 py-3">
                  <div className="flex flex-wrap gap-1">
                    <StatusBadge status={item.status} />
                    {item.awaitingSecondApproval && <SecondApproverBadge />}
                  </div>
                </td>
                <td className="px-4 py-3 whitespace-nowrap">
                  {item.assignee ? (item.assignee.id === agent.agentId ? <strong>You</strong> : item.assignee.name) : <span className="text-muted">Unassigned</span>}
                </td>
                <td className="px-4 py-3">
                  <RiskBadge risk={item.riskLevel} />
                </td>
                <td className="px-4 py-3 text-right">
                  {item.canClaim ? (
                    <ClaimButton ticketId={item.id} reference={item.reference} />
                  ) : item.canOpen ? (
                    <Link href={`/console/tickets/${item.id}`} className={buttonClass('ghost', 'min-h-9 px-3')} aria-label={`Open ${item.reference}`}>
                      Open
                    </Link>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <nav aria-label="Queue pages" className="flex flex-wrap items-center justify-between gap-3 text-sm">
        <span className="text-muted">
          {page.items.length === 0 ? 'No requests' : `Showing ${page.items.length} request${page.items.length === 1 ? '' : 's'}${query.cursor ? ' (continued)' : ''}`}
        </span>
        <div className="flex gap-2">
          {query.cursor && (
            <Link href={`/console?${current}`} className={buttonClass('secondary')}>
              First page
            </Link>
          )}
          {nextHref && (
            <Link href={nextHref} className={buttonClass('secondary')}>
              Next page
            </Link>
          )}
        </div>
      </nav>
    </div>
  );
}
