// The first Dense layer reading a uint8 batch where it lies (linear_forward_u8, weight_grad_u8 in
// native/kernels/gemm.cpp): the same bits as gathering the rows into a float buffer and running
// linear_forward / gemm on it, for every ISA and thread count and on each GEMM path (blocked,
// narrow, small; several row and sample blocks), results within float32 rounding of a float64
// scalar reference, and a model trained on uint8 data bit-identical to the same model trained on
// the same values as float32.
import { afterAll, describe, expect, it } from 'vitest';
import { Adam, Dense, getNumThreads, Sequential, setMaxIsa, setNumThreads, Tensor, backend } from '../lib';
import { native, type ProgramStep } from '../lib/binding';
import { flatSteps, op } from '../lib/ops';
import { expectSameWeights } from './helpers/weights';

const SCALE = 1 / 255;
const isas = process.arch === 'arm64' ? ['scalar', 'neon'] : ['scalar', 'sse2', 'avx2', 'avx512'];
const threadCounts = [1, 2, 3];

function table(rows: number, cols: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: rows * cols }, (_, i) => (((i + seed) * 2654435761) >>> 24) & 0xff);
}
function floats(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => ((((i + seed) * 40503) >>> 3) % 2001) / 1000 - 1);
}
function indexOf(rows: number, srcRows: number, seed: number): Int32Array {
  return Int32Array.from({ length: rows }, (_, i) => ((i * 7919 + seed * 31) >>> 0) % srcRows);
}
function gathered(src: Uint8Array, index: Int32Array, cols: number): Float32Array {
  const x = new Float32Array(index.length * cols);
  native.ops.gather_rows(src, index, index.length, cols, x, SCALE);
  return x;
}
function firstDiff(a: Float32Array, b: Float32Array): number {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}
/** Within float32 rounding of a float64 sum of k products of the given magnitude. */
function expectClose(got: Float32Array, want: Float64Array, k: number): void {
  for (let i = 0; i < got.length; i++) {
    const tol = 1e-6 * k + 1e-5 * Math.abs(want[i]);
    if (Math.abs(got[i] - want[i]) > tol) throw new Error(`element ${i}: ${got[i]} vs reference ${want[i]}`);
  }
}

// [rows, in, out]: the blocked path with one and with three row blocks, a narrow output (10
// columns), a problem small enough for the unpacked path, an empty batch and zero features.
const forwardShapes: [number, number, number][] = [[128, 784, 256], [600, 300, 40], [64, 784, 10], [5, 7, 3], [0, 16, 8], [9, 0, 4]];
// [rows, in, out]: one sample block, three sample blocks (rows > 512 per K block), tiny.
const gradShapes: [number, number, number][] = [[128, 784, 256], [1100, 70, 33], [3, 5, 2], [0, 12, 6]];

describe('linear_forward_u8 and weight_grad_u8', () => {
  const before = getNumThreads();
  const isaBefore = backend().isa;
  afterAll(() => {
    setNumThreads(before);
    setMaxIsa(isaBefore);
  });
  const available = isas.filter((isa) => setMaxIsa(isa) === isa);
  setMaxIsa(isaBefore);

  it('linear_forward_u8: the bits of gather_rows + linear_forward, near a float64 reference', () => {
    expect(available.length).toBeGreaterThanOrEqual(2);
    for (const [rows, inF, outF] of forwardShapes) {
      const srcRows = 257;
      const src = table(srcRows, inF, rows + inF);
      const index = indexOf(rows, srcRows, outF);
      const w = floats(inF * outF, 1);
      const bias = floats(outF, 2);
      const x = gathered(src, index, inF);
      // float64 reference of x W + b
      const ref = new Float64Array(rows * outF);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < outF; j++) {
          let s = bias[j];
          for (let p = 0; p < inF; p++) s += src[index[r] * inF + p] * Math.fround(SCALE) * w[p * outF + j];
          ref[r * outF + j] = s;
        }
      }
      for (const isa of available) {
        setMaxIsa(isa);
        for (const t of threadCounts) {
          setNumThreads(t);
          for (const act of ['none', 'relu'] as const) {
            for (const b of [bias, null]) {
              const want = new Float32Array(rows * outF);
              native.ops.linear_forward(x, w, b, want, rows, inF, outF, act);
              const got = new Float32Array(rows * outF).fill(Number.NaN);
              native.ops.linear_forward_u8(src, index, SCALE, w, b, got, rows, inF, outF, act);
              expect(firstDiff(got, want), `${isa} T=${t} ${rows}x${inF}x${outF} ${act} bias=${b !== null}`).toBe(-1);
              if (act === 'none' && b) expectClose(got, ref, inF);
            }
          }
        }
      }
    }
  });

  it('weight_grad_u8: the bits of gather_rows + gemm(x^T g), near a float64 reference', () => {
    for (const [rows, inF, outF] of gradShapes) {
      const srcRows = 97;
      const src = table(srcRows, inF, rows);
      const index = indexOf(rows, srcRows, inF);
      const g = floats(rows * outF, 3);
      const x = gathered(src, index, inF);
      const ref = new Float64Array(inF * outF);
      for (let p = 0; p < rows; p++) {
        for (let i = 0; i < inF; i++) {
          const xv = src[index[p] * inF + i] * Math.fround(SCALE);
          for (let j = 0; j < outF; j++) ref[i * outF + j] += xv * g[p * outF + j];
        }
      }
      for (const isa of available) {
        setMaxIsa(isa);
        for (const t of threadCounts) {
          setNumThreads(t);
          const want = new Float32Array(inF * outF);
          native.ops.gemm(true, false, inF, outF, rows, 1, x, inF, g, outF, 0, want, outF);
          const got = new Float32Array(inF * outF).fill(Number.NaN); // overwritten, never read
          native.ops.weight_grad_u8(src, index, SCALE, g, got, null, rows, inF, outF);
          expect(firstDiff(got, want), `${isa} T=${t} ${rows}x${inF}x${outF}`).toBe(-1);
          // with the bias gradient summed in the same GEMM: bias_grad's bits
          const db0 = new Float32Array(outF);
          native.ops.bias_grad(g, db0, rows, outF);
          const db = new Float32Array(outF).fill(Number.NaN);
          const got2 = new Float32Array(inF * outF);
          native.ops.weight_grad_u8(src, index, SCALE, g, got2, db, rows, inF, outF);
          expect(firstDiff(got2, want), `${isa} T=${t} ${rows}x${inF}x${outF} with db`).toBe(-1);
          expect(firstDiff(db, db0), `${isa} T=${t} ${rows}x${inF}x${outF} db`).toBe(-1);
          expectClose(got, ref, rows);
        }
      }
    }
  });

  it('rejects bad arguments with errors naming them, at prepare time and when a program runs', () => {
    const src = table(10, 4, 0);
    const index = new Int32Array([0, 9, 3]);
    const w = floats(4 * 2, 0);
    const y = new Float32Array(3 * 2);
    expect(() => native.ops.linear_forward_u8(src, new Int32Array([0, 10, 1]), SCALE, w, null, y, 3, 4, 2)).toThrow(
      /linear_forward_u8: index\[1\] = 10 is out of range for a source of 10 rows/,
    );
    expect(() => native.ops.linear_forward_u8(src, new Int32Array([0, -1, 1]), SCALE, w, null, y, 3, 4, 2)).toThrow(RangeError);
    expect(() => native.ops.linear_forward_u8(src, index.subarray(0, 2), SCALE, w, null, y, 3, 4, 2)).toThrow(/'index' has 2 elements but rows = 3/);
    expect(() => native.ops.linear_forward_u8(src.subarray(0, 39), index, SCALE, w, null, y, 3, 4, 2)).toThrow(/'src' has 39 elements, not a whole number of rows of inFeatures = 4/);
    expect(() => native.ops.linear_forward_u8(src, index, SCALE, w.subarray(1), null, y, 3, 4, 2)).toThrow(/'w'/);
    expect(() => native.ops.linear_forward_u8(src, index, SCALE, w, null, y.subarray(1), 3, 4, 2)).toThrow(/'y'/);
    expect(() => native.ops.linear_forward_u8(src, index, SCALE, w, null, y, 3, 4, 2, 'tanh' as 'relu')).toThrow(/'activation'/);
    expect(() => native.ops.linear_forward_u8(new Float32Array(40) as unknown as Uint8Array, index, SCALE, w, null, y, 3, 4, 2)).toThrow(TypeError);
    expect(() => native.ops.linear_forward_u8(src, index, Number.NaN, w, null, y, 3, 4, 2)).toThrow(/'scale'/);
    // An output that shares memory with the table or the index (views of one buffer).
    const shared = new ArrayBuffer(64);
    const ySrc = new Uint8Array(shared, 0, 40);
    expect(() => native.ops.linear_forward_u8(ySrc, index, SCALE, w, null, new Float32Array(shared, 32, 6), 3, 4, 2)).toThrow(/'y' overlaps/);
    const idxShared = new Int32Array(shared, 0, 3);
    expect(() => native.ops.weight_grad_u8(src, idxShared, SCALE, floats(6, 0), new Float32Array(shared, 8, 8), null, 3, 4, 2)).toThrow(/'dw' overlaps/);
    expect(() => native.ops.weight_grad_u8(src, index, SCALE, floats(5, 0), new Float32Array(8), null, 3, 4, 2)).toThrow(/'g'/);
    expect(() => native.ops.weight_grad_u8(src, index, SCALE, floats(6, 0), new Float32Array(7), null, 3, 4, 2)).toThrow(/'dw'/);
  });

  it('checks the index again on every run of a compiled program (it is refilled between runs)', async () => {
    const src = table(10, 4, 0);
    const index = new Int32Array([0, 9, 3]);
    const g = floats(6, 0);
    const dw = new Float32Array(8);
    const y = new Float32Array(6);
    const p = new native.CompiledProgram([
      op.linear_forward_u8(src, index, SCALE, floats(8, 1), null, y, 3, 4, 2),
      op.weight_grad_u8(src, index, SCALE, g, dw, null, 3, 4, 2),
    ]);
    await p.run();
    index[2] = 10;
    await expect(p.run()).rejects.toThrow(/linear_forward_u8: index\[2\] = 10 is out of range for a source of 10 rows/);
    const q = new native.CompiledProgram([op.weight_grad_u8(src, new Int32Array([1, 2, 3]), SCALE, g, dw, null, 3, 4, 2)]);
    await q.run();
  });
});

describe('a model on uint8 data', () => {
  const before = getNumThreads();
  afterAll(() => setNumThreads(before));
  const n = 300;
  const f = 200;
  const src = table(n, f, 5);
  const asFloat = Float32Array.from(src, (v) => Math.fround(v * Math.fround(SCALE)));
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 7 + src[i * f]) % 10);
  const build = () => {
    const m = new Sequential([new Dense({ units: 64, activation: 'relu', inputShape: [f] }), new Dense({ units: 32, activation: 'relu' }), new Dense({ units: 10 })], { seed: 3 });
    m.compile({ optimizer: new Adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    return m;
  };

  it('reads the batch in its first layer (no gather of the input), and trains bit-identically to the same values as float32', async () => {
    for (const t of [1, 2]) {
      setNumThreads(t);
      const a = build();
      const b = build();
      const ha = await a.fit({ data: src, shape: [n, f], scale: SCALE }, labels, { epochs: 2, batchSize: 32, shuffle: true, seed: 9 });
      const hb = await b.fit(new Tensor(asFloat, [n, f]), labels, { epochs: 2, batchSize: 32, shuffle: true, seed: 9 });
      expectSameWeights(a.getWeights(), b.getWeights());
      expect(ha.history.loss).toEqual(hb.history.loss);
      const pa = await a.predict({ data: src, shape: [n, f], scale: SCALE }, { batchSize: 128 });
      const pb = await b.predict(new Tensor(asFloat, [n, f]), { batchSize: 128 });
      expect(firstDiff(pa.data as Float32Array, pb.data as Float32Array)).toBe(-1);
    }
  });

  it('the training and inference programs of a uint8 source have the fused ops and no input gather; float32 keeps the gather', async () => {
    const programs = async (x: { data: Uint8Array; shape: number[]; scale: number } | Tensor): Promise<string[][]> => {
      const Orig = native.CompiledProgram;
      const seen: string[][] = [];
      (native as { CompiledProgram: unknown }).CompiledProgram = function (steps: ProgramStep[], cursor?: Int32Array) {
        seen.push(flatSteps(steps).map((s) => s[0]));
        return new Orig(steps, cursor);
      };
      try {
        const m = build();
        await m.fit(x, labels, { epochs: 1, batchSize: 32 });
        await m.predict(x, { batchSize: 64 });
      } finally {
        (native as { CompiledProgram: unknown }).CompiledProgram = Orig;
      }
      return seen;
    };
    const u8 = await programs({ data: src, shape: [n, f], scale: SCALE });
    const f32 = await programs(new Tensor(asFloat, [n, f]));
    expect(u8.length).toBeGreaterThanOrEqual(3); // per batch, chunked, inference
    for (const names of u8) {
      expect(names.filter((s) => s === 'linear_forward_u8')).toHaveLength(1);
      expect(names).not.toContain('gather_rows');
    }
    expect(u8.filter((names) => names.includes('weight_grad_u8')).length).toBeGreaterThanOrEqual(2);
    for (const names of f32) {
      expect(names).toContain('gather_rows');
      expect(names).not.toContain('linear_forward_u8');
      expect(names).not.toContain('weight_grad_u8');
    }
  });
});
