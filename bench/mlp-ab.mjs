// A/B of a kernel lever on bench:mnist's MLP training steps, both variants in the same process,
// interleaved round by round so both see the same load on a shared machine: median CPU and wall
// milliseconds per training step (trainOnBatch, batch 128) over the rounds, and B's ratio to A.
//   --lever optim   A: one optim_step per parameter (Optimizer.stepsPerTensor), B: one optim_step_multi
//   --lever bias    A: Dense backward's activation_backward then bias_grad, B: one activation_backward_bias
//
//   node bench/mlp-ab.mjs --lever optim|bias [--model small,bn,dropout] [--threads T] [--rounds R] [--steps S]
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { mlpModels } from './lib/mlp-models.mjs';

const require = createRequire(import.meta.url);
const gw = require('../dist/index.js');

const { values: opts } = parseArgs({
  options: {
    lever: { type: 'string', default: 'optim' },
    model: { type: 'string', default: 'small,bn,dropout' },
    threads: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '15' },
    steps: { type: 'string', default: '10' },
  },
});
const threads = Number(opts.threads), rounds = Number(opts.rounds);
gw.setNumThreads(threads);
const { Sequential, Dense } = gw;
const MODELS = mlpModels(gw);
// Each lever: how to turn it off on a freshly built (not yet compiled) model, and what A and B are.
const LEVERS = {
  optim: {
    a: 'one optim_step per parameter',
    b: 'one optim_step_multi',
    off: (layers, optimizer) => { optimizer.steps = optimizer.stepsPerTensor.bind(optimizer); },
  },
  bias: {
    a: 'activation_backward then bias_grad',
    b: 'one activation_backward_bias',
    off: (layers) => { for (const l of layers) if (l instanceof Dense) l.fuseBiasGrad = false; },
  },
};
const lever = LEVERS[opts.lever];
if (!lever) throw new RangeError(`--lever: unknown lever '${opts.lever}' (expected ${Object.keys(LEVERS).join(', ')})`);

const median = (xs) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
const n = 128;
const x = new gw.Tensor(Float32Array.from({ length: n * 784 }, (_, i) => ((i * 2654435761) >>> 24) / 255), [n, 784]);
const y = Int32Array.from({ length: n }, (_, i) => i % 10);
const os = require('node:os');
console.log(`lever ${opts.lever}: A = ${lever.a}, B = ${lever.b}; ${threads} thread(s), ${gw.backend().isa}, load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
console.log(`${'model'.padEnd(10)}${'A cpu ms'.padStart(10)}${'B cpu ms'.padStart(10)}${'B/A cpu'.padStart(9)}${'A wall'.padStart(9)}${'B wall'.padStart(9)}${'B/A wall'.padStart(10)}`);
for (const name of opts.model.split(',')) {
  const steps = name === 'dropout' ? Math.max(1, Number(opts.steps) >> 2) : Number(opts.steps);
  const variants = [];
  for (const on of [false, true]) {
    const [layers, optimizer] = MODELS[name]();
    if (!on) lever.off(layers, optimizer);
    const m = new Sequential(layers, { seed: 1 });
    m.compile({ optimizer, loss: 'sparseCategoricalCrossentropy' });
    await m.trainOnBatch(x, y);
    variants.push({ m, cpu: [], wall: [] });
  }
  for (let r = 0; r < rounds; r++) {
    for (const v of r % 2 ? [...variants].reverse() : variants) {
      const c0 = process.cpuUsage(), t0 = performance.now();
      for (let s = 0; s < steps; s++) await v.m.trainOnBatch(x, y);
      const c = process.cpuUsage(c0);
      v.cpu.push((c.user + c.system) / 1000 / steps);
      v.wall.push((performance.now() - t0) / steps);
    }
  }
  const [a, b] = variants.map((v) => ({ cpu: median(v.cpu), wall: median(v.wall) }));
  console.log(`${name.padEnd(10)}${a.cpu.toFixed(3).padStart(10)}${b.cpu.toFixed(3).padStart(10)}${(b.cpu / a.cpu).toFixed(3).padStart(9)}${a.wall.toFixed(3).padStart(9)}${b.wall.toFixed(3).padStart(9)}${(b.wall / a.wall).toFixed(3).padStart(10)}`);
}
