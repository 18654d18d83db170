import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { getConfig } from '@/lib/config';
import { getPrisma } from '@/lib/db/client';
import { readOutboxCopies } from '@/lib/delivery';
import { Alert, ButtonLink, Card, PageContainer } from '../../_components/ui';
import { MessageCard, type OutboxEntry } from './message-card';

export const metadata: Metadata = { title: 'Development outbox', robots: { index: false, follow: false } };

const LIMIT = 100;

// Every message Regain recorded, newest first. Development only: production answers 404.
export default async function OutboxPage() {
  const config = getConfig();
  if (!config.outboxPage) notFound();

  const rows = await getPrisma().outboundMessage.findMany({
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: LIMIT,
    select: {
      id: true,
      channel: true,
      to: true,
      subject: true,
      bodyText: true,
      bodyHtml: true,
      purpose: true,
      provider: true,
      providerId: true,
      status: true,
      error: true,
      createdAt: true,
    },
  });
  const copies = new Map(readOutboxCopies().map((copy) => [copy.messageId, copy]));
  const entries: OutboxEntry[] = rows.map((row) => {
    const copy = copies.get(row.id);
    return {
      id: row.id,
      channel: row.channel,
      to: row.to,
      purpose: row.purpose,
      provider: row.provider,
      providerId: row.providerId,
      status: row.status,
      error: row.error,
      createdAt: row.createdAt,
      subject: copy ? (copy.subject ?? null) : row.subject,
      text: copy ? copy.text : row.bodyText,
      html: copy ? (copy.html ?? null) : row.bodyHtml,
      twiml: copy?.twiml ?? null,
      calendar: copy?.calendar ?? null,
      unmasked: Boolean(copy),
    };
  });

  const transports = [
    `Email: ${config.email.transport === 'smtp' ? 'SMTP' : 'outbox only'}`,
    `SMS and voice: ${config.sms.transport === 'twilio' ? 'Twilio' : 'outbox only'}`,
  ];

  return (
    <PageContainer className="space-y-6 py-10">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div className="min-w-0">
          <h1 className="text-3xl font-bold tracking-tight">Development outbox</h1>
          <p className="mt-2 max-w-2xl text-muted">
            Every email, text message and voice call Regain recorded, newest first (last {LIMIT}). {transports.join(' · ')}.
          </p>
        </div>
        <ButtonLink href="/dev/outbox" variant="secondary">
          Refresh
        </ButtonLink>
      </div>

      <Alert tone="info" title="Development only">
        This page does not exist in production. Stored messages have their codes masked. When a message went to the outbox
        from this server, its unmasked copy is shown from memory; it is never written to the database and is gone after a
        restart.
      </Alert>

      {entries.length === 0 ? (
        <Card className="space-y-2 p-8 text-center">
          <h2 className="text-lg font-semibold">No messages yet</h2>
          <p className="text-muted">Verification codes sent by email, text message or voice call will appear here.</p>
        </Card>
      ) : (
        <ol className="space-y-4" aria-label="Messages, newest first">
          {entries.map((entry) => (
            <li key={entry.id}>
              <MessageCard entry={entry} />
            </li>
          ))}
        </ol>
      )}
    </PageContainer>
  );
}
