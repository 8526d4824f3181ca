// Several training steps per native call (fit's stepsPerCall, lib/sequential/chunk.ts): the
// weights, optimizer step counter, per-epoch logs and batch logs must be bit-identical to one
// batch per call, for models whose layers key random masks by the step (Dropout, DropConnect,
// StochasticPool2D, SpatialDropout2D), with BatchNorm, L2 and dense or sparse targets; a halt
// mid-chunk must leave exactly the weights the per-batch path leaves.
import { describe, expect, it } from 'vitest';
import {
  Adam, AbortError, BatchNorm, Conv2D, Dense, Dropout, Flatten, NonFiniteError, SGD, Sequential, SpatialDropout2D, StochasticPool2D, Tensor,
  regularizers,
} from '../lib';
import type { FitOptions, Logs } from '../lib';
import { native } from '../lib/binding';
import { op } from '../lib/ops';
import { expectSameWeights } from './helpers/weights';

const N = 200; // 6 full batches of 32 and a last batch of 8
const F = 64;

function inputs(seed: number, n = N, f = F): Float32Array {
  return Float32Array.from({ length: n * f }, (_, i) => (((i + seed) * 2654435761) >>> 24) / 255 - 0.5);
}
const labels = Int32Array.from({ length: N }, (_, i) => (i * 7) % 10);
const oneHot = Float32Array.from({ length: N * 10 }, (_, i) => (labels[Math.floor(i / 10)] === i % 10 ? 1 : 0));

interface Case {
  name: string;
  model: () => Sequential;
  x: Tensor;
  y: Int32Array | Tensor;
}

const CASES: Case[] = [
  {
    name: 'MLP, Adam, accuracy',
    model: () => {
      const m = new Sequential([new Dense({ units: 48, activation: 'relu', inputShape: [F] }), new Dense({ units: 10 })], { seed: 3 });
      m.compile({ optimizer: new Adam({ lr: 1e-2 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      return m;
    },
    x: new Tensor(inputs(1), [N, F]),
    y: labels,
  },
  {
    name: 'Dropout, DropConnect, BatchNorm, L2, SGD momentum, one-hot targets',
    model: () => {
      const m = new Sequential(
        [
          new Dense({ units: 40, activation: 'relu', inputShape: [F], dropConnect: 0.2, kernelRegularizer: regularizers.l2(1e-3) }),
          new BatchNorm(),
          new Dropout(0.3),
          new Dense({ units: 10, activation: 'softmax' }),
        ],
        { seed: 4 },
      );
      m.compile({ optimizer: new SGD({ lr: 0.05, momentum: 0.9 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      return m;
    },
    x: new Tensor(inputs(2), [N, F]),
    y: new Tensor(oneHot, [N, 10]),
  },
  {
    name: 'Conv2D, StochasticPool2D, SpatialDropout2D, no metrics',
    model: () => {
      const m = new Sequential(
        [
          new Conv2D({ filters: 4, kernelSize: 3, padding: 1, activation: 'relu', inputShape: [1, 8, 8] }),
          new SpatialDropout2D(0.25),
          new StochasticPool2D({ poolSize: 2 }),
          new Flatten(),
          new Dense({ units: 10 }),
        ],
        { seed: 5 },
      );
      m.compile({ optimizer: 'rmsprop', loss: 'sparseCategoricalCrossentropy' });
      return m;
    },
    x: new Tensor(inputs(3), [N, 1, 8, 8]),
    y: labels,
  },
];

interface Run {
  weights: Map<string, Float32Array>;
  history: Record<string, number[]>;
  batchLogs: [number, Logs][];
  iterations: number;
  error: unknown;
}

async function run(c: Case, opts: FitOptions, epochs = 2): Promise<Run> {
  const m = c.model();
  const batchLogs: [number, Logs][] = [];
  let error: unknown = null;
  let history: Record<string, number[]> = {};
  const onBatchEnd = (b: number, logs: Logs) => void batchLogs.push([b, { ...logs }]);
  try {
    const h = await m.fit(c.x, c.y, { epochs, batchSize: 32, callbacks: [{ onBatchEnd }], ...opts });
    history = h.history;
  } catch (e) {
    error = e;
  }
  delete history.seconds;
  return { weights: m.getWeights(), history, batchLogs, iterations: m.optimizer.iterations, error };
}

describe('fit stepsPerCall: chunks of steps give the per-batch results', () => {
  it.each(CASES)('$name', async (c) => {
    const reference = await run(c, { stepsPerCall: 1 });
    expect(reference.error).toBeNull();
    expect(reference.iterations).toBe(14);
    for (const stepsPerCall of [4, 6, 100, 'auto'] as const) {
      const r = await run(c, { stepsPerCall });
      expect(r.error).toBeNull();
      expectSameWeights(r.weights, reference.weights);
      expect(r.history).toEqual(reference.history);
      expect(r.batchLogs).toEqual(reference.batchLogs);
      expect(r.iterations).toBe(reference.iterations);
    }
    // Training continues from a chunked fit exactly as from a per-batch one.
    const twice = async (spc: number) => {
      const m = c.model();
      await m.fit(c.x, c.y, { epochs: 1, batchSize: 32, stepsPerCall: spc });
      await m.fit(c.x, c.y, { epochs: 1, batchSize: 32, stepsPerCall: spc });
      return m.getWeights();
    };
    expectSameWeights(await twice(5), await twice(1));
  });

  it('batch callbacks run after their chunk, in order; auto chunks only when they may wait', async () => {
    const c = CASES[0];
    const seen = async (opts: FitOptions, hooks: boolean) => {
      const m = c.model();
      const sums: number[] = [];
      const order: string[] = [];
      const cb = hooks
        ? {
            onBatchBegin: (b: number) => void order.push(`begin ${b}`),
            onBatchEnd: (b: number) => {
              order.push(`end ${b}`);
              sums.push(m.getWeights().get(m.layers[0].name + '.kernel')!.reduce((a, v) => a + v, 0));
            },
          }
        : {};
      await m.fit(c.x, c.y, { epochs: 1, batchSize: 32, callbacks: [cb], ...opts });
      return { sums, order };
    };
    const live = await seen({}, true); // 'auto' with batch hooks: one step per call
    expect(new Set(live.sums).size).toBe(7);
    expect(live.order).toEqual([0, 1, 2, 3, 4, 5, 6].flatMap((b) => [`begin ${b}`, `end ${b}`]));
    const chunked = await seen({ stepsPerCall: 4 }, true);
    expect(chunked.order).toEqual(live.order);
    // Batches 0-3 ran in one call: their callbacks see the weights after batch 3.
    expect(new Set(chunked.sums.slice(0, 4)).size).toBe(1);
    expect(chunked.sums[3]).toBe(live.sums[3]);
    expect(chunked.sums[5]).toBe(live.sums[5]);
    expect(chunked.sums[6]).toBe(live.sums[6]);
  });

  it('a non-finite gradient mid-chunk stops at that batch with the per-batch weights', async () => {
    const x = inputs(1);
    x[(2 * 32 + 5) * F + 3] = NaN; // sample 69: batch 2 without shuffling
    const c: Case = { ...CASES[0], x: new Tensor(x, [N, F]) };
    const reference = await run(c, { stepsPerCall: 1, shuffle: false });
    const chunked = await run(c, { stepsPerCall: 4, shuffle: false });
    for (const r of [reference, chunked]) {
      expect(r.error).toBeInstanceOf(NonFiniteError);
      expect((r.error as Error).message).toMatch(/non-finite gradient in 'dense_1\.kernel' at epoch 0, batch 2; the step was not applied/);
      expect(r.iterations).toBe(2);
      expect(r.batchLogs.map(([b]) => b)).toEqual([0, 1]);
    }
    expectSameWeights(chunked.weights, reference.weights);
    expect(chunked.batchLogs).toEqual(reference.batchLogs);
  });

  it('without the gradient guard, a non-finite loss mid-chunk stops after that step, as per batch', async () => {
    const x = inputs(1);
    x[(32 + 1) * F] = Infinity; // batch 1
    const c: Case = {
      ...CASES[0],
      x: new Tensor(x, [N, F]),
      model: () => {
        const m = new Sequential([new Dense({ units: 16, activation: 'relu', inputShape: [F] }), new Dense({ units: 10 })], { seed: 3 });
        m.compile({ optimizer: new SGD({ lr: 0.01 }), loss: 'sparseCategoricalCrossentropy', checkFinite: false });
        return m;
      },
    };
    const reference = await run(c, { stepsPerCall: 1, shuffle: false });
    const chunked = await run(c, { stepsPerCall: 6, shuffle: false });
    for (const r of [reference, chunked]) {
      expect(r.error).toBeInstanceOf(NonFiniteError);
      expect((r.error as Error).message).toMatch(/non-finite loss \(NaN\) at epoch 0, batch 1; training stopped/);
      expect(r.iterations).toBe(2);
    }
    expectSameWeights(chunked.weights, reference.weights);
  });

  it('an abort is seen before the next chunk', async () => {
    const c = CASES[0];
    const m = c.model();
    const ac = new AbortController();
    const ends: number[] = [];
    const fit = m.fit(c.x, c.y, {
      epochs: 1,
      batchSize: 32,
      stepsPerCall: 4,
      signal: ac.signal,
      callbacks: [{ onBatchEnd: (b) => (ends.push(b), b === 1 ? ac.abort() : undefined) }],
    });
    await expect(fit).rejects.toThrow(AbortError);
    await expect(fit).rejects.toThrow(/fit aborted at epoch 0, batch 4/);
    expect(ends).toEqual([0, 1, 2, 3]);
    expect(m.optimizer.iterations).toBe(4);
  });

  it('checks stepsPerCall', async () => {
    const c = CASES[0];
    for (const bad of [0, 1.5, -2]) {
      await expect(c.model().fit(c.x, c.y, { stepsPerCall: bad })).rejects.toThrow(RangeError);
    }
    await expect(c.model().fit(c.x, c.y, { stepsPerCall: 0 })).rejects.toThrow(/stepsPerCall/);
    await expect(c.model().fit(c.x, c.y, { stepsPerCall: NaN })).rejects.toThrow(TypeError);
    await expect(c.model().fit(c.x, c.y, { stepsPerCall: 'all' as unknown as number })).rejects.toThrow(/stepsPerCall/);
  });
});

describe('evaluate and predict: several batches per call give the per-batch results', () => {
  it.each(CASES)('$name', async (c) => {
    const m = c.model();
    await m.fit(c.x, c.y, { epochs: 1, batchSize: 32 });
    const perBatch = await m.predict(c.x, { batchSize: 32, stepsPerCall: 1 });
    const evalPerBatch = await m.evaluate(c.x, c.y, { batchSize: 32, stepsPerCall: 1 });
    for (const stepsPerCall of ['auto', 2, 5] as const) {
      const out = await m.predict(c.x, { batchSize: 32, stepsPerCall });
      expect(out.shape).toEqual(perBatch.shape);
      let diff = -1;
      for (let i = 0; i < out.data.length && diff < 0; i++) if (!Object.is(out.data[i], perBatch.data[i])) diff = i;
      expect(diff, `predict stepsPerCall ${stepsPerCall}: first differing output`).toBe(-1);
      expect(await m.evaluate(c.x, c.y, { batchSize: 32, stepsPerCall })).toEqual(evalPerBatch);
    }
    await expect(m.predict(c.x, { stepsPerCall: 0 })).rejects.toThrow(/predict: .*stepsPerCall/);
    await expect(m.evaluate(c.x, c.y, { stepsPerCall: 2.5 })).rejects.toThrow(/evaluate: .*stepsPerCall/);
  });
});

describe('runChunk and the stage ops', () => {
  it('runs a program count times with the cursor, and checks its arguments', async () => {
    const cursor = new Int32Array(1);
    const stage = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const live = new Float32Array(2);
    const out = new Float32Array(6);
    const p = new native.CompiledProgram([op.stage_in(stage, live, cursor), op.scale(live, 10, 2), op.stage_out(live, out, cursor)], cursor);
    await p.runChunk(3);
    expect([...out]).toEqual([10, 20, 30, 40, 50, 60]);
    expect(cursor[0]).toBe(2);
    await expect(p.runChunk(4)).rejects.toThrow(/stage_in: cursor 3 is outside the stage's 3 slots/);
    expect(cursor[0]).toBe(3);
    for (const bad of [0, -1, 1.5]) expect(() => p.runChunk(bad)).toThrow(RangeError);
    expect(() => new native.CompiledProgram([op.copy(live, live)]).runChunk(2)).toThrow(/compiled without a cursor/);
    expect(() => new native.CompiledProgram([], new Int32Array(0))).toThrow(/cursor' must hold at least 1 element/);
    expect(() => native.ops.stage_in(new Float32Array(5), live, cursor)).toThrow(/whole number of slots of live's 2 elements, received Float32Array\(5\)/);
    expect(() => native.ops.stage_in(new Float64Array(4), live, cursor)).toThrow(TypeError);
    const shared = new Float32Array(6);
    expect(() => native.ops.stage_out(shared.subarray(4), shared, cursor)).toThrow(/stage_out: argument 'live' overlaps 'stage'/);
    native.ops.stage_in(shared.subarray(0, 4).fill(3), shared.subarray(4), Int32Array.from([1]));
    expect([...shared.subarray(4)]).toEqual([3, 3]); // adjacent views of one buffer are fine
    const i32 = new Int32Array(3);
    cursor[0] = 1;
    native.ops.stage_out(Int32Array.from([7, 8, 9]), new Int32Array(6), cursor);
    native.ops.stage_in(Int32Array.from([0, 0, 0, 4, 5, 6]), i32, cursor);
    expect([...i32]).toEqual([4, 5, 6]);
  });

  it('halt_if_nonfinite rejects with its code and the first bad index', async () => {
    const v = Float32Array.from([1, Infinity, NaN]);
    const p = native.runAsync([op.halt_if_nonfinite(v, 'stop')]);
    await expect(p).rejects.toMatchObject({ code: 'ERR_GRADWELL_NONFINITE', index: 1, message: 'stop: value 1' });
    native.ops.halt_if_nonfinite(Float32Array.from([0, -3]), 'fine');
  });
});
