// Where the time of one training step of the MNIST CNN (bench:mnist --model cnn) goes: every step of
// the compiled training program (the layers' forward and backward ops, the loss, Adam) run on its own,
// synchronously, repeated; wall and CPU milliseconds per step and the share of the total CPU time.
//
//   node bench/cnn-profile.mjs [--threads T] [--batch B] [--reps R] [--json]
//
// CPU time (process.cpuUsage) is what to read on a loaded machine; at T > 1 it adds the threads up.
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const gw = require('../dist/index.js');
const { native } = require('../dist/binding.js');

const { values: opts } = parseArgs({
  options: { threads: { type: 'string', default: '1' }, batch: { type: 'string', default: '128' }, reps: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } },
});
const threads = Number(opts.threads), n = Number(opts.batch), reps = Number(opts.reps);
gw.setNumThreads(threads);

const he = { kernelInitializer: 'heNormal' };
const m = new gw.Sequential([
  new gw.Reshape({ targetShape: [1, 28, 28], inputShape: [784] }),
  new gw.Conv2D({ filters: 32, kernelSize: 5, padding: 2, activation: 'relu', ...he }),
  new gw.MaxPool2D({ poolSize: 2 }),
  new gw.Conv2D({ filters: 64, kernelSize: 5, padding: 2, activation: 'relu', ...he }),
  new gw.MaxPool2D({ poolSize: 2 }),
  new gw.Flatten(),
  new gw.Dense({ units: 128, activation: 'relu', ...he }),
  new gw.Dense({ units: 10, ...he }),
], { seed: 1 });
m.compile({ optimizer: new gw.Adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy' });
const x = new gw.Tensor(Float32Array.from({ length: n * 784 }, (_, i) => ((i * 2654435761) >>> 24) / 255), [n, 784]);
const y = Int32Array.from({ length: n }, (_, i) => i % 10);
await m.trainOnBatch(x, y); // builds, allocates, warms up

// The same steps the training program holds, layer by layer (lib/sequential/program.ts).
const acts = [];
const grads = [];
let prev = new Float32Array(n * 784).fill(0.5);
let prevGrad = null;
for (const l of m.layers) {
  l.allocate(n);
  const size = n * l.outputShape.reduce((a, b) => a * b, 1);
  const a = l.aliasesInput ? prev : new Float32Array(size).fill(0.1);
  const g = l.aliasesInput ? prevGrad : new Float32Array(size).fill(0.01);
  acts.push(a);
  grads.push(g);
  prev = a;
  prevGrad = g;
}
const rows = [];
const time = (label, steps) => {
  if (steps.length === 0) return;
  for (const s of steps) native.ops[s[0]](...s.slice(1));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) for (const s of steps) native.ops[s[0]](...s.slice(1));
  const c = process.cpuUsage(c0);
  rows.push({ step: label, wallMs: (performance.now() - t0) / reps, cpuMs: (c.user + c.system) / 1000 / reps });
};
const input = new Float32Array(n * 784).fill(0.5);
m.layers.forEach((l, i) => {
  const xin = i === 0 ? input : acts[i - 1];
  l.forward({ x: xin, y: acts[i], rows: n, training: true, skipOutputActivation: i === m.layers.length - 1 }).forEach((s) => time(`${l.name} forward ${s[0]}`, [s]));
});
time('loss sparse_cross_entropy', [['sparse_cross_entropy', acts[acts.length - 1], y, grads[grads.length - 1], new Float32Array(1), n, 10]]);
for (let i = m.layers.length - 1; i >= 0; i--) {
  const l = m.layers[i];
  const xin = i === 0 ? input : acts[i - 1];
  const dx = i === 0 || l.aliasesInput ? null : grads[i - 1];
  l.backward({ x: xin, y: acts[i], dy: grads[i], dx, rows: n, skipOutputActivation: i === m.layers.length - 1 }).forEach((s) => time(`${l.name} backward ${s[0]}`, [s]));
}
time('adam (all parameters)', m.optimizer.steps());
const total = rows.reduce((a, r) => a + r.cpuMs, 0);
if (opts.json) {
  for (const r of rows) console.log(JSON.stringify({ ...r, share: r.cpuMs / total, threads, batch: n }));
} else {
  console.log(`MNIST CNN training step, batch ${n}, ${threads} thread(s), ${gw.backend().isa}; mean of ${reps} runs per step`);
  console.log(`${'step'.padEnd(50)}${'wall ms'.padStart(9)}${'CPU ms'.padStart(9)}${'share'.padStart(8)}`);
  for (const r of rows) console.log(`${r.step.padEnd(50)}${r.wallMs.toFixed(2).padStart(9)}${r.cpuMs.toFixed(2).padStart(9)}${(100 * r.cpuMs / total).toFixed(1).padStart(7)}%`);
  console.log(`${'total'.padEnd(50)}${rows.reduce((a, r) => a + r.wallMs, 0).toFixed(2).padStart(9)}${total.toFixed(2).padStart(9)}  => ${(n / total * 1000).toFixed(0)} samples per CPU-second`);
}
