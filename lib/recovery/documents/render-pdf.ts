import { createRequire } from 'node:module';
import path from 'node:path';
import { createCanvas } from '@napi-rs/canvas';

/**
 * Turns a PDF scan into page images (docs/security.md rule 29: files reach agents as pixels). Whatever a
 * PDF carries (scripts, links, open actions, forms, attachments) lives in its objects, not in the
 * pixels of its pages, so drawing each page and keeping only the picture leaves nothing that can
 * act. The PDF itself is never stored or served.
 *
 * PDF.js (Mozilla's renderer, maintained, used by Firefox) draws onto a Skia canvas from a prebuilt
 * npm package. It is run with everything that could execute or fetch switched off: no eval for
 * fonts, no XFA, no font loading into a document, no network (the bytes are passed in).
 */

/** A scan of a card's front and back needs one or two pages; a handful covers a passport. */
export const MAX_PDF_PAGES = 5;
/**
 * Longer side of a rendered page, in pixels: about 240 dpi for an A4 or Letter page, enough to read
 * the small print on an ID card scanned on a full page, and at most 4 megapixels of canvas per page.
 */
export const PDF_RENDER_SIDE = 2000;
/** For the whole document (loading and every page); a plain scan renders in well under a second a page. */
export const PDF_RENDER_TIMEOUT_MS = 10_000;

/**
 * The fonts, character maps and image decoders PDF.js needs come from its own package on disk, never
 * from the network. Resolved from the project directory at run time: the server bundler rewrites
 * `createRequire(import.meta.url).resolve` into a module number, which is no path.
 */
function pdfjsAssets() {
  const root = path.dirname(createRequire(path.join(process.cwd(), 'package.json')).resolve('pdfjs-dist/package.json'));
  return {
    standardFontDataUrl: `${path.join(root, 'standard_fonts')}/`,
    cMapUrl: `${path.join(root, 'cmaps')}/`,
    cMapPacked: true,
    wasmUrl: `${path.join(root, 'wasm')}/`,
    iccUrl: `${path.join(root, 'iccs')}/`,
  };
}

export type RenderedPdf = { ok: true; pages: Buffer[] } | { ok: false; reason: 'pdf_too_many_pages' | 'pdf_unrenderable' | 'pdf_encrypted' };

export async function renderPdfPages(bytes: Buffer, options: { timeoutMs?: number } = {}): Promise<RenderedPdf> {
  // Imported on first use: PDF.js is large and only PDF uploads need it.
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const loading = getDocument({
    // A copy: PDF.js transfers the buffer it is given.
    data: new Uint8Array(bytes),
    ...pdfjsAssets(),
    isEvalSupported: false,
    enableXfa: false,
    disableFontFace: true,
    useSystemFonts: false,
    isOffscreenCanvasSupported: false,
    disableAutoFetch: true,
    disableStream: true,
    stopAtErrors: true,
    verbosity: 0,
  });

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs ?? PDF_RENDER_TIMEOUT_MS);
  });
  let cancelPage: (() => void) | undefined;

  const work = async (): Promise<RenderedPdf> => {
    const document = await loading.promise;
    if (document.numPages > MAX_PDF_PAGES) return { ok: false, reason: 'pdf_too_many_pages' };
    const pages: Buffer[] = [];
    for (let number = 1; number <= document.numPages; number++) {
      const page = await document.getPage(number);
      const natural = page.getViewport({ scale: 1 });
      const longer = Math.max(natural.width, natural.height);
      if (!(longer > 0)) return { ok: false, reason: 'pdf_unrenderable' };
      const viewport = page.getViewport({ scale: PDF_RENDER_SIDE / longer });
      const canvas = createCanvas(Math.max(1, Math.round(viewport.width)), Math.max(1, Math.round(viewport.height)));
      const context = canvas.getContext('2d');
      // A page is paper: what the PDF leaves transparent is white.
      context.fillStyle = '#ffffff';
      context.fillRect(0, 0, canvas.width, canvas.height);
      // PDF.js types its canvas as the DOM's; the Skia canvas implements the part it uses.
      const task = page.render({ canvas: canvas as unknown as HTMLCanvasElement, canvasContext: context as unknown as CanvasRenderingContext2D, viewport });
      cancelPage = () => task.cancel();
      await task.promise;
      pages.push(await canvas.encode('png'));
      page.cleanup();
    }
    return { ok: true, pages };
  };

  try {
    const working = work();
    // After a timeout the abandoned render may still fail; that is expected, not an unhandled error.
    working.catch(() => undefined);
    const outcome = await Promise.race([working, timedOut]);
    if (outcome === 'timeout') return { ok: false, reason: 'pdf_unrenderable' };
    return outcome;
  } catch (error) {
    if (error instanceof Error && error.name === 'PasswordException') return { ok: false, reason: 'pdf_encrypted' };
    return { ok: false, reason: 'pdf_unrenderable' };
  } finally {
    clearTimeout(timer);
    cancelPage?.();
    // Frees the parsed document and stops any work still running after a timeout.
    await loading.destroy().catch(() => undefined);
  }
}
