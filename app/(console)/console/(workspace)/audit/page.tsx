import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { type AuditLogRow, type AuditSearchForm, auditActionNames, searchAuditLog } from '@/lib/audit/console';
import { getPrisma } from '@/lib/db/client';
import { AppError } from '@/lib/errors';
import { Alert, Button, Card, TextField } from '../../../../_components/ui';
import { consoleRequest } from './context';
import { refuseRole } from './refuse-role';
import { VerifyChain } from './verify-chain';

export const metadata: Metadata = { title: 'Audit log' };

type Params = Record<string, string | string[] | undefined>;

const time = new Intl.DateTimeFormat('en-GB', { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZone: 'UTC' });

const ACTOR_TYPE = { USER: 'Account', AGENT: 'Agent', SYSTEM: 'System', ANONYMOUS: 'Anonymous', API: 'Host API' } as const;

export default async function AuditPage({ searchParams }: { searchParams: Promise<Params> }) {
  const { agent, actor, now } = await consoleRequest();
  if (!agent) redirect('/console/signin');
  const params = await searchParams;
  const db = getPrisma();

  let result: Awaited<ReturnType<typeof searchAuditLog>>;
  let actions: string[];
  try {
    [result, actions] = await Promise.all([searchAuditLog({ db, actor, params, now }), auditActionNames({ db, actor })]);
  } catch (error) {
    if (error instanceof AppError && error.code === 'forbidden') refuseRole();
    if (error instanceof AppError && error.code === 'unauthorized') redirect('/console/signin');
    throw error;
  }
  const form = result.form;
  const filtered = Object.values(form).some(Boolean);

  return (
    <div className="space-y-5">
      <div>
        <h1 className="text-2xl font-bold tracking-tight">Audit log</h1>
        <p className="text-sm text-muted">
          Sign-ins, codes sent, factor changes, ticket actions and document views, newest first. Times are UTC. Your searches and checks are recorded
          here too.
        </p>
      </div>

      <VerifyChain />

      <Card>
        <form method="get" action="/console/audit" role="search" aria-label="Search the audit log" className="space-y-4">
          {!result.ok && <Alert tone="error" title="Check the highlighted fields">Nothing was searched.</Alert>}
          <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-[1.2fr_1.2fr_1fr_1fr_1fr]">
            <TextField id="subject" name="subject" label="Account or subject ID" defaultValue={form.subject} error={fieldError(result, 'subject')} spellCheck={false} autoComplete="off" />
            <TextField id="actor" name="actor" label="Actor ID" defaultValue={form.actor} error={fieldError(result, 'actor')} spellCheck={false} autoComplete="off" />
            <TextField
              id="action"
              name="action"
              label="Event type"
              list="audit-actions"
              placeholder="e.g. agent.sign_in"
              defaultValue={form.action}
              error={fieldError(result, 'action')}
              spellCheck={false}
              autoComplete="off"
            />
            <TextField id="from" name="from" type="datetime-local" step={60} label="From (UTC)" defaultValue={form.from} error={fieldError(result, 'from')} />
            <TextField id="to" name="to" type="datetime-local" step={60} label="Before (UTC)" defaultValue={form.to} error={fieldError(result, 'to')} />
          </div>
          <datalist id="audit-actions">
            {actions.map((name) => (
              <option key={name} value={name} />
            ))}
          </datalist>
          <div className="flex flex-wrap items-center gap-2">
            <Button type="submit">Search</Button>
            {filtered && (
              <Link href="/console/audit" className="inline-flex min-h-11 items-center rounded-lg px-4 text-sm font-semibold text-accent hover:bg-accent-soft">
                Clear filters
              </Link>
            )}
          </div>
        </form>
      </Card>

      {result.ok && <Results rows={result.rows} form={form} nextCursor={result.nextCursor} firstPage={result.firstPage} />}
    </div>
  );
}

function Results({ rows, form, nextCursor, firstPage }: { rows: AuditLogRow[]; form: AuditSearchForm; nextCursor: string | null; firstPage: boolean }) {
  const query = (extra: Record<string, string>) => {
    const search = new URLSearchParams(Object.entries({ ...form, ...extra }).filter(([, v]) => v !== ''));
    const text = search.toString();
    return text ? `/console/audit?${text}` : '/console/audit';
  };
  const pager = (
    <nav aria-label="Audit log pages" className="flex flex-wrap items-center justify-between gap-2">
      <p className="text-sm text-muted">
        {rows.length === 0 ? 'No events' : `Events #${rows[0]!.seq} to #${rows.at(-1)!.seq}`}
        {firstPage ? ' · newest first' : ''}
      </p>
      <div className="flex gap-2">
        {!firstPage && (
          <Link href={query({})} className="inline-flex min-h-11 items-center rounded-lg border border-line bg-surface px-4 text-sm font-semibold hover:bg-surface-muted">
            Newest
          </Link>
        )}
        {nextCursor && (
          <Link href={query({ before: nextCursor })} className="inline-flex min-h-11 items-center rounded-lg border border-line bg-surface px-4 text-sm font-semibold hover:bg-surface-muted">
            Older events →
          </Link>
        )}
      </div>
    </nav>
  );

  if (rows.length === 0) {
    return (
      <Card className="space-y-3 text-center">
        <p className="font-semibold">No events match these filters.</p>
        <p className="text-sm text-muted">IDs must match exactly. Try a wider time range, or clear the event type.</p>
        {!firstPage && pager}
      </Card>
    );
  }

  return (
    <section aria-labelledby="results-heading" className="space-y-3">
      <h2 id="results-heading" className="sr-only">
        Events
      </h2>
      {pager}
      <div className="overflow-x-auto rounded-xl border border-line bg-surface shadow-sm">
        <table className="w-full text-left text-sm">
          <caption className="sr-only">Audit events, newest first. Times in UTC.</caption>
          <thead className="bg-surface-muted text-xs tracking-wide text-muted uppercase">
            <tr>
              <th scope="col" className="px-3 py-2.5 font-semibold">#</th>
              <th scope="col" className="px-3 py-2.5 font-semibold whitespace-nowrap">Time (UTC)</th>
              <th scope="col" className="px-3 py-2.5 font-semibold">Actor</th>
              <th scope="col" className="px-3 py-2.5 font-semibold">Event</th>
              <th scope="col" className="px-3 py-2.5 font-semibold">Subject</th>
              <th scope="col" className="px-3 py-2.5 font-semibold">Network</th>
              <th scope="col" className="px-3 py-2.5 font-semibold">Details</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-line">
            {rows.map((row) => (
              <tr key={row.seq} className="align-top hover:bg-surface-muted/60">
                <td className="px-3 py-2 font-mono text-xs text-muted tabular-nums">{row.seq}</td>
                <td className="px-3 py-2 whitespace-nowrap tabular-nums">
                  <time dateTime={row.occurredAt.toISOString()}>{time.format(row.occurredAt)}</time>
                </td>
                <td className="px-3 py-2">
                  <span className="block font-medium">{row.actorName ?? ACTOR_TYPE[row.actorType]}</span>
                  {row.actorId && (
                    <Link href={query({ actor: row.actorId, before: '' })} className="font-mono text-xs text-accent hover:underline" title={`Only events by ${row.actorId}`}>
                      {short(row.actorId)}
                    </Link>
                  )}
                </td>
                <td className="px-3 py-2">
                  <Link href={query({ action: row.action, before: '' })} className="font-mono text-xs font-semibold hover:underline" title={`Only ${row.action} events`}>
                    {row.action}
                  </Link>
                </td>
                <td className="px-3 py-2">
                  {row.subjectType && <span className="block text-xs text-muted">{row.subjectType}</span>}
                  {row.subjectId ? (
                    <Link href={query({ subject: row.subjectId, before: '' })} className="font-mono text-xs text-accent hover:underline" title={`Only events about ${row.subjectId}`}>
                      {short(row.subjectId)}
                    </Link>
                  ) : (
                    <span className="text-muted">—</span>
                  )}
                </td>
                <td className="px-3 py-2 font-mono text-xs whitespace-nowrap" title={row.userAgent ?? undefined}>
                  {row.ipShort ?? <span className="text-muted">—</span>}
                </td>
                <td className="max-w-md px-3 py-2 text-xs break-words text-muted" title={row.dataJson !== '{}' ? row.dataJson : undefined}>
                  {row.summary || '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {nextCursor && pager}
    </section>
  );
}

function fieldError(result: { ok: boolean; fieldErrors?: Record<string, string[]> }, field: string) {
  return result.ok ? undefined : result.fieldErrors?.[field]?.[0];
}

/** Long ids (UUIDs) shortened for the table; the link filters by the whole id. */
function short(id: string) {
  return id.length > 14 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}
