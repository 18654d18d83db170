import sharp from 'sharp';

/**
 * Simple, honest photo-quality measures used to help the person retake a bad photo: each image
 * is previewed with its check result, so it can be fixed and retried. They describe light and
 * contrast only; nothing here recognises a document or a face, and nothing claims to.
 */
export type QualityProblem = 'too_dark' | 'too_bright' | 'nearly_blank';

export type QualityMeasure = {
  /** Mean brightness on 0-255 (greyscale, as the file stores it). */
  brightness: number;
  /** Standard deviation of brightness: how much detail there is at all. */
  contrast: number;
  problems: QualityProblem[];
};

/** A photo of a covered lens or taken in the dark. */
const TOO_DARK_BELOW = 35;
/** Washed out: glare or a flash straight at a laminated card. */
const TOO_BRIGHT_ABOVE = 235;
/** Close to one flat colour: a blank sheet, a wall, a black frame. */
const NEARLY_BLANK_BELOW = 10;
/** A thumbnail is plenty for averages and keeps this cheap on large photos. */
const SAMPLE_SIDE = 256;

/** Measures an already re-encoded image (the output of inspectUpload, so never an untrusted file). */
export async function measureQuality(data: Buffer): Promise<QualityMeasure> {
  const pixels = await sharp(data, { failOn: 'error' })
    .resize(SAMPLE_SIDE, SAMPLE_SIDE, { fit: 'inside' })
    .flatten({ background: '#ffffff' })
    .greyscale()
    .raw()
    .toBuffer();
  let sum = 0;
  for (const value of pixels) sum += value;
  const brightness = sum / pixels.length;
  let squares = 0;
  for (const value of pixels) squares += (value - brightness) ** 2;
  const contrast = Math.sqrt(squares / pixels.length);

  const problems: QualityProblem[] = [];
  if (brightness < TOO_DARK_BELOW) problems.push('too_dark');
  else if (brightness > TOO_BRIGHT_ABOVE) problems.push('too_bright');
  if (contrast < NEARLY_BLANK_BELOW) problems.push('nearly_blank');
  return { brightness, contrast, problems };
}
