// activation_backward_bias (an activation's gradient and the bias gradient in one pass) against its
// reference, activation_backward followed by bias_grad: bit-identical for every elementwise kind, on
// every ISA, for 1, 2 and 3 threads, on shapes below, at and above the SIMD widths and the column
// block; in place (dx = dy); bad input; and a Dense layer using it against the unfused steps.
import { afterAll, describe, expect, it } from 'vitest';
import { Dense, getNumThreads, Sequential, SGD, setNumThreads, Tensor } from '../lib';
import { native } from '../lib/binding';
import { ACTIVATION_KINDS } from '../lib/kinds';
import { flatSteps } from '../lib/ops';
import { describeEachIsa, randomF32 } from './helpers/isa';

const SHAPES: [number, number][] = [[1, 1], [3, 17], [7, 128], [5, 129], [128, 256], [4, 300], [33, 2048]];

function bits(x: Float32Array): Buffer {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
}

describeEachIsa('activation_backward_bias equals activation_backward + bias_grad', () => {
  const before = getNumThreads();
  afterAll(() => setNumThreads(before));
  for (const kind of ACTIVATION_KINDS) {
    it(kind, () => {
      for (const [rows, cols] of SHAPES) {
        const n = rows * cols;
        const x = randomF32(n, rows + 3 * cols, -6, 6);
        x[0] = 0; // the kink of relu-like kinds
        const y = new Float32Array(n);
        native.ops.activation_forward(kind, x, y, n, 0.2);
        const dy = randomF32(n, rows * cols + 1, -1, 1);
        setNumThreads(1);
        const wantDx = new Float32Array(n);
        const wantDb = new Float32Array(cols);
        native.ops.activation_backward(kind, x, y, dy, wantDx, n, 0.2);
        native.ops.bias_grad(wantDx, wantDb, rows, cols);
        for (const threads of [1, 2, 3]) {
          setNumThreads(threads);
          const dx = new Float32Array(n).fill(Number.NaN);
          const db = new Float32Array(cols).fill(Number.NaN);
          native.ops.activation_backward_bias(kind, x, y, dy, dx, db, rows, cols, 0.2);
          expect(bits(dx).equals(bits(wantDx)), `${kind} [${rows}, ${cols}] ${threads} threads dx`).toBe(true);
          expect(bits(db).equals(bits(wantDb)), `${kind} [${rows}, ${cols}] ${threads} threads db`).toBe(true);
          const inPlace = dy.slice();
          const db2 = new Float32Array(cols);
          native.ops.activation_backward_bias(kind, x, y, inPlace, inPlace, db2, rows, cols, 0.2);
          expect(bits(inPlace).equals(bits(wantDx)), `${kind} [${rows}, ${cols}] in place`).toBe(true);
          expect(bits(db2).equals(bits(wantDb)), `${kind} [${rows}, ${cols}] in place db`).toBe(true);
        }
      }
    });
  }
});

describe('activation_backward_bias bad input', () => {
  const b = (n: number) => new Float32Array(n);
  it('names the argument, the size and the shape', () => {
    expect(() => native.ops.activation_backward_bias('relu', b(6), b(6), b(6), b(6), b(2), 2, 3)).toThrow(
      /activation_backward_bias: argument 'db' has 2 elements but shape \[3\] needs 3/,
    );
    expect(() => native.ops.activation_backward_bias('relu', b(6), b(5), b(6), b(6), b(3), 2, 3)).toThrow(/argument 'y' has 5 elements but shape \[2, 3\] needs 6/);
    expect(() => native.ops.activation_backward_bias('swish', b(6), b(6), b(6), b(6), b(3), 2, 3)).toThrow(RangeError);
    expect(() => native.ops.activation_backward_bias('relu', b(6), b(6), b(6), b(6), b(3), -1, 3)).toThrow(RangeError);
    expect(() => native.ops.activation_backward_bias('relu', b(6), b(6), b(6), [0, 0, 0, 0, 0, 0], b(3), 2, 3)).toThrow(TypeError);
    const dx = b(9);
    expect(() => native.ops.activation_backward_bias('relu', b(6), b(6), b(6), dx, dx.subarray(3), 2, 3)).toThrow(/argument 'db' overlaps 'dx'/);
  });
  it('cols = 0 does nothing, whatever rows', () => {
    expect(() => native.ops.activation_backward_bias('relu', b(0), b(0), b(0), b(0), b(0), 2 ** 40, 0)).not.toThrow();
  });
});

describe('Dense backward with the fused bias gradient', () => {
  for (const activation of ['relu', 'tanh', 'gelu']) {
    it(`${activation}: one activation_backward_bias per hidden layer, weights equal to the unfused steps after 3 steps`, async () => {
      const train = async (fused: boolean) => {
        const layers = [new Dense({ units: 48, activation, inputShape: [20] }), new Dense({ units: 30, activation }), new Dense({ units: 4 })];
        for (const l of layers) l.fuseBiasGrad = fused;
        const m = new Sequential(layers, { seed: 7 });
        m.compile({ optimizer: new SGD({ lr: 0.05, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy' });
        const x = new Tensor(randomF32(24 * 20, 4, -1, 1), [24, 20]);
        const y = Int32Array.from({ length: 24 }, (_, i) => i % 4);
        for (let k = 0; k < 3; k++) await m.trainOnBatch(x, y);
        const ops = layers.flatMap((l, i) => flatSteps(l.backward({ x: new Float32Array(24 * 20), y: new Float32Array(24 * 48), dy: new Float32Array(24 * 48), dx: i ? new Float32Array(24 * 48) : null, rows: 24, skipOutputActivation: i === 2 })).map((s) => s[0]));
        return { weights: layers.flatMap((l) => l.params().map((p) => Array.from(p.value))), ops };
      };
      const fused = await train(true);
      const plain = await train(false);
      expect(fused.ops.filter((o) => o === 'activation_backward_bias').length).toBe(2);
      // the output layer (no activation) sums its bias in its weight-gradient GEMM, and so does every layer unfused
      expect(fused.ops.filter((o) => o === 'weight_grad').length).toBe(3);
      expect(fused.ops).not.toContain('bias_grad');
      expect(plain.ops).not.toContain('activation_backward_bias');
      expect(plain.ops).not.toContain('bias_grad');
      expect(fused.weights).toEqual(plain.weights);
    });
  }
});
