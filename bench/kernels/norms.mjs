// Normalization kernel throughput next to a plain copy of the same bytes.
// GB/s counts the bytes a kernel must read and write at least (x and y; x, dy
// and dx for backward), so it compares directly with the copy, which moves the
// same number of bytes (half read, half written) in the same run.
// Measured with benchmark.js through bench/lib/report.mjs.
// Usage: node bench/kernels/norms.mjs [--threads N] [--json]   (after npm run build:ts)
import { createRequire } from 'module';
import { randomF32 as random } from '../lib/measure.mjs';
import { runFamily, runIfMain } from '../lib/report.mjs';

const require = createRequire(import.meta.url);
const { native } = require('../../dist/binding.js');
const ops = native.ops;

export function cases() {
  const N = 128, F = 2048, n = N * F;
  const x = random(n, 1), dy = random(n, 2), y = new Float32Array(n), dx = new Float32Array(n);
  const g = random(F, 3), b = random(F, 4), dg = new Float32Array(F), db = new Float32Array(F);
  const rm = new Float32Array(F), rv = new Float32Array(F).fill(1), sm = new Float32Array(F), si = new Float32Array(F);
  const lnMean = new Float32Array(N), lnInv = new Float32Array(N);
  // groupnorm: 2048 features per sample as C = 32 channels x L = 64, 8 groups
  const C = 32, L = 64, G = 8;
  const gnMean = new Float32Array(N * G), gnInv = new Float32Array(N * G);
  const bytes2 = 2 * n * 4, bytes3 = 3 * n * 4;
  ops.batchnorm_forward_train(x, y, g, b, rm, rv, sm, si, N, F, 1, 0.1, 1e-5);
  ops.layernorm_forward(x, y, g, b, lnMean, lnInv, N, F, 1e-5);
  ops.groupnorm_forward(x, y, g, b, gnMean, gnInv, N, C, L, G, 1e-5);
  return [
    ['batchnorm_forward_train 128x2048', bytes2, () => ops.batchnorm_forward_train(x, y, g, b, rm, rv, sm, si, N, F, 1, 0.1, 1e-5)],
    ['batchnorm_forward_eval 128x2048', bytes2, () => ops.batchnorm_forward_eval(x, y, g, b, rm, rv, N, F, 1, 1e-5)],
    ['batchnorm_backward 128x2048', bytes3, () => ops.batchnorm_backward(x, dy, dx, g, dg, db, sm, si, N, F, 1)],
    ['layernorm_forward 128x2048', bytes2, () => ops.layernorm_forward(x, y, g, b, lnMean, lnInv, N, F, 1e-5)],
    ['layernorm_backward 128x2048', bytes3, () => ops.layernorm_backward(x, dy, dx, g, dg, db, lnMean, lnInv, N, F)],
    ['groupnorm_forward 128x32x64 G8', bytes2, () => ops.groupnorm_forward(x, y, g, b, gnMean, gnInv, N, C, L, G, 1e-5)],
    ['groupnorm_backward 128x32x64 G8', bytes3, () => ops.groupnorm_backward(x, dy, dx, g, dg, db, gnMean, gnInv, N, C, L, G)],
  ];
}

// cases() lists [kernel, bytes, fn]; the shared report loop takes { kernel, bytes, fn }.
export function run({ threads, json } = {}) {
  return runFamily({ bench: 'norms', cases: () => cases().map(([kernel, bytes, fn]) => ({ kernel, bytes, fn })), threads, json });
}

await runIfMain(import.meta.url, run);
