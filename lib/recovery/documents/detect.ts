/**
 * What a file is, judged only by its first bytes (docs/security.md rule 18: "detected by content, not
 * name"). The name and the browser's declared type are chosen by whoever sends the file, so they
 * never take part in the decision.
 */
export type SniffedType = 'jpeg' | 'png' | 'webp' | 'heic' | 'pdf' | 'unknown';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * ISO-BMFF brands that mark HEIC (HEVC-coded HEIF) photos, as iPhones and many Android phones write
 * them. `mif1`/`msf1` are generic HEIF brands; whether the pictures inside are HEVC is decided later
 * from sharp's metadata, so an AVIF under a generic brand is not let in by this list.
 */
const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs', 'mif1', 'msf1']);

export function sniffType(bytes: Buffer): SniffedType {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  if (bytes.length >= 12 && ascii(bytes, 4, 8) === 'ftyp' && HEIC_BRANDS.has(ascii(bytes, 8, 12))) return 'heic';
  // The PDF header must be the very first bytes. Readers tolerate junk before it, which is exactly
  // how PDF polyglots (a file that is also HTML, ZIP or an executable) are built, so we do not.
  if (bytes.length >= 5 && ascii(bytes, 0, 5) === '%PDF-') return 'pdf';
  return 'unknown';
}

function ascii(bytes: Buffer, start: number, end: number) {
  return bytes.toString('latin1', start, end);
}
