// Where the time of one training step of the MNIST CNN (bench:mnist --model cnn) goes (bench/lib/step-profile.mjs).
//
//   node bench/cnn-profile.mjs [--threads T] [--batch B] [--reps R] [--json]
import { parseArgs } from 'node:util';
import { gw, profileStep } from './lib/step-profile.mjs';

const { values: opts } = parseArgs({
  options: { threads: { type: 'string', default: '1' }, batch: { type: 'string', default: '128' }, reps: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } },
});
const threads = Number(opts.threads);
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
await profileStep(m, { title: 'MNIST CNN', n: Number(opts.batch), reps: Number(opts.reps), threads, json: opts.json });
