import type { Metadata } from 'next';
import { cookies, headers } from 'next/headers';
import Link from 'next/link';
import { notFound, redirect } from 'next/navigation';
import { isOpen } from '@/lib/access';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { AppError } from '@/lib/errors';
import { clientIp, requestNow } from '@/lib/http/request';
import { getTicketForAgent, listAssignableAgents, listTicketMessages, REJECTION_REASONS, type TicketReview } from '@/lib/recovery/console';
import { getApprovalLinkState, type ApprovalLinkState } from '@/lib/recovery/ticket-reset';
import { MAX_APPOINTMENT_MINUTES, MAX_BOOKING_DAYS } from '@/lib/recovery/tickets';
import { currentAgent } from '@/lib/sessions/auth';
import { Card } from '../../../../../_components/ui';
import { RiskBadge, SecondApproverBadge, SlaBadge, StatusBadge } from '../../../../_components/badges';
import { DocumentViewer } from '../../../../_components/document-viewer';
import { FaceMatchPanel } from '../../../../_components/face-match-panel';
import { DOCUMENT_LABEL, FACTOR_LABEL, fileSize, MESSAGE_LABEL, TYPE_LABEL, utc, utcClock } from '../../../../_components/format';
import {
  ApproveForm,
  AssignForm,
  ClaimButton,
  ConfirmApprovalForm,
  InfoRequestForm,
  NoteForm,
  RejectForm,
  ScheduleCallForm,
} from '../../../../_components/ticket-forms';

export const metadata: Metadata = { title: 'Recovery request' };

const CANCELLED_BECAUSE: Record<string, string> = {
  rebooked: 'replaced by a new booking',
  cancelled_by_you: 'cancelled by the person',
  another_time: 'the person asked for another time',
  request_decided: 'cancelled: request decided',
};

type Props = { params: Promise<{ id: string }> };

const RISK_SIGNAL_LABEL: Record<string, string> = {
  high_value_account: 'High-value account',
  account_created_recently: 'New account',
  contact_changed_recently: 'Contact changed recently',
  factor_changed_recently: 'Sign-in method changed recently',
  no_matching_account: 'No matching account',
};

const ACTIVITY_LABEL: Record<string, string> = {
  new_device: 'New device',
  failed_sign_ins: 'Failed sign-ins',
  failed_reset_attempts: 'Failed reset attempts',
  several_countries: 'Country change',
  active_hold: 'Security hold',
};

/** What is known about the approval link's mail: from its queued message, never assumed sent. */
const LINK_STATE: Record<ApprovalLinkState['state'], string> = {
  pending: 'Single-use link: not issued yet (the cancel window or the reset is still running).',
  queued: 'Single-use link: queued for the contact address.',
  sent: 'Single-use link: sent to the contact address.',
  retrying: 'Single-use link: delivery failed — retrying automatically.',
  failed: 'Single-use link: delivery failed after every retry. Check the contact address with the person.',
  unknown: 'Single-use link: issued.',
};

export default async function TicketPage({ params }: Props) {
  const agent = await currentAgent();
  if (!agent) redirect('/console/signin');
  const { id } = await params;
  const [headerList, jar] = await Promise.all([headers(), cookies()]);
  const now = requestNow(jar);
  const db = getPrisma();
  // Router prefetches are not a person opening the page; only real loads are recorded.
  const prefetch = Boolean(headerList.get('next-router-prefetch')) || headerList.get('purpose') === 'prefetch';

  let ticket: TicketReview;
  try {
    ticket = await getTicketForAgent({ db, agent, ticketId: id, now, ip: clientIp(headerList), userAgent: headerList.get('user-agent'), recordView: !prefetch });
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found') notFound();
    throw error;
  }
  const agents = ticket.can.assign ? await listAssignableAgents({ db, agent }) : [];
  const sent = await listTicketMessages({ db, agent, ticketId: ticket.id, now });
  // Read only after getTicketForAgent checked this agent may see the ticket.
  const link = ticket.status === 'APPROVED' ? await getApprovalLinkState(db, ticket.id) : undefined;
  const open = isOpen(ticket.status);
  const slaRemaining = Math.floor((ticket.slaDueAt.getTime() - (ticket.slaPausedAt ?? now).getTime()) / 60_000);
  const waiting = ticket.approval.state === 'waiting_for_second_approver';
  const tomorrow = new Date(now.getTime() + 86_400_000).toISOString().slice(0, 10);
  const faceMatchOn = getConfig().faceMatch === 'local';
  const hasSelfie = ticket.documents.some((d) => d.kind === 'SELFIE');

  return (
    <div className="space-y-6">
      <div className="space-y-3">
        <Link href="/console" className="inline-flex min-h-11 items-center text-sm font-semibold text-accent hover:underline">
          ← Back to the queue
        </Link>
        <div className="flex flex-wrap items-start justify-between gap-4">
          <div className="space-y-2">
            <h1 className="text-2xl font-bold tracking-tight">
              <span className="font-mono">{ticket.reference}</span>
              <span className="text-muted"> · {TYPE_LABEL[ticket.type]}</span>
            </h1>
            <div className="flex flex-wrap items-center gap-2">
              <StatusBadge status={ticket.status} />
              <RiskBadge risk={ticket.riskLevel} />
              <SlaBadge status={ticket.status} remainingMinutes={slaRemaining} />
              {waiting && <SecondApproverBadge />}
            </div>
          </div>
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="text-muted">Opened</dt>
            <dd>{utc(ticket.createdAt)}</dd>
            <dt className="text-muted">SLA due</dt>
            <dd>{ticket.slaPausedAt ? `Paused since ${utc(ticket.slaPausedAt)}, waiting for the person` : utc(ticket.slaDueAt)}</dd>
            <dt className="text-muted">Assignee</dt>
            <dd>{ticket.assignee ? (ticket.assignee.id === agent.agentId ? 'You' : ticket.assignee.name) : 'Unassigned'}</dd>
          </dl>
        </div>
      </div>

      <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_380px]">
        <div className="min-w-0 space-y-6">
          <Card className="space-y-4">
            <h2 className="text-lg font-bold">Request</h2>
            <dl className="grid gap-x-6 gap-y-3 text-sm sm:grid-cols-2">
              <div>
                <dt className="text-muted">Can no longer use</dt>
                <dd className="font-semibold">{ticket.lostFactors.map((f) => FACTOR_LABEL[f] ?? f).join(', ')}</dd>
              </div>
              <div>
                <dt className="text-muted">Contact email (masked)</dt>
                <dd className="font-semibold">{ticket.contactEmail}</dd>
              </div>
              <div>
                <dt className="text-muted">Account</dt>
                <dd className="font-semibold">{ticket.account ? ticket.account.displayName : 'No account matches this request'}</dd>
              </div>
              {ticket.decisionReason && (
                <div>
                  <dt className="text-muted">Decision note</dt>
                  <dd className="whitespace-pre-line">{ticket.decisionReason}</dd>
                </div>
              )}
            </dl>
          </Card>

          <Card className="space-y-4">
            <h2 className="text-lg font-bold">Risk signals</h2>
            <SignalList
              title="When the request was opened"
              empty="None: nothing about the account looked risky."
              items={ticket.riskSignals.map((s) => ({ label: RISK_SIGNAL_LABEL[s.signal] ?? s.signal, detail: s.detail, at: s.at }))}
            />
            {ticket.account && (
              <>
                <SignalList
                  title="Now"
                  empty="No recent contact or sign-in method changes."
                  items={ticket.account.riskNow.signals.map((s) => ({ label: RISK_SIGNAL_LABEL[s.signal] ?? s.signal, detail: s.detail, at: s.at }))}
                />
                <SignalList
                  title="Account activity, last 30 days"
                  empty="No new devices, failed attempts or country changes."
                  items={ticket.account.activity.map((s) => ({ label: ACTIVITY_LABEL[s.kind] ?? s.kind, detail: s.detail, at: s.at }))}
                />
              </>
            )}
          </Card>

          {ticket.account && (
            <Card className="space-y-4">
              <h2 className="text-lg font-bold">Account security</h2>
              <dl className="grid gap-x-6 gap-y-3 text-sm sm:grid-cols-2">
                <Fact label="Email" value={`${ticket.account.email} · ${ticket.account.emailVerified ? 'verified' : 'not verified'}`} />
                <Fact label="Phone" value={ticket.account.phone ? `${ticket.account.phone} · ${ticket.account.phoneVerified ? 'verified' : 'not verified'}` : 'None'} />
                <Fact label="Authenticator app" value={ticket.account.authenticator ? 'Set up' : 'Not set up'} />
                <Fact label="Passkeys" value={ticket.account.passkeys.length ? ticket.account.passkeys.map((p) => p.name).join(', ') : 'None'} />
                <Fact label="Account opened" value={utc(ticket.account.createdAt)} />
                <Fact label="Security hold" value={ticket.account.hold ? `Until ${utc(ticket.account.hold.endsAt)}` : 'None'} />
                <Fact label="High-value account" value={ticket.account.highValue ? 'Yes (flagged by the platform)' : 'No'} />
              </dl>
              {/* Focusable, so the table can be scrolled sideways with the keyboard on a narrow screen. */}
              <div className="relative overflow-x-auto" tabIndex={0} role="region" aria-label="Recent sign-ins">
                <table className="w-full min-w-[560px] text-left text-sm">
                  <caption className="mb-2 text-left text-sm font-semibold">Recent sign-ins</caption>
                  <thead className="border-b border-line text-xs text-muted uppercase">
                    <tr>
                      <th scope="col" className="py-2 pr-4">When</th>
                      <th scope="col" className="py-2 pr-4">Result</th>
                      <th scope="col" className="py-2 pr-4">Where</th>
                      <th scope="col" className="py-2 pr-4">Device</th>
                    </tr>
                  </thead>
                  <tbody className="divide-y divide-line">
                    {ticket.account.recentSignIns.length === 0 && (
                      <tr>
                        <td colSpan={4} className="py-3 text-muted">
                          No sign-ins in the last 30 days.
                        </td>
                      </tr>
                    )}
                    {ticket.account.recentSignIns.map((s) => (
                      <tr key={s.at.toISOString()}>
                        <td className="py-2 pr-4 whitespace-nowrap">{utc(s.at)}</td>
                        <td className={`py-2 pr-4 font-semibold ${s.succeeded ? 'text-success' : 'text-danger'}`}>{s.succeeded ? 'Signed in' : 'Failed'}</td>
                        <td className="py-2 pr-4">{s.where}</td>
                        <td className="py-2 pr-4">{s.device}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </Card>
          )}

          {hasSelfie && (
            <Card className="space-y-4" role="region" aria-labelledby="face-match-heading" data-testid="face-match">
              <h2 id="face-match-heading" className="text-lg font-bold">
                Face match
              </h2>
              {!faceMatchOn ? (
                <p className="text-sm text-muted">Face matching is turned off on this deployment (a privacy setting). Compare the selfie with the document photo by eye.</p>
              ) : ticket.faceMatch ? (
                <FaceMatchPanel
                  ticketId={ticket.id}
                  canOpen={ticket.can.documents}
                  match={{ ...ticket.faceMatch, checkedAt: ticket.faceMatch.checkedAt.toISOString() }}
                />
              ) : (
                <p className="text-sm text-muted">No face match ran for the newest selfie (it was uploaded while face matching was off). Compare it with the document photo by eye.</p>
              )}
            </Card>
          )}

          <Card className="space-y-4">
            <div className="flex flex-wrap items-baseline justify-between gap-2">
              <h2 className="text-lg font-bold">Documents</h2>
              <p className="text-sm text-muted">Opened one at a time, watermarked, every view recorded.</p>
            </div>
            {ticket.documents.length === 0 ? (
              <p className="text-sm text-muted">No documents uploaded yet.</p>
            ) : (
              <ul className="space-y-4">
                {ticket.documents.map((d) => (
                  <li key={d.id} className="space-y-2 rounded-lg border border-line p-4">
                    <div className="flex flex-wrap items-baseline justify-between gap-2">
                      <h3 className="font-semibold">{DOCUMENT_LABEL[d.kind]}</h3>
                      <p className="text-xs text-muted">
                        {d.mimeType === 'application/pdf' ? 'PDF' : `${d.pdfPage ? `PDF page ${d.pdfPage.page} of ${d.pdfPage.pages}, rendered · ` : ''}${d.width} × ${d.height} px`} · {fileSize(d.byteSize)} · uploaded {utc(d.uploadedAt)}
                      </p>
                    </div>
                    {d.problems.length > 0 && <p className="text-sm text-warning">Upload checks: {d.problems.join(' ')}</p>}
                    {d.deleted ? (
                      <p className="text-sm text-muted">Deleted at the end of its retention period.</p>
                    ) : ticket.can.documents ? (
                      <DocumentViewer ticketId={ticket.id} documentId={d.id} label={DOCUMENT_LABEL[d.kind]} isPdf={d.mimeType === 'application/pdf'} />
                    ) : (
                      <p className="text-sm text-muted">Claim the request to open its documents.</p>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </Card>

          <Card className="space-y-4">
            <h2 className="text-lg font-bold">History</h2>
            <ol className="space-y-3">
              {ticket.history.map((m) => (
                <li
                  key={m.id}
                  className={`rounded-lg border p-3 text-sm ${m.kind === 'INTERNAL_NOTE' ? 'border-warning/40 bg-warning-soft' : m.kind === 'CUSTOMER_REPLY' ? 'border-accent/30 bg-accent-soft' : 'border-line'}`}
                >
                  <p className="flex flex-wrap gap-x-2 text-xs text-muted">
                    <span className="font-semibold text-fg">{MESSAGE_LABEL[m.kind]}</span>
                    <span>{m.author ?? (m.kind === 'CUSTOMER_REPLY' ? 'The person' : 'System')}</span>
                    <time dateTime={m.at.toISOString()}>{utc(m.at)}</time>
                    {m.kind === 'INTERNAL_NOTE' && <span>· not visible to the person</span>}
                  </p>
                  <p className="mt-1 break-words whitespace-pre-line">{m.body}</p>
                </li>
              ))}
              {ticket.history.length === 0 && <li className="text-sm text-muted">Nothing yet.</li>}
            </ol>
            {ticket.can.work && <NoteForm ticketId={ticket.id} />}
          </Card>

          <Card className="space-y-4">
            <h2 className="text-lg font-bold">Emails to the person</h2>
            <ul className="space-y-2">
              {sent.map((m) => (
                <li key={m.id} className="flex flex-wrap items-baseline justify-between gap-x-3 gap-y-1 rounded-lg border border-line p-3 text-sm">
                  <span className="font-semibold">{m.what}</span>
                  <span className="flex flex-wrap gap-x-2 text-xs text-muted">
                    <time dateTime={m.at.toISOString()}>{utc(m.at)}</time>
                    <span className={m.state === 'failed' || m.state === 'retrying' ? 'font-semibold text-danger' : m.state === 'queued' ? 'text-fg' : 'text-muted'}>
                      {m.stateLabel}
                    </span>
                  </span>
                </li>
              ))}
              {sent.length === 0 && <li className="text-sm text-muted">None yet.</li>}
            </ul>
          </Card>
        </div>

        <div className="min-w-0 space-y-6">
          {(ticket.can.claim || ticket.can.assign) && (
            <Card className="space-y-3">
              <h2 className="text-lg font-bold">Assignment</h2>
              {ticket.can.claim && (
                <div className="space-y-2">
                  <p className="text-sm text-muted">Nobody is working on this request.</p>
                  <ClaimButton ticketId={ticket.id} reference={ticket.reference} />
                </div>
              )}
              {ticket.can.assign && open && <AssignForm ticketId={ticket.id} agents={agents} currentId={ticket.assignee?.id ?? null} />}
            </Card>
          )}

          <Card className="space-y-4" aria-labelledby="decision-heading">
            <h2 id="decision-heading" className="text-lg font-bold">
              Decision
            </h2>
            {ticket.approval.fourEyes && (
              <div className="rounded-lg border border-danger/30 bg-danger-soft p-3 text-sm">
                <p className="font-semibold text-danger">High risk: two people must approve</p>
                <ol className="mt-2 space-y-1">
                  <li>
                    1. First approval:{' '}
                    <strong>{ticket.approval.approvedBy ? (ticket.approval.approvedByYou ? 'you' : ticket.approval.approvedBy.name) : 'not yet'}</strong>
                  </li>
                  <li>
                    2. Confirmation by someone else: <strong>{ticket.approval.confirmedBy ? ticket.approval.confirmedBy.name : waiting ? 'waiting' : 'not yet'}</strong>
                  </li>
                </ol>
              </div>
            )}
            {waiting && (
              <p role="status" className="rounded-lg border border-warning/40 bg-warning-soft p-3 text-sm font-semibold text-warning">
                Waiting for a second approver
                {ticket.approval.approvedByYou && <span className="block font-normal text-fg">You gave the first approval, so a different agent or a supervisor has to confirm it.</span>}
              </p>
            )}
            {ticket.status === 'IN_REVIEW' && ticket.can.confirm && ticket.approval.approvedBy && (
              <ConfirmApprovalForm ticketId={ticket.id} approver={ticket.approval.approvedBy.name} />
            )}
            {ticket.status === 'IN_REVIEW' && ticket.can.work && !waiting && ticket.account && <ApproveForm ticketId={ticket.id} firstOfTwo={ticket.approval.fourEyes} />}
            {ticket.status === 'IN_REVIEW' && ticket.can.work && !ticket.account && <p className="text-sm text-muted">No account matches this request, so it cannot be approved.</p>}
            {ticket.status === 'MORE_INFO_REQUESTED' && <p className="text-sm text-muted">Waiting for the person to answer. Approving becomes possible when they do.</p>}
            {ticket.status === 'SUBMITTED' && <p className="text-sm text-muted">Claim the request to start the review.</p>}
            {(ticket.status === 'APPROVED' || ticket.status === 'COMPLETED') && (
              <p className="text-sm">
                Approved by <strong>{ticket.approval.approvedBy?.name ?? 'an agent'}</strong>
                {ticket.approval.confirmedBy && (
                  <>
                    , confirmed by <strong>{ticket.approval.confirmedBy.name}</strong>
                  </>
                )}
                .{ticket.status === 'APPROVED' ? ` ${LINK_STATE[(link ?? { state: 'pending' }).state]}` : ' The person set up their new sign-in method.'}
              </p>
            )}
            {ticket.status === 'REJECTED' && <p className="text-sm">Not approved. The person is told by email (see “Emails to the person”).</p>}
            {open && ticket.can.work && (
              <details className="rounded-lg border border-line p-3">
                <summary className="min-h-6 cursor-pointer text-sm font-semibold">Reject with a reason</summary>
                <div className="pt-3">
                  <RejectForm ticketId={ticket.id} reasons={Object.entries(REJECTION_REASONS).map(([value, r]) => ({ value, label: r.label, explanation: r.explanation }))} />
                </div>
              </details>
            )}
          </Card>

          {ticket.status === 'IN_REVIEW' && ticket.can.work && (
            <Card className="space-y-3">
              <h2 className="text-lg font-bold">Ask the person</h2>
              <InfoRequestForm ticketId={ticket.id} />
            </Card>
          )}

          <Card className="space-y-3">
            <h2 className="text-lg font-bold">Video call</h2>
            {ticket.appointments.length > 0 && (
              <ul className="space-y-2 text-sm">
                {ticket.appointments.map((a) => (
                  <li key={a.id} className={a.cancelledAt ? 'text-muted line-through' : ''}>
                    {utc(a.startsAt)} to {utcClock(a.endsAt)} with {a.agentName}
                    {a.joinedAt && ' · the person joined'}
                    {a.cancelledAt && ` · ${CANCELLED_BECAUSE[a.cancelReason ?? ''] ?? 'cancelled'}`}
                    {a.meetingUrl && (
                      <a href={a.meetingUrl} target="_blank" rel="noreferrer noopener" className="mt-1 block font-semibold text-accent underline">
                        Open the meeting room
                      </a>
                    )}
                  </li>
                ))}
              </ul>
            )}
            {open && ticket.can.work ? (
              ticket.videoCall.possible ? (
                <ScheduleCallForm ticketId={ticket.id} defaultDate={tomorrow} now={now.toISOString()} personTimeZone={ticket.timeZone} limits={{ maxDays: MAX_BOOKING_DAYS, maxMinutes: MAX_APPOINTMENT_MINUTES }} />
              ) : (
                <p className="text-sm text-muted">{ticket.videoCall.reason}</p>
              )
            ) : (
              ticket.appointments.length === 0 && <p className="text-sm text-muted">No call booked.</p>
            )}
          </Card>
        </div>
      </div>
    </div>
  );
}

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt className="text-muted">{label}</dt>
      <dd className="font-semibold break-words">{value}</dd>
    </div>
  );
}

function SignalList({ title, empty, items }: { title: string; empty: string; items: { label: string; detail: string; at?: string | undefined }[] }) {
  return (
    <section className="space-y-2">
      <h3 className="text-sm font-semibold text-muted">{title}</h3>
      {items.length === 0 ? (
        <p className="text-sm text-muted">{empty}</p>
      ) : (
        <ul className="space-y-1.5">
          {items.map((s, i) => (
            <li key={`${s.label}-${s.detail}-${i}`} className="flex flex-wrap items-baseline gap-x-2 text-sm">
              <span className="rounded bg-danger-soft px-1.5 py-0.5 text-xs font-semibold text-danger">{s.label}</span>
              <span>{s.detail}</span>
              {s.at && <span className="text-xs text-muted">{utc(s.at)}</span>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
