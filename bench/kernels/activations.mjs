// Activation kernels: throughput in GB/s (bytes read + written / time) next to
// a plain copy of the same bytes (the native `copy` op, threaded like the
// kernels, and Float32Array.prototype.set), measured in the same run.
// Size: 128 x 2048 floats (1 MiB per buffer). Run: node bench/kernels/activations.mjs [--json] [--threads N]
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { randomF32 as randomInput, timeIt } from '../lib/measure.mjs';

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
  const x = randomInput(N, 1);
  const dy = randomInput(N, 2);
  const y = new Float32Array(N);
  const dx = new Float32Array(N);
  // The copy baseline moves the same bytes as each kernel (bytes/8 floats read and written).
  const src = randomInput(2 * N, 3);
  const dst = new Float32Array(2 * N);
  const copyGbpsFor = (bytes) => bytes / timeIt(() => native.ops.copy(src, dst, bytes / 8)) / 1e9;
  const setGbps = (8 * N) / timeIt(() => dst.subarray(0, N).set(src.subarray(0, N))) / 1e9;

  const cases = [];
  for (const kind of kernels.activationKinds) {
    const alpha = undefined;
    cases.push({ kernel: `${kind}_forward`, bytes: 8 * N, fn: () => kernels.activationForward(kind, x, y, N, alpha) });
    kernels.activationForward(kind, x, y, N);
    // backward reads two of x, y, dy and writes dx
    cases.push({ kernel: `${kind}_backward`, bytes: 12 * N, fn: () => kernels.activationBackward(kind, x, y, dy, dx, N, alpha) });
  }
  cases.push({ kernel: 'softmax_forward', bytes: 8 * N, fn: () => kernels.softmaxForward(x, y, ROWS, COLS) });
  kernels.softmaxForward(x, y, ROWS, COLS);
  cases.push({ kernel: 'softmax_backward', bytes: 12 * N, fn: () => kernels.softmaxBackward(y, dy, dx, ROWS, COLS) });
  cases.push({ kernel: 'log_softmax_forward', bytes: 8 * N, fn: () => kernels.logSoftmaxForward(x, y, ROWS, COLS) });
  kernels.logSoftmaxForward(x, y, ROWS, COLS);
  cases.push({ kernel: 'log_softmax_backward', bytes: 12 * N, fn: () => kernels.logSoftmaxBackward(y, dy, dx, ROWS, COLS) });

  const results = [];
  if (!json) {
    console.log(`activations ${ROWS}x${COLS} f32, isa ${isa}, ${usedThreads} thread(s); TypedArray.set copy ${setGbps.toFixed(1)} GB/s`);
    console.log(`${'kernel'.padEnd(24)} ${'GB/s'.padStart(7)} ${'copy GB/s'.padStart(10)} ${'us'.padStart(8)}  time vs copy of same bytes`);
  }
  for (const c of cases) {
    // measured next to the kernel, so both see the same load on a shared machine
    const copyGbps = copyGbpsFor(c.bytes);
    const seconds = timeIt(c.fn);
    const gbps = c.bytes / seconds / 1e9;
    const r = {
      bench: 'activations',
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
