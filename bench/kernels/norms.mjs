// Normalization kernel throughput next to a plain copy of the same bytes.
// GB/s counts the bytes a kernel must read and write at least (x and y; x, dy
// and dx for backward), so it compares directly with the copy, which moves the
// same number of bytes (half read, half written) in the same run.
// Usage: node bench/kernels/norms.mjs [--threads N] [--json]   (after npm run build:ts)
import { createRequire } from 'module';
import { pathToFileURL } from 'url';

const require = createRequire(import.meta.url);
const gw = require('../../dist/index.js');
const { native } = require('../../dist/binding.js');
const ops = native.ops;

function random(n, seed) {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Best seconds per call over 5 timed batches of at least 50 ms each. */
function timeIt(fn) {
  for (let i = 0; i < 3; i++) fn();
  let reps = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) fn();
    if (Number(process.hrtime.bigint() - t0) / 1e9 >= 0.05) break;
    reps *= 2;
  }
  let best = Infinity;
  for (let b = 0; b < 5; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9 / reps);
  }
  return best;
}

function copyGbps(bytes) {
  const n = Math.max(1, Math.round(bytes / 8));
  const src = random(n, 99), dst = new Float32Array(n);
  return (2 * n * 4) / timeIt(() => ops.copy(src, dst, n)) / 1e9;
}

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

export async function run({ threads = gw.getNumThreads(), json = false } = {}) {
  const before = gw.getNumThreads();
  gw.setNumThreads(threads);
  try {
    const isa = gw.backend().isa;
    for (const [kernel, bytes, fn] of cases()) {
      const copy = copyGbps(bytes);
      const gbps = bytes / timeIt(fn) / 1e9;
      if (json) {
        console.log(JSON.stringify({ kernel, threads, isa, gbps: +gbps.toFixed(2), copyGbps: +copy.toFixed(2) }));
      } else {
        console.log(`${kernel.padEnd(36)} ${String(threads).padStart(2)} thr  ${gbps.toFixed(2).padStart(7)} GB/s   copy ${copy.toFixed(2).padStart(7)} GB/s  (${isa})`);
      }
    }
  } finally {
    gw.setNumThreads(before);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const ti = args.indexOf('--threads');
  await run({ threads: ti >= 0 ? Number(args[ti + 1]) : gw.getNumThreads(), json: args.includes('--json') });
}
