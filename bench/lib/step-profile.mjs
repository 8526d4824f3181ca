// Where the time of one training step goes: every step of the compiled training program (the layers'
// forward and backward ops, the loss, the optimizer) run on its own, synchronously, repeated; wall and
// CPU milliseconds per step and the share of the total CPU time. Used by bench/cnn-profile.mjs and
// bench/mlp-profile.mjs. CPU time (process.cpuUsage) is what to read on a loaded machine; at T > 1 it
// adds the threads up.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const gw = require('../../dist/index.js');
const { native } = require('../../dist/binding.js');

export { gw };

/** Profiles one training step of the compiled model `m` (input width `inWidth`, 10 classes) at batch `n`. */
export async function profileStep(m, { title, n, reps, threads, inWidth = 784, json = false }) {
  const x = new gw.Tensor(Float32Array.from({ length: n * inWidth }, (_, i) => ((i * 2654435761) >>> 24) / 255), [n, inWidth]);
  const y = Int32Array.from({ length: n }, (_, i) => i % 10);
  await m.trainOnBatch(x, y); // builds, allocates, warms up

  // The same steps the training program holds, layer by layer (lib/sequential/program.ts).
  const acts = [];
  const grads = [];
  let prev = new Float32Array(n * inWidth).fill(0.5);
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
  const input = new Float32Array(n * inWidth).fill(0.5);
  const last = m.layers.length - 1;
  m.layers.forEach((l, i) => {
    const xin = i === 0 ? input : acts[i - 1];
    l.forward({ x: xin, y: acts[i], rows: n, training: true, skipOutputActivation: i === last }).forEach((s) => time(`${l.name} forward ${s[0]}`, [s]));
  });
  time('loss sparse_cross_entropy', [['sparse_cross_entropy', acts[last], y, grads[last], new Float32Array(1), n, 10]]);
  for (let i = last; i >= 0; i--) {
    const l = m.layers[i];
    const xin = i === 0 ? input : acts[i - 1];
    const dx = i === 0 || l.aliasesInput ? null : grads[i - 1];
    l.backward({ x: xin, y: acts[i], dy: grads[i], dx, rows: n, skipOutputActivation: i === last }).forEach((s) => time(`${l.name} backward ${s[0]}`, [s]));
  }
  time(`${m.optimizer.constructor.name.toLowerCase()} (all parameters)`, m.optimizer.steps());
  const total = rows.reduce((a, r) => a + r.cpuMs, 0);
  if (json) {
    for (const r of rows) console.log(JSON.stringify({ ...r, share: r.cpuMs / total, threads, batch: n }));
    return rows;
  }
  console.log(`${title} training step, batch ${n}, ${threads} thread(s), ${gw.backend().isa}; mean of ${reps} runs per step`);
  console.log(`${'step'.padEnd(50)}${'wall ms'.padStart(9)}${'CPU ms'.padStart(9)}${'share'.padStart(8)}`);
  for (const r of rows) console.log(`${r.step.padEnd(50)}${r.wallMs.toFixed(3).padStart(9)}${r.cpuMs.toFixed(3).padStart(9)}${(100 * r.cpuMs / total).toFixed(1).padStart(7)}%`);
  console.log(`${'total'.padEnd(50)}${rows.reduce((a, r) => a + r.wallMs, 0).toFixed(3).padStart(9)}${total.toFixed(3).padStart(9)}  => ${(n / total * 1000).toFixed(0)} samples per CPU-second`);
  return rows;
}
