import sharp, { type Metadata, type OutputInfo } from 'sharp';
import type { DocumentKind } from '@/lib/db/generated/client';
import { sniffType, type SniffedType } from './detect';
import { checkPdf } from './pdf';
import { measureQuality, type QualityProblem } from './quality';

// Decoded identity photos must not linger in sharp's in-process cache after a request (rule 19).
sharp.cache(false);

/**
 * Checks one uploaded file and turns it into the bytes we keep (security.md rule 18; issue 6,
 * "Documents"). Every decision comes from the content. Images are decoded and written out anew,
 * which drops everything that is not pixels: EXIF (GPS position, device serials), XMP, ICC
 * profiles, comments, and whatever was appended after the image. The original bytes of an image
 * are never returned, so they can never be stored.
 */

/** "10 MB" read as 10 MiB, the way phones and file pickers count it. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
/** Pixel-flood guard (rule 18: "e.g. > 50 megapixels"), checked from the header before decoding. */
export const MAX_PIXELS = 50_000_000;
/** Shorter side, in pixels, below which the text on a card (or a face) cannot be read reliably. */
export const MIN_SHORT_SIDE: Record<DocumentKind, number> = { ID_FRONT: 600, ID_BACK: 600, EXTRA: 600, SELFIE: 480 };
/**
 * Stored images are scaled down to this longer side: a 12-megapixel phone photo (4032 px) keeps
 * every pixel, and a row holding the ciphertext stays a few megabytes however large the upload.
 */
export const MAX_STORED_SIDE = 4096;
const JPEG_QUALITY = 85;

/** Why a file was refused. Each comes with a message the person can act on. */
export type DocumentProblem =
  | 'empty'
  | 'too_large'
  | 'unsupported_type'
  | 'heic_unreadable'
  | 'pdf_not_allowed'
  | 'pdf_active_content'
  | 'pdf_encrypted'
  | 'pdf_uncheckable'
  | 'corrupt'
  | 'too_many_pixels'
  | 'too_small';

/** Something worth retaking, but not a reason to refuse the file. */
export type DocumentWarning = { code: QualityProblem; message: string };

/** What is stored in TicketDocument.checkResult and shown back with the preview. */
export type DocumentCheckResult = { ok: true; problems: DocumentWarning[] };

export type StoredMimeType = 'image/jpeg' | 'image/png' | 'application/pdf';

declare const inspectedBrand: unique symbol;
/**
 * A file that went through inspectUpload. Only inspectUpload makes one, and storeDocument takes
 * nothing else, so unchecked bytes cannot reach storage by mistake.
 */
export type InspectedFile = {
  readonly mimeType: StoredMimeType;
  /** Null for PDFs, which are stored as sent and not rendered here. */
  readonly width: number | null;
  readonly height: number | null;
  readonly data: Buffer;
  readonly [inspectedBrand]: true;
};

export type Inspection =
  | { ok: true; image: InspectedFile; checkResult: DocumentCheckResult }
  | { ok: false; reason: DocumentProblem; message: string };

export type InspectUploadInput = {
  bytes: Buffer;
  kind: DocumentKind;
  /**
   * The file name as sent. Deliberately not used to decide anything (rule 18: content, not name);
   * accepted so callers can pass what they have without it mattering.
   */
  declaredName?: string | undefined;
};

const PDF_KINDS: ReadonlySet<DocumentKind> = new Set(['ID_FRONT', 'ID_BACK']);
const EXPECTED_FORMAT: Record<'jpeg' | 'png' | 'webp' | 'heic', Metadata['format']> = { jpeg: 'jpeg', png: 'png', webp: 'webp', heic: 'heif' };

export async function inspectUpload(input: InspectUploadInput): Promise<Inspection> {
  const { bytes, kind } = input;
  if (bytes.length === 0) return refuse('empty', kind);
  if (bytes.length > MAX_UPLOAD_BYTES) return refuse('too_large', kind);

  const type = sniffType(bytes);
  if (type === 'unknown') return refuse('unsupported_type', kind);
  if (type === 'pdf') return inspectPdf(bytes, kind);
  return inspectImage(bytes, type, kind);
}

function inspectPdf(bytes: Buffer, kind: DocumentKind): Inspection {
  if (!PDF_KINDS.has(kind)) return refuse('pdf_not_allowed', kind);
  const verdict = checkPdf(bytes);
  if (!verdict.ok) return refuse(verdict.reason, kind);
  // PDFs are kept as sent: sharp's prebuilt binaries cannot render them, so there is nothing to
  // re-encode with. That is why the structural check above refuses anything active.
  return {
    ok: true,
    image: inspected({ mimeType: 'application/pdf', width: null, height: null, data: Buffer.from(bytes) }),
    checkResult: { ok: true, problems: [] },
  };
}

async function inspectImage(bytes: Buffer, type: Exclude<SniffedType, 'pdf' | 'unknown'>, kind: DocumentKind): Promise<Inspection> {
  const unreadable = type === 'heic' ? 'heic_unreadable' : 'corrupt';

  // Header only: sharp reads dimensions without decoding pixels, so a small file that claims to
  // be 8000 x 7500 is refused here without the 180 MB of memory it would take to open it.
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: false, failOn: 'warning' }).metadata();
  } catch {
    return refuse(unreadable, kind);
  }
  // sharp chooses its decoder from the content too; both must agree, so a file that merely starts
  // like a JPEG is never handed to some other decoder.
  if (metadata.format !== EXPECTED_FORMAT[type]) return refuse('unsupported_type', kind);
  // Only HEVC-coded HEIF is HEIC; an AVIF under a generic HEIF brand is not on the list (rule 18).
  if (type === 'heic' && metadata.compression !== 'hevc') return refuse('unsupported_type', kind);
  if (!metadata.width || !metadata.height) return refuse('corrupt', kind);
  if (metadata.width * metadata.height > MAX_PIXELS) return refuse('too_many_pixels', kind);
  if (Math.min(metadata.width, metadata.height) < MIN_SHORT_SIDE[kind]) return refuse('too_small', kind);

  let encoded: { data: Buffer; info: OutputInfo; mimeType: 'image/jpeg' | 'image/png' };
  try {
    encoded = await reencode(bytes, type === 'png');
  } catch (error) {
    if (error instanceof Error && /pixel limit/i.test(error.message)) return refuse('too_many_pixels', kind);
    return refuse(unreadable, kind);
  }

  const quality = await measureQuality(encoded.data);
  return {
    ok: true,
    image: inspected({ mimeType: encoded.mimeType, width: encoded.info.width, height: encoded.info.height, data: encoded.data }),
    checkResult: { ok: true, problems: quality.problems.map((code) => ({ code, message: WARNING_MESSAGES[code] })) },
  };
}

/**
 * Decodes the whole image and writes a new file. `failOn: 'warning'` (sharp's advice for untrusted
 * input) makes a truncated or damaged image an error instead of a half-grey picture. The EXIF
 * orientation is applied to the pixels first, because the tag that carried it is about to go.
 * Nothing asks sharp to keep metadata, so none is written.
 */
async function reencode(bytes: Buffer, keepPng: boolean) {
  const pipeline = () =>
    sharp(bytes, { limitInputPixels: MAX_PIXELS, failOn: 'warning', autoOrient: true }).resize(MAX_STORED_SIDE, MAX_STORED_SIDE, {
      fit: 'inside',
      withoutEnlargement: true,
    });
  if (keepPng) {
    // PNG stays PNG: scans and screenshots of text keep sharp edges. If that makes a file larger
    // than anything we accept, JPEG it is.
    const png = await pipeline().png().toBuffer({ resolveWithObject: true });
    if (png.data.length <= MAX_UPLOAD_BYTES) return { ...png, mimeType: 'image/png' as const };
  }
  // JPEG has no transparency; transparent areas become white rather than black.
  const jpeg = await pipeline().flatten({ background: '#ffffff' }).jpeg({ quality: JPEG_QUALITY }).toBuffer({ resolveWithObject: true });
  return { ...jpeg, mimeType: 'image/jpeg' as const };
}

function inspected(file: Omit<InspectedFile, typeof inspectedBrand>): InspectedFile {
  return file as InspectedFile;
}

function refuse(reason: DocumentProblem, kind: DocumentKind): Inspection {
  return { ok: false, reason, message: problemMessage(reason, kind) };
}

/** The words a person sees for each refusal: what happened and what to do next. */
export function problemMessage(reason: DocumentProblem, kind: DocumentKind): string {
  const selfie = kind === 'SELFIE';
  switch (reason) {
    case 'empty':
      return 'This file is empty. Please choose the photo again.';
    case 'too_large':
      return 'This file is larger than 10 MB. Please upload a smaller photo: a normal camera photo is well under that.';
    case 'unsupported_type':
      return PDF_KINDS.has(kind)
        ? "This file isn't a photo we can read. Upload a JPEG, PNG or WebP photo (or a PDF scan of the document)."
        : "This file isn't a photo we can read. Upload a JPEG, PNG or WebP photo.";
    case 'heic_unreadable':
      return "We can't open this HEIC photo. Please upload it as a JPEG: on an iPhone, choose Settings › Camera › Formats › Most Compatible, then take the photo again.";
    case 'pdf_not_allowed':
      return selfie
        ? 'A selfie has to be a photo. Take one with your camera and upload it as a JPEG, PNG or WebP file.'
        : 'Please upload this as a photo (JPEG, PNG or WebP). PDF scans are accepted for the front and back of the document only.';
    case 'pdf_active_content':
      return "This PDF contains scripts, attachments or other active content, so we can't accept it. Upload a photo of the document instead, or a plain scan saved as PDF.";
    case 'pdf_encrypted':
      return "This PDF is password-protected, so we can't open it. Upload a photo of the document instead, or a scan saved without a password.";
    case 'pdf_uncheckable':
      return "We couldn't check this PDF safely. Please upload a photo of the document instead (JPEG, PNG or WebP).";
    case 'corrupt':
      return 'This photo looks incomplete or damaged. Please take it again, or choose the original file from your gallery.';
    case 'too_many_pixels':
      return 'This image has more than 50 megapixels, which is more than we can process. Take the photo in your camera’s standard mode, or upload a smaller copy.';
    case 'too_small':
      return selfie
        ? 'This selfie is too small for us to see your face clearly. Take a new one with your face filling most of the frame.'
        : 'This photo is too small to read. Take it closer, with all four corners visible.';
  }
}

const WARNING_MESSAGES: Record<QualityProblem, string> = {
  too_dark: 'This photo looks very dark. If any details are hard to read, take it again in better light.',
  too_bright: 'This photo looks washed out. If there is glare on the document, tilt it away from the light and take it again.',
  nearly_blank: 'This photo looks almost blank. Check that the document or your face is clearly in the picture.',
};
