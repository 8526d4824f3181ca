// Layers over feature maps [C, H, W]: the conv.json golden cases that are layer-level
// (BatchNorm2d training, GroupNorm on maps) through the layer classes' own program
// steps, Reshape / Flatten over maps, LayerNorm / InstanceNorm / Dropout on maps
// against float64 references, and shape errors that name the layer.
import { describe, expect, it } from 'vitest';
import { Activation, Adam, AvgPool2D, BatchNorm, Conv2D, GlobalAveragePooling2D, SpatialDropout2D, Dense, Dropout, Flatten, GroupNorm, InstanceNorm, LayerNorm, MaxPool2D, Random, Reshape, SGD, Sequential, Tensor, type Layer, type Optimizer } from '../lib';
import { native } from '../lib/binding';
import { caseHandler, expectClose, f32, i32, loadGolden, type GoldenCase } from './helpers/golden';
import { randomF32 } from './helpers/isa';

/** Builds `layer` (unless built) for a per-sample shape and runs its forward (training) and backward steps on N samples. */
export async function runLayer(layer: Layer, sampleShape: number[], x: Float32Array, dy: Float32Array, N: number, training = true) {
  layer.name ||= `${layer.className.toLowerCase()}_t`;
  if (!layer.built) layer.build(sampleShape, new Random(7).fork(layer.name));
  layer.allocate(N);
  const outSize = layer.outputShape!.reduce((a, b) => a * b, 1);
  const y = layer.aliasesInput ? x : new Float32Array(N * outSize);
  const dx = layer.aliasesInput ? dy : new Float32Array(x.length).fill(NaN);
  await native.runAsync(layer.forward({ x, y, rows: N, training, skipOutputActivation: false }));
  await native.runAsync(layer.backward({ x, y, dy, dx, rows: N, skipOutputActivation: false }));
  return { y, dx };
}

/** Sets gamma/beta of a norm layer from a golden case and checks y, dx, dgamma, dbeta. */
async function normCase(c: GoldenCase, layer: BatchNorm | GroupNorm): Promise<void> {
  const [N, ...sample] = c.inputs.x.shape;
  layer.name = c.name;
  layer.build(sample, new Random(1));
  layer.gamma!.value.set(f32(c.inputs.gamma));
  layer.beta!.value.set(f32(c.inputs.beta));
  if (layer instanceof BatchNorm) {
    layer.runningMean.set(f32(c.inputs.running_mean));
    layer.runningVar.set(f32(c.inputs.running_var));
  }
  layer.allocate(N);
  const x = f32(c.inputs.x);
  const y = new Float32Array(x.length);
  const dx = new Float32Array(x.length).fill(NaN);
  await native.runAsync(layer.forward({ x, y, rows: N, training: true, skipOutputActivation: false }));
  await native.runAsync(layer.backward({ x, y, dy: f32(c.inputs.dy), dx, rows: N, skipOutputActivation: false }));
  expectClose(y, c.expected.y.data, c.tolerance, `${c.name} y`);
  expectClose(dx, c.expected.dx.data, c.tolerance, `${c.name} dx`);
  expectClose(layer.gamma!.grad, c.expected.dgamma.data, c.tolerance, `${c.name} dgamma`);
  expectClose(layer.beta!.grad, c.expected.dbeta.data, c.tolerance, `${c.name} dbeta`);
  if (layer instanceof BatchNorm) {
    expectClose(layer.runningMean, c.expected.running_mean.data, c.tolerance, `${c.name} running_mean`);
    expectClose(layer.runningVar, c.expected.running_var.data, c.tolerance, `${c.name} running_var`);
  }
}

function num(c: GoldenCase, key: string): number {
  const v = c.attrs[key];
  if (typeof v !== 'number') throw new Error(`golden case '${c.name}': attribute '${key}' missing or not a number`);
  return v;
}

export const layerGoldenHandlers: Record<string, (c: GoldenCase) => Promise<void>> = {
  batchnorm2d_train: (c) => normCase(c, new BatchNorm({ momentum: num(c, 'momentum'), eps: num(c, 'eps') })),
  groupnorm2d: (c) => normCase(c, new GroupNorm({ groups: num(c, 'groups'), eps: num(c, 'eps') })),
};

/** float64 normalization of x [N, C, L] over groups of channels, gamma/beta per channel; returns y. */
function refGroupNorm(x: Float32Array, N: number, C: number, L: number, G: number, gamma: Float32Array, beta: Float32Array, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  const cg = C / G;
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const base = (n * C + g * cg) * L;
      let s = 0;
      for (let i = 0; i < cg * L; i++) s += x[base + i];
      const mean = s / (cg * L);
      let v = 0;
      for (let i = 0; i < cg * L; i++) v += (x[base + i] - mean) ** 2;
      const inv = 1 / Math.sqrt(v / (cg * L) + eps);
      for (let i = 0; i < cg * L; i++) {
        const ch = g * cg + Math.floor(i / L);
        y[base + i] = (x[base + i] - mean) * inv * gamma[ch] + beta[ch];
      }
    }
  }
  return y;
}

describe('norms on feature maps [C, H, W]', () => {
  const N = 3, C = 4, H = 3, W = 5, L = H * W;
  const x = randomF32(N * C * L, 11, -2, 3);
  const dy = randomF32(N * C * L, 12);

  it('LayerNorm normalizes each sample over C x H x W with per-channel gamma/beta (GroupNorm with 1 group)', async () => {
    const ln = new LayerNorm({ name: 'ln' });
    ln.build([C, H, W], new Random(1));
    expect(ln.gamma!.shape).toEqual([C]);
    ln.gamma!.value.set([0.5, 1, 1.5, 2]);
    ln.beta!.value.set([0.1, -0.2, 0.3, 0]);
    const gamma = ln.gamma!.value.slice(), beta = ln.beta!.value.slice();
    const { y, dx } = await runLayer(ln, [C, H, W], x, dy, N);
    expectClose(y, refGroupNorm(x, N, C, L, 1, gamma, beta, 1e-5), { rtol: 1e-4, atol: 1e-5 }, 'LayerNorm y');
    // dx equals GroupNorm(1)'s
    const gn = new GroupNorm({ groups: 1, name: 'gn' });
    gn.build([C, H, W], new Random(1));
    gn.gamma!.value.set(gamma);
    gn.beta!.value.set(beta);
    const ref = await runLayer(gn, [C, H, W], x, dy, N);
    expect(Array.from(dx)).toEqual(Array.from(ref.dx));
  });

  it('InstanceNorm normalizes each (sample, channel) over H x W', async () => {
    const inorm = new InstanceNorm({ name: 'in' });
    const { y } = await runLayer(inorm, [C, H, W], x, dy, N);
    expectClose(y, refGroupNorm(x, N, C, L, C, new Float32Array(C).fill(1), new Float32Array(C), 1e-5), { rtol: 1e-4, atol: 1e-5 }, 'InstanceNorm y');
  });

  it('BatchNorm normalizes each channel over N x H x W and updates running statistics with the unbiased variance', async () => {
    const bn = new BatchNorm({ name: 'bn' });
    const { y } = await runLayer(bn, [C, H, W], x, dy, N);
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let n = 0; n < N; n++) for (let i = 0; i < L; i++) s += x[(n * C + c) * L + i];
      const mean = s / (N * L);
      let v = 0;
      for (let n = 0; n < N; n++) for (let i = 0; i < L; i++) v += (x[(n * C + c) * L + i] - mean) ** 2;
      const inv = 1 / Math.sqrt(v / (N * L) + 1e-5);
      for (let n = 0; n < N; n++) for (let i = 0; i < L; i++) {
        const k = (n * C + c) * L + i;
        expect(Math.abs(y[k] - (x[k] - mean) * inv)).toBeLessThan(1e-4);
      }
      expect(bn.runningMean[c]).toBeCloseTo(0.1 * mean, 5);
      expect(bn.runningVar[c]).toBeCloseTo(0.9 + 0.1 * (v / (N * L - 1)), 5);
    }
    expect(bn.gamma!.shape).toEqual([C]);
  });

  it('Dropout on maps keeps or zeroes single elements, scaled by 1/(1-rate), and backward uses the same mask', async () => {
    const d = new Dropout(0.5, { name: 'drop' });
    const { y, dx } = await runLayer(d, [C, H, W], x, x, N);
    let kept = 0;
    for (let i = 0; i < x.length; i++) {
      if (y[i] !== 0) {
        kept++;
        expect(y[i]).toBeCloseTo(2 * x[i], 5);
      }
      expect(dx[i]).toBe(y[i]);
    }
    expect(kept).toBeGreaterThan(x.length * 0.3);
    expect(kept).toBeLessThan(x.length * 0.7);
  });

  it('GroupNorm names itself when the groups do not divide the channels', () => {
    const m = new Sequential([new Reshape({ targetShape: [6, 2, 2], inputShape: [24] }), new GroupNorm({ groups: 4 })]);
    expect(() => m.build()).toThrow(/GroupNorm 'groupnorm_1': groups = 4 does not divide the 6 channels of the input shape \[6,2,2\]/);
  });

  it('BatchNorm rejects a rank-4 sample, naming the layer and the shape', () => {
    const m = new Sequential([new Reshape({ targetShape: [2, 2, 3, 2], inputShape: [24] }), new BatchNorm()]);
    expect(() => m.build()).toThrow(/BatchNorm 'batchnorm_1': expected a per-sample shape \[C\], \[C, L\] or \[C, H, W\] but received \[2,2,3,2\]/);
  });
});

describe('Reshape and Flatten over maps', () => {
  it('Reshape infers -1, checks the size, and is a view (no steps, aliasing its input)', () => {
    const r = new Reshape({ targetShape: [-1, 28, 28] });
    expect(r.computeOutputShape([784])).toEqual([1, 28, 28]);
    expect(r.aliasesInput).toBe(true);
    expect(() => new Reshape({ targetShape: [3, 28, 28], name: 'r' }).computeOutputShape([784])).toThrow(
      /Reshape 'r': expected an input of 2352 values per sample for targetShape \[3, 28, 28\] but received shape \[784\] \(784 values\)/,
    );
    expect(() => new Reshape({ targetShape: [-1, 5], name: 'r' }).computeOutputShape([784])).toThrow(/784 is not a multiple of 5/);
    expect(() => new Reshape({ targetShape: [-1, -1] })).toThrow(RangeError);
    expect(() => new Reshape({ targetShape: [0, 2] })).toThrow(/targetShape must hold 1 to 8 positive integers/);
    expect(() => new Reshape({} as never)).toThrow(TypeError);
  });

  it('a flat sample reshaped to [C, H, W], normalized per channel and flattened again trains end to end', async () => {
    const m = new Sequential(
      [new Reshape({ targetShape: [2, 3, 4], inputShape: [24] }), new BatchNorm(), new Flatten(), new Dense({ units: 3 })],
      { seed: 3 },
    );
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const text = m.summary({ print: false });
    expect(text).toMatch(/reshape_1 \(Reshape\)\s+\[null, 2, 3, 4\]\s+0/);
    expect(text).toMatch(/batchnorm_1 \(BatchNorm\)\s+\[null, 2, 3, 4\]\s+8/); // gamma, beta, running mean, running var per channel
    expect(text).toMatch(/flatten_1 \(Flatten\)\s+\[null, 24\]/);
    const x = new Tensor(randomF32(16 * 24, 5), [16, 24]);
    const y = Int32Array.from({ length: 16 }, (_, i) => i % 3);
    const h = await m.fit(x, y, { epochs: 3, batchSize: 8 });
    expect(h.history.loss.every(Number.isFinite)).toBe(true);
    const out = await m.predict(x);
    expect(out.shape).toEqual([16, 3]);
  });

  it('Dense after a map names the layer and asks for Flatten', () => {
    const m = new Sequential([new Reshape({ targetShape: [1, 4, 4], inputShape: [16] }), new Dense({ units: 2, name: 'fc' })]);
    expect(() => m.build()).toThrow(/Dense 'fc': expected a flat input of shape \[features\] but received \[1,4,4\]; add a Flatten layer first/);
  });
});

// ---------------------------------------------------------------- the small CNN of conv.json, end to end

interface CnnSpec {
  name?: string;
  type: string;
  in?: number;
  out?: number;
  kernel?: number;
  padding?: number;
  stride?: number;
  bias?: boolean;
  features?: number;
  momentum?: number;
  eps?: number;
}

/** A gradwell weight for a torch tensor: its name and whether it is the transpose ([out, in] -> [in, out]). */
interface WeightMap {
  ours: string;
  transpose?: [number, number];
}

function buildCnn(arch: CnnSpec[]): { model: Sequential; names: Map<string, WeightMap> } {
  const names = new Map<string, WeightMap>();
  const model = new Sequential([], { seed: 1 });
  let unnamed = 0;
  const known = new Set(['name', 'type', 'in', 'out', 'kernel', 'padding', 'stride', 'bias', 'features', 'momentum', 'eps', 'note']);
  for (const spec of arch) {
    for (const k of Object.keys(spec)) if (!known.has(k)) throw new Error(`cnn golden: unrecognised attribute '${k}' of ${spec.type}`);
    switch (spec.type) {
      case 'Conv2d':
        model.add(new Conv2D({ name: spec.name, filters: spec.out!, kernelSize: spec.kernel!, padding: spec.padding ?? 0, strides: spec.stride ?? 1, useBias: spec.bias ?? true }));
        names.set(`${spec.name}.weight`, { ours: `${spec.name}.kernel` });
        if (spec.bias ?? true) names.set(`${spec.name}.bias`, { ours: `${spec.name}.bias` });
        break;
      case 'BatchNorm2d':
        model.add(new BatchNorm({ name: spec.name, momentum: spec.momentum, eps: spec.eps }));
        names.set(`${spec.name}.weight`, { ours: `${spec.name}.gamma` });
        names.set(`${spec.name}.bias`, { ours: `${spec.name}.beta` });
        names.set(`${spec.name}.running_mean`, { ours: `${spec.name}.running_mean` });
        names.set(`${spec.name}.running_var`, { ours: `${spec.name}.running_var` });
        break;
      case 'ReLU':
        model.add(new Activation('relu', { name: `relu_${++unnamed}` }));
        break;
      case 'MaxPool2d':
        model.add(new MaxPool2D({ name: `pool_${++unnamed}`, poolSize: spec.kernel!, strides: spec.stride ?? spec.kernel!, padding: spec.padding ?? 0 }));
        break;
      case 'Flatten':
        model.add(new Flatten({ name: `flatten_${++unnamed}` }));
        break;
      case 'Linear':
        model.add(new Dense({ name: spec.name, units: spec.out! }));
        names.set(`${spec.name}.weight`, { ours: `${spec.name}.kernel`, transpose: [spec.out!, spec.in!] });
        names.set(`${spec.name}.bias`, { ours: `${spec.name}.bias` });
        break;
      default:
        throw new Error(`cnn golden: unrecognised layer type '${spec.type}'`);
    }
  }
  return { model, names };
}

/** [rows, cols] row-major -> [cols, rows]. */
function transposed(a: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

function cnnOptimizer(c: GoldenCase): Optimizer {
  const name = c.attrs.optimizer as string;
  const hp = c.attrs.hyperparams as Record<string, number | number[]>;
  const known = new Set(['lr', 'momentum', 'betas', 'eps', 'weight_decay']);
  for (const k of Object.keys(hp)) if (!known.has(k)) throw new Error(`cnn golden: unrecognised hyper-parameter '${k}'`);
  if (name === 'SGD') return new SGD({ lr: hp.lr as number, momentum: (hp.momentum as number) ?? 0, weightDecay: (hp.weight_decay as number) ?? 0 });
  if (name === 'Adam') {
    const betas = (hp.betas as number[]) ?? [0.9, 0.999];
    return new Adam({ lr: hp.lr as number, beta1: betas[0], beta2: betas[1], eps: (hp.eps as number) ?? 1e-8, weightDecay: (hp.weight_decay as number) ?? 0 });
  }
  throw new Error(`cnn golden: unrecognised optimizer '${name}'`);
}

async function cnnCase(c: GoldenCase): Promise<void> {
  const { model, names } = buildCnn(c.attrs.architecture as CnnSpec[]);
  const x = c.inputs.x;
  model.build(x.shape.slice(1));
  model.compile({ optimizer: cnnOptimizer(c), loss: 'sparseCategoricalCrossentropy' });
  const toOurs = (t: string, v: ArrayLike<number>) => {
    const m = names.get(t)!;
    return m.transpose ? transposed(v, m.transpose[0], m.transpose[1]) : Float32Array.from(v);
  };
  const weights = new Map<string, Float32Array>();
  for (const [torchName, m] of names) if (c.inputs[torchName]) weights.set(m.ours, toOurs(torchName, c.inputs[torchName].data));
  model.setWeights(weights);
  const xs = new Tensor(f32(x), x.shape);
  const labels = i32(c.inputs.labels);
  const steps = c.attrs.steps as number;
  const losses: number[] = [];
  for (let t = 0; t < steps; t++) {
    if (t === 0) {
      const logits = await model.predict(xs); // no output activation: the logits (eval mode, before any update)
      expect(logits.shape).toEqual(c.expected.logits_step0.shape);
    }
    losses.push((await model.trainOnBatch(xs, labels)).loss);
    if (t === 0) {
      for (const p of model.params()) {
        const torchName = [...names].find(([, m]) => m.ours === p.name)![0];
        expectClose(p.grad, toOurs(torchName, c.expected[`grad_step0.${torchName}`].data), c.tolerance, `${c.name}: grad of ${torchName}`);
      }
    }
  }
  expectClose(losses, c.expected.loss_before_step.data, c.tolerance, `${c.name}: loss_before_step`);
  const after = model.getWeights();
  for (const [torchName, m] of names) {
    expectClose(after.get(m.ours)!, toOurs(torchName, c.expected[torchName].data), c.tolerance, `${c.name}: ${torchName} after ${steps} steps`);
  }
}

/** Logits of the first step in training mode (batch statistics), from a fresh copy of the model. */
async function cnnLogitsStep0(c: GoldenCase): Promise<void> {
  const { model, names } = buildCnn(c.attrs.architecture as CnnSpec[]);
  const x = c.inputs.x;
  model.build(x.shape.slice(1));
  const weights = new Map<string, Float32Array>();
  for (const [torchName, m] of names) {
    if (!c.inputs[torchName]) continue;
    weights.set(m.ours, m.transpose ? transposed(c.inputs[torchName].data, m.transpose[0], m.transpose[1]) : f32(c.inputs[torchName]));
  }
  model.setWeights(weights);
  const N = x.shape[0];
  const buffers: Float32Array[] = [];
  let prev = f32(x);
  const steps = [];
  for (const l of model.layers) {
    l.allocate(N);
    const y = l.aliasesInput ? prev : new Float32Array(N * l.outputShape!.reduce((a, b) => a * b, 1));
    steps.push(...l.forward({ x: prev, y, rows: N, training: true, skipOutputActivation: false }));
    buffers.push(y);
    prev = y;
  }
  await native.runAsync(steps);
  expectClose(prev, c.expected.logits_step0.data, c.tolerance, `${c.name}: logits_step0`);
}

/** A conv2d / pooling case through the layer class: options from attrs, y and dx (and dw, db) against PyTorch. */
async function spatialCase(c: GoldenCase, layer: Layer): Promise<void> {
  const [N, ...sample] = c.inputs.x.shape;
  layer.name = c.name;
  layer.build(sample, new Random(1));
  if (layer instanceof Conv2D) {
    layer.kernel!.value.set(f32(c.inputs.w));
    if (layer.bias) layer.bias.value.set(f32(c.inputs.b));
  }
  expect([N, ...layer.outputShape!]).toEqual(c.expected.y.shape);
  const { y, dx } = await runLayer(layer, sample, f32(c.inputs.x), f32(c.inputs.dy), N);
  expectClose(y, c.expected.y.data, c.tolerance, `${c.name} y`);
  expectClose(dx, c.expected.dx.data, c.tolerance, `${c.name} dx`);
  if (layer instanceof Conv2D) {
    expectClose(layer.kernel!.grad, c.expected.dw.data, c.tolerance, `${c.name} dw`);
    if (c.expected.db) expectClose(layer.bias!.grad, c.expected.db.data, c.tolerance, `${c.name} db`);
  }
}

function pairAttr(c: GoldenCase, key: string): [number, number] {
  const v = c.attrs[key];
  if (!Array.isArray(v) || v.length !== 2) throw new Error(`golden case '${c.name}': attribute '${key}' missing or not a pair`);
  return [v[0] as number, v[1] as number];
}

function checkAttrs(c: GoldenCase, known: string[]): void {
  for (const k of Object.keys(c.attrs)) if (![...known, 'layout', 'formula', 'note'].includes(k)) throw new Error(`golden case '${c.name}': unrecognised attribute '${k}'`);
}

layerGoldenHandlers.conv2d = (c) => {
  checkAttrs(c, ['stride', 'padding', 'dilation', 'groups']);
  const w = c.inputs.w.shape;
  return spatialCase(c, new Conv2D({ filters: w[0], kernelSize: [w[2], w[3]], strides: pairAttr(c, 'stride'), padding: pairAttr(c, 'padding'), dilation: pairAttr(c, 'dilation'), groups: num(c, 'groups'), useBias: !!c.inputs.b }));
};
layerGoldenHandlers.maxpool2d = (c) => {
  checkAttrs(c, ['kernel', 'stride', 'padding']);
  return spatialCase(c, new MaxPool2D({ poolSize: pairAttr(c, 'kernel'), strides: pairAttr(c, 'stride'), padding: pairAttr(c, 'padding') }));
};
layerGoldenHandlers.avgpool2d = (c) => {
  checkAttrs(c, ['kernel', 'stride', 'padding', 'count_include_pad']);
  if (typeof c.attrs.count_include_pad !== 'boolean') throw new Error(`golden case '${c.name}': count_include_pad missing`);
  return spatialCase(c, new AvgPool2D({ poolSize: pairAttr(c, 'kernel'), strides: pairAttr(c, 'stride'), padding: pairAttr(c, 'padding'), countIncludePad: c.attrs.count_include_pad }));
};
layerGoldenHandlers.global_avg_pool2d = (c) => {
  checkAttrs(c, []);
  return spatialCase(c, new GlobalAveragePooling2D());
};
layerGoldenHandlers.cnn_train = async (c) => {
  await cnnLogitsStep0(c);
  await cnnCase(c);
};

// Every case of conv.json runs here through the layer classes (test/conv.test.ts runs the op-level
// kinds on the ops themselves, per ISA); a case of an op without a handler fails.
describe('conv.json through the layers: every case', () => {
  const file = loadGolden('conv.json');
  it('has cases of every kind the fixtures document', () => {
    expect(new Set(file.cases.map((c) => c.op))).toEqual(new Set(['conv2d', 'maxpool2d', 'avgpool2d', 'global_avg_pool2d', 'batchnorm2d_train', 'groupnorm2d', 'cnn_train']));
    expect(file.cases.filter((c) => c.op === 'cnn_train').map((c) => (c.attrs as { optimizer: string }).optimizer).sort()).toEqual(['Adam', 'SGD']);
  });
  const handle = caseHandler(Object.fromEntries(Object.keys(layerGoldenHandlers).map((k) => [k, () => undefined])));
  for (const c of file.cases) {
    it(`${c.op}: ${c.name}`, async () => {
      handle(c); // fails on an unrecognised op
      await layerGoldenHandlers[c.op](c);
    });
  }
});

describe('SpatialDropout2D', () => {
  const N = 6, C = 8, H = 3, W = 4, L = H * W;
  const x = randomF32(N * C * L, 31, 0.5, 2); // no zeros, so a zero output means dropped
  const dy = randomF32(N * C * L, 32);

  it('drops whole channels of each sample, scales the kept ones by 1/(1-rate), and backward uses the same mask', async () => {
    const d = new SpatialDropout2D(0.5, { name: 'sd' });
    const { y, dx } = await runLayer(d, [C, H, W], x, dy, N);
    let kept = 0;
    for (let p = 0; p < N * C; p++) {
      const on = y[p * L] !== 0;
      if (on) kept++;
      for (let i = 0; i < L; i++) {
        const k = p * L + i;
        expect(y[k]).toBeCloseTo(on ? 2 * x[k] : 0, 5);
        expect(dx[k]).toBeCloseTo(on ? 2 * dy[k] : 0, 5);
      }
    }
    expect(kept).toBeGreaterThan(N * C * 0.25);
    expect(kept).toBeLessThan(N * C * 0.75);
  });

  it('keeps a channel exactly when dropout keeps element n*C + c of the same key (thread-independent)', async () => {
    const d = new SpatialDropout2D(0.3, { name: 'sd2' });
    const { y } = await runLayer(d, [C, H, W], x, dy, N);
    const ones = new Float32Array(N * C).fill(1);
    const ref = new Float32Array(N * C);
    await native.runAsync([['dropout_forward', ones, ref, N * C, 0.3, d.rngState]]);
    for (let p = 0; p < N * C; p++) expect(y[p * L] !== 0).toBe(ref[p] !== 0);
  });

  it('is the identity in inference, trains and round-trips through save/load, and rejects flat inputs', async () => {
    const d = new SpatialDropout2D(0.4, { name: 'sd3' });
    d.build([C, H, W], new Random(1));
    d.allocate(N);
    const y = new Float32Array(x.length);
    await native.runAsync(d.forward({ x, y, rows: N, training: false, skipOutputActivation: false }));
    expect(Array.from(y)).toEqual(Array.from(x));
    const m = new Sequential([new Reshape({ targetShape: [2, 3, 4], inputShape: [24] }), new SpatialDropout2D(0.25), new Flatten(), new Dense({ units: 3 })], { seed: 2 });
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const h = await m.fit(new Tensor(randomF32(20 * 24, 3), [20, 24]), Int32Array.from({ length: 20 }, (_, i) => i % 3), { epochs: 2, batchSize: 5 });
    expect(h.history.loss.every(Number.isFinite)).toBe(true);
    expect(m.layers[1].getConfig()).toEqual({ name: 'spatialdropout2d_1', rate: 0.25 });
    expect(() => new Sequential([new SpatialDropout2D(0.5, { inputShape: [10] })]).build()).toThrow(/SpatialDropout2D 'spatialdropout2d_1': expected a feature-map input/);
    expect(() => new SpatialDropout2D(1)).toThrow(RangeError);
  });
});

describe('SpatialDropout2D in the interop exports', () => {
  it('is nn.Dropout2d in the torch code of a model', async () => {
    const { torchSequentialCode } = await import('../lib/io/torch');
    const m = new Sequential([new Conv2D({ filters: 2, kernelSize: 3, inputShape: [1, 5, 5] }), new SpatialDropout2D(0.3), new Flatten(), new Dense({ units: 2 })]);
    m.build();
    expect(torchSequentialCode(m)).toMatch(/nn\.Dropout2d\(p=0\.3\)/);
  });
});
