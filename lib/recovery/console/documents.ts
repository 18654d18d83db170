import type { Db } from '@/lib/db/client';
import type { DocumentKind } from '@/lib/db/generated/enums';
import { readDocument } from '@/lib/recovery/documents';
import { authorizeTicket, type ConsoleAgentRef } from './access';
import { watermarkImage } from './watermark';

/**
 * An identity document opened by an agent (security.md rule 19; issue 7, "documents opened on
 * demand, watermarked with the agent's name and time, every view audited"). The agent must be
 * allowed the ticket's documents (authorizeTicket); the document must belong to that ticket
 * (readDocument looks it up by both ids, so an id from another ticket opens nothing); readDocument
 * decrypts it and records the view.
 *
 * Images come back re-encoded with the watermark. PDFs cannot be drawn on here (sharp's prebuilt
 * binaries do not render PDF), so they come back as they are, to be downloaded, and the console
 * says that they carry no watermark. The view is audited the same way.
 */
export type AgentDocument =
  | { kind: DocumentKind; format: 'image'; mimeType: 'image/jpeg' | 'image/png'; bytes: Buffer; watermarked: true }
  | { kind: DocumentKind; format: 'pdf'; mimeType: 'application/pdf'; bytes: Buffer; watermarked: false; fileName: string };

export async function openDocumentForAgent(options: {
  db: Db;
  masterKey: Buffer;
  agent: ConsoleAgentRef;
  ticketId: string;
  documentId: string;
  now: Date;
  ip?: string | null | undefined;
  userAgent?: string | null | undefined;
}): Promise<AgentDocument> {
  const { db, now } = options;
  const { agent, ticket } = await authorizeTicket({ ...options, need: 'documents' });
  const opened = await readDocument({
    db,
    masterKey: options.masterKey,
    ticketId: ticket.id,
    documentId: options.documentId,
    viewer: { actorType: 'AGENT', actorId: agent.id, ip: options.ip ?? null, userAgent: options.userAgent?.slice(0, 300) ?? null },
    now,
  });
  if (opened.mimeType === 'application/pdf') {
    return { kind: opened.kind, format: 'pdf', mimeType: 'application/pdf', bytes: opened.bytes, watermarked: false, fileName: `${ticket.reference}-${opened.kind.toLowerCase()}.pdf` };
  }
  const mimeType = opened.mimeType === 'image/png' ? 'image/png' : 'image/jpeg';
  const stamp = `${agent.name} · ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC · ${ticket.reference} · Regain confidential`;
  return { kind: opened.kind, format: 'image', mimeType, bytes: await watermarkImage({ bytes: opened.bytes, mimeType, text: stamp }), watermarked: true };
}
