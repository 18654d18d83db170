import { createRequire } from 'node:module';
import path from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';

/**
 * Face fixtures for the face match, made at test time from the group photos that ship inside the
 * installed @vladmandic/face-api package (demo/sample1..6.jpg). The package's MIT licence covers its
 * code; who holds the rights to those photos of people is not stated, so no copy or crop of them
 * is committed to this repository: every fixture is cut from the installed file when a test runs.
 *
 * The face positions below were read off once by eye-checking detector output; they are plain
 * numbers here so that making a fixture never depends on the code under test.
 */
const require = createRequire(import.meta.url);
const demoDir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

/** Every sample is 1920 px wide; boxes are given at 1024 px wide and scaled up. */
const SCALE = 1920 / 1024;

export const PEOPLE = {
  s1a: { sample: 1, box: [787, 106, 108, 128] },
  s1c: { sample: 1, box: [221, 189, 94, 128] },
  s4a: { sample: 4, box: [354, 27, 99, 139] },
  s4c: { sample: 4, box: [527, 95, 91, 121] },
  s6a: { sample: 6, box: [793, 139, 113, 159] },
  s6b: { sample: 6, box: [133, 250, 112, 155] },
  s6c: { sample: 6, box: [629, 162, 101, 150] },
} as const;
export type Person = keyof typeof PEOPLE;

export function samplePath(sample: number) {
  return path.join(demoDir, `sample${sample}.jpg`);
}

/** A square around the face, `factor` times its height, in the 1920 px original, kept inside it. */
async function region(person: Person, factor: number) {
  const { sample, box } = PEOPLE[person];
  const [x, y, w, h] = box.map((v) => v * SCALE) as [number, number, number, number];
  const meta = await sharp(samplePath(sample)).metadata();
  const side = Math.round(h * factor);
  const left = Math.max(0, Math.min(meta.width! - side, Math.round(x + w / 2 - side / 2)));
  const top = Math.max(0, Math.min(meta.height! - side, Math.round(y + h / 2 - side / 2)));
  return { left, top, width: Math.min(side, meta.width!), height: Math.min(side, meta.height!) };
}

/** A selfie: head and shoulders of one person, 720 px square, as a phone JPEG. */
export async function selfie(person: Person, options: { brightness?: number; side?: number; quality?: number } = {}): Promise<Buffer> {
  let image = sharp(samplePath(PEOPLE[person].sample)).extract(await region(person, 1.9)).resize(options.side ?? 720, options.side ?? 720);
  if (options.brightness) image = image.modulate({ brightness: options.brightness });
  return image.jpeg({ quality: options.quality ?? 90 }).toBuffer();
}

/**
 * A document front: a pale card with lines of "text" and the person's portrait printed on it, the
 * way an ID card photo is: re-encoded, smaller, and lit differently from the selfie.
 */
export async function documentFront(
  person: Person | null,
  options: { portraitHeight?: number; brightness?: number; quality?: number; cardWidth?: number } = {},
): Promise<Buffer> {
  const cardWidth = options.cardWidth ?? 1200;
  const cardHeight = Math.round(cardWidth * 0.63);
  const portraitHeight = options.portraitHeight ?? Math.round(cardHeight * 0.55);
  const portraitWidth = Math.round(portraitHeight * 0.8);
  const lines = Array.from({ length: 6 }, (_, i) => {
    const width = Math.round(cardWidth * (0.45 - (i % 3) * 0.08));
    return `<rect x="${Math.round(cardWidth * 0.4)}" y="${Math.round(cardHeight * (0.25 + i * 0.1))}" width="${width}" height="${Math.round(cardHeight * 0.035)}" fill="#4a5568"/>`;
  }).join('');
  const card = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${cardWidth}" height="${cardHeight}"><rect width="100%" height="100%" rx="30" fill="#e8eef3"/><rect y="0" width="100%" height="${Math.round(cardHeight * 0.14)}" fill="#2b6cb0"/>${lines}</svg>`,
  );
  const layers: OverlayOptions[] = [];
  if (person) {
    let portrait = sharp(samplePath(PEOPLE[person].sample)).extract(await region(person, 1.5)).resize(portraitWidth, portraitHeight, { fit: 'cover' });
    if (options.brightness) portrait = portrait.modulate({ brightness: options.brightness });
    // Printed on the card: a lossy copy, as the photo on a real card is.
    const printed = await sharp(await portrait.jpeg({ quality: options.quality ?? 60 }).toBuffer()).toBuffer();
    layers.push({ input: printed, left: Math.round(cardWidth * 0.06), top: Math.round(cardHeight * 0.22) });
  }
  return sharp(card).composite(layers).flatten({ background: '#ffffff' }).jpeg({ quality: 85 }).toBuffer();
}

/** A group photo: several people, none of whom fills the frame. */
export async function groupPhoto(sample = 1, width = 1280): Promise<Buffer> {
  return sharp(samplePath(sample)).resize({ width }).jpeg({ quality: 88 }).toBuffer();
}
