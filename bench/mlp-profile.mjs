// Where the time of one training step of bench:mnist's MLPs (bench/lib/mlp-models.mjs) goes
// (bench/lib/step-profile.mjs).
//
//   node bench/mlp-profile.mjs [--model small,bn,dropout] [--threads T] [--batch B] [--reps R] [--json]
import { parseArgs } from 'node:util';
import { gw, profileStep } from './lib/step-profile.mjs';
import { mlpModels } from './lib/mlp-models.mjs';

const { values: opts } = parseArgs({
  options: {
    model: { type: 'string', default: 'small,bn,dropout' },
    threads: { type: 'string', default: '1' },
    batch: { type: 'string', default: '128' },
    reps: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
  },
});
const threads = Number(opts.threads);
gw.setNumThreads(threads);

const { Sequential } = gw;
const MODELS = mlpModels(gw);
for (const name of opts.model.split(',')) {
  if (!MODELS[name]) throw new RangeError(`--model: unknown model '${name}' (expected ${Object.keys(MODELS).join(', ')})`);
  const [layers, optimizer] = MODELS[name]();
  const m = new Sequential(layers, { seed: 1 });
  m.compile({ optimizer, loss: 'sparseCategoricalCrossentropy' });
  await profileStep(m, { title: name, n: Number(opts.batch), reps: Number(opts.reps), threads, json: opts.json });
}
