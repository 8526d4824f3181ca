// Dropout kernels: throughput in GB/s (bytes read + written / time) next to a plain copy of the
// same bytes, measured in the same run with benchmark.js (bench/lib/report.mjs).
// Size: 128 x 2048 floats. Run: node bench/kernels/dropout.mjs [--json] [--threads N]
import { createRequire } from 'node:module';
import { runFamily, runIfMain } from '../lib/report.mjs';

const require = createRequire(import.meta.url);
const { kernels } = require('../../dist/index.js');

const ROWS = 128;
const COLS = 2048;
const N = ROWS * COLS;

export function cases() {
  const x = new Float32Array(N).map((_, i) => Math.sin(i));
  const y = new Float32Array(N);
  const hp = Float64Array.from([1234, 1, 0]);
  const bytes = 8 * N; // read x, write y
  let step = 0;
  return [
    { kernel: 'dropout_forward_p0.1', bytes, fn: () => kernels.dropoutForward(x, y, N, 0.1, 1234, 1, step++) },
    { kernel: 'dropout_forward_p0.5', bytes, fn: () => kernels.dropoutForward(x, y, N, 0.5, 1234, 1, step++) },
    { kernel: 'dropout_backward_p0.5', bytes, fn: () => kernels.dropoutBackward(x, y, N, 0.5, 1234, 1, step++) },
    { kernel: 'dropout_forward_hp_p0.5', bytes, fn: () => (hp[2]++, kernels.dropoutForward(x, y, N, 0.5, hp)) },
  ];
}

export function run({ threads, json } = {}) {
  return runFamily({ bench: 'dropout', shape: [ROWS, COLS], cases, threads, json });
}

await runIfMain(import.meta.url, run);
