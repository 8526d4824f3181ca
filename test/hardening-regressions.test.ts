// Regressions for bugs found by the soak scripts (bench/soak).
import { describe, expect, it } from 'vitest';
import { Adam, Dense, Sequential, Tensor } from '../lib';
import { blobs } from './helpers/data';

describe('programs compiled after a larger data set ran', () => {
  it('fit with validationData smaller than the training set (was RangeError "index out of range" from the stale batch index)', async () => {
    const all = blobs(552, 8, 3, 1);
    const train = { x: new Tensor(all.x.data.slice(0, 512 * 8), [512, 8]), y: all.y.slice(0, 512) };
    const val = { x: new Tensor(all.x.data.slice(512 * 8), [40, 8]), y: all.y.slice(512) };
    const m = new Sequential([new Dense({ units: 16, activation: 'relu', inputShape: [8] }), new Dense({ units: 3 })], { seed: 4 });
    m.compile({ optimizer: new Adam({ lr: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const h = await m.fit(train.x, train.y, { epochs: 3, batchSize: 64, validationData: [val.x, val.y] });
    expect(h.history.valLoss).toHaveLength(3);
    expect(h.history.valAccuracy[2]).toBeGreaterThan(0.8);
  });

  it('predict / evaluate on a few samples after fit on many, and fit on few after predict on many', async () => {
    const big = blobs(600, 8, 3, 3);
    const m = new Sequential([new Dense({ units: 3, inputShape: [8] })], { seed: 5 });
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    await m.fit(big.x, big.y, { epochs: 1, batchSize: 300 });
    const few = new Tensor(big.x.data.slice(0, 16), [2, 8]);
    expect((await m.predict(few)).shape).toEqual([2, 3]);
    expect(Number.isFinite((await m.evaluate(few, big.y.slice(0, 2))).loss)).toBe(true);
    await m.predict(big.x, { batchSize: 600 });
    const h = await m.fit(few, big.y.slice(0, 2), { epochs: 1, batchSize: 2 });
    expect(h.history.loss).toHaveLength(1);
  });
});
