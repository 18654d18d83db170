import sharp from 'sharp';
import type { Db } from '@/lib/db/client';
import { isUuid } from '@/lib/db/ids';
import { AppError } from '@/lib/errors';
import { measureQuality } from './quality';

/**
 * The face check of an identity-document recovery: an interface with an honest default
 * implementation that never pretends to a match score.
 *
 * The default does no biometrics and claims none. It makes sure an agent will have something to
 * compare by eye: a usable selfie (big enough, lit, not blank, sensibly framed) and a photo of the
 * document front. A provider that really detects or matches faces can implement the same
 * interface; its outcome must stay one of these two, so no invented score reaches a person or an
 * agent.
 */
export type ImageInfo = { mimeType: string; width: number | null; height: number | null; data: Buffer };

export type FaceCheckRetryReason =
  | 'document_front_missing'
  | 'document_front_no_face'
  | 'selfie_no_face'
  | 'selfie_several_faces'
  | 'selfie_not_a_photo'
  | 'selfie_too_small'
  | 'selfie_framing'
  | 'selfie_too_dark'
  | 'selfie_too_bright'
  | 'selfie_blank';

/**
 * What a provider that really compares faces found (face-match.ts). An aid shown to the agent with
 * the distance and the threshold it was judged against, never a decision: "not_similar" refuses
 * nothing and "similar" approves nothing. "unavailable" says the matcher could not run, so the agent
 * compares by eye as with the default. The default (manualReviewFaceCheck) never sets it.
 */
export type FaceMatchResult =
  | { result: 'similar' | 'not_similar'; distance: number; threshold: number; modelVersion: string }
  | { result: 'unavailable'; modelVersion: string };

export type FaceCheckOutcome =
  | { status: 'ready_for_review'; faceMatch?: FaceMatchResult }
  | { status: 'retry'; reason: FaceCheckRetryReason; message: string };

export interface FaceCheck {
  check(input: { selfie: ImageInfo; documentFront?: ImageInfo | undefined }): Promise<FaceCheckOutcome>;
}

/** Same floor as the upload check for selfies (inspect.ts). */
const MIN_SELFIE_SIDE = 480;
/** Portrait or landscape are both fine; a strip or a panorama is not a selfie. */
const MAX_ASPECT_RATIO = 2.5;
const PHOTO_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp']);

const RETRY_MESSAGES: Record<FaceCheckRetryReason, string> = {
  document_front_missing: 'Please upload a photo of the front of your document first, then take your selfie.',
  document_front_no_face:
    'We couldn’t find the photo of your face on the front of your document. Upload a sharp, well-lit photo of the whole front, with the portrait photo clearly visible and no glare on it.',
  selfie_no_face: 'We couldn’t find a face in this selfie. Take it again looking at the camera, with your whole face in the frame and nothing covering it.',
  selfie_several_faces: 'We can see more than one face in this selfie. Take it again with only you in the picture.',
  selfie_not_a_photo: 'Your selfie needs to be a photo. Take one with your camera and upload it as a JPEG, PNG or WebP file.',
  selfie_too_small: 'This selfie is too small for us to see your face clearly. Take a new one with your face filling most of the frame.',
  selfie_framing: 'This picture is cropped too narrowly to be a selfie. Take a normal photo of your face and shoulders.',
  selfie_too_dark: 'Your selfie is too dark for us to see your face. Face a window or a lamp and take it again.',
  selfie_too_bright: 'Your selfie is washed out. Move away from direct light or turn the flash off, and take it again.',
  selfie_blank: 'Your selfie looks almost blank. Make sure your face is in the picture and the lens is not covered.',
};

function retry(reason: FaceCheckRetryReason): FaceCheckOutcome {
  return { status: 'retry', reason, message: RETRY_MESSAGES[reason] };
}

/** A retry outcome with its message, for other FaceCheck providers. */
export const faceCheckRetry = retry;

/** The default FaceCheck: usability checks, then manual comparison by an agent. */
export const manualReviewFaceCheck: FaceCheck = {
  async check({ selfie, documentFront }) {
    if (!documentFront) return retry('document_front_missing');
    if (!PHOTO_TYPES.has(selfie.mimeType)) return retry('selfie_not_a_photo');
    let width: number;
    let height: number;
    try {
      // The pixels decide, not the width and height the caller passed along.
      const metadata = await sharp(selfie.data, { failOn: 'warning' }).metadata();
      if (!metadata.autoOrient.width || !metadata.autoOrient.height) return retry('selfie_not_a_photo');
      ({ width, height } = metadata.autoOrient);
    } catch {
      return retry('selfie_not_a_photo');
    }
    if (Math.min(width, height) < MIN_SELFIE_SIDE) return retry('selfie_too_small');
    if (Math.max(width, height) / Math.min(width, height) > MAX_ASPECT_RATIO) return retry('selfie_framing');
    let problems: Awaited<ReturnType<typeof measureQuality>>['problems'];
    try {
      ({ problems } = await measureQuality(selfie.data));
    } catch {
      return retry('selfie_not_a_photo');
    }
    if (problems.includes('too_dark')) return retry('selfie_too_dark');
    if (problems.includes('too_bright')) return retry('selfie_too_bright');
    if (problems.includes('nearly_blank')) return retry('selfie_blank');
    return { status: 'ready_for_review' };
  },
};

/** Face-check attempts are limited to 5, then a 30-minute wait is shown with the time it ends (docs/recovery-policy.md). */
export const FACE_CHECK_MAX_ATTEMPTS = 5;
export const FACE_CHECK_LOCK_MINUTES = 30;

export type FaceCheckAttempt = {
  outcome: FaceCheckOutcome;
  /** Failed attempts in the current round, this one included. */
  attemptsUsed: number;
  attemptsLeft: number;
  /** Set when this attempt used the last try: no more until then. */
  lockedUntil: Date | null;
};

/**
 * A missing document front is a step done out of order, not a try at the face check, so it does
 * not use up an attempt (it is still refused while the check is locked). A front on which no face
 * photo can be found is the same: the front needs redoing, not the selfie.
 */
function countsAsFailure(outcome: FaceCheckOutcome) {
  return outcome.status === 'retry' && outcome.reason !== 'document_front_missing' && outcome.reason !== 'document_front_no_face';
}

/**
 * Records the outcome of one face check and enforces the limit in the database. Each attempt is a
 * single conditional UPDATE: PostgreSQL applies concurrent updates of the ticket row one after
 * another and re-checks the condition against the row as the previous one left it, so however many
 * attempts arrive together, no more than five failures are recorded before the lock is set, and
 * every later one is refused. A lock whose time has passed is cleared by the next attempt, which
 * starts a new round.
 */
export async function recordFaceCheckAttempt(input: { db: Db; ticketId: string; outcome: FaceCheckOutcome; now: Date }): Promise<FaceCheckAttempt> {
  const { db, ticketId, outcome, now } = input;
  if (!isUuid(ticketId)) throw ticketGone();
  const lockUntil = new Date(now.getTime() + FACE_CHECK_LOCK_MINUTES * 60_000);

  const rows = countsAsFailure(outcome)
    ? await db.$queryRaw<CounterRow[]>`
        UPDATE "RecoveryTicket" SET
          "faceCheckAttempts" = CASE WHEN "faceCheckLockedUntil" IS NOT NULL THEN 1 ELSE "faceCheckAttempts" + 1 END,
          "faceCheckLockedUntil" = CASE
            WHEN (CASE WHEN "faceCheckLockedUntil" IS NOT NULL THEN 1 ELSE "faceCheckAttempts" + 1 END) >= ${FACE_CHECK_MAX_ATTEMPTS}
            THEN ${lockUntil}::timestamp(3) ELSE NULL END,
          "updatedAt" = ${now}::timestamp(3)
        WHERE "id" = ${ticketId}::uuid AND ("faceCheckLockedUntil" IS NULL OR "faceCheckLockedUntil" <= ${now}::timestamp(3))
        RETURNING "faceCheckAttempts", "faceCheckLockedUntil"`
    : await db.$queryRaw<CounterRow[]>`
        UPDATE "RecoveryTicket" SET
          "faceCheckAttempts" = CASE WHEN "faceCheckLockedUntil" IS NOT NULL THEN 0 ELSE "faceCheckAttempts" END,
          "faceCheckLockedUntil" = NULL
        WHERE "id" = ${ticketId}::uuid AND ("faceCheckLockedUntil" IS NULL OR "faceCheckLockedUntil" <= ${now}::timestamp(3))
        RETURNING "faceCheckAttempts", "faceCheckLockedUntil"`;

  const row = rows[0];
  if (!row) {
    const ticket = await db.recoveryTicket.findUnique({ where: { id: ticketId }, select: { faceCheckLockedUntil: true } });
    if (!ticket) throw ticketGone();
    // Locked by this or a concurrent request; the UPDATE's condition is what decided it.
    throw faceCheckLocked(ticket.faceCheckLockedUntil ?? lockUntil, now);
  }
  return {
    outcome,
    attemptsUsed: row.faceCheckAttempts,
    attemptsLeft: Math.max(0, FACE_CHECK_MAX_ATTEMPTS - row.faceCheckAttempts),
    lockedUntil: row.faceCheckLockedUntil,
  };
}

/** For the upload page: how many tries are left, or until when the check is paused. */
export async function getFaceCheckStatus(input: { db: Db; ticketId: string; now: Date }): Promise<{ attemptsLeft: number; lockedUntil: Date | null }> {
  if (!isUuid(input.ticketId)) throw ticketGone();
  const ticket = await input.db.recoveryTicket.findUnique({
    where: { id: input.ticketId },
    select: { faceCheckAttempts: true, faceCheckLockedUntil: true },
  });
  if (!ticket) throw ticketGone();
  const locked = ticket.faceCheckLockedUntil;
  if (locked && locked > input.now) return { attemptsLeft: 0, lockedUntil: locked };
  // A lock that has run out means a fresh round, as the next attempt will record it.
  if (locked) return { attemptsLeft: FACE_CHECK_MAX_ATTEMPTS, lockedUntil: null };
  return { attemptsLeft: Math.max(0, FACE_CHECK_MAX_ATTEMPTS - ticket.faceCheckAttempts), lockedUntil: null };
}

type CounterRow = { faceCheckAttempts: number; faceCheckLockedUntil: Date | null };

function ticketGone() {
  return new AppError({ code: 'not_found', userMessage: 'We couldn’t find this recovery request. Please start again.' });
}

function faceCheckLocked(until: Date, now: Date) {
  return new AppError({
    code: 'rate_limited',
    userMessage: `You’ve used all ${FACE_CHECK_MAX_ATTEMPTS} tries of the face check. For your security, you can try again at ${utcTime(until)}.`,
    internalMessage: 'Face check locked',
    retryAfterSeconds: Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000)),
  });
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * "14:30 UTC on 1 May 2026": spelled out rather than locale-formatted so it reads the same on any
 * server, in UTC because that is how times are recorded and shown to support staff (rule 20).
 */
function utcTime(exact: Date) {
  // Rounded up to the minute: "try again at 14:30" must never be a moment that is still refused.
  const date = new Date(Math.ceil(exact.getTime() / 60_000) * 60_000);
  const hh = String(date.getUTCHours()).padStart(2, '0');
  const mm = String(date.getUTCMinutes()).padStart(2, '0');
  return `${hh}:${mm} UTC on ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}
