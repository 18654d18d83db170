import { createHash, createHmac, randomBytes } from 'node:crypto';
import { recordAudit } from '@/lib/audit';
import type { Db } from '@/lib/db/client';
import { isUuid } from '@/lib/db/ids';
import { Prisma, type ActorType, type DocumentKind } from '@/lib/db/generated/client';
import { AppError } from '@/lib/errors';
import { log } from '@/lib/log';
import { DocumentUnreadableError, openDocument, sealDocument } from './envelope';
import type { DocumentCheckResult, InspectedFile } from './inspect';

/**
 * Where identity documents are kept (docs/security.md rule 19). The row always holds the metadata, the
 * IV, the tag and the wrapped key. The ciphertext lives in the row (PostgreSQL): that is the only
 * store shipped and the only one the app uses. The interface leaves room for an object store that
 * would keep the bytes under `storageKey` instead. Either way it is only ever encrypted, and
 * there is no public URL: bytes come out only through readDocument.
 */
export interface DocumentStore {
  /** Keeps the ciphertext and says what the row should record: the bytes inline, or a key. */
  put(object: { documentId: string; ticketId: string; ciphertext: Uint8Array<ArrayBuffer> }): Promise<{
    ciphertext: Uint8Array<ArrayBuffer> | null;
    storageKey: string | null;
  }>;
  /** The ciphertext for a row, or null when it is gone. */
  get(row: { id: string; ciphertext: Uint8Array | null; storageKey: string | null }): Promise<Uint8Array | null>;
  /** Removes an object (idempotent). Used after a failed insert and by the retention job. */
  remove(storageKey: string): Promise<void>;
}

/** The default: the ciphertext goes into TicketDocument.ciphertext, in the same INSERT as the row. */
export const postgresDocumentStore: DocumentStore = {
  async put({ ciphertext }) {
    return { ciphertext, storageKey: null };
  },
  async get(row) {
    return row.ciphertext;
  },
  async remove() {},
};

export type StoredDocument = {
  id: string;
  ticketId: string;
  kind: DocumentKind;
  mimeType: string;
  width: number | null;
  height: number | null;
  byteSize: number;
  /**
   * Keyed digest of the stored plaintext (the re-encoded image, not the upload): see documentDigest.
   * Rows stored before it was keyed hold a plain SHA-256 (64 hex digits) and are checked as such.
   */
  sha256: string;
  createdAt: Date;
};

export type StoreDocumentInput = {
  db: Db;
  masterKey: Buffer;
  ticketId: string;
  kind: DocumentKind;
  /** Only the output of inspectUpload is accepted: raw uploads never reach storage. */
  image: InspectedFile;
  checkResult: DocumentCheckResult;
  now: Date;
  /** An earlier deletion date than the ticket's retention, if the caller has one. */
  deleteAfter?: Date | null | undefined;
  store?: DocumentStore | undefined;
};

const ticketGone = () =>
  new AppError({ code: 'not_found', userMessage: 'We couldn’t find this recovery request. Please start again.', internalMessage: 'Ticket not found for document' });

const DIGEST_PREFIX = 'hmac-sha256:';

/**
 * The digest kept beside an identity document, in the database and after retention (rule 19). A
 * plain SHA-256 of a photo of someone's ID card lets anyone holding the table confirm a guess ("is
 * this the passport we have a copy of?") and link the same document across systems. Keyed with a
 * key derived from the document master key, it still proves the file is the one stored, but only
 * to the server.
 */
export function documentDigest(masterKey: Buffer, bytes: Uint8Array): string {
  const digestKey = createHmac('sha256', masterKey).update('regain:document-digest:v1').digest();
  return DIGEST_PREFIX + createHmac('sha256', digestKey).update(bytes).digest('hex');
}

function digestMatches(masterKey: Buffer, bytes: Uint8Array, stored: string): boolean {
  if (stored.startsWith(DIGEST_PREFIX)) return documentDigest(masterKey, bytes) === stored;
  // Stored before the digest was keyed: still checked, never written again in this form.
  return createHash('sha256').update(bytes).digest('hex') === stored;
}

export async function storeDocument(input: StoreDocumentInput): Promise<StoredDocument> {
  const { db, masterKey, ticketId, kind, image, checkResult, now } = input;
  const store = input.store ?? postgresDocumentStore;
  if (!isUuid(ticketId)) throw ticketGone();

  // The id is chosen here, before anything is written, because it is part of the associated data
  // the ciphertext and the wrapped key are bound to.
  const id = uuidV7(now);
  const sha256 = documentDigest(masterKey, image.data);
  const sealed = sealDocument(masterKey, image.data, { documentId: id, ticketId, kind, mimeType: image.mimeType });
  const placed = await store.put({ documentId: id, ticketId, ciphertext: sealed.ciphertext });

  try {
    // One INSERT: with the default store the row and its ciphertext appear together or not at all.
    return await db.ticketDocument.create({
      data: {
        id,
        ticketId,
        kind,
        mimeType: image.mimeType,
        width: image.width,
        height: image.height,
        byteSize: image.data.length,
        sha256,
        checkResult,
        ciphertext: placed.ciphertext,
        storageKey: placed.storageKey,
        wrappedKey: sealed.wrappedKey,
        iv: sealed.iv,
        authTag: sealed.authTag,
        createdAt: now,
        deleteAfter: input.deleteAfter ?? null,
      },
      select: { id: true, ticketId: true, kind: true, mimeType: true, width: true, height: true, byteSize: true, sha256: true, createdAt: true },
    });
  } catch (error) {
    // An object put into external storage without a row is removed again. If that fails too, what
    // remains is ciphertext whose key was never stored: unreadable by anyone.
    if (placed.storageKey) await store.remove(placed.storageKey).catch(() => undefined);
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2003') throw ticketGone();
    throw error;
  }
}

export type DocumentViewer = {
  actorType: ActorType;
  actorId?: string | null | undefined;
  ip?: string | null | undefined;
  userAgent?: string | null | undefined;
};

export type ReadDocumentInput = {
  db: Db;
  masterKey: Buffer;
  /**
   * The ticket the caller has already checked the viewer may work on. The document must belong to
   * it, so an id from another ticket opens nothing (rule 12: no IDOR).
   */
  ticketId: string;
  documentId: string;
  /** Who is opening it; every open is audited (rules 19 and 20). */
  viewer: DocumentViewer;
  now: Date;
  store?: DocumentStore | undefined;
};

export type OpenedDocument = {
  id: string;
  ticketId: string;
  kind: DocumentKind;
  mimeType: string;
  width: number | null;
  height: number | null;
  bytes: Buffer;
};

/**
 * Decrypts one document for a viewer who may see it. A tampered ciphertext, IV, tag or wrapped key,
 * or a wrapped key moved from another row, throws DocumentUnreadableError: not an AppError, so the
 * error mapper answers 500 with a generic message and logs it.
 */
export async function readDocument(input: ReadDocumentInput): Promise<OpenedDocument> {
  const { db, masterKey, ticketId, documentId, viewer, now } = input;
  const store = input.store ?? postgresDocumentStore;
  const missing = () => new AppError({ code: 'not_found', userMessage: 'This document isn’t available.', internalMessage: `Document ${documentId} not found` });
  if (!isUuid(documentId) || !isUuid(ticketId)) throw missing();

  const row = await db.ticketDocument.findFirst({
    where: { id: documentId, ticketId },
    select: {
      id: true,
      ticketId: true,
      kind: true,
      mimeType: true,
      width: true,
      height: true,
      sha256: true,
      ciphertext: true,
      storageKey: true,
      wrappedKey: true,
      iv: true,
      authTag: true,
      deletedAt: true,
    },
  });
  if (!row) throw missing();
  if (row.deletedAt) {
    throw new AppError({ code: 'not_found', userMessage: 'This document was deleted at the end of its retention period.' });
  }

  const audit = (action: string, data: Record<string, unknown>) =>
    recordAudit(db, {
      actorType: viewer.actorType,
      actorId: viewer.actorId ?? null,
      action,
      subjectType: 'ticket_document',
      subjectId: row.id,
      ip: viewer.ip ?? null,
      userAgent: viewer.userAgent ?? null,
      data: { ticketId: row.ticketId, kind: row.kind, ...data },
      occurredAt: now,
    });

  let bytes: Buffer;
  try {
    const ciphertext = await store.get(row);
    if (!ciphertext) throw new DocumentUnreadableError(row.id, 'missing_ciphertext');
    bytes = openDocument(
      masterKey,
      { ciphertext, iv: row.iv, authTag: row.authTag, wrappedKey: row.wrappedKey },
      { documentId: row.id, ticketId: row.ticketId, kind: row.kind, mimeType: row.mimeType },
    );
    // GCM already proves the bytes are the ones sealed for this row; the digest also catches a
    // mix-up before encryption, and is what the audit trail and the console show.
    if (!digestMatches(masterKey, bytes, row.sha256)) throw new DocumentUnreadableError(row.id, 'digest_mismatch');
  } catch (error) {
    if (error instanceof DocumentUnreadableError) {
      // The failed open is recorded too; a failure to record it must not hide the original error.
      await audit('document.open_failed', { problem: error.problem }).catch((auditError: unknown) =>
        log.error('document_open_failed_not_audited', { documentId: row.id, error: auditError }),
      );
    }
    throw error;
  }

  await audit('document.viewed', {});
  return { id: row.id, ticketId: row.ticketId, kind: row.kind, mimeType: row.mimeType, width: row.width, height: row.height, bytes };
}

/**
 * RFC 9562 UUIDv7, like the column default: time-ordered, so new rows land at the end of the
 * primary-key index.
 */
function uuidV7(now: Date): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now.getTime(), 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
