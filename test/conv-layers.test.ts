// Layers over feature maps [C, H, W]: the conv.json golden cases that are layer-level
// (BatchNorm2d training, GroupNorm on maps) through the layer classes' own program
// steps, Reshape / Flatten over maps, LayerNorm / InstanceNorm / Dropout on maps
// against float64 references, and shape errors that name the layer.
import { describe, expect, it } from 'vitest';
import { BatchNorm, Dense, Dropout, Flatten, GroupNorm, InstanceNorm, LayerNorm, Random, Reshape, Sequential, Tensor, type Layer } from '../lib';
import { native } from '../lib/binding';
import { caseHandler, expectClose, f32, loadGolden, type GoldenCase } from './helpers/golden';
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

describe('conv.json layer-level cases (BatchNorm2d, GroupNorm on maps)', () => {
  const file = loadGolden('conv.json');
  const cases = file.cases.filter((c) => c.op in layerGoldenHandlers);
  it('has BatchNorm2d and GroupNorm cases', () => {
    expect(cases.map((c) => c.op)).toEqual(expect.arrayContaining(['batchnorm2d_train', 'groupnorm2d']));
  });
  const handle = caseHandler(Object.fromEntries(Object.keys(layerGoldenHandlers).map((k) => [k, () => undefined])));
  for (const c of cases) {
    it(c.name, async () => {
      handle(c);
      await layerGoldenHandlers[c.op](c);
    });
  }
});

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
