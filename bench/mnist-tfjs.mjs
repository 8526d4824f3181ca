// TensorFlow.js side of `npm run bench:mnist -- --compare`: the same Fashion-MNIST MLPs on the
// wasm backend (SIMD; Node has no multithreaded wasm here, so 1 thread), one model per process.
//
//   node bench/mnist-tfjs.mjs --model small --batches B --epoch-samples N [--data-dir D]
//
// It is slow, so it trains on the first B batches of 128 only and extrapolates the epoch time to
// N samples (the reported samplesPerSec is measured; epochSeconds is N / samplesPerSec, and the
// record says extrapolated: true). Its test accuracy is after those B batches, not after an epoch.
// Images are gathered and converted per batch (uint8 -> float32 * 1/255), as gradwell does.
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const gw = require('../dist/index.js');
const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');

const { values: opts } = parseArgs({
  options: {
    model: { type: 'string' },
    batches: { type: 'string', default: '30' },
    'epoch-samples': { type: 'string', default: '60000' },
    'data-dir': { type: 'string', default: gw.datasets.FASHION_MNIST_DEBIAN_DIR },
    'infer-passes': { type: 'string', default: '2' },
    seed: { type: 'string', default: '1234' },
    threads: { type: 'string' }, // accepted for a uniform command line; wasm runs 1 thread
    epochs: { type: 'string' },
  },
});

const BATCH = 128;
const INFER_BATCH = 1000;
const name = opts.model;
const batches = Number(opts.batches);
const epochSamples = Number(opts['epoch-samples']);
const emit = (o) => process.stdout.write(JSON.stringify(o) + '\n');

function build() {
  const m = tf.sequential();
  const init = { kernelInitializer: 'heNormal' };
  if (name === 'cnn') {
    // The CNN (channels-last in tfjs; the same network): 1x28x28, conv 5x5 'same' 32 and 64, ReLU, max pool 2.
    m.add(tf.layers.reshape({ targetShape: [28, 28, 1], inputShape: [784] }));
    m.add(tf.layers.conv2d({ filters: 32, kernelSize: 5, padding: 'same', activation: 'relu', ...init }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.conv2d({ filters: 64, kernelSize: 5, padding: 'same', activation: 'relu', ...init }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 128, activation: 'relu', ...init }));
    m.add(tf.layers.dense({ units: 10, ...init }));
    m.compile({ optimizer: tf.train.adam(1e-3), loss: lossFromLogits });
  } else if (name === 'small') {
    m.add(tf.layers.dense({ units: 256, activation: 'relu', inputShape: [784], ...init }));
    m.add(tf.layers.dense({ units: 128, activation: 'relu', ...init }));
    m.add(tf.layers.dense({ units: 10 }));
    m.compile({ optimizer: tf.train.adam(1e-3), loss: lossFromLogits });
  } else if (name === 'dropout') {
    m.add(tf.layers.dense({ units: 2048, activation: 'relu', inputShape: [784], ...init }));
    m.add(tf.layers.dropout({ rate: 0.5 }));
    m.add(tf.layers.dense({ units: 2048, activation: 'relu', ...init }));
    m.add(tf.layers.dropout({ rate: 0.5 }));
    m.add(tf.layers.dense({ units: 2048, activation: 'relu', ...init }));
    m.add(tf.layers.dropout({ rate: 0.5 }));
    m.add(tf.layers.dense({ units: 10 }));
    m.compile({ optimizer: tf.train.momentum(0.01, 0.9), loss: lossFromLogits });
  } else {
    m.add(tf.layers.dense({ units: 512, inputShape: [784] }));
    m.add(tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }));
    m.add(tf.layers.activation({ activation: 'relu' }));
    m.add(tf.layers.dense({ units: 512 }));
    m.add(tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }));
    m.add(tf.layers.activation({ activation: 'relu' }));
    m.add(tf.layers.dense({ units: 10 }));
    m.compile({ optimizer: tf.train.adam(1e-3), loss: lossFromLogits });
  }
  return m;
}

// Softmax cross-entropy on logits (tfjs-layers wants the targets one-hot, built per batch).
function lossFromLogits(yTrue, yPred) {
  return tf.losses.softmaxCrossEntropy(yTrue, yPred);
}

function batchTensors(x, y, index, scale) {
  const rows = index.length;
  const xs = new Float32Array(rows * 784);
  const ys = new Float32Array(rows * 10);
  for (let r = 0; r < rows; r++) {
    const off = index[r] * 784;
    for (let c = 0; c < 784; c++) xs[r * 784 + c] = x[off + c] * scale;
    ys[r * 10 + y[index[r]]] = 1;
  }
  return [tf.tensor2d(xs, [rows, 784]), tf.tensor2d(ys, [rows, 10])];
}

async function main() {
  await tf.setBackend('wasm');
  await tf.ready();
  const { train, test } = await gw.datasets.fashionMnist({ dir: opts['data-dir'] });
  const model = build();
  const order = new gw.Random(Number(opts.seed)).shuffle(Int32Array.from({ length: Math.min(train.n, epochSamples) }, (_, i) => i));
  let samplesPerSec = NaN;
  try {
    // One warm-up batch (wasm compilation, kernel set-up), not timed.
    {
      const [xs, ys] = batchTensors(train.x, train.y, order.subarray(0, BATCH), train.scale);
      await model.trainOnBatch(xs, ys);
      tf.dispose([xs, ys]);
    }
    const t0 = performance.now();
    for (let b = 1; b <= batches; b++) {
      const [xs, ys] = batchTensors(train.x, train.y, order.subarray(b * BATCH, (b + 1) * BATCH), train.scale);
      await model.trainOnBatch(xs, ys);
      tf.dispose([xs, ys]);
    }
    const seconds = (performance.now() - t0) / 1000;
    samplesPerSec = (batches * BATCH) / seconds;
  } catch (e) {
    // tfjs 4.22's wasm backend has no Conv2DBackpropFilter kernel: the CNN cannot train there.
    if (name !== 'cnn') throw e;
    emit({ framework: 'tfjs', model: name, task: 'train', unavailable: `training unavailable on tfjs wasm (${String(e?.message ?? e)}); inference only, untrained weights` });
  }
  let correct = 0;
  const predictAll = () => {
    let hits = 0;
    for (let s = 0; s < test.n; s += INFER_BATCH) {
      const idx = Int32Array.from({ length: Math.min(INFER_BATCH, test.n - s) }, (_, i) => s + i);
      const [xs, ys] = batchTensors(test.x, test.y, idx, test.scale);
      const pred = tf.tidy(() => model.predict(xs).argMax(1));
      const p = pred.dataSync();
      for (let i = 0; i < p.length; i++) if (p[i] === test.y[s + i]) hits++;
      tf.dispose([xs, ys, pred]);
    }
    return hits;
  };
  correct = predictAll();
  const common = { framework: 'tfjs', model: name, threads: 1, version: `tfjs ${tf.version.tfjs} (wasm simd)`, data: 'uint8', extrapolated: true };
  if (Number.isFinite(samplesPerSec)) emit({
    ...common,
    task: 'train',
    trainedBatches: batches,
    samplesPerEpoch: epochSamples,
    epochSeconds: epochSamples / samplesPerSec,
    samplesPerSec,
    testAccuracy: correct / test.n,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  });
  if (name === 'small' || name === 'cnn') {
    const times = [];
    for (let i = 0; i < Number(opts['infer-passes']); i++) {
      const t1 = performance.now();
      predictAll();
      times.push((performance.now() - t1) / 1000);
    }
    const best = Math.min(...times);
    emit({ ...common, extrapolated: false, task: 'inference', batch: INFER_BATCH, epochSeconds: best, samplesPerSec: test.n / best, testAccuracy: correct / test.n, peakRssMiB: process.resourceUsage().maxRSS / 1024 });
  }
}

main().catch((e) => {
  emit({ framework: 'tfjs', model: name, error: String(e?.message ?? e) });
  process.exit(1);
});
