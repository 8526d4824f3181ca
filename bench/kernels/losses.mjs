// Loss kernel throughput next to a plain copy of the same bytes.
// GB/s counts the bytes a kernel must read and write at least (input, target
// and dinput; logits and dlogits for sparse cross-entropy), so it compares
// directly with the copy of the same byte count, measured in the same run.
// Measured with benchmark.js through bench/lib/report.mjs.
// Usage: node bench/kernels/losses.mjs [--threads N] [--json]   (after npm run build:ts)
import { createRequire } from 'module';
import { randomF32 as random } from '../lib/measure.mjs';
import { runFamily, runIfMain } from '../lib/report.mjs';

const require = createRequire(import.meta.url);
const { native } = require('../../dist/binding.js');
const ops = native.ops;

export function cases() {
  const out = new Float32Array(1);
  const list = [];
  {
    const N = 128, F = 2048, n = N * F;
    const p = random(n, 1, 0.01, 0.99), t = random(n, 2, 0, 1), d = new Float32Array(n);
    for (const kind of native.kinds().losses.filter((k) => k !== 'cce')) {
      list.push([`loss ${kind} 128x2048`, 3 * n * 4, () => ops.loss(kind, p, t, d, out, N, F)]);
    }
  }
  for (const [N, C] of [[128, 10], [1024, 1000]]) {
    const n = N * C;
    const z = random(n, 3, -5, 5), d = new Float32Array(n);
    const labels = Int32Array.from({ length: N }, (_, i) => (i * 7) % C);
    const q = new Float32Array(n);
    labels.forEach((y, r) => { q[r * C + y] = 1; });
    list.push([`loss cce ${N}x${C}`, 3 * n * 4, () => ops.loss('cce', z, q, d, out, N, C)]);
    list.push([`sparse_cross_entropy ${N}x${C}`, 2 * n * 4 + 4 * N, () => ops.sparse_cross_entropy(z, labels, d, out, N, C, 0)]);
    list.push([`sparse_cross_entropy ls0.1 ${N}x${C}`, 2 * n * 4 + 4 * N, () => ops.sparse_cross_entropy(z, labels, d, out, N, C, 0.1)]);
  }
  return list;
}

// cases() lists [kernel, bytes, fn]; the shared report loop takes { kernel, bytes, fn }.
export function run({ threads, json } = {}) {
  return runFamily({ bench: 'losses', cases: () => cases().map(([kernel, bytes, fn]) => ({ kernel, bytes, fn })), threads, json });
}

await runIfMain(import.meta.url, run);
