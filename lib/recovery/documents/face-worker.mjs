// Face detection and description in a worker thread (see face-match.ts, which starts it).
//
// Plain JavaScript on purpose: it is started with `new Worker(path)` from the source tree, both under
// tsx/vitest and in the built Next.js server, so it must run in Node as it is, without a bundler or
// a TypeScript loader. It only ever receives decoded RGB pixels and only ever answers with boxes,
// detection scores and, when asked, 128-number descriptors. Descriptors live in this process's
// memory for the length of one message; nothing here writes anything anywhere.
import { createRequire } from 'node:module';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const root = workerData?.projectRoot ?? process.cwd();
const fromRoot = (id) => require.resolve(id, { paths: [root] });

const tf = require(fromRoot('@tensorflow/tfjs'));
const wasm = require(fromRoot('@tensorflow/tfjs-backend-wasm'));
const faceapi = require(fromRoot('@vladmandic/face-api/dist/face-api.node-wasm.js'));

// The .wasm files ship inside the npm package. `false`: Node's fetch cannot load a file path, so the
// backend reads them from disk itself.
wasm.setWasmPaths(path.dirname(fromRoot('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep, false);

const modelDir = path.join(path.dirname(fromRoot('@vladmandic/face-api/package.json')), 'model');

let ready;
function load() {
  ready ??= (async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
    await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
    await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
  })();
  return ready;
}

/**
 * One image: every face the detector is at least `minConfidence` sure of, largest first. With
 * `describe`, each face also gets its descriptor (landmarks align the face first).
 */
async function analyse({ pixels, width, height, minConfidence, describe }) {
  const tensor = tf.tensor3d(new Uint8Array(pixels), [height, width, 3], 'int32');
  try {
    const options = new faceapi.SsdMobilenetv1Options({ minConfidence, maxResults: 10 });
    const found = describe
      ? await faceapi.detectAllFaces(tensor, options).withFaceLandmarks().withFaceDescriptors()
      : await faceapi.detectAllFaces(tensor, options);
    return found
      .map((f) => {
        const d = describe ? f.detection : f;
        const box = d.box;
        return {
          score: d.score,
          box: { x: box.x, y: box.y, width: box.width, height: box.height },
          ...(describe ? { descriptor: Array.from(f.descriptor) } : {}),
        };
      })
      .sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
  } finally {
    tensor.dispose();
  }
}

parentPort.on('message', async (message) => {
  const { id } = message;
  try {
    await load();
    if (message.type === 'stats') {
      // For the benchmark: tensors still held (a leak shows here) and the backend's memory.
      parentPort.postMessage({ id, ok: true, result: { ...tf.memory(), heapUsed: process.memoryUsage().heapUsed } });
      return;
    }
    if (message.type === 'warm') {
      parentPort.postMessage({ id, ok: true, result: { faceApi: faceapi.version, tfjs: tf.version_core, backend: tf.getBackend() } });
      return;
    }
    const faces = await analyse(message);
    parentPort.postMessage({ id, ok: true, result: faces });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, error: error instanceof Error ? error.message : String(error) });
  }
});
