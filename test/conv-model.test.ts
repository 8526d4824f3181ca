// Conv models end to end: finite-difference gradients through Conv -> Pool -> Conv -> Pool -> Dense,
// the He/Glorot defaults with conv fans, exact resume after save/load, hostile model files,
// diagnostics, summary map shapes, shape errors that name the layer and the shapes, the CLI.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { Adam, AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, Flatten, GlobalAveragePooling2D, GroupNorm, MaxPool2D, Reshape, SGD, Sequential, Tensor, diagnose, loadModel, type Param } from '../lib';
import { buildModel } from '../lib/cli';
import { packModelFile } from '../lib/io/model-save';
import { parseSafetensors, type TensorToWrite } from '../lib/io/safetensors';
import { randomF32, rng } from './helpers/isa';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-conv-model-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
let dirs = 0;
const tmp = () => path.join(tmpRoot, `d${dirs++}`);

/** Images [n, 2, 8, 8] whose class (0..2) shows as a bright patch in one of three places. */
function images(n: number, seed: number): { x: Tensor; y: Int32Array } {
  const r = rng(seed);
  const x = new Float32Array(n * 2 * 64);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 3;
    y[i] = label;
    for (let k = 0; k < 128; k++) x[i * 128 + k] = 0.3 * (r() - 0.5);
    for (let rr = 0; rr < 3; rr++) for (let cc = 0; cc < 3; cc++) x[i * 128 + (1 + rr + 2 * label) * 8 + 1 + cc + 2 * label] += 1;
  }
  return { x: new Tensor(x, [n, 2, 8, 8]), y };
}

const convNet = (seed: number, act2 = 'relu') =>
  new Sequential(
    [
      new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'tanh', inputShape: [2, 8, 8] }),
      new MaxPool2D({ poolSize: 2 }),
      new Conv2D({ filters: 4, kernelSize: [3, 2], padding: [1, 1], groups: 2, activation: act2 }),
      new AvgPool2D({ poolSize: 3, strides: 2, padding: 1, countIncludePad: false }),
      new Flatten(),
      new Dense({ units: 3 }),
    ],
    { seed },
  );

describe('finite-difference gradients through Conv -> MaxPool -> grouped Conv -> AvgPool -> Dense', () => {
  // Smooth activations (tanh), and a coordinate counts only where the max-pool windows keep their
  // maxima over [w - h, w + h] (the loss is differentiable there); every parameter gets 6 of them.
  it('every parameter gradient matches central differences of the loss', async () => {
    const m = convNet(3, 'tanh');
    m.compile({ optimizer: new SGD({ lr: 0 }), loss: 'sparseCategoricalCrossentropy' });
    const { x, y } = images(5, 9);
    await m.trainOnBatch(x, y); // lr 0: gradients only
    const grads = new Map(m.params().map((p: Param) => [p.name, p.grad.slice()]));
    const pool = m.layers[1] as unknown as { argmax: Int32Array };
    const lossAt = async () => {
      const loss = (await m.evaluate(x, y)).loss;
      return { loss, argmax: pool.argmax.slice(0, 5 * 4 * 4 * 4) };
    };
    const base = (await lossAt()).argmax;
    const same = (a: Int32Array) => a.every((v, i) => v === base[i]);
    const r = rng(4);
    let skipped = 0;
    for (const p of m.params()) {
      const g = grads.get(p.name)!;
      let checked = 0;
      for (let tries = 0; checked < 6; tries++) {
        expect(tries, `${p.name}: too many coordinates switch a max-pool window`).toBeLessThan(40);
        const i = Math.floor(r() * p.value.length);
        const w0 = p.value[i];
        const h = 1e-2;
        p.value[i] = w0 + h;
        const up = await lossAt();
        p.value[i] = w0 - h;
        const down = await lossAt();
        p.value[i] = w0;
        if (!same(up.argmax) || !same(down.argmax)) {
          skipped++;
          continue;
        }
        const fd = (up.loss - down.loss) / (2 * h);
        expect(Math.abs(fd - g[i]), `${p.name}[${i}]: analytic ${g[i]}, finite difference ${fd}`).toBeLessThan(1e-3 + 2e-2 * Math.abs(fd));
        checked++;
      }
    }
    expect(skipped).toBeLessThan(12);
  });

  it('a GlobalAveragePooling2D head: conv and pooling gradients match central differences', async () => {
    const m = new Sequential([new Conv2D({ filters: 3, kernelSize: 3, strides: 2, dilation: 2, padding: 2, activation: 'tanh', inputShape: [2, 8, 8] }), new GlobalAveragePooling2D(), new Dense({ units: 3 })], { seed: 2 });
    m.compile({ optimizer: new SGD({ lr: 0 }), loss: 'sparseCategoricalCrossentropy' });
    const { x, y } = images(4, 5);
    await m.trainOnBatch(x, y);
    const r = rng(8);
    for (const p of m.params()) {
      const g = p.grad.slice();
      for (let t = 0; t < 6; t++) {
        const i = Math.floor(r() * p.value.length);
        const w0 = p.value[i];
        p.value[i] = w0 + 1e-2;
        const up = (await m.evaluate(x, y)).loss;
        p.value[i] = w0 - 1e-2;
        const down = (await m.evaluate(x, y)).loss;
        p.value[i] = w0;
        const fd = (up - down) / 2e-2;
        expect(Math.abs(fd - g[i]), `${p.name}[${i}]: analytic ${g[i]}, finite difference ${fd}`).toBeLessThan(1e-3 + 2e-2 * Math.abs(fd));
      }
    }
  });
});

describe('training and inference buffers', () => {
  it('inference batches larger and smaller than the training batch agree, and training goes on after them', async () => {
    const m = convNet(6);
    m.compile({ optimizer: new Adam({ lr: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const { x, y } = images(40, 7);
    await m.fit(x, y, { epochs: 1, batchSize: 16 });
    const big = await m.predict(x, { batchSize: 40 });
    const small = await m.predict(x, { batchSize: 3 }); // layer scratch stays sized for the training batch
    expect(Array.from(small.data)).toEqual(Array.from(big.data));
    const e = await m.evaluate(x, y, { batchSize: 7 });
    expect(Number.isFinite(e.loss)).toBe(true);
    await m.trainOnBatch(new Tensor(x.data.slice(0, 16 * 128), [16, 2, 8, 8]), y.slice(0, 16));
    const h = await m.fit(x, y, { epochs: 1, batchSize: 40, validationData: [x, y] });
    expect(Number.isFinite(h.history.valLoss![0])).toBe(true);
  });
});

describe('Conv2D weights', () => {
  it('are [filters, C/groups, kh, kw] (torch OIHW) and He-normal with fanIn = C/groups x kh x kw for ReLU, Glorot otherwise', () => {
    const relu = new Conv2D({ filters: 64, kernelSize: 5, groups: 2, activation: 'relu', name: 'c' });
    const m = new Sequential([relu], { seed: 5 });
    m.build([16, 12, 12]);
    expect(relu.kernel!.shape).toEqual([64, 8, 5, 5]);
    expect(relu.bias!.shape).toEqual([64]);
    expect(Array.from(relu.bias!.value).every((v) => v === 0)).toBe(true);
    const v = relu.kernel!.value;
    const std = Math.sqrt(v.reduce((s, a) => s + a * a, 0) / v.length);
    expect(std).toBeGreaterThan(0.95 * Math.sqrt(2 / (8 * 25)));
    expect(std).toBeLessThan(1.05 * Math.sqrt(2 / (8 * 25)));
    const lin = new Conv2D({ filters: 32, kernelSize: 3, name: 'g' });
    new Sequential([lin], { seed: 5 }).build([16, 12, 12]);
    const limit = Math.sqrt(6 / (16 * 9 + 32 * 9)); // Glorot uniform with fanIn = 16*9, fanOut = 32*9
    const w = lin.kernel!.value;
    const max = w.reduce((a, b) => Math.max(a, Math.abs(b)), 0);
    expect(max).toBeLessThanOrEqual(limit);
    expect(max).toBeGreaterThan(0.95 * limit);
  });
});

describe('save and load of conv models', () => {
  it('round-trips and resumes training bit-exactly (conv, batch norm on maps, pooling, dropout)', async () => {
    const { x, y } = images(60, 2);
    const make = () => {
      const m = new Sequential(
        [
          new Reshape({ targetShape: [2, 8, 8], inputShape: [128] }),
          new Conv2D({ filters: 6, kernelSize: 3, padding: 1, useBias: false }),
          new BatchNorm(),
          new Dropout(0.2),
          new MaxPool2D({ poolSize: 2 }),
          new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', dilation: 1 }),
          new GroupNorm({ groups: 2 }),
          new GlobalAveragePooling2D(),
          new Dense({ units: 3 }),
        ],
        { seed: 21 },
      );
      m.compile({ optimizer: new Adam({ lr: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      return m;
    };
    const flat = new Tensor(x.data, [60, 128]);
    const straight = make();
    await straight.fit(flat, y, { epochs: 4, batchSize: 16, seed: 5 });
    const first = make();
    await first.fit(flat, y, { epochs: 2, batchSize: 16, seed: 5 });
    const dir = tmp();
    await first.save(dir);
    const resumed = await loadModel(dir);
    expect(resumed.layers.map((l) => l.className)).toEqual(first.layers.map((l) => l.className));
    expect(resumed.summary({ print: false })).toBe(first.summary({ print: false }));
    expect(Array.from((await resumed.predict(flat)).data)).toEqual(Array.from((await first.predict(flat)).data));
    await resumed.fit(flat, y, { epochs: 2, batchSize: 16, seed: 5 });
    const a = resumed.getWeights();
    const b = straight.getWeights();
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [k, v] of a) expect(Array.from(v), k).toEqual(Array.from(b.get(k)!));
  });

  it('saves the kernel as [filters, C/groups, kh, kw], the layout of a torch state_dict', async () => {
    const m = new Sequential([new Conv2D({ filters: 6, kernelSize: [3, 5], groups: 3, inputShape: [3, 9, 9], name: 'conv1' })]);
    m.build();
    const dir = tmp();
    await m.save(dir);
    const t = parseSafetensors(new Uint8Array(fs.readFileSync(path.join(dir, 'model.safetensors'))), 'w').tensors;
    expect(t.get('conv1.kernel')!.shape).toEqual([6, 1, 3, 5]);
    expect(t.get('conv1.bias')!.shape).toEqual([6]);
  });

  describe('hostile conv model files are rejected before allocating', () => {
    let good: { json: Record<string, any>; tensors: Map<string, TensorToWrite> };
    const load = async (edit: (j: any) => void) => {
      const j = structuredClone(good.json);
      edit(j);
      const dir = tmp();
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'model.safetensors'), packModelFile(JSON.stringify(j), good.tensors));
      return loadModel(dir);
    };
    it('control: the saved files load', async () => {
      const m = new Sequential([new Reshape({ targetShape: [1, 8, 8], inputShape: [64] }), new Conv2D({ filters: 2, kernelSize: 3 }), new MaxPool2D(), new Flatten(), new Dense({ units: 2 })]);
      m.build();
      const dir = tmp();
      await m.save(dir);
      const parsed = parseSafetensors(new Uint8Array(fs.readFileSync(path.join(dir, 'model.safetensors'))));
      good = { json: JSON.parse(parsed.metadata['gradwell.model']), tensors: parsed.tensors };
      await expect(load(() => {})).resolves.toBeInstanceOf(Sequential);
    });
    const cases: [string, (j: any) => void, RegExp][] = [
      ['huge filters', (j) => (j.layers[1].config.filters = 2 ** 40), /layer 1 \(Conv2D\) has filters 1099511627776; expected an integer/],
      ['filters that fit the sample bound but not the file', (j) => (j.layers[1].config.filters = 2 ** 20), /layer 1 output shape|weights \(\d+ bytes\) but model.safetensors has/],
      ['a huge kernel with huge padding', (j) => Object.assign(j.layers[1].config, { kernelSize: [60000, 60000], padding: [30000, 30000] }), /the architecture needs \d+ weights/],
      ['kernelSize "x"', (j) => (j.layers[1].config.kernelSize = 'x'), /layer 1 \(Conv2D\) has kernelSize "x"/],
      ['kernelSize [3, 3, 3]', (j) => (j.layers[1].config.kernelSize = [3, 3, 3]), /has kernelSize \[3,3,3\]/],
      ['a kernel larger than the padded input', (j) => (j.layers[1].config.kernelSize = 9), /layer 1 \(Conv2D\) does not accept its input shape \[1,8,8\]: Conv2D 'conv2d_1': the kernel \[9,9\] is larger than the padded input 8x8/],
      ['groups not dividing the channels', (j) => Object.assign(j.layers[1].config, { groups: 2, filters: 2 }), /the input's 1 channels \(shape \[1, 8, 8\]\) are not divisible by groups = 2/],
      ['pool padding over half the window', (j) => (j.layers[2].config.padding = [2, 2]), /padding \[2,2\] must be at most half the poolSize/],
      ['poolSize 1e9', (j) => (j.layers[2].config.poolSize = 1e9), /layer 2 \(MaxPool2D\) has poolSize 1000000000/],
      ['Reshape to the wrong size', (j) => (j.layers[0].config.targetShape = [2, 8, 8]), /Reshape 'reshape_1': expected an input of 128 values/],
    ];
    for (const [label, edit, re] of cases) it(label, async () => expect(load(edit)).rejects.toThrow(re));
  });
});

describe('diagnostics and summary of conv models', () => {
  it('diagnose reports conv layers (gradient norm, update ratio, dead channels)', async () => {
    const m = convNet(8);
    m.compile({ optimizer: new Adam({ lr: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
    const { x, y } = images(30, 3);
    const h = await m.fit(x, y, { epochs: 2, batchSize: 10, diagnostics: true });
    const d = diagnose(h);
    expect(d.layers.map((l) => l.layer)).toEqual(['conv2d_1', 'conv2d_2', 'dense_1']);
    for (const l of d.layers) expect(l.gradNorm).toBeGreaterThan(0);
    expect(d.layers[0].deadFraction).toBeNull(); // tanh
    const dead = d.layers[1].deadFraction!; // relu: a fraction of its 4 channels
    expect(dead * 4).toBe(Math.round(dead * 4));
    expect(d.report).toMatch(/conv2d_1\s+grad norm/);
  });

  it('a ReLU conv whose bias makes it negative everywhere counts all channels dead', async () => {
    const m = new Sequential([new Conv2D({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [2, 8, 8], biasInitializer: { className: 'constant', config: { value: -100 } } as never }), new Flatten(), new Dense({ units: 3 })]);
    m.compile({ optimizer: new SGD({ lr: 0.001 }), loss: 'sparseCategoricalCrossentropy' });
    const { x, y } = images(12, 4);
    const h = await m.fit(x, y, { epochs: 1, batchSize: 12, diagnostics: true });
    expect(diagnose(h).dead).toEqual([{ layer: 'conv2d_1', fraction: 1 }]);
  });

  it('summary() shows map shapes and conv parameter counts', () => {
    const m = new Sequential([
      new Reshape({ targetShape: [1, 28, 28], inputShape: [784] }),
      new Conv2D({ filters: 32, kernelSize: 5, padding: 2, activation: 'relu' }),
      new MaxPool2D({ poolSize: 2 }),
      new Conv2D({ filters: 64, kernelSize: 5, padding: 2, activation: 'relu' }),
      new MaxPool2D({ poolSize: 2 }),
      new Flatten(),
      new Dense({ units: 128, activation: 'relu' }),
      new Dense({ units: 10 }),
    ]);
    const s = m.summary({ print: false });
    expect(s).toMatch(/conv2d_1 \(Conv2D\)\s+\[null, 32, 28, 28\]\s+832\n/);
    expect(s).toMatch(/maxpool2d_1 \(MaxPool2D\)\s+\[null, 32, 14, 14\]\s+0\n/);
    expect(s).toMatch(/conv2d_2 \(Conv2D\)\s+\[null, 64, 14, 14\]\s+51264\n/);
    expect(s).toMatch(/flatten_1 \(Flatten\)\s+\[null, 3136\]/);
    expect(s).toMatch(/Total params: 454922/); // the torch model's parameter count
  });
});

describe('shape errors name the layer, the expected and the received shape', () => {
  const build = (layers: ConstructorParameters<typeof Sequential>[0]) => () => new Sequential(layers).build();
  it('Conv2D on a flat input asks for Reshape', () => {
    expect(build([new Conv2D({ filters: 2, kernelSize: 3, inputShape: [64] })])).toThrow(
      /Conv2D 'conv2d_1': expected a feature-map input of shape \[channels, height, width\] but received \[64\]; add a Reshape layer/,
    );
  });
  it('a kernel larger than the padded input', () => {
    expect(build([new Conv2D({ filters: 2, kernelSize: 5, dilation: 2, inputShape: [1, 8, 8] })])).toThrow(
      /Conv2D 'conv2d_1': the kernel \[5,5\] with dilation \[2,2\] \(span \[9,9\]\) is larger than the padded input 8x8 \(input shape \[1, 8, 8\], padding \[0,0\]\)/,
    );
  });
  it('channels not divisible by groups, filters not divisible by groups', () => {
    expect(build([new Conv2D({ filters: 6, kernelSize: 1, groups: 3, inputShape: [4, 5, 5] })])).toThrow(/the input's 4 channels \(shape \[4, 5, 5\]\) are not divisible by groups = 3/);
    expect(() => new Conv2D({ filters: 5, kernelSize: 1, groups: 2 })).toThrow(/Conv2D: filters = 5 is not divisible by groups = 2/);
  });
  it("padding 'same' with strides or an even kernel", () => {
    expect(build([new Conv2D({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', inputShape: [1, 8, 8] })])).toThrow(/padding 'same' needs strides 1/);
    expect(build([new Conv2D({ filters: 2, kernelSize: 4, padding: 'same', inputShape: [1, 8, 8] })])).toThrow(/needs asymmetric padding/);
  });
  it('bad options are TypeError/RangeError naming the option', () => {
    expect(() => new Conv2D({ filters: 0, kernelSize: 3 })).toThrow(/filters/);
    expect(() => new Conv2D({ filters: 2, kernelSize: [3] as never })).toThrow(/Conv2D: expected kernelSize to be an integer >= 1 or a pair \[kernelSizeH, kernelSizeW\] of them but received \[3\]/);
    expect(() => new Conv2D({ filters: 2, kernelSize: 3, strides: 0 })).toThrow(/strides/);
    expect(() => new Conv2D({ filters: 2, kernelSize: 3, padding: 'full' as never })).toThrow(/padding/);
    expect(() => new Conv2D({ filters: 2, kernelSize: 3, activation: 'softmax' })).toThrow(/apply it after Flatten/);
    expect(() => new Conv2D(null as never)).toThrow(TypeError);
    expect(() => new MaxPool2D({ poolSize: -1 })).toThrow(/MaxPool2D: expected poolSize/);
    expect(() => new AvgPool2D({ countIncludePad: 'yes' as never })).toThrow(TypeError);
  });
  it('pooling: window larger than the map, padding over half the window, rank', () => {
    expect(build([new MaxPool2D({ poolSize: 4, inputShape: [2, 3, 3] })])).toThrow(/MaxPool2D 'maxpool2d_1': the kernel \[4,4\] is larger than the padded input 3x3/);
    expect(build([new AvgPool2D({ poolSize: 2, padding: 2, inputShape: [2, 6, 6] })])).toThrow(/AvgPool2D 'avgpool2d_1': padding \[2,2\] must be at most half the poolSize \[2,2\]/);
    expect(build([new GlobalAveragePooling2D({ inputShape: [10] })])).toThrow(/GlobalAveragePooling2D 'globalaveragepooling2d_1': expected a feature-map input/);
  });
  it('data whose sample size does not match the model', async () => {
    const m = new Sequential([new Reshape({ targetShape: [1, 8, 8], inputShape: [64] }), new Conv2D({ filters: 2, kernelSize: 3 }), new Flatten(), new Dense({ units: 2 })]);
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await expect(m.fit(new Tensor(new Float32Array(2 * 49), [2, 49]), new Int32Array(2))).rejects.toThrow(/the model takes samples of shape \[64\] but the data has samples of shape \[49\]/);
  });
});

describe('gradwell train --model cnn (buildModel)', () => {
  const base = { model: 'cnn', conv: [{ filters: 4, kernelSize: 3, pool: 2 }, { filters: 8, kernelSize: 5 }], layers: [16], activation: 'relu', dropout: 0, dropConnect: 0, norm: 'none', groups: 4, seed: 1, l1: 0, l2: 0 } as never;
  it('builds Reshape, conv blocks with same padding and max pooling, Flatten and the Dense head from the config', () => {
    const m = buildModel(base, 784, 10, [28, 28]);
    m.build();
    expect(m.layers.map((l) => l.className)).toEqual(['Reshape', 'Conv2D', 'MaxPool2D', 'Conv2D', 'MaxPool2D', 'Flatten', 'Dense', 'Dense']);
    expect(m.layers.map((l) => l.outputShape)).toEqual([[1, 28, 28], [4, 28, 28], [4, 14, 14], [8, 14, 14], [8, 7, 7], [392], [16], [10]]);
  });
  it('puts the norm between the conv and its activation', () => {
    const m = buildModel({ ...(base as object), norm: 'group' } as never, 784, 10, [28, 28]);
    expect(m.layers.slice(1, 5).map((l) => l.className)).toEqual(['Conv2D', 'GroupNorm', 'Activation', 'MaxPool2D']);
  });
});
