import { monitorEventLoopDelay } from 'perf_hooks';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import {
  AbortError,
  Adam,
  BatchNorm,
  Dense,
  Dropout,
  EarlyStopping,
  NonFiniteError,
  SGD,
  Sequential,
  Tensor,
  diagnose,
  getNumThreads,
  loadModel,
  setNumThreads,
  spirals,
} from '../lib';
import { blobs } from './helpers/data';

function mlp(seed = 7, opts: { dropout?: number; bn?: boolean } = {}): Sequential {
  const m = new Sequential([], { seed });
  m.add(new Dense({ units: 32, activation: 'relu', inputShape: [8] }));
  if (opts.bn) m.add(new BatchNorm());
  if (opts.dropout) m.add(new Dropout(opts.dropout));
  m.add(new Dense({ units: 16, activation: 'tanh' }));
  m.add(new Dense({ units: 3 }));
  return m;
}

function sameWeights(a: Map<string, Float32Array>, b: Map<string, Float32Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || w.length !== v.length) return false;
    for (let i = 0; i < v.length; i++) if (!Object.is(v[i], w[i])) return false;
  }
  return true;
}

describe('fit', () => {
  const { x, y } = blobs(600, 8, 3, 11);

  it('validationSplit on spirals validates honestly: the samples are shuffled by default', async () => {
    const run = async (shuffle: boolean) => {
      const m = new Sequential([], { seed: 1 });
      m.add(new Dense({ units: 64, activation: 'relu', inputShape: [2] }));
      m.add(new Dense({ units: 64, activation: 'relu' }));
      m.add(new Dense({ units: 2 }));
      m.compile({ optimizer: new Adam({ lr: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      const h = await m.fit(spirals({ n: 1200, shuffle }), { epochs: 30, batchSize: 32, validationSplit: 0.2 });
      return { train: h.history.accuracy.at(-1)!, val: h.history.valAccuracy.at(-1)! };
    };
    const shuffled = await run(true);
    expect(shuffled.train).toBeGreaterThan(0.9);
    expect(shuffled.val).toBeGreaterThanOrEqual(0.9);
    // In curve order the held-out tail is the outer ends of the arms, never seen in training.
    const ordered = await run(false);
    expect(ordered.train).toBeGreaterThan(0.9);
    expect(ordered.val).toBeLessThan(0.7);
  });

  it('learns a separable problem and reports a History per epoch', async () => {
    const m = mlp();
    m.compile({ optimizer: new Adam({ lr: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const h = await m.fit(x, y, { epochs: 5, batchSize: 32, validationSplit: 0.2 });
    expect(h.epoch).toEqual([0, 1, 2, 3, 4]);
    for (const key of ['loss', 'accuracy', 'valLoss', 'valAccuracy', 'lr', 'seconds']) expect(h.history[key]).toHaveLength(5);
    expect(h.history.loss[4]).toBeLessThan(h.history.loss[0]);
    expect(h.history.valAccuracy[4]).toBeGreaterThan(0.9);
    const ev = await m.evaluate(x, y);
    expect(ev.accuracy).toBeGreaterThan(0.9);
    const p = await m.predict(x, { batchSize: 100 });
    expect(p.shape).toEqual([600, 3]);
  });

  it('is bit-identical for the same seed, also with another thread count', async () => {
    const before = getNumThreads();
    const run = async (threads: number) => {
      setNumThreads(threads);
      const m = mlp(3, { dropout: 0.3, bn: true });
      m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      await m.fit(x, y, { epochs: 2, batchSize: 50, seed: 99 });
      return m.getWeights();
    };
    try {
      const a = await run(1);
      const b = await run(2);
      const c = await run(2);
      expect(sameWeights(a, b)).toBe(true);
      expect(sameWeights(b, c)).toBe(true);
    } finally {
      setNumThreads(before);
    }
  });

  it('keeps the event loop responsive while training a 784-2048-2048-2048-10 network', async () => {
    const m = new Sequential([new Dense({ units: 2048, activation: 'relu', inputShape: [784] }), new Dropout(0.5), new Dense({ units: 2048, activation: 'relu' }), new Dropout(0.5), new Dense({ units: 2048, activation: 'relu' }), new Dropout(0.5), new Dense({ units: 10 })]);
    m.compile({ optimizer: new SGD({ lr: 0.01, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy' });
    const n = 1024;
    const data = new Uint8Array(n * 784).map((_, i) => (i * 2654435761) % 251);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
    const h = monitorEventLoopDelay({ resolution: 5 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    h.enable();
    const t0 = performance.now();
    await m.fit({ data, shape: [n, 784], scale: 1 / 255 }, labels, { epochs: 1, batchSize: 128 });
    const seconds = (performance.now() - t0) / 1000;
    h.disable();
    clearInterval(timer);
    const p99ms = h.percentile(99) / 1e6;
    console.log(`event loop during fit: p99 delay ${p99ms.toFixed(1)} ms over ${seconds.toFixed(2)} s, ${ticks} timer ticks`);
    expect(p99ms).toBeLessThan(250); // generous: a blocked loop would show the whole step time (~1 s)
    expect(ticks).toBeGreaterThan(seconds * 20);
  });

  it('aborts mid-epoch with an AbortError and keeps the weights of the last completed step', async () => {
    const m = mlp(5);
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const ac = new AbortController();
    let snapshot: Map<string, Float32Array> | null = null;
    const done = m.fit(x, y, {
      epochs: 3,
      batchSize: 20,
      signal: ac.signal,
      callbacks: [{ onBatchEnd: (batch) => { if (batch === 2) { snapshot = m.getWeights(); ac.abort(); } } }],
    });
    await expect(done).rejects.toBeInstanceOf(AbortError);
    expect(m.optimizer.iterations).toBe(3);
    expect(sameWeights(m.getWeights(), snapshot!)).toBe(true);
    // The model is usable again.
    await m.fit(x, y, { epochs: 1, batchSize: 100 });
    await expect(m.fit(x, y, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
  });

  it('dropRemainder leaves out the last small batch (BatchNorm cannot train on one sample)', async () => {
    const m = mlp(9, { bn: true });
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const x61 = new Tensor(x.data.subarray(0, 61 * 8), [61, 8]);
    const y61 = y.subarray(0, 61);
    await expect(m.fit(x61, y61, { epochs: 1, batchSize: 20 })).rejects.toThrow(/more than 1 value per channel/);
    const h = await m.fit(x61, y61, { epochs: 2, batchSize: 20, dropRemainder: true });
    expect(h.epoch).toHaveLength(2);
    expect(m.optimizer.iterations).toBe(6);
  });

  it('trains two models at once, each as it would alone', async () => {
    const make = () => {
      const m = mlp(21, { dropout: 0.2 });
      m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
      return m;
    };
    const alone = make();
    await alone.fit(x, y, { epochs: 2, batchSize: 30 });
    const [a, b] = [make(), make()];
    await Promise.all([a.fit(x, y, { epochs: 2, batchSize: 30 }), b.fit(x, y, { epochs: 2, batchSize: 30 })]);
    expect(sameWeights(a.getWeights(), alone.getWeights())).toBe(true);
    expect(sameWeights(b.getWeights(), alone.getWeights())).toBe(true);
  });

  it('refuses predict while fit runs on the same model', async () => {
    const m = mlp();
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const fitting = m.fit(x, y, { epochs: 1, batchSize: 10 });
    await expect(m.predict(x)).rejects.toThrow(/busy with fit/);
    await fitting;
  });

  it('stops with a NonFiniteError naming the parameter and the step', async () => {
    const m = mlp();
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const bad = new Float32Array(x.data);
    bad[8 * 5 + 2] = NaN; // sample 5
    m.build([8]);
    const before = m.getWeights();
    expect(before.size).toBeGreaterThan(0);
    const err = await m.fit(new Tensor(bad, x.shape), y, { epochs: 1, batchSize: 600, shuffle: false }).catch((e) => e);
    expect(err).toBeInstanceOf(NonFiniteError);
    expect(err.message).toMatch(/non-finite gradient in 'dense_\d\.(kernel|bias)' at epoch 0, batch 0/);
    expect(sameWeights(m.getWeights(), before)).toBe(true); // the step was not applied
  });

  it('rejects bad data with errors naming the argument', async () => {
    const m = mlp();
    await expect(m.fit(x, y)).rejects.toThrow(/not compiled/);
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await expect(m.fit(x, new Int32Array(600).fill(3))).rejects.toThrow(/label 0 is 3, outside \[0, 3\)/);
    await expect(m.fit(x, new Int32Array(5))).rejects.toThrow(/5 labels for 600 samples/);
    await expect(m.fit(new Tensor(new Float32Array(60), [6, 10]), new Int32Array(6))).rejects.toThrow(/samples of shape \[8\].*\[10\]/);
    await expect(m.fit(x, y, { batchSize: 0 })).rejects.toThrow(RangeError);
    await expect(m.fit(x, y, { epochs: -1 })).rejects.toThrow(/epochs/);
    expect(() => m.compile({ optimizer: 'adamm' as never, loss: 'mse' })).toThrow(/unknown optimizer "adamm"/);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'nll' as never })).toThrow(/unknown loss "nll"/);
    expect(() => new Dense({ units: 0 })).toThrow(/units/);
    expect(() => new Adam({ learningRate: 0.1 } as never)).toThrow(/Adam: unknown option 'learningRate'/);
    expect(() => new SGD({ lr: -1 })).toThrow(/lr/);
    expect(() => new Dropout(1)).toThrow(/rate/);
  });
});

describe('early stopping', () => {
  it('stops after `patience` epochs without improvement and restores the best weights (scripted)', () => {
    const weightsAt: number[] = [];
    let current = 0;
    const fake = {
      stopTraining: false,
      getWeights: () => new Map([['w', Float32Array.of(current)]]),
      setWeights: (w: Map<string, Float32Array>) => { current = w.get('w')![0]; },
    };
    const es = new EarlyStopping({ monitor: 'valLoss', patience: 2, restoreBestWeights: true });
    es.setModel(fake as never);
    es.onTrainBegin();
    const losses = [1.0, 0.8, 0.85, 0.7, 0.75, 0.72, 0.9];
    let stoppedAt = -1;
    for (let e = 0; e < losses.length && !fake.stopTraining; e++) {
      current = e; // the "weights" after epoch e
      weightsAt.push(e);
      es.onEpochEnd(e, { valLoss: losses[e] });
      if (fake.stopTraining) stoppedAt = e;
    }
    es.onTrainEnd();
    expect(stoppedAt).toBe(5);
    expect(es.bestEpoch).toBe(3);
    expect(current).toBe(3);
  });

  it('ends fit at the right epoch when the monitored loss stops improving', async () => {
    const { x, y } = blobs(200, 8, 3, 4);
    const m = mlp(8);
    // lr = 0: the loss is the same every epoch (up to the rounding of a differently
    // ordered sum), so no epoch after the first improves by minDelta.
    m.compile({ optimizer: new SGD({ lr: 0 }), loss: 'sparseCategoricalCrossentropy' });
    const es = new EarlyStopping({ monitor: 'loss', patience: 2, minDelta: 1e-5 });
    const h = await m.fit(x, y, { epochs: 10, batchSize: 50, callbacks: [es] });
    expect(h.epoch).toEqual([0, 1, 2]);
    expect(es.stoppedEpoch).toBe(2);
  });
});

describe('save and load', () => {
  const { x, y } = blobs(300, 8, 3, 12);
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'gradwell-save-'));

  it('round-trips and resumes training bit-exactly', async () => {
    const make = () => {
      const m = mlp(31, { dropout: 0.25, bn: true });
      m.compile({ optimizer: new Adam({ lr: 0.005 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      return m;
    };
    const straight = make();
    await straight.fit(x, y, { epochs: 4, batchSize: 32, seed: 5 });

    const first = make();
    await first.fit(x, y, { epochs: 2, batchSize: 32, seed: 5 });
    const dir = tmp();
    await first.save(dir);
    const resumed = await loadModel(dir);
    expect(sameWeights(resumed.getWeights(), first.getWeights())).toBe(true);
    expect(resumed.epochsTrained).toBe(2);
    expect(resumed.optimizer.iterations).toBe(first.optimizer.iterations);
    const p1 = await first.predict(x);
    const p2 = await resumed.predict(x);
    expect(Array.from(p2.data)).toEqual(Array.from(p1.data));
    await resumed.fit(x, y, { epochs: 2, batchSize: 32, seed: 5 });
    expect(sameWeights(resumed.getWeights(), straight.getWeights())).toBe(true);
  });

  it('rejects corrupted and mismatched files with clear errors', async () => {
    const m = mlp(2);
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await m.fit(x, y, { epochs: 1, batchSize: 50 });
    const dir = tmp();
    await m.save(dir);
    expect(fs.readdirSync(dir)).toEqual(['model.safetensors']);
    const p = path.join(dir, 'model.safetensors');
    const bytes = fs.readFileSync(p);
    fs.writeFileSync(p, bytes.subarray(0, bytes.length - 100));
    await expect(loadModel(dir)).rejects.toThrow(/model.safetensors.*truncated or corrupt/);
    await expect(loadModel(path.join(dir, 'nope'))).rejects.toThrow();
    // A second save replaces the damaged one.
    await m.save(dir);
    await expect(loadModel(dir)).resolves.toBeInstanceOf(Sequential);
  });
});

describe('gradient-flow diagnostics', () => {
  const { x, y } = blobs(256, 16, 2, 3);
  const deep = (activation: 'sigmoid' | 'relu') => {
    const m = new Sequential([], { seed: 17 });
    for (let i = 0; i < 10; i++) m.add(new Dense({ units: 32, activation, ...(i === 0 ? { inputShape: [16] } : {}) }));
    m.add(new Dense({ units: 2 }));
    m.compile({ optimizer: new SGD({ lr: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
    return m;
  };

  it('shows vanishing gradients in the first layers of a deep sigmoid MLP, not with ReLU + He', async () => {
    const sig = await deep('sigmoid').fit(x, y, { epochs: 1, batchSize: 64, diagnostics: true });
    const relu = await deep('relu').fit(x, y, { epochs: 1, batchSize: 64, diagnostics: true });
    const ds = diagnose(sig);
    const dr = diagnose(relu);
    console.log(`sigmoid:\n${ds.report}\nrelu:\n${dr.report}`);
    expect(ds.vanishing).toContain('dense_1');
    expect(ds.layers[0].gradNorm).toBeLessThan(ds.layers[9].gradNorm / 100);
    expect(dr.vanishing).toEqual([]);
    expect(dr.layers[0].gradNorm).toBeGreaterThan(dr.layers[9].gradNorm / 10);
    expect(ds.layers.every((l) => l.deadFraction === null)).toBe(true);
    expect(dr.layers[0].deadFraction).not.toBeNull();
  });
});

describe('Layer.beginStep', () => {
  it('is called before every training step with the layer index and the step number, never for inference', async () => {
    const calls: [string, number, number][] = [];
    class Recording extends Dense {
      override beginStep(layerIndex: number, step: number): void {
        calls.push([this.name, layerIndex, step]);
      }
    }
    const m = new Sequential([new Dense({ units: 4, inputShape: [3] }), new Recording({ units: 2 })]);
    m.compile({ optimizer: new SGD({ lr: 0.1 }), loss: 'mse' });
    const x = new Tensor(Float32Array.from({ length: 15 }, (_, i) => i / 15), [5, 3]);
    const y = new Tensor(new Float32Array(10), [5, 2]);
    await m.fit(x, y, { epochs: 2, batchSize: 2 });
    await m.predict(x);
    await m.evaluate(x, y);
    // 3 batches per epoch (2, 2, 1), 2 epochs
    expect(calls).toEqual([1, 2, 3, 4, 5, 6].map((s) => ['dense_2', 1, s]));
  });

  it('keys dropout masks by layer index and step (same seed, same masks)', async () => {
    const make = () => {
      const m = new Sequential([new Dense({ units: 8, inputShape: [4] }), new Dropout(0.5), new Dense({ units: 1 })], { seed: 7 });
      m.compile({ optimizer: new SGD({ lr: 0.05 }), loss: 'mse' });
      return m;
    };
    const x = new Tensor(Float32Array.from({ length: 32 }, (_, i) => Math.sin(i)), [8, 4]);
    const y = new Tensor(Float32Array.from({ length: 8 }, (_, i) => i % 2), [8, 1]);
    const a = make();
    const b = make();
    await a.fit(x, y, { epochs: 2, batchSize: 4 });
    await b.fit(x, y, { epochs: 2, batchSize: 4 });
    const dropout = a.layers[1] as Dropout;
    expect(Array.from(dropout.rngState.subarray(1))).toEqual([1, 4, 0]); // stream, step, element offset (0: one process)
    expect([...a.getWeights().values()].map((w) => Array.from(w))).toEqual([...b.getWeights().values()].map((w) => Array.from(w)));
  });
});
