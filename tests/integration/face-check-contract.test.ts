import { afterAll, describe, expect, it } from 'vitest';
import { createLocalFaceCheck, manualReviewFaceCheck, stopFaceMatcher, type FaceCheck, type FaceCheckOutcome, type ImageInfo } from '@/lib/recovery/documents';
import { documentFront, groupPhoto, selfie } from '../support/faces';
import { photo } from '../support/images';

/**
 * The FaceCheck contract, run against both implementations on the same real images: the
 * quality-only default (manualReviewFaceCheck) and the local matcher (face-match.ts). Both refuse
 * the same unusable selfies with the same words; an outcome is only ever "ready for review" or
 * "retry" with a message; a face match, when one is given, carries its distance, threshold and model
 * version and agrees with them. The default never claims a match it did not compute.
 */
const info = (data: Buffer): ImageInfo => ({ mimeType: 'image/jpeg', width: null, height: null, data });

afterAll(async () => {
  await stopFaceMatcher();
});

function expectWellFormed(outcome: FaceCheckOutcome) {
  if (outcome.status === 'retry') {
    expect(outcome.message.length).toBeGreaterThan(20);
    expect(Object.keys(outcome).sort()).toEqual(['message', 'reason', 'status']);
    return;
  }
  expect(outcome.status).toBe('ready_for_review');
  const match = outcome.faceMatch;
  if (!match) return;
  expect(match.modelVersion).toMatch(/\S/);
  if (match.result === 'unavailable') return;
  expect(Number.isFinite(match.distance)).toBe(true);
  expect(match.distance).toBeGreaterThanOrEqual(0);
  expect(match.result).toBe(match.distance <= match.threshold ? 'similar' : 'not_similar');
  // Nothing but these: no descriptor, no landmarks, no boxes.
  expect(Object.keys(match).sort()).toEqual(['distance', 'modelVersion', 'result', 'threshold']);
}

const implementations: [string, FaceCheck, { detectsFaces: boolean }][] = [
  ['the quality-only default', manualReviewFaceCheck, { detectsFaces: false }],
  ['the local face matcher', createLocalFaceCheck(), { detectsFaces: true }],
];

describe.each(implementations)('%s', (_name, faceCheck, capability) => {
  it('asks for the document front first', async () => {
    const outcome = await faceCheck.check({ selfie: info(await selfie('s1a')) });
    expectWellFormed(outcome);
    expect(outcome).toMatchObject({ status: 'retry', reason: 'document_front_missing' });
  });

  it.each([
    ['too dark', () => photo(720, 960, { mean: 15, spread: 10 }).jpeg().toBuffer(), 'selfie_too_dark'],
    ['too small', () => selfie('s1a', { side: 320 }), 'selfie_too_small'],
    ['not a photo', async () => Buffer.from('not an image at all'), 'selfie_not_a_photo'],
  ] as const)('refuses a selfie that is %s, with the same reason', async (_label, make, reason) => {
    const outcome = await faceCheck.check({ selfie: info(await make()), documentFront: info(await documentFront('s1a')) });
    expectWellFormed(outcome);
    expect(outcome).toMatchObject({ status: 'retry', reason });
  });

  it('passes a good selfie with a document front on to the agent', async () => {
    const outcome = await faceCheck.check({ selfie: info(await selfie('s6c')), documentFront: info(await documentFront('s6c')) });
    expectWellFormed(outcome);
    expect(outcome.status).toBe('ready_for_review');
    if (capability.detectsFaces) expect(outcome).toMatchObject({ faceMatch: { result: 'similar' } });
    else expect(outcome).toEqual({ status: 'ready_for_review' });
  });

  it('claims only what it can see: several faces are refused by a detector, never matched by the default', async () => {
    const outcome = await faceCheck.check({ selfie: info(await groupPhoto(1)), documentFront: info(await documentFront('s1a')) });
    expectWellFormed(outcome);
    if (capability.detectsFaces) expect(outcome).toMatchObject({ status: 'retry', reason: 'selfie_several_faces' });
    else expect(outcome).toEqual({ status: 'ready_for_review' });
  });
});
