import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

/**
 * Test images made on the spot with sharp, and hand-built files for the cases sharp will not write
 * (a PNG that only claims its size, PDFs with and without active content).
 */

/**
 * A photo-like image: broad light and dark areas (what a thumbnail still shows) plus grain, so it is
 * neither dark nor blank and does not compress to nothing. Deterministic for a given size.
 */
export function photo(width: number, height: number, options: { mean?: number; spread?: number } = {}) {
  const mean = options.mean ?? 128;
  const spread = options.spread ?? 70;
  const pixels = Buffer.alloc(width * height * 3);
  let seed = (width * 7919 + height) >>> 0;
  const random = () => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const shade = mean + spread * Math.sin(x / 41) * Math.cos(y / 57);
      for (let c = 0; c < 3; c++) {
        pixels[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(shade + (c - 1) * 6 + (random() - 0.5) * spread * 0.5)));
      }
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } });
}

export function solid(width: number, height: number, colour: string) {
  return sharp({ create: { width, height, channels: 3, background: colour } });
}

export const jpeg = (width: number, height: number) => photo(width, height).jpeg().toBuffer();
export const png = (width: number, height: number) => photo(width, height).png().toBuffer();
export const webp = (width: number, height: number) => photo(width, height).webp().toBuffer();

/**
 * The tag numbers in IFD0 of an EXIF block as sharp returns it ("Exif\0\0" + TIFF). 0x8825 is the
 * pointer to the GPS IFD, 0x010e the image description.
 */
export function exifIfd0Tags(exif: Buffer): number[] {
  const tiff = exif.subarray(exif.indexOf('Exif\0\0', 0, 'latin1') + 6);
  const little = tiff.toString('latin1', 0, 2) === 'II';
  const u16 = (at: number) => (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const ifd0 = u32(4);
  const count = u16(ifd0);
  return Array.from({ length: count }, (_, i) => u16(ifd0 + 2 + i * 12));
}

/**
 * A PNG whose header says width x height but which carries almost no pixel data: anything that
 * decoded it would fail as truncated, so a refusal for size proves the header alone decided.
 */
export function pngClaimingSize(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  // One row of filter bytes and zeros: a sliver of the image the header promises.
  const idat = deflateSync(Buffer.alloc(1 + width * 3));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function pngChunk(type: string, data: Buffer) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A small, well-formed one-page PDF. `catalogExtra` goes into the document catalog, `objects` are
 * added after the page (numbered from 4, as raw "<< ... >>" or "<< ... >>\nstream\n...\nendstream").
 */
export function pdf(options: { catalogExtra?: string; objects?: (string | Buffer)[]; trailerExtra?: string } = {}): Buffer {
  const bodies: (string | Buffer)[] = [
    `<< /Type /Catalog /Pages 2 0 R ${options.catalogExtra ?? ''}>>`,
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>',
    ...(options.objects ?? []),
  ];
  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  const offsets: number[] = [];
  let length = parts[0]!.length;
  bodies.forEach((body, index) => {
    offsets.push(length);
    const chunk = Buffer.concat([
      Buffer.from(`${index + 1} 0 obj\n`, 'latin1'),
      typeof body === 'string' ? Buffer.from(body, 'latin1') : body,
      Buffer.from('\nendobj\n', 'latin1'),
    ]);
    parts.push(chunk);
    length += chunk.length;
  });
  const xref =
    `xref\n0 ${bodies.length + 1}\n0000000000 65535 f \n` +
    offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('') +
    `trailer\n<< /Size ${bodies.length + 1} /Root 1 0 R ${options.trailerExtra ?? ''}>>\nstartxref\n${length}\n%%EOF\n`;
  parts.push(Buffer.from(xref, 'latin1'));
  return Buffer.concat(parts);
}

/** An object stream (PDF 1.5) holding `objects`, deflated: dictionaries a plain byte scan cannot see. */
export function objectStream(objects: string): Buffer {
  const header = '5 0 ';
  const data = deflateSync(Buffer.from(header + objects, 'latin1'));
  return Buffer.concat([
    Buffer.from(`<< /Type /ObjStm /N 1 /First ${header.length} /Filter /FlateDecode /Length ${data.length} >>\nstream\n`, 'latin1'),
    data,
    Buffer.from('\nendstream', 'latin1'),
  ]);
}

/**
 * A PDF of `pages` pages, each with a line of text and a filled box, so a rendering shows something.
 * `catalogExtra` and `pageExtra` go into the catalog and every page dictionary. `hidden` objects
 * (numbered by the caller, from 50 up) are put in a predictor-encoded object stream and found
 * through a cross-reference stream, the way PDF 1.5 writers compress their dictionaries.
 */
export function pdfPages(pages: number, options: { catalogExtra?: string; pageExtra?: string; hidden?: { number: number; body: string }[] } = {}): Buffer {
  const content = (n: number) => {
    const text = `BT /F1 36 Tf 72 650 Td (Passport scan, page ${n}) Tj ET 0.1 0.3 0.8 rg 72 120 300 200 re f`;
    return `<< /Length ${text.length} >>\nstream\n${text}\nendstream`;
  };
  // Objects: 1 catalog, 2 pages, 3 font, then per page a page and its content.
  const pageIds = Array.from({ length: pages }, (_, i) => 4 + i * 2);
  const bodies: (string | Buffer)[] = [
    `<< /Type /Catalog /Pages 2 0 R ${options.catalogExtra ?? ''}>>`,
    `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages} >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    ...pageIds.flatMap((id, i) => [
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${id + 1} 0 R /Resources << /Font << /F1 3 0 R >> >> ${options.pageExtra ?? ''}>>`,
      content(i + 1),
    ]),
  ];

  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let length = parts[0]!.length;
  const offsets = new Map<number, number>();
  const add = (number: number, body: string | Buffer) => {
    offsets.set(number, length);
    const chunk = Buffer.concat([Buffer.from(`${number} 0 obj\n`, 'latin1'), typeof body === 'string' ? Buffer.from(body, 'latin1') : body, Buffer.from('\nendobj\n', 'latin1')]);
    parts.push(chunk);
    length += chunk.length;
  };
  bodies.forEach((body, index) => add(index + 1, body));

  const hidden = options.hidden ?? [];
  if (hidden.length === 0) {
    const xref =
      `xref\n0 ${bodies.length + 1}\n0000000000 65535 f \n` +
      [...offsets.values()].map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('') +
      `trailer\n<< /Size ${bodies.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`;
    return Buffer.concat([...parts, Buffer.from(xref, 'latin1')]);
  }

  // ISO 32000-1 §7.5.8: a cross-reference stream; type 1 = offset, type 2 = (object stream, index).
  const streamNumber = bodies.length + 1;
  add(streamNumber, predictorObjectStream(hidden));
  const xrefNumber = streamNumber + 1;
  const xrefOffset = length;
  const size = Math.max(xrefNumber, ...hidden.map((h) => h.number)) + 1;
  const rows = Buffer.alloc(size * 7);
  for (let n = 0; n < size; n++) {
    const at = n * 7;
    const inStream = hidden.findIndex((h) => h.number === n);
    if (n === xrefNumber) {
      rows[at] = 1;
      rows.writeUInt32BE(xrefOffset, at + 1);
    } else if (offsets.has(n)) {
      rows[at] = 1;
      rows.writeUInt32BE(offsets.get(n)!, at + 1);
    } else if (inStream >= 0) {
      rows[at] = 2;
      rows.writeUInt32BE(streamNumber, at + 1);
      rows.writeUInt16BE(inStream, at + 5);
    } else {
      rows.writeUInt16BE(n === 0 ? 65535 : 0, at + 5);
    }
  }
  const xrefData = deflateSync(rows);
  add(
    xrefNumber,
    Buffer.concat([
      Buffer.from(`<< /Type /XRef /Size ${size} /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /Length ${xrefData.length} >>\nstream\n`, 'latin1'),
      xrefData,
      Buffer.from('\nendstream', 'latin1'),
    ]),
  );
  return Buffer.concat([...parts, Buffer.from(`startxref\n${xrefOffset}\n%%EOF\n`, 'latin1')]);
}

/**
 * An object stream whose data is Flate-compressed after a PNG "Sub" predictor (ISO 32000-1
 * §7.4.4.4, /DecodeParms << /Predictor 11 >>): once inflated, the bytes are differences between
 * neighbours, so a scan that inflates without undoing the predictor sees no names at all, while a
 * reader sees the dictionaries.
 */
export function predictorObjectStream(entries: { number: number; body: string }[]): Buffer {
  let header = '';
  let bodies = '';
  for (const entry of entries) {
    header += `${entry.number} ${bodies.length} `;
    bodies += `${entry.body}\n`;
  }
  const raw = Buffer.from(header + bodies, 'latin1');
  // One row as wide as the data: filter byte 1 (Sub), then each byte minus the one before it.
  const row = Buffer.alloc(raw.length + 1);
  row[0] = 1;
  for (let i = 0; i < raw.length; i++) row[i + 1] = (raw[i]! - (i > 0 ? raw[i - 1]! : 0)) & 0xff;
  const data = deflateSync(row);
  return Buffer.concat([
    Buffer.from(
      `<< /Type /ObjStm /N ${entries.length} /First ${header.length} /Filter /FlateDecode /DecodeParms << /Predictor 11 /Columns ${raw.length} >> /Length ${data.length} >>\nstream\n`,
      'latin1',
    ),
    data,
    Buffer.from('\nendstream', 'latin1'),
  ]);
}
