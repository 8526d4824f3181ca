// Regressions found while writing the experiments (bench/experiments).
import { describe, expect, it } from 'vitest';
import { Dense, EarlyStopping, Sequential, Tensor } from '../lib';
import { blobs } from './helpers/data';

function model(): Sequential {
  const m = new Sequential([new Dense({ units: 16, activation: 'relu', inputShape: [4] }), new Dense({ units: 3 })], { seed: 3 });
  m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

describe('programs compiled after a larger source used the index buffer', () => {
  it('fit validates on validationData smaller than the training set', async () => {
    const train = blobs(400, 4, 3, 1);
    const val = blobs(50, 4, 3, 2);
    const m = model();
    const h = await m.fit(train.x, train.y, { epochs: 2, batchSize: 64, validationData: [val.x, val.y] });
    expect(h.history.valLoss).toHaveLength(2);
    // The same numbers as evaluating the validation set directly after training.
    const ev = await m.evaluate(val.x, val.y);
    expect(h.history.valAccuracy[1]).toBeCloseTo(ev.accuracy, 6);
  });

  it('predict and evaluate on a smaller set after fitting a larger one', async () => {
    const train = blobs(300, 4, 3, 4);
    const m = model();
    await m.fit(train.x, train.y, { epochs: 1, batchSize: 300, shuffle: true });
    const small = new Tensor(train.x.data.slice(0, 5 * 4), [5, 4]);
    const p = await m.predict(small);
    const all = await m.predict(train.x);
    expect(Array.from(p.data)).toEqual(Array.from(all.data.subarray(0, 15)));
    const ev = await m.evaluate(small, train.y.slice(0, 5));
    expect(Number.isFinite(ev.loss)).toBe(true);
  });
});

describe('EarlyStopping({ restoreBestWeights }) with a real model', () => {
  it('puts back the weights of the best epoch at the end of fit', async () => {
    const train = blobs(300, 4, 3, 7);
    const val = blobs(60, 4, 3, 8);
    const m = model();
    const snapshots: Map<string, Float32Array>[] = [];
    const es = new EarlyStopping({ monitor: 'valLoss', patience: 10, restoreBestWeights: true });
    // Record each epoch's weights after EarlyStopping has seen the epoch.
    const h = await m.fit(train.x, train.y, {
      epochs: 4,
      batchSize: 32,
      validationData: [val.x, val.y],
      callbacks: [es, { onEpochEnd: () => void snapshots.push(m.getWeights()) }],
    });
    const best = h.history.valLoss.indexOf(Math.min(...h.history.valLoss));
    expect(es.bestEpoch).toBe(best);
    const now = m.getWeights();
    for (const [k, v] of snapshots[best]) expect(Array.from(now.get(k)!)).toEqual(Array.from(v));
  });

  it('still refuses setWeights while a step runs', async () => {
    // A step long enough (~0.1 s) that the check below lands while it runs.
    const n = 512;
    const x = new Tensor(new Float32Array(n * 512).map((_, i) => ((i * 7919) % 97) / 97), [n, 512]);
    const y = Int32Array.from({ length: n }, (_, i) => i % 3);
    const m = new Sequential([new Dense({ units: 2048, activation: 'relu', inputShape: [512] }), new Dense({ units: 3 })]);
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    m.build();
    const w = m.getWeights();
    let message = '';
    await m.fit(x, y, {
      epochs: 1,
      batchSize: n,
      callbacks: [
        {
          // The step starts right after this hook; setImmediate fires once it is on the worker.
          onBatchBegin: () =>
            void setImmediate(() => {
              try {
                m.setWeights(w);
              } catch (e) {
                message = (e as Error).message;
              }
            }),
        },
      ],
    });
    expect(message).toMatch(/busy with fit/);
  });
});
