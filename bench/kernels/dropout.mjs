// Dropout kernels: throughput in GB/s (bytes read + written / time) next to a
// plain copy of the same bytes (the native `copy` op and
// Float32Array.prototype.set), measured in the same run. Size: 128 x 2048 floats.
// Run: node bench/kernels/dropout.mjs [--json] [--threads N]
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { timeIt } from '../lib/measure.mjs';

const require = createRequire(import.meta.url);
const { kernels, setNumThreads, backend } = require('../../dist/index.js');
const { native } = require('../../dist/binding.js');

const ROWS = 128;
const COLS = 2048;
const N = ROWS * COLS;


export async function run({ threads, json } = {}) {
  if (threads) setNumThreads(threads);
  const usedThreads = backend().threads;
  const isa = backend().isa;
  const x = new Float32Array(N).map((_, i) => Math.sin(i));
  const y = new Float32Array(N);
  const dst = new Float32Array(N);
  const hp = Float64Array.from([1234, 1, 0]);

  const copyGbpsFor = (bytes) => bytes / timeIt(() => native.ops.copy(x, dst, bytes / 8)) / 1e9;
  const setGbps = (8 * N) / timeIt(() => dst.set(x)) / 1e9;

  let step = 0;
  const cases = [
    { kernel: 'dropout_forward_p0.1', fn: () => kernels.dropoutForward(x, y, N, 0.1, 1234, 1, step++) },
    { kernel: 'dropout_forward_p0.5', fn: () => kernels.dropoutForward(x, y, N, 0.5, 1234, 1, step++) },
    { kernel: 'dropout_backward_p0.5', fn: () => kernels.dropoutBackward(x, y, N, 0.5, 1234, 1, step++) },
    { kernel: 'dropout_forward_hp_p0.5', fn: () => (hp[2]++, kernels.dropoutForward(x, y, N, 0.5, hp)) },
  ];

  const results = [];
  if (!json) {
    console.log(`dropout ${ROWS}x${COLS} f32, isa ${isa}, ${usedThreads} thread(s); TypedArray.set copy ${setGbps.toFixed(1)} GB/s`);
    console.log(`${'kernel'.padEnd(24)} ${'GB/s'.padStart(7)} ${'copy GB/s'.padStart(10)} ${'us'.padStart(8)}  time vs copy of same bytes`);
  }
  for (const c of cases) {
    const bytes = 8 * N; // read x, write y
    // measured next to the kernel, so both see the same load on a shared machine
    const copyGbps = copyGbpsFor(bytes);
    const seconds = timeIt(c.fn);
    const gbps = bytes / seconds / 1e9;
    const r = {
      bench: 'dropout',
      kernel: c.kernel,
      threads: usedThreads,
      isa,
      shape: [ROWS, COLS],
      gbps: Number(gbps.toFixed(2)),
      copyGbps: Number(copyGbps.toFixed(2)),
      setGbps: Number(setGbps.toFixed(2)),
      timeVsCopy: Number((copyGbps / gbps).toFixed(2)),
      us: Number((seconds * 1e6).toFixed(1)),
    };
    results.push(r);
    if (json) console.log(JSON.stringify(r));
    else console.log(`${c.kernel.padEnd(24)} ${gbps.toFixed(1).padStart(7)} ${copyGbps.toFixed(1).padStart(10)} ${r.us.toFixed(1).padStart(8)}  ${r.timeVsCopy.toFixed(2)}x`);
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const t = args.indexOf('--threads');
  await run({ threads: t >= 0 ? Number(args[t + 1]) : undefined, json: args.includes('--json') });
}
