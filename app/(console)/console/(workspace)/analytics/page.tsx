import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { getPrisma } from '@/lib/db/client';
import { AppError } from '@/lib/errors';
import { getHelpAnalytics, type HelpAnalytics, type QueryStat } from '@/lib/help/analytics';
import { getHelpCenter } from '@/lib/help/center';
import { Card } from '../../../../_components/ui';
import { DailyAreaChart } from '../../../_components/charts';
import { consoleRequest } from '../audit/context';
import { refuseRole } from '../audit/refuse-role';

export const metadata: Metadata = { title: 'Help-center analytics' };

const day = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
const num = (n: number) => n.toLocaleString('en-GB');
const percent = (share: number) => `${Math.round(share * 100)}%`;

export default async function AnalyticsPage() {
  const { agent, actor, now } = await consoleRequest();
  if (!agent) redirect('/console/signin');
  let analytics: HelpAnalytics;
  try {
    const { library } = await getHelpCenter();
    analytics = await getHelpAnalytics({ db: getPrisma(), actor, library, now });
  } catch (error) {
    if (error instanceof AppError && error.code === 'forbidden') refuseRole();
    if (error instanceof AppError && error.code === 'unauthorized') redirect('/console/signin');
    throw error;
  }
  const { totals, viewsPerDay, days } = analytics;
  const first = viewsPerDay[0]?.day;
  const last = viewsPerDay.at(-1)?.day;

  return (
    <div className="space-y-5">
      <div>
        <h1 className="text-2xl font-bold tracking-tight">Help-center analytics</h1>
        <p className="text-sm text-muted">
          The last {days} days{first && last ? `, ${day.format(new Date(first))} to ${day.format(new Date(last))}` : ''} (UTC). Counted without IP addresses
          or cookies that follow people: a reader counts once per article per day.
        </p>
      </div>

      <dl className="grid gap-3 sm:grid-cols-3">
        <Stat label="Article views" value={num(totals.views)} note={`about ${num(Math.round(totals.views / days))} a day`} />
        <Stat label="Searches" value={num(totals.searches)} note={`about ${num(Math.round(totals.searches / days))} a day`} />
        <Stat
          label="Searches that found nothing"
          value={totals.searches ? percent(totals.zeroResultSearches / totals.searches) : '—'}
          note={`${num(totals.zeroResultSearches)} of ${num(totals.searches)}`}
          tone={totals.searches && totals.zeroResultSearches / totals.searches >= 0.2 ? 'warning' : undefined}
        />
      </dl>

      <Card>
        <h2 className="text-lg font-bold">Article views per day</h2>
        <p className="mb-4 text-sm text-muted">Hover a day for its number, or open the table below the chart.</p>
        {totals.views === 0 ? (
          <Empty>No article has been read in the last {days} days. Views appear here as people open help articles.</Empty>
        ) : (
          <DailyAreaChart id="views" title={`Article views per day, last ${days} days`} unit="views" points={viewsPerDay.map((d) => ({ day: d.day, value: d.views }))} />
        )}
      </Card>

      <div className="grid gap-5 lg:grid-cols-2">
        <Card>
          <h2 className="text-lg font-bold">Top searches</h2>
          <p className="mb-3 text-sm text-muted">What people look for most.</p>
          {analytics.topQueries.length === 0 ? <Empty>No searches in the last {days} days.</Empty> : <QueryTable queries={analytics.topQueries} caption="Top searches" showMisses />}
        </Card>

        <Card>
          <h2 className="text-lg font-bold">Searches that found nothing</h2>
          <p className="mb-3 text-sm text-muted">
            Each one is an article to write, or words to add to an existing article&apos;s tags so search finds it.
          </p>
          {analytics.zeroResultQueries.length === 0 ? (
            <Empty>Every search in the last {days} days found at least one article.</Empty>
          ) : (
            <QueryTable queries={analytics.zeroResultQueries} caption="Searches that found nothing" />
          )}
        </Card>
      </div>

      <Card>
        <h2 className="text-lg font-bold">Least helpful articles</h2>
        <p className="mb-3 text-sm text-muted">
          Articles with at least {analytics.minVotes} votes, lowest share of &ldquo;Yes, it helped&rdquo; first. Readers who answer &ldquo;No&rdquo; can say what was
          missing.
        </p>
        {analytics.leastHelpful.length === 0 ? (
          <Empty>No article has {analytics.minVotes} votes yet, so there is nothing fair to rank.</Empty>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <caption className="sr-only">Least helpful articles</caption>
              <thead className="text-xs tracking-wide text-muted uppercase">
                <tr>
                  <th scope="col" className="py-2 pr-4 font-semibold">Article</th>
                  <th scope="col" className="py-2 pr-4 font-semibold">Helpful</th>
                  <th scope="col" className="py-2 pr-4 text-right font-semibold">Yes</th>
                  <th scope="col" className="py-2 pr-4 text-right font-semibold">No</th>
                  <th scope="col" className="py-2 text-right font-semibold">Votes</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-line">
                {analytics.leastHelpful.map((a) => (
                  <tr key={a.slug}>
                    <td className="py-2 pr-4">
                      {a.title ? (
                        <Link href={`/articles/${a.slug}`} className="font-semibold text-accent hover:underline">
                          {a.title}
                        </Link>
                      ) : (
                        <span>
                          <span className="font-mono text-xs">{a.slug}</span> <span className="text-muted">(no longer published)</span>
                        </span>
                      )}
                    </td>
                    <td className="py-2 pr-4">
                      <span className="flex items-center gap-2">
                        <span className="h-2 w-24 overflow-hidden rounded-full bg-danger-soft" aria-hidden="true">
                          <span className="block h-full rounded-full bg-success" style={{ width: `${Math.round(a.helpfulShare * 100)}%` }} />
                        </span>
                        <span className="font-semibold tabular-nums">{percent(a.helpfulShare)}</span>
                      </span>
                    </td>
                    <td className="py-2 pr-4 text-right tabular-nums">{num(a.helpful)}</td>
                    <td className="py-2 pr-4 text-right tabular-nums">{num(a.notHelpful)}</td>
                    <td className="py-2 text-right tabular-nums">{num(a.votes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>

      <Card>
        <h2 className="text-lg font-bold">What readers said was missing</h2>
        <p className="mb-3 text-sm text-muted">The newest answers to &ldquo;What was missing?&rdquo; after a &ldquo;No&rdquo;, in the readers&apos; own words.</p>
        {analytics.missing.length === 0 ? (
          <Empty>No reader has said what was missing in the last {days} days.</Empty>
        ) : (
          <ul className="divide-y divide-line" aria-label="What readers said was missing, newest first">
            {analytics.missing.map((m, index) => (
              <li key={`${m.slug}-${index}`} className="space-y-1 py-3">
                <p className="text-sm">
                  {m.title ? (
                    <Link href={`/articles/${m.slug}`} className="font-semibold text-accent hover:underline">
                      {m.title}
                    </Link>
                  ) : (
                    <span className="font-mono text-xs">{m.slug}</span>
                  )}
                  <span className="text-muted"> · {day.format(m.at)}</span>
                </p>
                <blockquote className="border-l-4 border-line pl-3 text-sm whitespace-pre-wrap break-words">{m.comment}</blockquote>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}

function Stat({ label, value, note, tone }: { label: string; value: string; note: string; tone?: 'warning' | undefined }) {
  return (
    <div className={`rounded-xl border bg-surface p-4 shadow-sm ${tone === 'warning' ? 'border-warning/50' : 'border-line'}`}>
      <dt className="text-sm font-semibold text-muted">{label}</dt>
      <dd className={`mt-1 text-3xl font-bold tracking-tight tabular-nums ${tone === 'warning' ? 'text-warning' : ''}`}>{value}</dd>
      <dd className="text-sm text-muted">{note}</dd>
    </div>
  );
}

function QueryTable({ queries, caption, showMisses = false }: { queries: QueryStat[]; caption: string; showMisses?: boolean }) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">{caption}, last searched time in UTC</caption>
        <thead className="text-xs tracking-wide text-muted uppercase">
          <tr>
            <th scope="col" className="py-2 pr-4 font-semibold">Search</th>
            <th scope="col" className="py-2 pr-4 text-right font-semibold">Times</th>
            {showMisses && <th scope="col" className="py-2 pr-4 text-right font-semibold">Found nothing</th>}
            <th scope="col" className="py-2 text-right font-semibold">Last</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-line">
          {queries.map((q) => (
            <tr key={q.query}>
              <td className="py-2 pr-4">
                {/* Not a link to the search: opening it would log one more search and skew these numbers. */}
                <span className="font-medium break-words">{q.query}</span>
              </td>
              <td className="py-2 pr-4 text-right font-semibold tabular-nums">{num(q.searches)}</td>
              {showMisses && (
                <td className={`py-2 pr-4 text-right tabular-nums ${q.zeroResults ? 'font-semibold text-danger' : 'text-muted'}`}>{num(q.zeroResults)}</td>
              )}
              <td className="py-2 text-right whitespace-nowrap text-muted">{day.format(q.lastSearchedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Empty({ children }: { children: React.ReactNode }) {
  return <p className="rounded-lg border border-dashed border-line bg-surface-muted/50 p-6 text-center text-sm text-muted">{children}</p>;
}
