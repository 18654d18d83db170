import sharp from 'sharp';

// Decrypted identity photos must not linger in sharp's in-process cache after a request (rule 19).
sharp.cache(false);

/**
 * Stamps who looked and when across the whole image (documents are watermarked with the
 * agent's name and time). A screenshot or a saved copy then names the person it leaked from. The
 * text is tiled diagonally over every part of the picture and half transparent, light letters with
 * a dark outline, so it stays readable on any background without hiding the document.
 */
export async function watermarkImage(options: {
  bytes: Buffer;
  mimeType: 'image/jpeg' | 'image/png';
  text: string;
}): Promise<Buffer> {
  const image = sharp(options.bytes, { failOn: 'error' });
  const { width, height } = await image.metadata();
  if (!width || !height) throw new Error('watermarkImage: the image has no dimensions');
  const overlay = Buffer.from(watermarkSvg(width, height, options.text));
  const stamped = image.composite([{ input: overlay, top: 0, left: 0 }]);
  return options.mimeType === 'image/png' ? stamped.png().toBuffer() : stamped.jpeg({ quality: 85 }).toBuffer();
}

/** The overlay: an SVG the size of the image, filled with a rotated pattern of the text. */
export function watermarkSvg(width: number, height: number, text: string): string {
  const fontSize = Math.max(14, Math.round(Math.min(width, height) / 26));
  const line = escapeXml(text.replace(/\s+/g, ' ').trim().slice(0, 160));
  // Roughly the width of the text in a sans-serif face, plus a gap before it repeats.
  const tileWidth = Math.ceil(line.length * fontSize * 0.62) + fontSize * 3;
  const tileHeight = fontSize * 6;
  const style = `font-family="DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif" font-size="${fontSize}" font-weight="700" fill="#ffffff" fill-opacity="0.4" stroke="#000000" stroke-opacity="0.35" stroke-width="${Math.max(1, Math.round(fontSize / 14))}"`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<defs>
<pattern id="watermark" patternUnits="userSpaceOnUse" width="${tileWidth}" height="${tileHeight}" patternTransform="rotate(-30)">
<text x="0" y="${Math.round(fontSize * 1.3)}" ${style}>${line}</text>
<text x="${Math.round(tileWidth / 2)}" y="${Math.round(fontSize * 4.3)}" ${style}>${line}</text>
<text x="${Math.round(-tileWidth / 2)}" y="${Math.round(fontSize * 4.3)}" ${style}>${line}</text>
</pattern>
</defs>
<rect x="0" y="0" width="${width}" height="${height}" fill="url(#watermark)"/>
</svg>`;
}

function escapeXml(value: string): string {
  return value
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
