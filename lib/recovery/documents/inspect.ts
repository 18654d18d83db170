import sharp, { type Metadata, type OutputInfo } from 'sharp';
import type { DocumentKind } from '@/lib/db/generated/client';
import { sniffType, type SniffedType } from './detect';
import { decodePool, type DecodePool } from './decode-pool';
import type { FaceMatchResult } from './face-check';
import { checkPdf } from './pdf';
import { measureQuality, type QualityProblem } from './quality';
import { MAX_PDF_PAGES, renderPdfPages } from './render-pdf';

// Decoded identity photos must not linger in sharp's in-process cache after a request (rule 19).
sharp.cache(false);

/**
 * Checks one uploaded file and turns it into the bytes we keep (docs/security.md rule 18; docs/recovery-policy.md,
 * "Identity documents"). Every decision comes from the content. Images are decoded and written out anew,
 * which drops everything that is not pixels: EXIF (GPS position, device serials), XMP, ICC
 * profiles, comments, and whatever was appended after the image. The original bytes of an image
 * are never returned, so they can never be stored.
 */

/** "10 MB" read as 10 MiB, the way phones and file pickers count it. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
/** Pixel-flood guard (rule 18: "e.g. > 50 megapixels"), checked from the header before decoding. */
export const MAX_PIXELS = 50_000_000;
/**
 * Decompression-bomb guard (rule 18), also from the header before decoding: decoding costs CPU per
 * pixel, not per byte, so a 47 KB PNG that unpacks to 49 megapixels costs as much as a 20 MB one.
 * Up to FREE_PIXELS (a 16-megapixel phone photo) any file size is fine, since a blank or dark photo
 * compresses very well and is only a reason to retake (see quality.ts). Beyond that, every
 * MAX_PIXELS_PER_BYTE pixels need a byte of file. Measured on the fixtures in tests/support/images.ts:
 * camera-like JPEG/WebP photos carry 5-7 pixels per byte, a photo-like PNG scan well under 1, and
 * even a perfectly white 300-dpi A4 PNG (8.7 MP) about 260, which the allowance covers. A 49 MP PNG
 * of 47 KB carries about 1,000.
 */
export const FREE_PIXELS = 16_000_000;
export const MAX_PIXELS_PER_BYTE = 32;
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
  | 'too_compressed'
  | 'pdf_too_many_pages'
  | 'pdf_unrenderable'
  | 'too_small';

/** Something worth retaking, but not a reason to refuse the file. */
export type DocumentWarning = { code: QualityProblem; message: string };

/**
 * What is stored in TicketDocument.checkResult and shown back with the preview. `source` says that
 * the image is one rendered page of an uploaded PDF (rule 29: the PDF itself is not kept).
 */
export type DocumentCheckResult = {
  ok: true;
  problems: DocumentWarning[];
  source?: { format: 'pdf'; page: number; pages: number };
  /**
   * On a selfie, when the local face match ran (face-match.ts): its outcome, distance, threshold
   * and model version, and which document front it was compared with. Never a descriptor.
   */
  faceMatch?: FaceMatchResult & { documentFrontId: string };
};

/** Only images are ever stored: photos re-encoded, PDFs rendered page by page (rule 29). */
export type StoredMimeType = 'image/jpeg' | 'image/png';

declare const inspectedBrand: unique symbol;
/**
 * A file that went through inspectUpload. Only inspectUpload makes one, and storeDocument takes
 * nothing else, so unchecked bytes cannot reach storage by mistake.
 */
export type InspectedFile = {
  readonly mimeType: StoredMimeType;
  readonly width: number;
  readonly height: number;
  readonly data: Buffer;
  readonly [inspectedBrand]: true;
};

/**
 * `image` is the file to store; a PDF gives one image per page in `pages` (a photo gives one), each
 * with its own check result, and `image`/`checkResult` are its first page.
 */
export type InspectedPage = { image: InspectedFile; checkResult: DocumentCheckResult };
export type Inspection =
  | { ok: true; image: InspectedFile; checkResult: DocumentCheckResult; pages: InspectedPage[] }
  | { ok: false; reason: DocumentProblem; message: string };

export type InspectUploadInput = {
  bytes: Buffer;
  kind: DocumentKind;
  /**
   * The file name as sent. Deliberately not used to decide anything (rule 18: content, not name);
   * accepted so callers can pass what they have without it mattering.
   */
  declaredName?: string | undefined;
  /** The bounded pool decodes run in; the process-wide one unless a test passes its own. */
  pool?: DecodePool | undefined;
};

const PDF_KINDS: ReadonlySet<DocumentKind> = new Set(['ID_FRONT', 'ID_BACK']);
const EXPECTED_FORMAT: Record<'jpeg' | 'png' | 'webp' | 'heic', Metadata['format']> = { jpeg: 'jpeg', png: 'png', webp: 'webp', heic: 'heif' };

export async function inspectUpload(input: InspectUploadInput): Promise<Inspection> {
  const { bytes, kind } = input;
  const pool = input.pool ?? decodePool;
  if (bytes.length === 0) return refuse('empty', kind);
  if (bytes.length > MAX_UPLOAD_BYTES) return refuse('too_large', kind);

  const type = sniffType(bytes);
  if (type === 'unknown') return refuse('unsupported_type', kind);
  if (type === 'pdf') return inspectPdf(bytes, kind, pool);
  return inspectImage(bytes, type, kind, pool);
}

/**
 * Rule 29: a PDF is rendered to page images and only those are kept. The structural check runs
 * first as a cheap early refusal with a clearer message (encryption, attachments, polyglots); it is
 * not what keeps agents safe, since it cannot see everything (e.g. predictor-encoded streams). The
 * rendering is: whatever the PDF carries, the agent only ever gets pixels.
 */
async function inspectPdf(bytes: Buffer, kind: DocumentKind, pool: DecodePool): Promise<Inspection> {
  if (!PDF_KINDS.has(kind)) return refuse('pdf_not_allowed', kind);
  const verdict = checkPdf(bytes);
  if (!verdict.ok) return refuse(verdict.reason, kind);

  return pool.run(async () => {
    const rendered = await renderPdfPages(bytes);
    if (!rendered.ok) return refuse(rendered.reason, kind);
    const pages: InspectedPage[] = [];
    for (const [index, pagePng] of rendered.pages.entries()) {
      // The rendered page goes through the same re-encoding as a photo: a fresh file, no metadata.
      let encoded: Awaited<ReturnType<typeof reencode>>;
      try {
        encoded = await reencode(pagePng, true);
      } catch {
        return refuse('pdf_unrenderable', kind);
      }
      if (Math.min(encoded.info.width, encoded.info.height) < MIN_SHORT_SIDE[kind]) return refuse('too_small', kind);
      const quality = await measureQuality(encoded.data);
      pages.push({
        image: inspected({ mimeType: encoded.mimeType, width: encoded.info.width, height: encoded.info.height, data: encoded.data }),
        checkResult: {
          ok: true,
          problems: quality.problems.map((code) => ({ code, message: WARNING_MESSAGES[code] })),
          source: { format: 'pdf', page: index + 1, pages: rendered.pages.length },
        },
      });
    }
    return { ok: true, image: pages[0]!.image, checkResult: pages[0]!.checkResult, pages };
  });
}

async function inspectImage(bytes: Buffer, type: Exclude<SniffedType, 'pdf' | 'unknown'>, kind: DocumentKind, pool: DecodePool): Promise<Inspection> {
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
  const pixels = metadata.width * metadata.height;
  if (pixels > MAX_PIXELS) return refuse('too_many_pixels', kind);
  if (pixels > FREE_PIXELS && pixels > bytes.length * MAX_PIXELS_PER_BYTE) return refuse('too_compressed', kind);
  if (Math.min(metadata.width, metadata.height) < MIN_SHORT_SIDE[kind]) return refuse('too_small', kind);

  return pool.run(async () => {
    let encoded: { data: Buffer; info: OutputInfo; mimeType: 'image/jpeg' | 'image/png' };
    try {
      encoded = await reencode(bytes, type === 'png');
    } catch (error) {
      if (error instanceof Error && /pixel limit/i.test(error.message)) return refuse('too_many_pixels', kind);
      return refuse(unreadable, kind);
    }

    const quality = await measureQuality(encoded.data);
    const image = inspected({ mimeType: encoded.mimeType, width: encoded.info.width, height: encoded.info.height, data: encoded.data });
    const checkResult: DocumentCheckResult = { ok: true, problems: quality.problems.map((code) => ({ code, message: WARNING_MESSAGES[code] })) };
    return { ok: true, image, checkResult, pages: [{ image, checkResult }] };
  });
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
    case 'too_compressed':
      return 'This image is unusually large for the size of its file, so we can’t process it. Please upload the original photo from your camera or scanner.';
    case 'pdf_too_many_pages':
      return `This PDF has more than ${MAX_PDF_PAGES} pages. Please upload only the pages that show the document, or a photo of it.`;
    case 'pdf_unrenderable':
      return "We couldn't open this PDF to turn it into pictures for review. Please upload a photo of the document instead (JPEG, PNG or WebP).";
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
