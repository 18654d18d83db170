import { recordAudit } from '@/lib/audit';
import type { Db } from '@/lib/db/client';
import type { DocumentKind } from '@/lib/db/generated/enums';
import { AppError, validationError } from '@/lib/errors';
import { log } from '@/lib/log';
import { FACE_CHECK_LOCK_MINUTES, FACE_CHECK_MAX_ATTEMPTS, getFaceCheckStatus, manualReviewFaceCheck, recordFaceCheckAttempt, type ImageInfo } from './face-check';
import { checkDocumentFrontFace, localFaceCheck } from './face-match';
import { inspectUpload, MAX_UPLOAD_BYTES, problemMessage, type DocumentCheckResult } from './inspect';
import { readDocument, storeDocument } from './store';
import { consumeRateLimit, rateLimited } from '@/lib/limits';
import { TICKET_LIMITS } from '@/lib/limits/policy';

/**
 * One uploaded image joining a ticket, in this order: checks after upload, the
 * face check with its attempt limit for a selfie, then encrypted storage and an audit event.
 * Used by /recover/documents (front, back, selfie) and /recover/status (extra images).
 */
export type UploadOutcome =
  | { status: 'accepted'; kind: DocumentKind; warnings: string[]; faceCheck?: FaceCheckState }
  | { status: 'refused'; kind: DocumentKind; message: string; faceCheck?: FaceCheckState };

export type FaceCheckState = { attemptsLeft: number; lockedUntil: string | null };

/** What a form upload gives us (a File satisfies it). */
export type UploadedFile = { size: number; name?: string; arrayBuffer(): Promise<ArrayBuffer> };

export async function attachTicketDocument(options: {
  db: Db;
  masterKey: Buffer;
  ticketId: string;
  kind: DocumentKind;
  file: UploadedFile | null;
  ip: string;
  userAgent: string | null;
  now: Date;
  /**
   * `local` (lib/config FACE_MATCH): the selfie is compared with the document front on this server
   * and a front without a visible face photo is refused; `off` (the default here): photo checks only.
   */
  faceMatch?: 'local' | 'off';
}): Promise<UploadOutcome> {
  const { db, masterKey, ticketId, kind, now } = options;
  const file = options.file;
  if (!file || file.size === 0) throw validationError({ file: ['Choose a photo first.'] });

  const allowed = await consumeRateLimit(db, `ticket-upload:${ticketId}`, TICKET_LIMITS.uploadsPerTicket, now);
  if (!allowed.allowed) throw rateLimited(allowed.retryAfterSeconds, 'uploads');

  // Refused before reading it into memory; inspectUpload would say the same after.
  if (file.size > MAX_UPLOAD_BYTES) return { status: 'refused', kind, message: problemMessage('too_large', kind) };

  if (kind === 'SELFIE') {
    const face = await getFaceCheckStatus({ db, ticketId, now });
    if (face.lockedUntil) return lockedOutcome(face.lockedUntil);
  }

  const inspection = await inspectUpload({ bytes: Buffer.from(await file.arrayBuffer()), kind, declaredName: file.name });
  if (!inspection.ok) return { status: 'refused', kind, message: inspection.message, ...(kind === 'SELFIE' ? { faceCheck: await faceState(db, ticketId, now) } : {}) };

  const matching = options.faceMatch === 'local';
  if (kind === 'ID_FRONT' && matching) {
    // Said at once, while the person still has the card in hand, rather than after the selfie.
    let refused;
    try {
      refused = await checkDocumentFrontFace(inspection.image);
    } catch (error) {
      if (error instanceof AppError) throw error;
      // The matcher failing is not the person's problem: the front is kept and an agent looks at it.
      log.warn('documents.face_detection_failed', { error: error instanceof Error ? error.message : String(error) });
    }
    if (refused?.status === 'retry') return { status: 'refused', kind, message: refused.message };
  }

  let faceCheck: FaceCheckState | undefined;
  let faceMatch: NonNullable<DocumentCheckResult['faceMatch']> | undefined;
  if (kind === 'SELFIE') {
    const front = await documentFront(db, masterKey, ticketId, now, options);
    const outcome = await (matching ? localFaceCheck : manualReviewFaceCheck).check({ selfie: inspection.image, documentFront: front });
    // Only the outcome, distance, threshold and model version are kept, with the selfie.
    if (outcome.status === 'ready_for_review' && outcome.faceMatch && front) faceMatch = { ...outcome.faceMatch, documentFrontId: front.id };
    let attempt;
    try {
      attempt = await recordFaceCheckAttempt({ db, ticketId, outcome, now });
    } catch (error) {
      // Locked by a concurrent attempt between the status read above and this one.
      if (error instanceof AppError && error.code === 'rate_limited') {
        const face = await getFaceCheckStatus({ db, ticketId, now });
        return face.lockedUntil ? lockedOutcome(face.lockedUntil) : { status: 'refused', kind, message: error.userMessage };
      }
      throw error;
    }
    faceCheck = { attemptsLeft: attempt.attemptsLeft, lockedUntil: attempt.lockedUntil?.toISOString() ?? null };
    if (attempt.outcome.status === 'retry') return { status: 'refused', kind, message: attempt.outcome.message, faceCheck };
  }

  // A PDF arrives as one image per rendered page (rule 29); each page is its own document row.
  const warnings = new Set<string>();
  for (const page of inspection.pages) {
    const checkResult = faceMatch ? { ...page.checkResult, faceMatch } : page.checkResult;
    const stored = await storeDocument({ db, masterKey, ticketId, kind, image: page.image, checkResult, now });
    // Rule 20: every ticket action is recorded. Sizes and kinds only; never the file or its name.
    await recordAudit(db, {
      actorType: 'ANONYMOUS',
      action: 'ticket.document_uploaded',
      subjectType: 'ticket',
      subjectId: ticketId,
      ip: options.ip,
      userAgent: options.userAgent?.slice(0, 300) ?? null,
      data: {
        documentId: stored.id,
        kind,
        mimeType: stored.mimeType,
        byteSize: stored.byteSize,
        warnings: page.checkResult.problems.map((p) => p.code),
        ...(page.checkResult.source ? { source: page.checkResult.source } : {}),
        ...(faceMatch ? { faceMatch: faceMatch.result, ...('distance' in faceMatch ? { faceMatchDistance: faceMatch.distance } : {}) } : {}),
      },
      occurredAt: now,
    });
    for (const problem of page.checkResult.problems) warnings.add(problem.message);
  }
  return { status: 'accepted', kind, warnings: [...warnings], ...(faceCheck ? { faceCheck } : {}) };
}

async function faceState(db: Db, ticketId: string, now: Date): Promise<FaceCheckState> {
  const face = await getFaceCheckStatus({ db, ticketId, now });
  return { attemptsLeft: face.attemptsLeft, lockedUntil: face.lockedUntil?.toISOString() ?? null };
}

function lockedOutcome(until: Date): UploadOutcome {
  return {
    status: 'refused',
    kind: 'SELFIE',
    message: `You’ve used all ${FACE_CHECK_MAX_ATTEMPTS} tries of the face check. For your safety it is paused for ${FACE_CHECK_LOCK_MINUTES} minutes; your other photos are kept.`,
    faceCheck: { attemptsLeft: 0, lockedUntil: until.toISOString() },
  };
}

/**
 * The face check compares against the newest document front. It is opened through readDocument,
 * so the open is audited like any other (rule 19), with the system as the actor: the check, not a
 * person, looked at it.
 */
async function documentFront(db: Db, masterKey: Buffer, ticketId: string, now: Date, request: { ip: string; userAgent: string | null }): Promise<(ImageInfo & { id: string }) | undefined> {
  const front = await db.ticketDocument.findFirst({
    where: { ticketId, kind: 'ID_FRONT', deletedAt: null },
    orderBy: { createdAt: 'desc' },
    select: { id: true },
  });
  if (!front) return undefined;
  const opened = await readDocument({
    db,
    masterKey,
    ticketId,
    documentId: front.id,
    viewer: { actorType: 'SYSTEM', ip: request.ip, userAgent: request.userAgent?.slice(0, 300) ?? null },
    now,
  });
  return { id: front.id, mimeType: opened.mimeType, width: opened.width, height: opened.height, data: opened.bytes };
}
