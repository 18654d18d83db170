import { MASK } from '@/lib/delivery';
import { AlertIcon } from '../../_components/icons';
import { Card } from '../../_components/ui';

export type OutboxEntry = {
  id: string;
  channel: 'EMAIL' | 'SMS' | 'VOICE';
  to: string;
  purpose: string;
  provider: string;
  providerId: string | null;
  status: 'QUEUED' | 'SENT' | 'DELIVERED' | 'FAILED' | 'UNDELIVERED';
  error: string | null;
  createdAt: Date;
  subject: string | null;
  text: string;
  html: string | null;
  twiml: string | null;
  calendar?: string | null;
  /** True when the body comes from this server's memory, code included. */
  unmasked: boolean;
};

const CHANNEL_LABEL = { EMAIL: 'Email', SMS: 'Text message', VOICE: 'Voice call' } as const;

const STATUS_STYLE: Record<OutboxEntry['status'], string> = {
  QUEUED: 'bg-surface-muted text-muted',
  SENT: 'bg-accent-soft text-accent',
  DELIVERED: 'bg-success-soft text-success',
  FAILED: 'bg-danger-soft text-danger',
  UNDELIVERED: 'bg-danger-soft text-danger',
};

const timeFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZone: 'UTC',
});

export function MessageCard({ entry }: { entry: OutboxEntry }) {
  const headingId = `message-${entry.id}`;
  const title = entry.channel === 'EMAIL' ? entry.subject || '(no subject)' : `${entry.channel === 'SMS' ? 'Text' : 'Call'} to ${entry.to}`;
  const masked = !entry.unmasked && [entry.text, entry.html ?? ''].some((body) => body.includes(MASK));
  return (
    <Card className="min-w-0 p-4 sm:p-5">
      <article aria-labelledby={headingId} className="space-y-4">
        <header className="space-y-2">
          <div className="flex flex-wrap items-center gap-2 text-xs font-semibold">
            <span className="rounded-full border border-line px-2 py-0.5 text-fg">{CHANNEL_LABEL[entry.channel]}</span>
            <span className={`rounded-full px-2 py-0.5 ${STATUS_STYLE[entry.status]}`}>{entry.status.toLowerCase()}</span>
            <time dateTime={entry.createdAt.toISOString()} className="ml-auto font-medium text-muted">
              {timeFormat.format(entry.createdAt)} UTC
            </time>
          </div>
          <h2 id={headingId} className="text-base font-semibold leading-snug break-words">
            {title}
          </h2>
          <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
            {entry.channel === 'EMAIL' && (
              <>
                <dt className="text-muted">To</dt>
                <dd className="min-w-0 break-all font-medium">{entry.to}</dd>
              </>
            )}
            <dt className="text-muted">Purpose</dt>
            <dd className="min-w-0 break-words">{entry.purpose}</dd>
            <dt className="text-muted">Provider</dt>
            <dd className="min-w-0 break-all">
              {entry.provider}
              {entry.providerId && <span className="text-muted"> · {entry.providerId}</span>}
            </dd>
          </dl>
        </header>

        {entry.error && (
          <p className="flex items-start gap-2 rounded-lg border border-danger/30 bg-danger-soft p-3 text-sm">
            <AlertIcon className="mt-0.5 h-4 w-4 shrink-0 text-danger" />
            <span className="min-w-0 break-words">
              <span className="font-semibold">Not delivered:</span> {entry.error}
            </span>
          </p>
        )}

        {entry.unmasked && (
          <p className="rounded-lg border border-warning/30 bg-warning-soft p-3 text-sm">
            <span className="font-semibold">Unmasked copy.</span> This text comes from this server&apos;s memory, code included. The
            database keeps only the masked version.
          </p>
        )}

        {masked && <p className="text-sm text-muted">Stored copy: the code is masked ({MASK}). Unmasked copies exist only for messages this server sent since it started.</p>}

        <MessageBody entry={entry} />
      </article>
    </Card>
  );
}

function MessageBody({ entry }: { entry: OutboxEntry }) {
  if (entry.channel === 'EMAIL') {
    return (
      <div className="space-y-2">
        {entry.html ? (
          // sandbox="" : no scripts, no forms, no same-origin access, no navigation of this page.
          <iframe
            sandbox=""
            srcDoc={entry.html}
            title={`Email body: ${entry.subject ?? 'no subject'}`}
            className="block h-[50rem] w-full rounded-lg border border-line bg-white sm:h-[42rem]"
          />
        ) : (
          <pre className="overflow-x-auto whitespace-pre-wrap break-words rounded-lg bg-surface-muted p-3 font-mono text-sm">{entry.text}</pre>
        )}
        {entry.html && (
          <details className="text-sm">
            <summary className="inline-flex min-h-11 cursor-pointer items-center font-semibold text-accent">Plain-text part</summary>
            <pre className="mt-1 overflow-x-auto whitespace-pre-wrap break-words rounded-lg bg-surface-muted p-3 font-mono text-sm">{entry.text}</pre>
          </details>
        )}
        {entry.calendar && (
          <details className="text-sm">
            <summary className="inline-flex min-h-11 cursor-pointer items-center font-semibold text-accent">Calendar attachment (video-call.ics)</summary>
            <pre className="mt-1 overflow-x-auto whitespace-pre-wrap break-all rounded-lg bg-surface-muted p-3 font-mono text-xs">{entry.calendar}</pre>
          </details>
        )}
      </div>
    );
  }
  if (entry.channel === 'SMS') {
    return <p className="max-w-md whitespace-pre-wrap break-words rounded-2xl rounded-bl-sm bg-surface-muted px-4 py-3 text-sm leading-relaxed">{entry.text}</p>;
  }
  return (
    <div className="space-y-2">
      <p className="text-xs font-semibold uppercase tracking-wide text-muted">What the call says</p>
      <blockquote className="border-l-4 border-line pl-3 text-sm leading-relaxed break-words">{entry.text}</blockquote>
      {entry.twiml && (
        <details className="text-sm">
          <summary className="inline-flex min-h-11 cursor-pointer items-center font-semibold text-accent">TwiML</summary>
          <pre className="mt-1 overflow-x-auto whitespace-pre-wrap break-all rounded-lg bg-surface-muted p-3 font-mono text-xs">{entry.twiml}</pre>
        </details>
      )}
    </div>
  );
}
