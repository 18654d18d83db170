import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { DocumentKind } from '@/lib/db/generated/client';
import { attachTicketDocument, inspectUpload, MAX_PDF_PAGES, PDF_RENDER_SIDE, readDocument } from '@/lib/recovery/documents';
import { checkPdf } from '@/lib/recovery/documents/pdf';
import { renderPdfPages } from '@/lib/recovery/documents/render-pdf';
import { useTestDatabase } from '../support/db';
import { pdfPages } from '../support/images';

/**
 * docs/security.md rule 29, from the attacker's side: a PDF scan carrying scripts, links or open actions
 * must reach agents as pixels only. Every file here is built by hand so the hostile parts are
 * exactly what the test says they are.
 */
const { db } = await useTestDatabase();
const masterKey = randomBytes(32);
const NOW = new Date('2026-05-01T12:00:00Z');

/** JavaScript run on open, kept where a byte scan of the file cannot see it (see pdfPages). */
const HIDDEN_SCRIPT = pdfPages(1, {
  catalogExtra: '/OpenAction 50 0 R /Names 52 0 R',
  hidden: [
    { number: 50, body: '<< /S /JavaScript /JS (app.launchURL("https://attacker.example/js");) >>' },
    { number: 51, body: '<< /Names [(x) 50 0 R] >>' },
    { number: 52, body: '<< /JavaScript 51 0 R >>' },
  ],
});
/** A link opened as soon as the file is, and a link over the page. */
const URI_ACTIONS = pdfPages(1, {
  catalogExtra: '/OpenAction << /S /URI /URI (https://attacker.example/open) >>',
  pageExtra: '/Annots [<< /Type /Annot /Subtype /Link /Rect [72 72 540 720] /A << /S /URI /URI (https://attacker.example/link) >> >>]',
});

async function createTicket() {
  return db.recoveryTicket.create({
    data: {
      reference: `RG-${randomBytes(5).toString('hex').toUpperCase()}`,
      type: 'FULL_RECOVERY',
      contactEmail: 'person@example.com',
      slaDueAt: new Date(NOW.getTime() + 86_400_000),
    },
  });
}

async function upload(ticketId: string, bytes: Buffer, kind: DocumentKind = 'ID_FRONT') {
  return attachTicketDocument({
    db,
    masterKey,
    ticketId,
    kind,
    file: { size: bytes.length, name: 'scan.pdf', arrayBuffer: async () => new Uint8Array(bytes).buffer },
    ip: '203.0.113.9',
    userAgent: 'vitest',
    now: NOW,
  });
}

/** Every stored document of a ticket, decrypted the way an agent's view would be. */
async function storedFiles(ticketId: string) {
  const rows = await db.ticketDocument.findMany({ where: { ticketId }, orderBy: { createdAt: 'asc' }, select: { id: true, mimeType: true, ciphertext: true, checkResult: true } });
  return Promise.all(
    rows.map(async (row) => ({
      row,
      opened: await readDocument({ db, masterKey, ticketId, documentId: row.id, viewer: { actorType: 'SYSTEM' }, now: NOW }),
    })),
  );
}

const ACTIVE_MARKERS = ['%PDF', '/JavaScript', 'JavaScript', '/JS', '/URI', 'attacker.example', '/OpenAction', 'launchURL'];

function expectPixelsOnly(bytes: Buffer) {
  for (const marker of ACTIVE_MARKERS) expect(bytes.includes(marker), `stored bytes contain ${marker}`).toBe(false);
  const magic = bytes.subarray(0, 4).toString('hex');
  expect(['89504e47', 'ffd8ffe0', 'ffd8ffdb', 'ffd8ffe1', 'ffd8ffee']).toContain(magic);
}

describe('PDF uploads reach agents as pixels (docs/security.md rule 29)', () => {
  it('the hostile files are what they claim: a reader finds the script, and the byte scan does not', async () => {
    // The structural filter alone waves these through, which is why rendering is the boundary.
    expect(checkPdf(HIDDEN_SCRIPT)).toEqual({ ok: true });
    expect(HIDDEN_SCRIPT.includes('JavaScript')).toBe(false);
    expect(checkPdf(URI_ACTIONS)).toEqual({ ok: true });
    const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
    const document = await getDocument({ data: new Uint8Array(HIDDEN_SCRIPT), isEvalSupported: false }).promise;
    expect(await document.getJSActions()).toMatchObject({ OpenAction: [expect.stringContaining('launchURL')] });
    await document.destroy();
  });

  it.each([
    ['JavaScript in a predictor-encoded Flate object stream', HIDDEN_SCRIPT],
    ['a /URI open action and a /URI link', URI_ACTIONS],
  ])('stores %s as page images only, with no PDF bytes anywhere', async (_name, file) => {
    const ticket = await createTicket();
    const outcome = await upload(ticket.id, file);
    expect(outcome.status).toBe('accepted');

    const stored = await storedFiles(ticket.id);
    expect(stored).toHaveLength(1);
    for (const { row, opened } of stored) {
      expect(row.mimeType).toMatch(/^image\/(png|jpeg)$/);
      expect(row.checkResult).toMatchObject({ source: { format: 'pdf', page: 1, pages: 1 } });
      expectPixelsOnly(opened.bytes);
      const metadata = await sharp(opened.bytes).metadata();
      expect(metadata.exif).toBeUndefined();
      expect(metadata.xmp).toBeUndefined();
    }
    // Not in the ciphertext either: nothing was stored as sent and merely encrypted.
    for (const { row } of stored) expect(Buffer.from(row.ciphertext!).includes(file.subarray(0, 64))).toBe(false);
    // Nor in the audit trail.
    const events = await db.auditEvent.findMany({ where: { subjectId: ticket.id }, select: { action: true, data: true } });
    expect(JSON.stringify(events)).not.toMatch(/attacker\.example|JavaScript/);
  });

  it('turns a plain one-page PDF into exactly one image of the page', async () => {
    const inspection = await inspectUpload({ bytes: pdfPages(1), kind: 'ID_BACK' });
    if (!inspection.ok) throw new Error(inspection.message);
    expect(inspection.pages).toHaveLength(1);
    const { image } = inspection;
    expect(image.mimeType).toMatch(/^image\//);
    // 612 x 792 pt scaled so the longer side is PDF_RENDER_SIDE pixels.
    expect([image.width, image.height]).toEqual([Math.round((612 * PDF_RENDER_SIDE) / 792), PDF_RENDER_SIDE]);
    expectPixelsOnly(image.data);
    // The page was drawn, not left blank: the blue box is there.
    const { data, info } = await sharp(image.data).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3));
    const [r, g, b] = at(Math.round((200 / 612) * info.width), Math.round(((792 - 200) / 792) * info.height));
    expect(b!).toBeGreaterThan(150);
    expect(r!).toBeLessThan(80);
    expect(g!).toBeLessThan(120);
  });

  it('stores a two-page scan as two images, one row per page', async () => {
    const ticket = await createTicket();
    expect((await upload(ticket.id, pdfPages(2), 'ID_FRONT')).status).toBe('accepted');
    const stored = await storedFiles(ticket.id);
    expect(stored.map(({ row }) => row.checkResult)).toEqual([
      expect.objectContaining({ source: { format: 'pdf', page: 1, pages: 2 } }),
      expect.objectContaining({ source: { format: 'pdf', page: 2, pages: 2 } }),
    ]);
    for (const { opened } of stored) expectPixelsOnly(opened.bytes);
  });

  it(`refuses a PDF of more than ${MAX_PDF_PAGES} pages, and one that does not render, with a clear message`, async () => {
    const long = await inspectUpload({ bytes: pdfPages(MAX_PDF_PAGES + 1), kind: 'ID_FRONT' });
    expect(long).toMatchObject({ ok: false, reason: 'pdf_too_many_pages', message: expect.stringContaining(`more than ${MAX_PDF_PAGES} pages`) });

    // Header and trailer are there, so the structural check passes, but there is no page tree.
    const broken = Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n', 'latin1');
    expect(checkPdf(broken)).toEqual({ ok: true });
    const result = await inspectUpload({ bytes: broken, kind: 'ID_FRONT' });
    expect(result).toMatchObject({ ok: false, reason: 'pdf_unrenderable', message: expect.stringContaining('photo of the document') });

    const ticket = await createTicket();
    expect(await upload(ticket.id, broken)).toMatchObject({ status: 'refused' });
    expect(await db.ticketDocument.count({ where: { ticketId: ticket.id } })).toBe(0);
  });

  it('gives up on a render that runs past its time limit and refuses the file', async () => {
    expect(await renderPdfPages(pdfPages(MAX_PDF_PAGES), { timeoutMs: 1 })).toEqual({ ok: false, reason: 'pdf_unrenderable' });
    // The same file within the normal limit renders every page.
    const rendered = await renderPdfPages(pdfPages(MAX_PDF_PAGES));
    expect(rendered.ok && rendered.pages.length).toBe(MAX_PDF_PAGES);
  });
});
