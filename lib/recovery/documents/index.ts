/**
 * Identity documents of a recovery ticket (docs/security.md rules 18-19; docs/recovery-policy.md,
 * "Identity documents"): upload checks and re-encoding, envelope encryption, storage, the face check and
 * its attempt limit, and the retention job.
 */
export {
  inspectUpload,
  problemMessage,
  MAX_UPLOAD_BYTES,
  MAX_PIXELS,
  MIN_SHORT_SIDE,
  MAX_STORED_SIDE,
  type DocumentCheckResult,
  type DocumentProblem,
  type DocumentWarning,
  type InspectedFile,
  type Inspection,
  type InspectUploadInput,
  type InspectedPage,
  type StoredMimeType,
  FREE_PIXELS,
  MAX_PIXELS_PER_BYTE,
} from './inspect';
export { createDecodePool, decodePool, DECODE_CONCURRENCY, DECODE_QUEUE, type DecodePool } from './decode-pool';
export { MAX_PDF_PAGES, PDF_RENDER_SIDE, PDF_RENDER_TIMEOUT_MS } from './render-pdf';
export { DocumentUnreadableError } from './envelope';
export {
  storeDocument,
  readDocument,
  postgresDocumentStore,
  type DocumentStore,
  type DocumentViewer,
  type OpenedDocument,
  type ReadDocumentInput,
  type StoreDocumentInput,
  type StoredDocument,
} from './store';
export {
  manualReviewFaceCheck,
  recordFaceCheckAttempt,
  getFaceCheckStatus,
  FACE_CHECK_MAX_ATTEMPTS,
  FACE_CHECK_LOCK_MINUTES,
  type FaceCheck,
  type FaceCheckAttempt,
  type FaceCheckOutcome,
  type FaceCheckRetryReason,
  type FaceMatchResult,
  type ImageInfo,
} from './face-check';
export {
  createLocalFaceCheck,
  localFaceCheck,
  locateFace,
  cropFace,
  checkDocumentFrontFace,
  warmFaceMatcher,
  stopFaceMatcher,
  FACE_MATCH_MODEL_VERSION,
  FACE_MATCH_THRESHOLD,
  type FaceBox,
} from './face-match';
export { purgeExpiredDocuments, DEFAULT_RETENTION_DAYS } from './retention';
export { attachTicketDocument, type FaceCheckState, type UploadedFile, type UploadOutcome } from './attach';
