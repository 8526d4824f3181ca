// A Dense layer's backward GEMMs with their epilogues (native/kernels/gemm.cpp): weight_grad sums the
// bias gradient from the packed panels of g, input_grad applies the ReLU backward of the layer below in
// its store. Each must give the bits of the unfused ops (gemm, bias_grad, activation_backward relu) on
// every ISA, thread count and GEMM path; a model whose ReLU backward is fused must train bit-identically
// to the same model with the fusion off, and its program must hold the fused ops.
import { afterAll, describe, expect, it } from 'vitest';
import { Adam, Dense, Dropout, getNumThreads, Sequential, SGD, setMaxIsa, setNumThreads, Tensor, backend } from '../lib';
import { native, type ProgramStep } from '../lib/binding';
import { flatSteps } from '../lib/ops';
import { expectSameWeights } from './helpers/weights';

const isas = process.arch === 'arm64' ? ['scalar', 'neon'] : ['scalar', 'sse2', 'avx2', 'avx512'];

function floats(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => ((((i + seed) * 40503) >>> 3) % 2001) / 1000 - 1);
}
function firstDiff(a: Float32Array, b: Float32Array): number {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

// [rows, in, out]: blocked (one and several K blocks, both thread splits), narrow, small, and empty ones.
const shapes: [number, number, number][] = [[128, 784, 256], [128, 256, 128], [1100, 40, 70], [128, 128, 10], [64, 20, 10], [4, 5, 3], [0, 6, 5], [7, 0, 5], [7, 6, 0]];

describe('weight_grad and input_grad', () => {
  const before = getNumThreads();
  const isaBefore = backend().isa;
  afterAll(() => {
    setNumThreads(before);
    setMaxIsa(isaBefore);
  });
  const available = isas.filter((isa) => setMaxIsa(isa) === isa);
  setMaxIsa(isaBefore);

  it('weight_grad: dw the bits of gemm(x^T g), db those of bias_grad', () => {
    expect(available.length).toBeGreaterThanOrEqual(2);
    for (const [rows, inF, outF] of shapes) {
      const x = floats(rows * inF, 1);
      const g = floats(rows * outF, 2);
      for (const isa of available) {
        setMaxIsa(isa);
        for (const t of [1, 2, 3]) {
          setNumThreads(t);
          const dw0 = new Float32Array(inF * outF);
          const db0 = new Float32Array(outF);
          native.ops.gemm(true, false, inF, outF, rows, 1, x, Math.max(1, inF), g, Math.max(1, outF), 0, dw0, Math.max(1, outF));
          native.ops.bias_grad(g, db0, rows, outF);
          const dw = new Float32Array(inF * outF).fill(Number.NaN);
          const db = new Float32Array(outF).fill(Number.NaN);
          native.ops.weight_grad(x, g, dw, db, rows, inF, outF);
          const at = `${isa} T=${t} ${rows}x${inF}x${outF}`;
          expect(firstDiff(dw, dw0), at).toBe(-1);
          expect(firstDiff(db, db0), at).toBe(-1);
          const dwOnly = new Float32Array(inF * outF);
          native.ops.weight_grad(x, g, dwOnly, null, rows, inF, outF);
          expect(firstDiff(dwOnly, dw0), at).toBe(-1);
        }
      }
    }
  });

  it('input_grad: the bits of gemm(g W^T), then activation_backward relu with the mask as its output', () => {
    for (const [rows, inF, outF] of shapes) {
      const g = floats(rows * outF, 3);
      const w = floats(inF * outF, 4);
      // a ReLU output: zeros, positives, and NaN / -0 / Inf where the select must treat them as relu does
      const mask = Float32Array.from(floats(rows * inF, 5), (v, i) => (i % 97 === 3 ? Number.NaN : i % 89 === 5 ? -0 : i % 83 === 7 ? Infinity : Math.max(0, v)));
      for (const isa of available) {
        setMaxIsa(isa);
        for (const t of [1, 2, 3]) {
          setNumThreads(t);
          const dy = new Float32Array(rows * inF);
          native.ops.gemm(false, true, rows, inF, outF, 1, g, Math.max(1, outF), w, Math.max(1, outF), 0, dy, Math.max(1, inF));
          const want = new Float32Array(rows * inF);
          native.ops.activation_backward('relu', mask, mask, dy, want, rows * inF);
          const got = new Float32Array(rows * inF).fill(Number.NaN);
          native.ops.input_grad(g, w, got, mask, rows, inF, outF);
          const at = `${isa} T=${t} ${rows}x${inF}x${outF}`;
          expect(firstDiff(got, want), at).toBe(-1);
          const plain = new Float32Array(rows * inF);
          native.ops.input_grad(g, w, plain, null, rows, inF, outF);
          expect(firstDiff(plain, dy), at).toBe(-1);
        }
      }
    }
  });

  it('rejects bad arguments with errors naming them', () => {
    const x = floats(6, 0);
    const g = floats(4, 0);
    expect(() => native.ops.weight_grad(x.subarray(1), g, new Float32Array(6), null, 2, 3, 2)).toThrow(/weight_grad: .*'x'/);
    expect(() => native.ops.weight_grad(x, g, new Float32Array(5), null, 2, 3, 2)).toThrow(/'dw'/);
    expect(() => native.ops.weight_grad(x, g, new Float32Array(6), new Float32Array(1), 2, 3, 2)).toThrow(/'db'/);
    expect(() => native.ops.weight_grad(x, g, new Float32Array(6), [0, 0] as unknown as Float32Array, 2, 3, 2)).toThrow(TypeError);
    const buf = new Float32Array(8);
    expect(() => native.ops.weight_grad(x, g, buf.subarray(0, 6), buf.subarray(5, 7), 2, 3, 2)).toThrow(/'db' overlaps/);
    expect(() => native.ops.weight_grad(x, buf.subarray(0, 4), buf.subarray(2, 8), null, 2, 3, 2)).toThrow(/'dw' overlaps/);
    const w = floats(6, 0);
    expect(() => native.ops.input_grad(g, w, new Float32Array(6), new Float32Array(5), 2, 3, 2)).toThrow(/input_grad: .*'mask'/);
    expect(() => native.ops.input_grad(g, w.subarray(1), new Float32Array(6), null, 2, 3, 2)).toThrow(/'w'/);
    expect(() => native.ops.input_grad(g, w, new Float32Array(5), null, 2, 3, 2)).toThrow(/'dx'/);
    const dx = new Float32Array(12);
    expect(() => native.ops.input_grad(g, w, dx.subarray(0, 6), dx.subarray(6 - 1, 11), 2, 3, 2)).toThrow(/'dx' overlaps/);
    expect(() => native.ops.input_grad(g, w, new Float32Array(6), null, -1, 3, 2)).toThrow(RangeError);
  });
});

describe('a model whose ReLU backward runs in the GEMM above', () => {
  const before = getNumThreads();
  afterAll(() => setNumThreads(before));
  const n = 160;
  const f = 48;
  const x = new Tensor(floats(n * f, 9), [n, f]);
  const y = Int32Array.from({ length: n }, (_, i) => (i * 7) % 10);
  const build = (fuse: boolean, dropout: boolean) => {
    const layers = [
      new Dense({ units: 64, activation: 'relu', inputShape: [f] }),
      ...(dropout ? [new Dropout(0.3)] : []),
      new Dense({ units: 40, activation: 'relu' }),
      new Dense({ units: 24, activation: 'relu', useBias: false }),
      new Dense({ units: 10 }),
    ];
    for (const l of layers) if (l instanceof Dense) l.fuseReluGrad = fuse;
    const m = new Sequential(layers, { seed: 4 });
    m.compile({ optimizer: dropout ? new SGD({ lr: 0.05, momentum: 0.9 }) : new Adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy' });
    return m;
  };
  const trainedSteps = async (m: Sequential): Promise<ProgramStep[][]> => {
    const Orig = native.CompiledProgram;
    const seen: ProgramStep[][] = [];
    (native as { CompiledProgram: unknown }).CompiledProgram = function (steps: ProgramStep[], cursor?: Int32Array) {
      seen.push(steps);
      return new Orig(steps, cursor);
    };
    try {
      await m.fit(x, y, { epochs: 2, batchSize: 32 });
    } finally {
      (native as { CompiledProgram: unknown }).CompiledProgram = Orig;
    }
    return seen;
  };

  it('trains bit-identically with the fusion on and off, at 1 and 2 threads', async () => {
    for (const dropout of [false, true]) {
      for (const t of [1, 2]) {
        setNumThreads(t);
        const on = build(true, dropout);
        const off = build(false, dropout);
        const programs = await trainedSteps(on);
        await trainedSteps(off);
        expectSameWeights(on.getWeights(), off.getWeights());
        // the fused program: every input_grad of a Dense over a ReLU Dense has its mask, and only the layers
        // the fusion cannot reach keep an activation pass (the first Dense under a Dropout)
        const names = flatSteps(programs[0]).map((s) => s[0]);
        const masks = flatSteps(programs[0]).filter((s) => s[0] === 'input_grad').map((s) => s[4] !== null);
        expect(masks).toEqual(dropout ? [true, true, false] : [true, true, true]); // backward order: the last layer first
        expect(names.filter((s) => s === 'activation_backward_bias').length).toBe(dropout ? 1 : 0);
        expect(names).not.toContain('bias_grad');
      }
    }
  });
});
