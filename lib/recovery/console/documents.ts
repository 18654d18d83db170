import type { Db } from '@/lib/db/client';
import type { DocumentKind } from '@/lib/db/generated/enums';
import { AppError } from '@/lib/errors';
import { cropFace, locateFace, readDocument } from '@/lib/recovery/documents';
import type { ConsoleAgentRef } from '@/lib/access';
import { authorizeTicket } from './access';
import { watermarkImage } from './watermark';

/**
 * An identity document opened by an agent (docs/security.md rule 19): opened on
 * demand, watermarked with the agent's name and time, every view audited. The agent must be
 * allowed the ticket's documents (authorizeTicket); the document must belong to that ticket
 * (readDocument looks it up by both ids, so an id from another ticket opens nothing); readDocument
 * decrypts it and records the view.
 *
 * Images come back re-encoded with the watermark. Agents only ever receive pixels (rule 29):
 * uploaded PDFs are stored as rendered page images, and a row from before that (a PDF kept as sent)
 * is not handed out at all; the person is asked to upload it again.
 */
export type AgentDocument = { kind: DocumentKind; format: 'image'; mimeType: 'image/jpeg' | 'image/png'; bytes: Buffer; watermarked: true };

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
  if (opened.mimeType !== 'image/png' && opened.mimeType !== 'image/jpeg') {
    throw new AppError({
      code: 'not_found',
      userMessage: 'This file was uploaded as a PDF and is not available as images. Ask the person to upload the document again.',
      internalMessage: `Document ${opened.id} is ${opened.mimeType}; only images are served (rule 29)`,
    });
  }
  const mimeType = opened.mimeType;
  const stamp = `${agent.name} · ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC · ${ticket.reference} · Regain confidential`;
  return { kind: opened.kind, format: 'image', mimeType, bytes: await watermarkImage({ bytes: opened.bytes, mimeType, text: stamp }), watermarked: true };
}

/**
 * The face in a selfie or a document front, cut out for the agent's side-by-side view (the "Face
 * match" panel). Nothing about faces is stored to make it: the document is opened like any other
 * (same authorization, same audited view), the face is found again in it, and the crop is
 * watermarked like the whole image would be. When the document has gone at the end of its retention
 * period, so has the crop.
 */
export async function openFaceCropForAgent(options: {
  db: Db;
  masterKey: Buffer;
  agent: ConsoleAgentRef;
  ticketId: string;
  documentId: string;
  now: Date;
  ip?: string | null | undefined;
  userAgent?: string | null | undefined;
}): Promise<{ mimeType: 'image/jpeg'; bytes: Buffer }> {
  const { db, now } = options;
  const { agent, ticket } = await authorizeTicket({ ...options, need: 'documents' });
  const document = await db.ticketDocument.findFirst({ where: { id: options.documentId, ticketId: ticket.id }, select: { kind: true } });
  if (!document || (document.kind !== 'SELFIE' && document.kind !== 'ID_FRONT')) {
    throw new AppError({ code: 'not_found', userMessage: 'There is no face to show for this document.', internalMessage: 'Face crop asked for a document that is not a selfie or a front' });
  }
  const opened = await readDocument({
    db,
    masterKey: options.masterKey,
    ticketId: ticket.id,
    documentId: options.documentId,
    viewer: { actorType: 'AGENT', actorId: agent.id, ip: options.ip ?? null, userAgent: options.userAgent?.slice(0, 300) ?? null },
    now,
  });
  if (opened.mimeType !== 'image/png' && opened.mimeType !== 'image/jpeg') {
    throw new AppError({ code: 'not_found', userMessage: 'This file is not available as an image.', internalMessage: `Document ${opened.id} is ${opened.mimeType}` });
  }
  const box = await locateFace({ data: opened.bytes });
  if (!box) throw new AppError({ code: 'not_found', userMessage: 'No face could be found in this image.', internalMessage: 'Face crop: no face located' });
  const crop = await cropFace(opened.bytes, box);
  const stamp = `${agent.name} · ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC · ${ticket.reference}`;
  return { mimeType: 'image/jpeg', bytes: await watermarkImage({ bytes: crop, mimeType: 'image/jpeg', text: stamp }) };
}
