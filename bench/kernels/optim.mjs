// Fused optimizer step throughput on a 2048x2048 parameter buffer, per kind,
// next to a plain copy of the same number of bytes measured in the same run.
//
// Bytes of a step = (param read + written) + grad read + (each state read + written).
// The copy moves a buffer of half that size (read once, written once), so both
// figures count the same traffic. The steps are memory-bound: the target is
// to stay within 1.5x of the copy.
//
// Usage: node bench/kernels/optim.mjs [--threads N] [--json]   (after `npm run build:ts`)
import { createRequire } from 'module';
import { fileURLToPath } from 'url';
import path from 'path';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const N = 2048 * 2048;

const CONFIGS = [
  { name: 'sgd', kind: 'sgd', options: { lr: 0.01 } },
  { name: 'sgd_momentum', kind: 'sgd', options: { lr: 0.01, momentum: 0.9 } },
  { name: 'sgd_nesterov_l2', kind: 'sgd', options: { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-4 } },
  { name: 'adagrad', kind: 'adagrad', options: { lr: 0.01 } },
  { name: 'rmsprop', kind: 'rmsprop', options: { lr: 0.01 } },
  { name: 'rmsprop_centered_momentum', kind: 'rmsprop', options: { lr: 0.01, momentum: 0.9, centered: true } },
  { name: 'adam', kind: 'adam', options: { lr: 0.001 } },
  { name: 'adam_amsgrad', kind: 'adam', options: { lr: 0.001, amsgrad: true } },
  { name: 'adamw', kind: 'adamw', options: { lr: 0.001, weightDecay: 0.01 } },
  { name: 'adamax', kind: 'adamax', options: { lr: 0.002 } },
  { name: 'adadelta', kind: 'adadelta', options: { lr: 1.0 } },
];

// Best times (seconds) of `a` and `b`, measured alternately so that both see
// the same machine load: a warm-up, then at least 7 pairs and 0.4 s.
function bestTimes(a, b) {
  a();
  b();
  let bestA = Infinity;
  let bestB = Infinity;
  let total = 0;
  const time = (fn) => {
    const t0 = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  for (let i = 0; (i < 7 || total < 0.4) && i < 200; i++) {
    const ta = time(a);
    const tb = time(b);
    bestA = Math.min(bestA, ta);
    bestB = Math.min(bestB, tb);
    total += ta + tb;
  }
  return [bestA, bestB];
}

export async function run({ threads, json = false } = {}) {
  const gw = require(path.join(root, 'dist', 'index.js'));
  const { native } = require(path.join(root, 'dist', 'binding.js'));
  const { kernels } = gw;
  const before = gw.getNumThreads();
  if (threads !== undefined) gw.setNumThreads(threads);
  const usedThreads = gw.getNumThreads();
  const isa = gw.backend().isa;
  const results = [];
  try {
    const grad = new Float32Array(N);
    for (let i = 0; i < N; i++) grad[i] = Math.sin(i) * 1e-3;
    const status = new Float32Array(1);
    if (!json) {
      console.log(`optim_step on a 2048x2048 buffer, ${usedThreads} thread(s), ${isa}`);
      console.log('kernel                                MB/step   GB/s  copy GB/s  copy/step');
    }
    for (const config of CONFIGS) {
      const param = new Float32Array(N).fill(0.5);
      const hp = kernels.optimHyper(config.kind, config.options);
      hp[kernels.OPTIM_HP.t] = 2; // past the first step, so the state is read too
      const state = kernels.createOptimState(config.kind, hp, N);
      for (const s of state) s?.fill(0.25);
      const states = state.filter((s) => s !== null).length;
      const floats = N * (2 + 1 + 2 * states);
      const bytes = floats * 4;
      const step = () => kernels.optimStep(config.kind, param, grad, state, hp, status);
      // A copy of floats/2 elements reads and writes `bytes` in total.
      const src = new Float32Array(floats / 2).fill(1);
      const dst = new Float32Array(floats / 2);
      const copy = () => native.ops.copy(src, dst);
      const [tStep, tCopy] = bestTimes(step, copy);
      const gbps = bytes / tStep / 1e9;
      const copyGbps = bytes / tCopy / 1e9;
      const row = { kernel: `optim_step_${config.name}`, threads: usedThreads, isa, bytes, gbps, copyGbps };
      results.push(row);
      if (json) console.log(JSON.stringify(row));
      else {
        console.log(
          `${row.kernel.padEnd(37)} ${(bytes / 1e6).toFixed(1).padStart(7)} ${gbps.toFixed(2).padStart(6)} ` +
            `${copyGbps.toFixed(2).padStart(10)} ${(copyGbps / gbps).toFixed(2).padStart(10)}x`,
        );
      }
    }
    // Clipping: one read pass for the norm, one read+write pass to scale.
    {
      const g = new Float32Array(N).fill(1e-3);
      const out = new Float32Array(1);
      const bytes = N * 4 * 3;
      const clip = () => kernels.clipGradNorm([g], 1e-9, out); // always scales
      const src = new Float32Array((N * 3) / 2).fill(1);
      const dst = new Float32Array((N * 3) / 2);
      const [tClip, tCopy] = bestTimes(clip, () => native.ops.copy(src, dst));
      const row = { kernel: 'clip_grad_norm', threads: usedThreads, isa, bytes, gbps: bytes / tClip / 1e9, copyGbps: bytes / tCopy / 1e9 };
      results.push(row);
      if (json) console.log(JSON.stringify(row));
      else {
        console.log(
          `${row.kernel.padEnd(37)} ${(bytes / 1e6).toFixed(1).padStart(7)} ${row.gbps.toFixed(2).padStart(6)} ` +
            `${row.copyGbps.toFixed(2).padStart(10)} ${(row.copyGbps / row.gbps).toFixed(2).padStart(10)}x`,
        );
      }
    }
  } finally {
    gw.setNumThreads(before);
  }
  return results;
}

// Run directly: node bench/kernels/optim.mjs [--threads N] [--json]
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const ti = args.indexOf('--threads');
  const threads = ti >= 0 ? Number(args[ti + 1]) : undefined;
  await run({ threads, json: args.includes('--json') });
}
