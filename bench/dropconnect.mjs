// node bench/dropconnect.mjs [--threads N] [--reps R] [--cpu] [--json]
// The DropConnect masked GEMMs two ways, interleaved in one run:
//   op:    dropconnect_forward (the mask made on the fly while the B panels are
//          packed; no copy of W) / dropconnect_backward_input (which masks a
//          copy itself: its fused transposed pack measured 2-16% slower),
//   copy:  dropout_forward(W -> Wm) (the same mask) + linear_forward / gemm on Wm,
// next to the plain unmasked linear_forward / gemm (what DropConnect adds).
// Prints ms per call (median of R; --cpu: the process's CPU time instead of wall time, steadier on a
// loaded machine) and the ratios copy/op and op/plain.
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const gw = require('../dist/index.js');
const { native } = require('../dist/binding.js');
const ops = native.ops;

const { values } = parseArgs({
  options: { threads: { type: 'string' }, reps: { type: 'string', default: '15' }, json: { type: 'boolean', default: false }, cpu: { type: 'boolean', default: false } },
});
if (values.threads) gw.setNumThreads(Number(values.threads));
const reps = Number(values.reps);

function rnd(n, seed) {
  let a = seed >>> 0;
  const o = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    o[i] = a / 2 ** 32 - 0.5;
  }
  return o;
}
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
function time(fn) {
  if (values.cpu) {
    const c = process.cpuUsage();
    fn();
    const u = process.cpuUsage(c);
    return (u.user + u.system) / 1e3;
  }
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const shapes = [
  [128, 784, 2048],
  [128, 2048, 2048],
  [128, 784, 1024],
  [128, 1024, 256],
];
const p = 0.5;
const results = [];
for (const [rows, inF, outF] of shapes) {
  const x = rnd(rows * inF, 1), w = rnd(inF * outF, 2), b = rnd(outF, 3), dy = rnd(rows * outF, 4);
  const y = new Float32Array(rows * outF), wm = new Float32Array(inF * outF), dx = new Float32Array(rows * inF);
  const fwd = {
    op: () => ops.dropconnect_forward(x, w, b, y, rows, inF, outF, 'relu', p, 1, 2, 3),
    copy: () => {
      ops.dropout_forward(w, wm, inF * outF, p, 1, 2, 3);
      ops.linear_forward(x, wm, b, y, rows, inF, outF, 'relu');
    },
    plain: () => ops.linear_forward(x, w, b, y, rows, inF, outF, 'relu'),
  };
  const bwd = {
    op: () => ops.dropconnect_backward_input(dy, w, dx, rows, inF, outF, p, 1, 2, 3),
    copy: () => {
      ops.dropout_forward(w, wm, inF * outF, p, 1, 2, 3);
      ops.gemm(false, true, rows, inF, outF, 1, dy, outF, wm, outF, 0, dx, inF);
    },
    plain: () => ops.gemm(false, true, rows, inF, outF, 1, dy, outF, w, outF, 0, dx, inF),
  };
  for (const [pass, fns] of [['forward', fwd], ['input grad', bwd]]) {
    const t = { op: [], copy: [], plain: [] };
    for (const k of Object.keys(t)) fns[k]();  // warm-up
    for (let r = 0; r < reps; r++) for (const k of Object.keys(t)) t[k].push(time(fns[k]));  // interleaved
    const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
    results.push({ shape: `${rows}x${inF}x${outF}`, pass, ...m, copyOverOp: m.copy / m.op, opOverPlain: m.op / m.plain });
  }
}
const info = gw.backend();
if (values.json) {
  console.log(JSON.stringify({ isa: info.isa, threads: gw.getNumThreads(), p, clock: values.cpu ? 'cpu' : 'wall', results }));
} else {
  console.log(`DropConnect masked GEMM, ${info.isa}, ${gw.getNumThreads()} thread(s), p = ${p}, median of ${reps} (${values.cpu ? 'CPU' : 'wall'} ms per call)`);
  console.log('| rows x in x out | pass | op ms | copy ms | plain ms | copy / op | op / plain |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(`| ${r.shape} | ${r.pass} | ${r.op.toFixed(2)} | ${r.copy.toFixed(2)} | ${r.plain.toFixed(2)} | ${r.copyOverOp.toFixed(2)} | ${r.opOverPlain.toFixed(2)} |`);
  }
}
