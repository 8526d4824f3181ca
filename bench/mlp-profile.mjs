// Where the time of one training step of bench:mnist's MLPs goes (bench/lib/step-profile.mjs):
//   small    784-256-128-10 ReLU, Adam
//   bn       784-512-BN-ReLU-512-BN-ReLU-10, Adam
//   dropout  784-2048x3-10 ReLU, dropout 0.5 after each hidden layer, SGD momentum 0.9
//
//   node bench/mlp-profile.mjs [--model small,bn,dropout] [--threads T] [--batch B] [--reps R] [--json]
import { parseArgs } from 'node:util';
import { gw, profileStep } from './lib/step-profile.mjs';

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

const { Sequential, Dense, Dropout, BatchNorm, Activation, Adam, SGD } = gw;
const MODELS = {
  small: () => [[new Dense({ units: 256, activation: 'relu', inputShape: [784] }), new Dense({ units: 128, activation: 'relu' }), new Dense({ units: 10 })], new Adam({ lr: 1e-3 })],
  bn: () => [[
    new Dense({ units: 512, inputShape: [784] }), new BatchNorm(), new Activation('relu'),
    new Dense({ units: 512 }), new BatchNorm(), new Activation('relu'),
    new Dense({ units: 10 }),
  ], new Adam({ lr: 1e-3 })],
  dropout: () => [[
    new Dense({ units: 2048, activation: 'relu', inputShape: [784] }), new Dropout(0.5),
    new Dense({ units: 2048, activation: 'relu' }), new Dropout(0.5),
    new Dense({ units: 2048, activation: 'relu' }), new Dropout(0.5),
    new Dense({ units: 10 }),
  ], new SGD({ lr: 0.01, momentum: 0.9 })],
};
for (const name of opts.model.split(',')) {
  if (!MODELS[name]) throw new RangeError(`--model: unknown model '${name}' (expected ${Object.keys(MODELS).join(', ')})`);
  const [layers, optimizer] = MODELS[name]();
  const m = new Sequential(layers, { seed: 1 });
  m.compile({ optimizer, loss: 'sparseCategoricalCrossentropy' });
  await profileStep(m, { title: name, n: Number(opts.batch), reps: Number(opts.reps), threads, json: opts.json });
}
