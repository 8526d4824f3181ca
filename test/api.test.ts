// The training API's pieces through the public surface: whole-model gradients
// by finite differences for every layer and loss, callbacks, metrics,
// regularization in the reported loss, summary.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import {
  Activation,
  Dense,
  Flatten,
  GroupNorm,
  InstanceNorm,
  LayerNorm,
  LearningRateScheduler,
  ModelCheckpoint,
  ReduceLROnPlateau,
  SGD,
  Sequential,
  Tensor,
  loadModel,
  regularizers,
  schedules,
  type Layer,
  type LossName,
} from '../lib';
import { blobs } from './helpers/data';
import { randomF32, rng } from './helpers/isa';

/** Central differences of the model's loss (evaluate) with respect to a few weights of each parameter. */
async function checkGradients(model: Sequential, x: Tensor, y: Tensor | Int32Array, label: string): Promise<void> {
  await model.trainOnBatch(x, y); // lr = 0: computes the gradients, leaves the weights
  const r = rng(5);
  for (const p of model.params()) {
    const grad = p.grad.slice();
    for (let k = 0; k < 3; k++) {
      const i = Math.floor(r() * p.value.length);
      const w0 = p.value[i];
      const h = 1e-3 * Math.max(1, Math.abs(w0));
      p.value[i] = w0 + h;
      const up = (await model.evaluate(x, y, { batchSize: 1000 })).loss;
      p.value[i] = w0 - h;
      const down = (await model.evaluate(x, y, { batchSize: 1000 })).loss;
      p.value[i] = w0;
      const numeric = (up - down) / (2 * h);
      expect(Math.abs(grad[i] - numeric), `${label}: d loss / d ${p.name}[${i}]: analytic ${grad[i]}, numeric ${numeric}`).toBeLessThan(2e-3 + 3e-2 * Math.abs(numeric));
    }
  }
}

function model(layers: Layer[], loss: LossName): Sequential {
  const m = new Sequential(layers, { seed: 3 });
  m.compile({ optimizer: new SGD({ lr: 0 }), loss });
  return m;
}

describe('whole-model gradients match finite differences', () => {
  const n = 12;
  const x = new Tensor(randomF32(n * 8, 1), [n, 8]);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 4);

  for (const act of ['sigmoid', 'tanh', 'elu', 'selu', 'gelu', 'geluTanh', 'silu', 'softplus', 'leakyRelu']) {
    it(`Dense + ${act}`, async () => {
      const m = model([new Dense({ units: 6, activation: act, inputShape: [8] }), new Dense({ units: 4 })], 'sparseCategoricalCrossentropy');
      await checkGradients(m, x, labels, act);
    });
  }

  it('LayerNorm, GroupNorm and a softmax output with categorical cross-entropy', async () => {
    const m = model(
      [new Dense({ units: 8, inputShape: [8] }), new LayerNorm(), new Activation('tanh'), new Dense({ units: 8 }), new GroupNorm({ groups: 2 }), new Activation('relu'), new Dense({ units: 4, activation: 'softmax' })],
      'categoricalCrossentropy',
    );
    const onehot = new Float32Array(n * 4);
    labels.forEach((c, i) => (onehot[i * 4 + c] = 1));
    await checkGradients(m, x, new Tensor(onehot, [n, 4]), 'norms');
  });

  it('InstanceNorm over (C, L) samples with Flatten', async () => {
    const m = model([new InstanceNorm({ inputShape: [2, 4] }), new Flatten(), new Dense({ units: 4 })], 'sparseCategoricalCrossentropy');
    await checkGradients(m, new Tensor(x.data, [n, 2, 4]), labels, 'instancenorm');
  });

  for (const loss of ['mse', 'mae', 'huber', 'binaryCrossentropyFromLogits'] as LossName[]) {
    it(`regression/binary loss ${loss}`, async () => {
      const m = model([new Dense({ units: 5, activation: 'tanh', inputShape: [8] }), new Dense({ units: 3 })], loss);
      const t = new Tensor(randomF32(n * 3, 9, 0, 1), [n, 3]);
      await checkGradients(m, x, t, loss);
    });
  }

  it('binary cross-entropy on sigmoid outputs', async () => {
    const m = model([new Dense({ units: 5, activation: 'tanh', inputShape: [8] }), new Dense({ units: 2, activation: 'sigmoid' })], 'binaryCrossentropy');
    await checkGradients(m, x, new Tensor(randomF32(n * 2, 4, 0, 1), [n, 2]), 'bce');
  });
});

describe('regularization', () => {
  it('adds the L1/L2 penalty to the reported loss and its gradient to the step', async () => {
    const { x, y } = blobs(40, 8, 2, 2);
    const reg = regularizers.l1l2({ l1: 0.01, l2: 0.02 });
    const plain = new Sequential([new Dense({ units: 2, inputShape: [8] })], { seed: 4 });
    const penal = new Sequential([new Dense({ units: 2, inputShape: [8], kernelRegularizer: reg })], { seed: 4 });
    for (const m of [plain, penal]) m.compile({ optimizer: new SGD({ lr: 0.1 }), loss: 'sparseCategoricalCrossentropy' });
    plain.build([8]);
    penal.build([8]);
    const w = plain.getWeights().get('dense_1.kernel')!;
    let sq = 0;
    let ab = 0;
    for (const v of w) {
      sq += v * v;
      ab += Math.abs(v);
    }
    const a = await plain.trainOnBatch(x, y);
    const b = await penal.trainOnBatch(x, y);
    expect(b.loss - a.loss).toBeCloseTo(0.02 * sq + 0.01 * ab, 5);
    // w1 = w0 - lr * (g + 2*l2*w0 + l1*sign(w0))
    const g = plain.params()[0].grad;
    const w1 = penal.getWeights().get('dense_1.kernel')!;
    for (let i = 0; i < w.length; i++) {
      const expected = w[i] - 0.1 * (g[i] + 2 * 0.02 * w[i] + 0.01 * Math.sign(w[i]));
      expect(w1[i]).toBeCloseTo(expected, 5);
    }
  });
});

describe('callbacks and metrics', () => {
  const { x, y } = blobs(120, 8, 3, 6);

  it('LearningRateScheduler follows a StepLR schedule; the history records it', async () => {
    const m = new Sequential([new Dense({ units: 3, inputShape: [8] })]);
    m.compile({ optimizer: new SGD({ lr: 0.1 }), loss: 'sparseCategoricalCrossentropy' });
    const h = await m.fit(x, y, { epochs: 5, batchSize: 40, callbacks: [new LearningRateScheduler(schedules.getSchedule('step', { stepSize: 2, gamma: 0.5 }))] });
    expect(h.history.lr.map((v) => +v.toFixed(6))).toEqual([0.1, 0.1, 0.05, 0.05, 0.025]);
  });

  it('ReduceLROnPlateau lowers the rate when the loss stalls', async () => {
    const m = new Sequential([new Dense({ units: 3, inputShape: [8] })]);
    m.compile({ optimizer: new SGD({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy' });
    // A slow rate and a 50 % relative threshold: no epoch counts as an improvement after the first.
    const h = await m.fit(x, y, { epochs: 5, batchSize: 120, shuffle: false, callbacks: [new ReduceLROnPlateau({ monitor: 'loss', patience: 1, factor: 0.1, threshold: 0.5 })] });
    expect(h.history.lr.map((v) => +v.toPrecision(6))).toEqual([1e-3, 1e-3, 1e-3, 1e-4, 1e-4]);
  });

  it('ModelCheckpoint saves loadable models, only improving ones with saveBestOnly', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradwell-ckpt-'));
    const m = new Sequential([new Dense({ units: 8, activation: 'relu', inputShape: [8] }), new Dense({ units: 3 })]);
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const every = new ModelCheckpoint(path.join(dir, 'epoch-{epoch}'));
    const best = new ModelCheckpoint(path.join(dir, 'best'), { monitor: 'loss', saveBestOnly: true });
    await m.fit(x, y, { epochs: 3, batchSize: 30, callbacks: [every, best] });
    expect(every.saved.map((p) => path.basename(p))).toEqual(['epoch-1', 'epoch-2', 'epoch-3']);
    expect(best.saved.length).toBeGreaterThanOrEqual(1);
    const loaded = await loadModel(path.join(dir, 'epoch-3'));
    expect(loaded.epochsTrained).toBe(3);
  });

  it('reports binaryAccuracy, mse and mae', async () => {
    const m = new Sequential([new Dense({ units: 1, inputShape: [8] })]);
    m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropyFromLogits', metrics: ['binaryAccuracy', 'mse', 'mae'] });
    const t = new Tensor(Float32Array.from(y, (v) => (v === 0 ? 1 : 0)), [120, 1]);
    const ev = await m.evaluate(x, t);
    const out = (await m.predict(x)).data;
    let hits = 0;
    let se = 0;
    let ae = 0;
    for (let i = 0; i < 120; i++) {
      hits += (out[i] > 0 ? 1 : 0) === t.data[i] ? 1 : 0;
      se += (out[i] - t.data[i]) ** 2;
      ae += Math.abs(out[i] - t.data[i]);
    }
    expect(ev.binaryAccuracy).toBeCloseTo(hits / 120, 6);
    expect(ev.mse).toBeCloseTo(se / 120, 4);
    expect(ev.mae).toBeCloseTo(ae / 120, 4);
  });

  it('summary lists layers, output shapes and parameter counts', () => {
    const m = new Sequential([new Dense({ units: 256, activation: 'relu', inputShape: [784] }), new Dense({ units: 10, useBias: false })]);
    const text = m.summary({ print: false });
    expect(text).toMatch(/dense_1 \(Dense\)\s+\[null, 256\]\s+200960/);
    expect(text).toMatch(/dense_2 \(Dense\)\s+\[null, 10\]\s+2560/);
    expect(text).toMatch(/Total params: 203520/);
  });
});
