import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import sharp from 'sharp';
import { AppError } from '@/lib/errors';
import { log } from '@/lib/log';
import { decodePool, type DecodePool } from './decode-pool';
import { manualReviewFaceCheck, type FaceCheck, type FaceCheckOutcome, type FaceMatchResult, type ImageInfo, faceCheckRetry } from './face-check';

// Decoded identity photos must not linger in sharp's in-process cache after a request (rule 19).
sharp.cache(false);

/**
 * Face matching that runs on this server (the documents path): is the person in the selfie the
 * person on the document front? Nothing leaves the deployment: the models ship inside the
 * @vladmandic/face-api npm package and run on TensorFlow.js's WebAssembly backend in a worker thread.
 *
 * What it is: an aid for the agent, never a decision. The person is refused only for things they can
 * fix at once (no face or several faces in the selfie, no face found on the document front). A
 * "not similar" result does not refuse the selfie, approve nothing and reject nothing: it is shown to
 * the agent beside the two faces, with the distance and the threshold, and the agent decides.
 *
 * What is kept: the outcome, the distance, the threshold and the model version (in the selfie's
 * check result). The 128-number descriptors exist only in memory for one check and are never stored
 * or logged. The face crops the agent sees are cut on demand from the stored, already retained
 * document images (locateFace), so they go when the documents go.
 */

/** Named in every stored outcome, so a later model change does not mix distances of two models. */
export const FACE_MATCH_MODEL_VERSION = 'face-api-1.7.15/ssd-mobilenetv1+landmark68+recognition128';

/**
 * Euclidean distance between descriptors at or below which two faces count as "similar". The
 * library's authors suggest 0.6; the fixture pairs measured in tests/integration/face-match.test.ts
 * put same-face pairs at or below about 0.3 and different people at 0.6 or more, so 0.5 keeps a margin
 * on both sides while being stricter than the library's suggestion.
 */
export const FACE_MATCH_THRESHOLD = 0.5;

/** Detector confidence below which a box is not treated as a face. */
const MIN_CONFIDENCE = 0.5;
/**
 * A second face counts when it is at least this fraction of the height of the largest one: a
 * second person in the selfie, not a face on a poster far behind.
 */
const SECOND_FACE_MIN_RELATIVE_HEIGHT = 0.4;
/** Images are detected on a copy scaled to this longer side (the detector works at 512 px anyway). */
const ANALYSIS_SIDE = 1024;
/** A check that takes longer than this means the worker is stuck; it is restarted. */
const WORKER_TIMEOUT_MS = 30_000;

export type FaceBox = { x: number; y: number; width: number; height: number };
type WorkerFace = { score: number; box: FaceBox; descriptor?: number[] };

// ---------------------------------------------------------------------------------------------------
// The worker: started once, models loaded once, requests answered one after another.

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout };

let worker: Worker | null = null;
let nextId = 0;
const pending = new Map<number, Pending>();

/**
 * The worker file is plain JavaScript in the source tree, found from the project root: `npm start`
 * (scripts/serve.ts), `next start`, vitest and tsx all run there, and the built server bundle has no
 * path of its own to resolve it against.
 */
export function faceWorkerPath(root = process.cwd()): string {
  const file = path.join(root, 'lib', 'recovery', 'documents', 'face-worker.mjs');
  if (!existsSync(file)) throw new Error(`Face match worker not found at ${file}; start the server from the project folder`);
  return file;
}

function failAll(error: Error) {
  for (const [id, p] of pending) {
    clearTimeout(p.timer);
    p.reject(error);
    pending.delete(id);
  }
}

function getWorker(): Worker {
  if (worker) return worker;
  // Not `new Worker(...)`: the Next.js build recognises that form, bundles the file as a copy of its
  // own and maps the path to it at build time, which the worker's own module lookups do not survive
  // (measured: "Cannot find module" in the built server). Reflect.construct starts the file as it is.
  const started: Worker = Reflect.construct(Worker, [faceWorkerPath(), { workerData: { projectRoot: process.cwd() } }]);
  started.unref();
  started.on('message', (message: { id: number; ok: boolean; result?: unknown; error?: string }) => {
    const p = pending.get(message.id);
    if (!p) return;
    pending.delete(message.id);
    clearTimeout(p.timer);
    if (pending.size === 0) started.unref();
    if (message.ok) p.resolve(message.result);
    else p.reject(new Error(`Face match worker: ${message.error}`));
  });
  started.on('error', (error) => {
    if (worker === started) worker = null;
    failAll(error instanceof Error ? error : new Error(String(error)));
  });
  started.on('exit', (code) => {
    if (worker === started) worker = null;
    failAll(new Error(`Face match worker exited (${code})`));
  });
  worker = started;
  return started;
}

function call<T>(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> {
  const target = getWorker();
  const id = ++nextId;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error('Face match worker timed out'));
      // A stuck worker is replaced; its other requests fail and their callers fall back.
      if (worker === target) worker = null;
      void target.terminate();
    }, WORKER_TIMEOUT_MS);
    pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
    // Keeps the process alive while an answer is owed, and only then.
    target.ref();
    target.postMessage({ ...message, id }, transfer);
  });
}

/** Starts the worker and loads the models (about 0.4 s); later checks reuse them. */
export async function warmFaceMatcher(): Promise<{ faceApi: string; tfjs: string; backend: string }> {
  return call({ type: 'warm' });
}

/** Tensors the worker holds and its backend's memory (for the benchmark). */
export async function faceMatcherStats(): Promise<{ numTensors: number; numBytes: number; heapUsed: number }> {
  return call({ type: 'stats' });
}

/** Stops the worker (tests and benchmarks); the next check starts a new one. */
export async function stopFaceMatcher(): Promise<void> {
  const current = worker;
  worker = null;
  if (current) await current.terminate();
}

// ---------------------------------------------------------------------------------------------------
// Faces in one image.

type Analysis = { faces: WorkerFace[]; width: number; height: number };

async function analyse(data: Buffer, describe: boolean): Promise<Analysis> {
  // Upright as stored, scaled down for the detector; raw RGB is all the worker ever receives.
  const image = sharp(data, { failOn: 'error', autoOrient: true });
  const { autoOrient } = await image.metadata();
  const { data: pixels, info } = await image
    .resize(ANALYSIS_SIDE, ANALYSIS_SIDE, { fit: 'inside', withoutEnlargement: true })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const buffer = pixels.buffer.slice(pixels.byteOffset, pixels.byteOffset + pixels.byteLength) as ArrayBuffer;
  const found = await call<WorkerFace[]>({ type: 'analyse', pixels: buffer, width: info.width, height: info.height, minConfidence: MIN_CONFIDENCE, describe }, [buffer]);
  // Boxes come back in the scaled copy's pixels; the callers work in the stored image's.
  const scale = (autoOrient.width ?? info.width) / info.width;
  const faces = found.map((f) => ({ ...f, box: { x: f.box.x * scale, y: f.box.y * scale, width: f.box.width * scale, height: f.box.height * scale } }));
  return { faces, width: autoOrient.width ?? info.width, height: autoOrient.height ?? info.height };
}

/** Faces that count: the largest, and any other at least SECOND_FACE_MIN_RELATIVE_HEIGHT of it. */
function clearFaces(faces: WorkerFace[]): WorkerFace[] {
  const largest = faces[0];
  if (!largest) return [];
  return faces.filter((f) => f.box.height >= largest.box.height * SECOND_FACE_MIN_RELATIVE_HEIGHT);
}

function distance(a: number[], b: number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(sum);
}

/**
 * Where the face is in a stored image, for the agent's side-by-side view: the one face of a selfie,
 * the largest face of a document front (the main photo, not the small "ghost" copy some cards carry).
 * Null when there is none. Detection only: no descriptor is computed.
 */
export async function locateFace(image: { data: Buffer }, options: { pool?: DecodePool } = {}): Promise<(FaceBox & { imageWidth: number; imageHeight: number }) | null> {
  const pool = options.pool ?? decodePool;
  const { faces, width, height } = await pool.run(() => analyse(image.data, false));
  const face = faces[0];
  return face ? { ...face.box, imageWidth: width, imageHeight: height } : null;
}

/**
 * Whether a document front shows a face photo, checked when the front is uploaded so a person
 * hears at once that the photo on the card is not visible. Null when it does; the retry outcome
 * otherwise.
 */
export async function checkDocumentFrontFace(front: ImageInfo, options: { pool?: DecodePool } = {}): Promise<FaceCheckOutcome | null> {
  const face = await locateFace(front, options);
  return face ? null : faceCheckRetry('document_front_no_face');
}

/** Cuts the face with a margin around it, so hair, ears and jaw are in the picture. */
export async function cropFace(data: Buffer, box: FaceBox & { imageWidth: number; imageHeight: number }, side = 320): Promise<Buffer> {
  const margin = 0.35;
  const left = Math.max(0, Math.floor(box.x - box.width * margin));
  const top = Math.max(0, Math.floor(box.y - box.height * margin));
  const right = Math.min(box.imageWidth, Math.ceil(box.x + box.width * (1 + margin)));
  const bottom = Math.min(box.imageHeight, Math.ceil(box.y + box.height * (1 + margin)));
  return sharp(data, { failOn: 'error', autoOrient: true })
    .extract({ left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) })
    .resize(side, side, { fit: 'contain', background: { r: 240, g: 240, b: 240 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

// ---------------------------------------------------------------------------------------------------
// The FaceCheck.

export function createLocalFaceCheck(options: { pool?: DecodePool; threshold?: number } = {}): FaceCheck {
  const pool = options.pool ?? decodePool;
  const threshold = options.threshold ?? FACE_MATCH_THRESHOLD;
  return {
    async check(input) {
      // The same usability checks as the default first: a dark or tiny selfie gets the same advice.
      const usable = await manualReviewFaceCheck.check(input);
      if (usable.status === 'retry') return usable;
      const documentFront = input.documentFront!;

      let selfie: Analysis;
      let front: Analysis;
      try {
        // One slot of the upload decode pool for the whole check, so a flood of selfies slows
        // uploads only and never more than DECODE_CONCURRENCY checks run at once.
        [selfie, front] = await pool.run(async () => [await analyse(input.selfie.data, true), await analyse(documentFront.data, true)]);
      } catch (error) {
        // A full pool is the person's to retry; it is not a failed face check.
        if (error instanceof AppError && error.code === 'rate_limited') throw error;
        // The matcher failing is never the person's fault: the agent compares by eye, as without it.
        log.warn('documents.face_match_unavailable', { error: error instanceof Error ? error.message : String(error) });
        return { status: 'ready_for_review', faceMatch: { result: 'unavailable', modelVersion: FACE_MATCH_MODEL_VERSION } };
      }

      const selfieFaces = clearFaces(selfie.faces);
      if (selfieFaces.length === 0) return faceCheckRetry('selfie_no_face');
      if (selfieFaces.length > 1) return faceCheckRetry('selfie_several_faces');
      const documentFace = front.faces[0];
      if (!documentFace) return faceCheckRetry('document_front_no_face');

      const d = distance(selfieFaces[0]!.descriptor!, documentFace.descriptor!);
      const faceMatch: FaceMatchResult = {
        result: d <= threshold ? 'similar' : 'not_similar',
        distance: Math.round(d * 1000) / 1000,
        threshold,
        modelVersion: FACE_MATCH_MODEL_VERSION,
      };
      return { status: 'ready_for_review', faceMatch };
    },
  };
}

/** The process-wide local matcher, on the shared decode pool. */
export const localFaceCheck: FaceCheck = createLocalFaceCheck();
