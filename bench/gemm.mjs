// SGEMM throughput: gradwell vs OpenBLAS on the shapes an MLP with batch 128
// needs, at 1 thread and at all threads, plus the fraction of this CPU's peak.
//
//   npm run bench:gemm                 table
//   npm run bench:gemm -- --json       one JSON object per line
//   options: --rounds N (default 3), --seconds S per measurement (default 0.25),
//            timing: fastest single call (1 thread: process CPU time; more: wall time),
//            --no-openblas, --threads a,b (default 1,<all>), --shapes mlp|small|M,N,K,tA,tB;...
//
// OpenBLAS is only a reference: bench/openblas-sgemm.c is compiled into a temp
// directory at run time against the system's libopenblas (Debian:
// apt-get install libopenblas0-openmp libopenblas-openmp-dev); gradwell never
// links it. Peak is measured by bench/fma-peak.c (24 independent FMA chains on
// one core) times the thread count.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, loadavg, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const gw = require('../dist/index.js');
const here = dirname(fileURLToPath(import.meta.url));

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const json = flag('--json');
const rounds = Number(option('--rounds', '3'));
const seconds = Number(option('--seconds', '0.25'));
const allThreads = gw.backend().threads;
const threadCounts = option('--threads', `1,${allThreads}`)
  .split(',')
  .map(Number)
  .filter((t, i, arr) => t >= 1 && arr.indexOf(t) === i);

// [M, N, K, transA, transB]: forward x*W (NN), output layer (N = 10), backward
// dW = x^T dy (TN) and dx = dy W^T (NT), and a square reference.
// --shapes small: the GEMMs of bench:mnist's `small` step (784-256-128-10, batch
// 128), whose 128-row problems are where a second thread pays least.
// --shapes M,N,K,tA,tB;...: any others.
const SHAPE_SETS = {
  mlp: [
    [128, 2048, 784, false, false],
    [128, 2048, 2048, false, false],
    [128, 10, 2048, false, false],
    [784, 2048, 128, true, false],
    [128, 784, 2048, false, true],
    [1024, 1024, 1024, false, false],
  ],
  small: [
    [128, 256, 784, false, false],
    [128, 128, 256, false, false],
    [784, 256, 128, true, false],
    [256, 128, 128, true, false],
    [128, 256, 128, false, true],
    [1000, 256, 784, false, false],
  ],
};
function parseShapes(text) {
  if (SHAPE_SETS[text]) return SHAPE_SETS[text];
  return text.split(';').map((item) => {
    const f = item.split(',').map(Number);
    if (f.length !== 5 || !f.slice(0, 3).every((x) => Number.isInteger(x) && x > 0) || !f.slice(3).every((x) => x === 0 || x === 1)) {
      throw new RangeError(`--shapes: expected ${Object.keys(SHAPE_SETS).join(' or ')} or M,N,K,tA,tB;... (got '${item}')`);
    }
    return [f[0], f[1], f[2], f[3] === 1, f[4] === 1];
  });
}
const SHAPES = parseShapes(option('--shapes', 'mlp'));
const shapeName = ([M, N, K, tA, tB]) => `${M}x${N}x${K} ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}`;

const log = (...a) => {
  if (!json) console.log(...a);
};
const emit = (obj) => {
  if (json) console.log(JSON.stringify(obj));
};

function compile(source, out, extra) {
  execFileSync('cc', ['-O2', '-o', out, join(here, source), ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
}

const workDir = mkdtempSync(join(tmpdir(), 'gradwell-bench-gemm-'));

// Peak of one core: a compiled FMA-throughput loop (AVX-512 if this CPU has it).
function measurePeak() {
  const isa = gw.backend().detectedIsa;
  const flags = isa === 'avx512' ? ['-mavx512f', '-mfma'] : ['-mavx2', '-mfma'];
  try {
    const exe = join(workDir, 'fma-peak');
    compile('fma-peak.c', exe, flags);
    const r = JSON.parse(execFileSync(exe, { encoding: 'utf8' }).trim());
    return { gflops: r.gflops, how: `measured: ${r.lanes}-lane FMA loop, 24 chains, 1 core` };
  } catch (err) {
    return { gflops: NaN, how: `unavailable (${String(err.message).split('\n')[0]})` };
  }
}

function findOpenBlas() {
  for (const variant of ['openblas-openmp', 'openblas-pthread', 'openblas-serial']) {
    const lib = `/usr/lib/x86_64-linux-gnu/${variant}`;
    const inc = `/usr/include/x86_64-linux-gnu/${variant}`;
    if (existsSync(join(lib, 'libopenblas.so')) && existsSync(join(inc, 'cblas.h'))) return { lib, inc, variant };
  }
  for (const base of ['/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib']) {
    if (existsSync(join(base, 'libopenblas.so'))) return { lib: base, inc: '/usr/include', variant: 'openblas' };
  }
  return null;
}

function buildOpenBlas() {
  if (flag('--no-openblas')) return { error: 'disabled by --no-openblas' };
  const found = findOpenBlas();
  if (!found) {
    return { error: 'libopenblas not found (Debian: apt-get install libopenblas0-openmp libopenblas-openmp-dev)' };
  }
  try {
    const exe = join(workDir, 'openblas-sgemm');
    compile('openblas-sgemm.c', exe, [
      `-I${found.inc}`, `-L${found.lib}`, '-lopenblas', `-Wl,-rpath,${found.lib}`,
    ]);
    return { exe, variant: found.variant };
  } catch (err) {
    return { error: `could not build the OpenBLAS timer: ${String(err.stderr ?? err.message).split('\n')[0]}` };
  }
}

// Runs the OpenBLAS timer for every shape at one thread count; its own
// tuning variables from the environment are removed so it picks its kernels itself.
function runOpenBlas(exe, threads) {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const args = [String(threads), String(seconds), ...SHAPES.map(([M, N, K, a, b]) => `${M},${N},${K},${+a},${+b}`)];
  const lines = execFileSync(exe, args, { env, encoding: 'utf8' }).trim().split('\n').map((l) => JSON.parse(l));
  return { info: lines[0], results: lines.slice(1).map((r) => r.gflops) };
}

function randomData(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296 - 0.5;
  }
  return out;
}

// The fastest single call within the time budget. With one thread the clock
// is process CPU time (time slices lost to other processes on a shared
// machine do not count); with more threads, wall time. The OpenBLAS timer
// measures the same way.
function cpuSeconds() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
function wallSeconds() {
  return Number(process.hrtime.bigint()) / 1e9;
}
function timeGradwell([M, N, K, tA, tB], threads) {
  gw.setNumThreads(threads);
  const a = randomData(M * K, 1);
  const b = randomData(K * N, 2);
  const c = new Float32Array(M * N);
  const lda = tA ? M : K;
  const ldb = tB ? K : N;
  const run = () => gw.kernels.gemm(tA, tB, M, N, K, 1, a, lda, b, ldb, 0, c, N);
  const clock = threads === 1 ? cpuSeconds : wallSeconds;
  run();
  let best = Infinity;
  let spent = 0;
  for (let r = 0; r < 3 || (spent < seconds && r < 100000); r++) {
    const t0 = clock();
    run();
    const dt = clock() - t0;
    spent += dt;
    if (dt > 0 && dt < best) best = dt;
  }
  return (2 * M * N * K) / best / 1e9;
}

// CPU time the process burns while idle right after a large multi-threaded GEMM
// (OpenMP workers must go to sleep, not spin).
async function idleCpuAfterGemm() {
  gw.setNumThreads(allThreads);
  const n = 1024;
  const a = randomData(n * n, 3);
  const c = new Float32Array(n * n);
  for (let r = 0; r < 3; r++) gw.kernels.gemm(false, false, n, n, n, 1, a, n, a, n, 0, c, n);
  const before = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

const info = gw.backend();
const peak = measurePeak();
const openblas = buildOpenBlas();
log(`gradwell ${info.version}: isa ${info.isa}, ${info.threads} threads (OpenMP ${info.openmp}), ${cpus()[0]?.model ?? '?'}`);
log(`peak: ${peak.gflops.toFixed(1)} GFLOP/s per core (${peak.how}); load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

const best = new Map(); // key -> { gw, ob }
const key = (s, t) => `${shapeName(s)}@${t}`;
let openblasInfo = null;
for (let round = 0; round < rounds; round++) {
  for (const t of threadCounts) {
    if (openblas.exe) {
      try {
        const r = runOpenBlas(openblas.exe, t);
        openblasInfo = r.info;
        SHAPES.forEach((s, i) => {
          const e = best.get(key(s, t)) ?? { gw: 0, ob: 0 };
          e.ob = Math.max(e.ob, r.results[i]);
          best.set(key(s, t), e);
        });
      } catch (err) {
        openblas.error = `OpenBLAS timer failed: ${String(err.message).split('\n')[0]}`;
        openblas.exe = null;
      }
    }
    for (const s of SHAPES) {
      const e = best.get(key(s, t)) ?? { gw: 0, ob: 0 };
      e.gw = Math.max(e.gw, timeGradwell(s, t));
      best.set(key(s, t), e);
    }
  }
}
gw.setNumThreads(allThreads);

if (openblasInfo) {
  log(`OpenBLAS (${openblas.variant}): core type ${openblasInfo.corename}; ${openblasInfo.config}`);
} else {
  log(`OpenBLAS: not measured, ${openblas.error}`);
}
log('');
log('shape (MxNxK op)     threads  gradwell GFLOP/s  %peak   OpenBLAS GFLOP/s  ratio');
for (const t of threadCounts) {
  for (const s of SHAPES) {
    const e = best.get(key(s, t));
    const peakFraction = e.gw / (peak.gflops * t);
    const ratio = e.ob > 0 ? e.gw / e.ob : NaN;
    log(
      `${shapeName(s).padEnd(21)}${String(t).padStart(7)}${e.gw.toFixed(1).padStart(18)}${(100 * peakFraction).toFixed(0).padStart(6)}%` +
        `${(e.ob > 0 ? e.ob.toFixed(1) : '-').padStart(19)}${(Number.isNaN(ratio) ? '-' : ratio.toFixed(2)).padStart(7)}`,
    );
    emit({
      shape: shapeName(s),
      M: s[0], N: s[1], K: s[2], transA: s[3], transB: s[4],
      threads: t,
      gflops: Number(e.gw.toFixed(2)),
      peakGflops: Number((peak.gflops * t).toFixed(2)),
      peakFraction: Number(peakFraction.toFixed(3)),
      openblasGflops: e.ob > 0 ? Number(e.ob.toFixed(2)) : null,
      ratio: Number.isNaN(ratio) ? null : Number(ratio.toFixed(3)),
      isa: info.isa,
      openblasCore: openblasInfo?.corename ?? null,
    });
  }
}
const idle = await idleCpuAfterGemm();
log('');
log(`idle: ${idle.toFixed(3)} s of CPU time in the 2 s after a ${allThreads}-thread 1024^3 GEMM`);
emit({ idleCpuSeconds: Number(idle.toFixed(3)), threads: allThreads });
