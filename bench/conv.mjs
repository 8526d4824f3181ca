// Convolution and pooling kernels of the MNIST CNN (issue 13: conv 1->32 5x5 pad 2 on 28x28, max pool 2,
// conv 32->64 5x5 pad 2 on 14x14, max pool 2; batch 128) against PyTorch in the same run.
//
//   npm run bench:conv                  table (1 and 2 threads)
//   npm run bench:conv -- --json        one JSON object per line
//   options: --threads 1,2   --seconds S (per measurement, default 0.4)   --no-torch   --only conv2
//
// Per op: gradwell's and PyTorch's seconds per call (fastest batch of repeated calls, wall
// time; CPU time alongside, so a loaded machine's lost slices show), the ratio (PyTorch time /
// gradwell time: > 1 means gradwell is faster), GFLOP/s and the fraction of the peak (bench/fma-peak.c
// x threads). PyTorch is Debian's python3-torch run by /usr/bin/python3 with OMP_WAIT_POLICY=PASSIVE
// and torch.set_num_threads matched.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const gw = require('../dist/index.js');
const { native } = require('../dist/binding.js');
const here = dirname(fileURLToPath(import.meta.url));

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const json = flag('--json');
const seconds = Number(option('--seconds', '0.4'));
const threadCounts = option('--threads', '1,2').split(',').map(Number).filter((t) => t >= 1);
const only = option('--only', '');

const N = 128;
const WORK = [
  { name: 'conv1', kind: 'conv', N, C: 1, H: 28, W: 28, K: 32, k: 5, p: 2, ops: ['forward', 'backward_data', 'backward_filter'] },
  { name: 'pool1', kind: 'pool', N, C: 32, H: 28, W: 28, ops: ['forward', 'backward'] },
  { name: 'conv2', kind: 'conv', N, C: 32, H: 14, W: 14, K: 64, k: 5, p: 2, ops: ['forward', 'backward_data', 'backward_filter'] },
  { name: 'pool2', kind: 'pool', N, C: 64, H: 14, W: 14, ops: ['forward', 'backward'] },
].filter((w) => !only || only.split(',').includes(w.name));

const log = (...a) => { if (!json) console.log(...a); };

function rand(n, seed) {
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

function timeIt(fn) {
  for (let i = 0; i < 3; i++) fn();
  let reps = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) fn();
    if (Number(process.hrtime.bigint() - t0) / 1e9 >= seconds / 8) break;
    reps *= 2;
  }
  let wall = Infinity, cpu = Infinity;
  for (let b = 0; b < 7; b++) {
    const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
    for (let i = 0; i < reps; i++) fn();
    const c = process.cpuUsage(c0);
    wall = Math.min(wall, Number(process.hrtime.bigint() - t0) / 1e9 / reps);
    cpu = Math.min(cpu, (c.user + c.system) / 1e6 / reps);
  }
  return { wall, cpu };
}

function flops(w, op) {
  if (w.kind !== 'conv') return 0;
  return 2 * w.N * w.K * w.H * w.W * w.C * w.k * w.k;  // 'same' padding: OH = H
}

function gradwellFns(w) {
  const ops = native.ops;
  if (w.kind === 'conv') {
    const s = [w.N, w.C, w.H, w.W, w.K, w.k, w.k, 1, 1, w.p, w.p, 1, 1, 1];
    const x = rand(w.N * w.C * w.H * w.W, 1), wt = rand(w.K * w.C * w.k * w.k, 2), b = rand(w.K, 3);
    const y = new Float32Array(w.N * w.K * w.H * w.W), dy = rand(y.length, 4);
    const dx = new Float32Array(x.length), dw = new Float32Array(wt.length), db = new Float32Array(w.K);
    return {
      forward: () => ops.conv2d_forward(x, wt, b, y, ...s),
      backward_data: () => ops.conv2d_backward_data(dy, wt, dx, ...s),
      backward_filter: () => ops.conv2d_backward_filter(x, dy, dw, db, ...s),
    };
  }
  const s = [w.N, w.C, w.H, w.W, 2, 2, 2, 2, 0, 0];
  const x = rand(w.N * w.C * w.H * w.W, 5), y = new Float32Array(x.length / 4), am = new Int32Array(y.length);
  const dy = rand(y.length, 6), dx = new Float32Array(x.length);
  ops.maxpool2d_forward(x, y, am, ...s);
  return {
    forward: () => ops.maxpool2d_forward(x, y, am, ...s),
    backward: () => ops.maxpool2d_backward(dy, am, dx, ...s),
  };
}

function peakPerCore() {
  try {
    const dir = mkdtempSync(join(tmpdir(), 'gradwell-bench-conv-'));
    const exe = join(dir, 'fma-peak');
    const isa = gw.backend().detectedIsa;
    execFileSync('cc', ['-O2', '-o', exe, join(here, 'fma-peak.c'), ...(isa === 'avx512' ? ['-mavx512f', '-mfma'] : ['-mavx2', '-mfma'])]);
    return JSON.parse(execFileSync(exe, { encoding: 'utf8' }).trim()).gflops;
  } catch {
    return NaN;
  }
}

function torchRun(threads) {
  if (flag('--no-torch')) return new Map();
  try {
    const out = execFileSync('/usr/bin/python3', [join(here, 'conv-torch.py'), String(threads), String(seconds), JSON.stringify(WORK)], {
      encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: String(threads) }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Map(out.trim().split('\n').map((l) => JSON.parse(l)).map((r) => [`${r.name} ${r.op}`, r]));
  } catch (err) {
    log(`PyTorch unavailable: ${String(err.message).split('\n')[0]}`);
    return new Map();
  }
}

const peak = peakPerCore();
const be = gw.backend();
log(`gradwell ${be.version}, ISA ${be.isa}, peak ${peak.toFixed(1)} GFLOP/s per core (bench/fma-peak.c), load average ${loadavg()[0].toFixed(2)}`);
for (const threads of threadCounts) {
  gw.setNumThreads(threads);
  const torch = torchRun(threads);
  log(`\n${threads} thread(s), batch ${N}: ms per call (wall; CPU), ratio = PyTorch / gradwell wall time`);
  log('op                      gradwell ms (cpu)      torch ms (cpu)     ratio   GFLOP/s  %peak');
  for (const w of WORK) {
    const fns = gradwellFns(w);
    for (const op of w.ops) {
      const g = timeIt(fns[op]);
      const t = torch.get(`${w.name} ${op}`);
      const f = flops(w, op);
      const gflops = f ? f / g.wall / 1e9 : NaN;
      const row = {
        name: w.name, op, threads, gradwellMs: g.wall * 1e3, gradwellCpuMs: g.cpu * 1e3,
        torchMs: t ? t.wall * 1e3 : null, torchCpuMs: t ? t.cpu * 1e3 : null, ratio: t ? t.wall / g.wall : null,
        gflops: f ? gflops : null, peakFraction: f ? gflops / (peak * threads) : null,
      };
      if (json) console.log(JSON.stringify(row));
      const fmt = (v, d = 2) => (v === null || Number.isNaN(v) ? '-' : v.toFixed(d));
      log(`${`${w.name} ${op}`.padEnd(24)}${fmt(row.gradwellMs).padStart(8)} (${fmt(row.gradwellCpuMs)})`.padEnd(46) +
        `${fmt(row.torchMs).padStart(8)} (${fmt(row.torchCpuMs)})`.padEnd(20) + `${fmt(row.ratio)}x`.padStart(7) +
        `${fmt(row.gflops, 1)}`.padStart(9) + `${f ? (100 * row.peakFraction).toFixed(0) + '%' : '-'}`.padStart(7));
    }
  }
}
