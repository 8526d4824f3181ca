// Shared timing and data helpers of the kernel benchmarks.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { native } = require('../../dist/binding.js');

/**
 * Seconds per call of fn: the fastest of `batches` timed batches of at least
 * `minSeconds` each (the least disturbed by other processes on a shared machine).
 */
export function timeIt(fn, { batches = 15, minSeconds = 0.01, warmup = 5 } = {}) {
  for (let i = 0; i < warmup; i++) fn();
  let reps = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) fn();
    if (Number(process.hrtime.bigint() - t0) / 1e9 >= minSeconds) break;
    reps *= 2;
  }
  let best = Infinity;
  for (let b = 0; b < batches; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9 / reps);
  }
  return best;
}

/** Deterministic uniform floats in [lo, hi) (mulberry32). */
export function randomF32(n, seed, lo = -1, hi = 1) {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

/** GB/s of the native (threaded) copy moving `bytes` in total (half read, half written). */
export function copyGbps(bytes) {
  const n = Math.max(1, Math.round(bytes / 8));
  const src = randomF32(n, 99);
  const dst = new Float32Array(n);
  return (2 * n * 4) / timeIt(() => native.ops.copy(src, dst, n)) / 1e9;
}
