// Regressions found while writing the experiments (bench/experiments).
import { describe, expect, it } from 'vitest';
import { Dense, Sequential, Tensor } from '../lib';
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
