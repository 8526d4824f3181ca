// The one measuring and reporting loop of the kernel micro-benchmarks (bench/kernels/<family>.mjs).
// Each family lists its cases ({ kernel, bytes, fn }); runFamily times every case and, next to it
// (so both see the same load on a shared machine), the native copy of the same number of bytes,
// both with benchmark.js (mean time per call, relative margin of error at 95 %, samples), and
// prints a table or one JSON row per case:
//   { bench, kernel, threads, isa, shape, bytes, gbps, copyGbps, timeVsCopy, us, rme, samples,
//     copyRme, cpuUs }
// gbps = bytes / mean time; timeVsCopy = kernel time / copy time of the same bytes; rme and
// copyRme are in percent; cpuUs is the process CPU time per call (user + system, all threads).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const Benchmark = require('benchmark');
const gw = require('../../dist/index.js');
const { native } = require('../../dist/binding.js');

/** benchmark.js settings: at least `minSamples` samples and about `maxTime` seconds per case. */
export const DEFAULTS = { maxTime: 0.5, minSamples: 10 };

/**
 * Times `fn` with benchmark.js: mean seconds per call, relative margin of error (%), samples,
 * and the CPU seconds per call of this process (all threads).
 */
export function measure(fn, { maxTime = DEFAULTS.maxTime, minSamples = DEFAULTS.minSamples } = {}) {
  let calls = 0;
  const counted = () => {
    calls++;
    fn();
  };
  const cpu0 = process.cpuUsage();
  const b = new Benchmark(counted, { maxTime, minSamples, initCount: 1 });
  b.run();
  if (b.error) throw b.error;
  const cpu = process.cpuUsage(cpu0);
  return {
    seconds: b.stats.mean,
    rme: b.stats.rme,
    samples: b.stats.sample.length,
    cpuSeconds: (cpu.user + cpu.system) / 1e6 / Math.max(1, calls),
  };
}

const copyBuffers = new Map();

/** The native (threaded) copy moving `bytes` in total (half read, half written), timed like a kernel. */
export function measureCopy(bytes, options) {
  const n = Math.max(1, Math.round(bytes / 8));
  if (!copyBuffers.has(n)) copyBuffers.set(n, [new Float32Array(n).fill(1), new Float32Array(n)]);
  const [src, dst] = copyBuffers.get(n);
  const m = measure(() => native.ops.copy(src, dst, n), options);
  return { ...m, gbps: (2 * n * 4) / m.seconds / 1e9 };
}

/**
 * Runs a family's cases at `threads` (restored afterwards) and reports them; returns the rows.
 * `cases` is a list of { kernel, bytes, fn } or a function returning one (called after the
 * thread count is set).
 */
export async function runFamily({ bench, shape, cases, threads, json = false, options }) {
  const before = gw.getNumThreads();
  if (threads !== undefined) gw.setNumThreads(threads);
  const rows = [];
  try {
    const usedThreads = gw.getNumThreads();
    const isa = gw.backend().isa;
    const list = typeof cases === 'function' ? cases() : cases;
    if (!json) {
      console.log(`${bench}${shape ? ` ${shape.join('x')}` : ''} f32, isa ${isa}, ${usedThreads} thread(s); benchmark.js mean ± rme (95 %)`);
      console.log(`${'kernel'.padEnd(36)} ${'GB/s'.padStart(7)} ${'±%'.padStart(5)} ${'copy GB/s'.padStart(10)} ${'us'.padStart(9)} ${'cpu us'.padStart(9)}  time vs copy`);
    }
    for (const c of list) {
      const copy = measureCopy(c.bytes, options);
      const k = measure(c.fn, options);
      const gbps = c.bytes / k.seconds / 1e9;
      const row = {
        bench,
        kernel: c.kernel,
        threads: usedThreads,
        isa,
        ...(shape ? { shape } : {}),
        bytes: c.bytes,
        gbps: Number(gbps.toFixed(2)),
        copyGbps: Number(copy.gbps.toFixed(2)),
        timeVsCopy: Number((copy.gbps / gbps).toFixed(2)),
        us: Number((k.seconds * 1e6).toFixed(1)),
        rme: Number(k.rme.toFixed(2)),
        samples: k.samples,
        copyRme: Number(copy.rme.toFixed(2)),
        cpuUs: Number((k.cpuSeconds * 1e6).toFixed(1)),
      };
      rows.push(row);
      if (json) console.log(JSON.stringify(row));
      else {
        console.log(
          `${c.kernel.padEnd(36)} ${gbps.toFixed(2).padStart(7)} ${k.rme.toFixed(1).padStart(5)} ${copy.gbps.toFixed(2).padStart(10)} ` +
            `${row.us.toFixed(1).padStart(9)} ${row.cpuUs.toFixed(1).padStart(9)}  ${row.timeVsCopy.toFixed(2)}x`,
        );
      }
    }
  } finally {
    gw.setNumThreads(before);
  }
  return rows;
}

/** `node bench/kernels/<family>.mjs [--threads N] [--json]`: runs `run` when the file is the entry point. */
export async function runIfMain(moduleUrl, run) {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  const args = process.argv.slice(2);
  const t = args.indexOf('--threads');
  await run({ threads: t >= 0 ? Number(args[t + 1]) : undefined, json: args.includes('--json') });
}
