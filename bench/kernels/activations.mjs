// Activation kernels: throughput in GB/s (bytes read + written / time) next to a plain copy of the
// same bytes (the native `copy` op, threaded like the kernels), measured in the same run with
// benchmark.js (bench/lib/report.mjs). Size: 128 x 2048 floats (1 MiB per buffer).
// Run: node bench/kernels/activations.mjs [--json] [--threads N]
import { createRequire } from 'node:module';
import { randomF32 as randomInput } from '../lib/measure.mjs';
import { runFamily, runIfMain } from '../lib/report.mjs';

const require = createRequire(import.meta.url);
const { kernels } = require('../../dist/index.js');
const { native } = require('../../dist/binding.js');

const ROWS = 128;
const COLS = 2048;
const N = ROWS * COLS;

export function cases() {
  const x = randomInput(N, 1);
  const dy = randomInput(N, 2);
  const y = new Float32Array(N);
  const dx = new Float32Array(N);
  const list = [];
  for (const kind of kernels.activationKinds) {
    list.push({ kernel: `${kind}_forward`, bytes: 8 * N, fn: () => kernels.activationForward(kind, x, y, N) });
    kernels.activationForward(kind, x, y, N);
    // backward reads two of x, y, dy and writes dx
    list.push({ kernel: `${kind}_backward`, bytes: 12 * N, fn: () => kernels.activationBackward(kind, x, y, dy, dx, N) });
  }
  // A Dense layer's relu gradient and bias gradient: two passes (activation_backward, then bias_grad
  // reading dx back) against one (activation_backward_bias); bytes = the fused pass's traffic.
  const db = new Float32Array(COLS);
  kernels.activationForward('relu', x, y, N);
  list.push({ kernel: 'relu_backward+bias_grad', bytes: 12 * N, fn: () => { native.ops.activation_backward('relu', y, y, dy, dx, N); native.ops.bias_grad(dx, db, ROWS, COLS); } });
  list.push({ kernel: 'relu_backward_bias', bytes: 12 * N, fn: () => native.ops.activation_backward_bias('relu', y, y, dy, dx, db, ROWS, COLS) });
  list.push({ kernel: 'softmax_forward', bytes: 8 * N, fn: () => kernels.softmaxForward(x, y, ROWS, COLS) });
  kernels.softmaxForward(x, y, ROWS, COLS);
  list.push({ kernel: 'softmax_backward', bytes: 12 * N, fn: () => kernels.softmaxBackward(y, dy, dx, ROWS, COLS) });
  list.push({ kernel: 'log_softmax_forward', bytes: 8 * N, fn: () => kernels.logSoftmaxForward(x, y, ROWS, COLS) });
  kernels.logSoftmaxForward(x, y, ROWS, COLS);
  list.push({ kernel: 'log_softmax_backward', bytes: 12 * N, fn: () => kernels.logSoftmaxBackward(y, dy, dx, ROWS, COLS) });
  return list;
}

export function run({ threads, json } = {}) {
  return runFamily({ bench: 'activations', shape: [ROWS, COLS], cases, threads, json });
}

await runIfMain(import.meta.url, run);
