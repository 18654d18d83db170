import { constants, inflateRawSync } from 'node:zlib';

/**
 * A structural check for PDF scans of the document sides (docs/security.md rule 18 allows PDF "for
 * documents"). It is an early refusal with a clear message, not the safety boundary: PDFs are
 * rendered to page images and only the images are kept (rule 29, render-pdf.ts), so whatever this
 * scan misses (a predictor-encoded stream, say) never reaches an agent either. It asks for a real
 * PDF header and trailer, and none of the features that make a PDF run code, open files or carry
 * other files, since a person with a plain scan never needs them.
 *
 * This is a scan, not a full parser: it looks for the names that switch those features on, in the
 * file itself and inside every deflate-compressed stream (object streams can hide dictionaries
 * there). Anything it cannot look inside (encryption, unusual encodings, too much compressed data)
 * is refused rather than waved through.
 */
export type PdfVerdict = { ok: true } | { ok: false; reason: 'corrupt' | 'pdf_encrypted' | 'pdf_active_content' | 'pdf_uncheckable' };

/** Readers accept a little trailing junk after the last %%EOF; more than this is not a plain PDF. */
const EOF_WINDOW = 1024;
/** How much inflated data the scan will look through before giving up (zip-bomb guard). */
const INFLATE_BUDGET = 64 * 1024 * 1024;
/** Compression applied to compression: each level is another place to hide a dictionary. */
const MAX_INFLATE_DEPTH = 3;

/**
 * Names that make a PDF act: scripts (/JavaScript is the action type and the document-level name
 * tree; /JS alone does nothing without it and, being three letters, turns up by chance in image
 * data), launching programs, embedded files, Flash/3D media, XFA forms, sending form data, and
 * jumps into other or embedded files.
 */
const ACTIVE_NAMES = new Set([
  'JavaScript',
  'Launch',
  'EmbeddedFile',
  'EmbeddedFiles',
  'RichMedia',
  'XFA',
  'SubmitForm',
  'ImportData',
  'GoToE',
  'GoToR',
]);

/** Stream encodings the scan cannot look inside; a scanner never needs them for a plain page. */
const OPAQUE_FILTERS = new Set(['ASCIIHexDecode', 'AHx', 'ASCII85Decode', 'A85', 'LZWDecode', 'LZW', 'RunLengthDecode', 'RL', 'Crypt']);

/** A PDF name runs from "/" to the next whitespace or delimiter (ISO 32000-1 §7.3.5). */
const NAME = /\/[^\x00\t\n\f\r ()<>[\]{}/%]*/g;
const STREAM_START = /(?<!end)stream(?:\r\n|\n|\r)/g;

export function checkPdf(bytes: Buffer): PdfVerdict {
  const text = bytes.toString('latin1');
  // The header must open the file (see detect.ts) and the trailer must close it.
  if (!text.startsWith('%PDF-')) return { ok: false, reason: 'corrupt' };
  if (!text.slice(-EOF_WINDOW).includes('%%EOF') || !text.includes('startxref')) return { ok: false, reason: 'corrupt' };

  const split = splitStreams(text, bytes);
  if (!split) return { ok: false, reason: 'corrupt' };
  // Another format wrapped around or inside the PDF body (a PDF/ZIP or PDF/HTML polyglot).
  if (/PK\x03\x04|PK\x05\x06|<\s*(?:script|html|svg|iframe)\b/i.test(split.structure)) {
    return { ok: false, reason: 'pdf_active_content' };
  }

  // Every name in the file, raw stream data included: an uncompressed object stream is plain text.
  const names = namesIn(text);
  let budget = INFLATE_BUDGET;
  for (const stream of split.streams) {
    const inflated = inflateNested(stream, budget, MAX_INFLATE_DEPTH);
    if (inflated === 'uncheckable') return { ok: false, reason: 'pdf_uncheckable' };
    for (const part of inflated) {
      budget -= part.length;
      for (const name of namesIn(part.toString('latin1'))) names.add(name);
    }
  }

  if (names.has('Encrypt')) return { ok: false, reason: 'pdf_encrypted' };
  for (const name of names) {
    if (ACTIVE_NAMES.has(name)) return { ok: false, reason: 'pdf_active_content' };
    if (OPAQUE_FILTERS.has(name)) return { ok: false, reason: 'pdf_uncheckable' };
  }
  return { ok: true };
}

/**
 * Names with their #xx escapes decoded: "/J#61vaScript" is "/JavaScript" to a reader, so it is to
 * us too.
 */
function namesIn(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.matchAll(NAME)) {
    names.add(match[0].slice(1).replace(/#([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))));
  }
  return names;
}

/** The text between streams (dictionaries, xref, trailer) and the raw bytes of each stream. */
function splitStreams(text: string, bytes: Buffer): { structure: string; streams: Buffer[] } | null {
  const structure: string[] = [];
  const streams: Buffer[] = [];
  let cursor = 0;
  STREAM_START.lastIndex = 0;
  for (let match = STREAM_START.exec(text); match; match = STREAM_START.exec(text)) {
    const dataStart = match.index + match[0].length;
    const dataEnd = text.indexOf('endstream', dataStart);
    if (dataEnd === -1) return null;
    structure.push(text.slice(cursor, dataStart));
    streams.push(bytes.subarray(dataStart, dataEnd));
    cursor = dataEnd;
    STREAM_START.lastIndex = dataEnd + 'endstream'.length;
  }
  structure.push(text.slice(cursor));
  return { structure: structure.join('\n'), streams };
}

/**
 * Inflates a stream that starts with a zlib header, and whatever that turns out to hold if it is
 * compressed again. Raw inflate skips the Adler-32 check on purpose: PDF readers ignore a bad
 * checksum, so a scan that stopped at one would miss what a reader shows.
 */
function inflateNested(data: Buffer, budget: number, depth: number): Buffer[] | 'uncheckable' {
  if (!looksLikeZlib(data)) return [];
  if (depth === 0 || budget <= 0) return 'uncheckable';
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(data.subarray(2), { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: budget });
  } catch {
    // Too big for the budget, or damaged in a way we cannot see past: not checkable.
    return 'uncheckable';
  }
  const inner = inflateNested(inflated, budget - inflated.length, depth - 1);
  return inner === 'uncheckable' ? inner : [inflated, ...inner];
}

/** RFC 1950 §2.2: compression method 8 (deflate) and a header that is a multiple of 31. */
function looksLikeZlib(data: Buffer) {
  if (data.length < 2) return false;
  const cmf = data[0]!;
  const flg = data[1]!;
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0 && (flg & 0x20) === 0;
}
