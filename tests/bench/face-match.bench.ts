// The local face match (lib/recovery/documents/face-match.ts): `npm run bench:face`.
// In process, as the upload path runs it: the usability checks, decoding both images, detection and
// descriptors for both in the worker thread, on the shared decode pool. Reports p50/p95 per check,
// the memory the matcher adds to the process (worker, WebAssembly backend, models), and the
// distances on the fixture pairs of tests/integration/face-match.test.ts against the threshold.
import { loadavg } from 'node:os';
import {
  createLocalFaceCheck,
  FACE_MATCH_THRESHOLD,
  stopFaceMatcher,
  warmFaceMatcher,
  type FaceCheckOutcome,
  type ImageInfo,
} from '@/lib/recovery/documents';
import { faceMatcherStats } from '@/lib/recovery/documents/face-match';
import { documentFront, selfie, type Person } from '../support/faces';
import { summarize, writeReport, type Row } from './support';

const CHECKS = Number(process.env.FACE_BENCH_CHECKS ?? 30);
const info = (data: Buffer): ImageInfo => ({ mimeType: 'image/jpeg', width: null, height: null, data });
const mib = (bytes: number) => bytes / 2 ** 20;
const gc = (globalThis as { gc?: () => void }).gc;
const settleMemory = () => {
  gc?.();
  return process.memoryUsage();
};

// The same pairs as the integration test: one face changed the way a card photo is, and different people.
const same: [string, () => Promise<[Buffer, Buffer]>][] = [
  ['s1a printed on a card', async () => [await selfie('s1a'), await documentFront('s1a')]],
  ['s6a re-encoded (quality 40 / 35)', async () => [await selfie('s6a', { quality: 40 }), await documentFront('s6a', { quality: 35 })]],
  ['s6a scaled (520 px selfie, 150 px portrait)', async () => [await selfie('s6a', { side: 520 }), await documentFront('s6a', { portraitHeight: 150 })]],
  ['s6b relit (selfie ×0.7, card ×1.4)', async () => [await selfie('s6b', { brightness: 0.7 }), await documentFront('s6b', { brightness: 1.4 })]],
  ['s4a printed on a card', async () => [await selfie('s4a'), await documentFront('s4a')]],
];
const different: [Person, Person][] = [
  ['s1a', 's1c'],
  ['s1c', 's1a'],
  ['s4a', 's4c'],
  ['s6a', 's6b'],
  ['s6b', 's6c'],
  ['s6c', 's6a'],
];

const pairs: { label: string; expected: 'similar' | 'not_similar'; selfie: Buffer; front: Buffer }[] = [];
for (const [label, make] of same) {
  const [s, f] = await make();
  pairs.push({ label, expected: 'similar', selfie: s, front: f });
}
for (const [a, b] of different) pairs.push({ label: `${a} selfie, ${b} card`, expected: 'not_similar', selfie: await selfie(a), front: await documentFront(b) });

const before = settleMemory();
const loadStarted = performance.now();
const versions = await warmFaceMatcher();
const loadMs = performance.now() - loadStarted;
const afterLoad = settleMemory();
const tensorsAfterLoad = await faceMatcherStats();

const check = createLocalFaceCheck();
const distance = (o: FaceCheckOutcome) => (o.status === 'ready_for_review' && o.faceMatch && 'distance' in o.faceMatch ? o.faceMatch : null);

// Accuracy on the fixture pairs (also the first, warming round of latency samples, not counted).
const accuracy: { label: string; expected: string; result: string; distance: number | null }[] = [];
for (const pair of pairs) {
  const outcome = await check.check({ selfie: info(pair.selfie), documentFront: info(pair.front) });
  const m = distance(outcome);
  accuracy.push({ label: pair.label, expected: pair.expected, result: m?.result ?? (outcome.status === 'retry' ? `retry: ${outcome.reason}` : 'unavailable'), distance: m?.distance ?? null });
}

const samples: number[] = [];
let peakRss = process.memoryUsage().rss;
const loadStart = loadavg()[0]!;
for (let i = 0; i < CHECKS; i++) {
  const pair = pairs[i % pairs.length]!;
  const started = performance.now();
  await check.check({ selfie: info(pair.selfie), documentFront: info(pair.front) });
  samples.push(performance.now() - started);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}
const afterRun = settleMemory();
const tensorsAfterRun = await faceMatcherStats();
await stopFaceMatcher();
const afterStop = settleMemory();

const latency = summarize(samples);
const correct = accuracy.filter((a) => a.result === a.expected).length;
const sameDistances = accuracy.filter((a) => a.expected === 'similar').map((a) => a.distance ?? NaN);
const differentDistances = accuracy.filter((a) => a.expected === 'not_similar').map((a) => a.distance ?? NaN);

const rows: Row[] = [
  { measure: 'Models loaded (worker start, WebAssembly backend, 3 models)', value: `${Math.round(loadMs)} ms`, target: '—', met: null },
  { measure: `One face check, p50 (${CHECKS} checks, selfie + document front)`, value: `${Math.round(latency.p50)} ms`, target: '—', met: null },
  { measure: 'One face check, p95', value: `${Math.round(latency.p95)} ms`, target: '≤ 4000 ms', met: latency.p95 <= 4000 },
  { measure: 'Memory added by the loaded matcher (RSS, after load)', value: `${mib(afterLoad.rss - before.rss).toFixed(0)} MiB`, target: '—', met: null },
  // The WebAssembly heap grows to the largest image seen and never shrinks, so RSS settles at a
  // plateau after the first checks; a leak would show as tensors left behind after each check.
  { measure: 'Memory added after the checks (RSS; a plateau, not a leak)', value: `${mib(afterRun.rss - before.rss).toFixed(0)} MiB (peak ${mib(peakRss - before.rss).toFixed(0)} MiB)`, target: '—', met: null },
  {
    measure: 'Tensors held by the worker: after load → after the checks',
    value: `${tensorsAfterLoad.numTensors} → ${tensorsAfterRun.numTensors} (${mib(tensorsAfterRun.numBytes).toFixed(0)} MiB of model weights)`,
    target: 'no growth',
    met: tensorsAfterRun.numTensors === tensorsAfterLoad.numTensors,
  },
  { measure: 'Fixture pairs judged as expected', value: `${correct} of ${accuracy.length}`, target: `all ${accuracy.length}`, met: correct === accuracy.length },
  { measure: 'Same face: largest distance', value: Math.max(...sameDistances).toFixed(3), target: `≤ ${FACE_MATCH_THRESHOLD}`, met: Math.max(...sameDistances) <= FACE_MATCH_THRESHOLD },
  { measure: 'Different people: smallest distance', value: Math.min(...differentDistances).toFixed(3), target: `> ${FACE_MATCH_THRESHOLD}`, met: Math.min(...differentDistances) > FACE_MATCH_THRESHOLD },
];

writeReport('face', 'Local face match: latency, memory and the fixture pairs', rows, {
  versions,
  threshold: FACE_MATCH_THRESHOLD,
  latencyMs: latency,
  loadAverageAtStart: loadStart,
  memoryMiB: {
    before: { rss: mib(before.rss), heapUsed: mib(before.heapUsed) },
    afterLoad: { rss: mib(afterLoad.rss), heapUsed: mib(afterLoad.heapUsed) },
    afterRun: { rss: mib(afterRun.rss), heapUsed: mib(afterRun.heapUsed) },
    peakRss: mib(peakRss),
    afterStop: { rss: mib(afterStop.rss) },
  },
  accuracy,
});
console.log('\nFixture pairs:');
for (const a of accuracy) console.log(`  ${a.expected === a.result ? 'ok ' : 'BAD'} ${a.label}: ${a.result}${a.distance === null ? '' : ` (${a.distance.toFixed(3)})`}`);
process.exit(rows.every((r) => r.met !== false) ? 0 : 1);
