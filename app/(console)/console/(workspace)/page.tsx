import type { Metadata } from 'next';
import { cookies, headers } from 'next/headers';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { RiskLevel, TicketStatus, TicketType } from '@/lib/db/generated/enums';
import { getPrisma } from '@/lib/db/client';
import { AppError } from '@/lib/errors';
import { clientIp, requestNow } from '@/lib/http/request';
import { listQueue, parseQueueQuery, searchTickets, ticketPreviews, type QueueItem, type QueuePage, type TicketPreview, type TicketSearch } from '@/lib/recovery/console';
import { currentAgent } from '@/lib/sessions/auth';
import { Alert, buttonClass } from '../../../_components/ui';
import { AutoRefresh } from '../../_components/auto-refresh';
import { RiskBadge, SecondApproverBadge, SlaBadge, StatusBadge } from '../../_components/badges';
import { duration, FACTOR_LABEL, STATUS_LABEL, TYPE_LABEL, utc } from '../../_components/format';
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

  const searchText = (Array.isArray(params.q) ? params.q[0] : params.q)?.trim() ?? '';
  const search: TicketSearch | undefined = searchText
    ? await searchTickets({ db: getPrisma(), agent, query: searchText, now, ip: clientIp(await headers()) })
    : undefined;
  const shown = search && search.kind !== 'unrecognised' ? search.items : page.items;
  const previews = await ticketPreviews({ db: getPrisma(), agent, ticketIds: shown.filter((i) => i.canOpen).map((i) => i.id), now });

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

      <form method="get" action="/console" role="search" aria-label="Find a request" className="flex flex-wrap items-end gap-2">
        <div className="min-w-0 flex-1 space-y-1">
          <label htmlFor="q" className="block text-xs font-semibold text-muted uppercase">
            Find a request
          </label>
          <input
            id="q"
            name="q"
            type="search"
            defaultValue={searchText}
            placeholder="Reference (RG-7K4M-2Q9X) or email address"
            autoComplete="off"
            spellCheck={false}
            className="block min-h-11 w-full rounded-lg border border-line bg-surface px-3 text-base text-fg"
          />
        </div>
        <button type="submit" className={buttonClass('secondary')}>
          Search
        </button>
        {searchText && (
          <Link href="/console" className={buttonClass('ghost')}>
            Clear
          </Link>
        )}
      </form>

      {search && (
        <section aria-labelledby="search-title" className="space-y-3">
          <h2 id="search-title" className="text-lg font-bold">
            {search.kind === 'unrecognised' ? 'Search' : `Requests for ${searchText}`}
          </h2>
          {search.kind === 'unrecognised' ? (
            <Alert tone="warning">Enter a reference like RG-7K4M-2Q9X, or a whole email address.</Alert>
          ) : (
            <>
              <QueueTable
                items={search.items}
                previews={previews}
                agentId={agent.agentId}
                caption={`Requests matching ${searchText}, newest first, every status`}
                empty="No request you can open matches. References and addresses must match in full."
              />
              {search.hidden > 0 && (
                <p className="text-sm text-muted">
                  {search.hidden === 1 ? 'One more request matches' : `${search.hidden} more requests match`}, assigned to someone else. A supervisor can open them.
                </p>
              )}
            </>
          )}
        </section>
      )}

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

      <QueueTable
        items={page.items}
        previews={previews}
        agentId={agent.agentId}
        caption={`Recovery requests${query.cursor ? ' (next page)' : ''}, ${query.sort === 'sla' ? 'SLA due first' : query.sort === 'oldest' ? 'oldest first' : 'newest first'}`}
        empty={filtered ? 'No request matches these filters.' : 'Nothing waiting. The queue is clear.'}
      />

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

/** The queue's table, for a page of the queue or a search: one row per request, with a preview under its reference. */
function QueueTable({ items, previews, agentId, caption, empty }: { items: QueueItem[]; previews: Map<string, TicketPreview>; agentId: string; caption: string; empty: string }) {
  return (
    <div className="relative overflow-x-auto rounded-xl border border-line bg-surface shadow-sm" tabIndex={0} role="region" aria-label={caption}>
      <table className="w-full min-w-[960px] border-collapse text-left text-sm">
        <caption className="sr-only">{caption}</caption>
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
          {items.length === 0 && (
            <tr>
              <td colSpan={8} className="px-4 py-10 text-center text-muted">
                {empty}
              </td>
            </tr>
          )}
          {items.map((item) => {
            const preview = previews.get(item.id);
            return (
              <tr key={item.id} className={`align-top ${item.slaRemainingMinutes < 0 && item.status !== 'APPROVED' && item.status !== 'MORE_INFO_REQUESTED' ? 'bg-danger-soft/40' : ''}`}>
                <th scope="row" className="px-4 py-3 text-sm font-semibold">
                  <span className="font-mono whitespace-nowrap">
                    {item.canOpen ? (
                      <Link href={`/console/tickets/${item.id}`} className="text-accent underline-offset-2 hover:underline">
                        {item.reference}
                      </Link>
                    ) : (
                      item.reference
                    )}
                  </span>
                  {preview && <Preview reference={item.reference} preview={preview} />}
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
                  {item.assignee ? item.assignee.id === agentId ? <strong>You</strong> : item.assignee.name : <span className="text-muted">Unassigned</span>}
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
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** A look inside a request without opening it (and without an audited document view). */
function Preview({ reference, preview }: { reference: string; preview: TicketPreview }) {
  return (
    <details className="mt-1 max-w-sm font-normal">
      <summary className="inline-flex min-h-9 cursor-pointer items-center text-xs font-semibold text-accent" aria-label={`Preview ${reference}`}>
        Preview
      </summary>
      <dl className="mt-1 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 rounded-lg border border-line bg-surface-muted p-3 text-xs">
        <dt className="text-muted">Lost</dt>
        <dd>{preview.lostFactors.map((f) => FACTOR_LABEL[f] ?? f).join(', ')}</dd>
        <dt className="text-muted">Contact</dt>
        <dd className="break-all">{preview.contactEmail}</dd>
        <dt className="text-muted">Photos</dt>
        <dd>{preview.documents}</dd>
        {preview.nextCall && (
          <>
            <dt className="text-muted">Call</dt>
            <dd>{utc(preview.nextCall)}</dd>
          </>
        )}
        <dt className="text-muted">Latest</dt>
        <dd className="break-words">
          {preview.lastMessage ? (
            <>
              <span className="font-semibold">{preview.lastMessage.from === 'person' ? 'The person' : 'Support'}, {utc(preview.lastMessage.at)}:</span> {preview.lastMessage.text}
            </>
          ) : (
            <span className="text-muted">No messages yet</span>
          )}
        </dd>
      </dl>
    </details>
  );
}
