// gemm, linear_forward, bias_grad: against a double-precision reference written
// here, the PyTorch golden cases, thread-count invariance and bad input.
import { afterAll, describe, expect, it } from 'vitest';
import { kernels, setNumThreads, getNumThreads } from '../lib';
import { native } from '../lib/binding';
import { caseHandler, expectClose, f32, loadGolden, type GoldenCase } from './helpers/golden';
import { describeEachIsa, randomF32 } from './helpers/isa';

const F32_EPS = 2 ** -23;

interface Problem {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  alpha: number;
  beta: number;
  lda: number;
  ldb: number;
  ldc: number;
  a: Float32Array;
  b: Float32Array;
  c: Float32Array; // C before the call
}

function makeProblem(
  M: number, N: number, K: number, transA: boolean, transB: boolean,
  alpha: number, beta: number, pad: number, seed: number,
): Problem {
  const lda = Math.max(1, transA ? M : K) + pad;
  const ldb = Math.max(1, transB ? K : N) + pad;
  const ldc = Math.max(1, N) + pad;
  const aRows = transA ? K : M;
  const bRows = transB ? N : K;
  return {
    transA, transB, M, N, K, alpha, beta, lda, ldb, ldc,
    a: randomF32(aRows * lda, seed),
    b: randomF32(bRows * ldb, seed + 1),
    c: randomF32(M * ldc, seed + 2),
  };
}

/** Double-precision C and, per element, sum |alpha*a*b| + |beta*c| for the error bound. */
function reference(p: Problem): { value: Float64Array; magnitude: Float64Array } {
  const { M, N, K, lda, ldb, ldc } = p;
  const value = new Float64Array(M * N);
  const magnitude = new Float64Array(M * N);
  const rowA = new Float64Array(K);
  const rowB = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    for (let q = 0; q < K; q++) rowA[q] = p.transA ? p.a[q * lda + i] : p.a[i * lda + q];
    const acc = new Float64Array(N);
    const mag = new Float64Array(N);
    for (let q = 0; q < K; q++) {
      const av = rowA[q];
      if (p.transB) {
        for (let j = 0; j < N; j++) rowB[j] = p.b[j * ldb + q];
      } else {
        for (let j = 0; j < N; j++) rowB[j] = p.b[q * ldb + j];
      }
      const aAbs = Math.abs(av);
      for (let j = 0; j < N; j++) {
        acc[j] += av * rowB[j];
        mag[j] += aAbs * Math.abs(rowB[j]);
      }
    }
    for (let j = 0; j < N; j++) {
      const cOld = p.beta === 0 ? 0 : p.beta * p.c[i * ldc + j];
      value[i * N + j] = p.alpha * acc[j] + cOld;
      magnitude[i * N + j] = Math.abs(p.alpha) * mag[j] + Math.abs(cOld);
    }
  }
  return { value, magnitude };
}

function runGemm(p: Problem, c = p.c.slice()): Float32Array {
  kernels.gemm(p.transA, p.transB, p.M, p.N, p.K, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, c, p.ldc);
  return c;
}

/**
 * Checks C against the reference with a float32 error bound that grows like
 * sqrt(K) (rounding errors of a blocked sum), far below the size of one
 * missing or doubled product. Padding columns of C must be untouched.
 */
function checkGemm(p: Problem, got: Float32Array, ref = reference(p), label = ''): void {
  const name = `${p.M}x${p.N}x${p.K} ${p.transA ? 'T' : 'N'}${p.transB ? 'T' : 'N'} alpha=${p.alpha} beta=${p.beta} ${label}`;
  const scale = 16 * Math.sqrt(p.K + 2) * F32_EPS;
  for (let i = 0; i < p.M; i++) {
    for (let j = 0; j < p.ldc; j++) {
      const g = got[i * p.ldc + j];
      if (j >= p.N) {
        if (!Object.is(g, p.c[i * p.ldc + j])) throw new Error(`${name}: padding C[${i}, ${j}] was written`);
        continue;
      }
      const e = ref.value[i * p.N + j];
      const tol = scale * ref.magnitude[i * p.N + j] + 1e-30;
      if (!(Math.abs(g - e) <= tol)) {
        throw new Error(`${name}: C[${i}, ${j}] = ${g}, expected ${e} (tolerance ${tol})`);
      }
    }
  }
}

const TRANSPOSES: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

// Shapes that exercise edge tiles (primes), several K blocks (K > 256), several
// M blocks (M > 144), N > 2048 (several N blocks), narrow N and 0-sized dims.
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [7, 13, 5], [17, 31, 3], [2, 3, 1], [13, 17, 19],
  [129, 257, 65], [33, 47, 300], [13, 100, 520], [300, 10, 40], [150, 33, 7],
  [30, 2100, 33], [64, 64, 64], [49, 97, 129], [301, 10, 45], [77, 23, 50], [45, 17, 100],
];

// Large problems: the reference is computed once and shared by every ISA.
const bigRefs = new Map<string, { p: Problem; ref: ReturnType<typeof reference> }>();
function bigProblem(M: number, N: number, K: number, tA: boolean, tB: boolean) {
  const key = `${M},${N},${K},${tA},${tB}`;
  let e = bigRefs.get(key);
  if (!e) {
    const p = makeProblem(M, N, K, tA, tB, 1, 0, 0, 77);
    e = { p, ref: reference(p) };
    bigRefs.set(key, e);
  }
  return e;
}

const threadsAtStart = getNumThreads();
afterAll(() => setNumThreads(threadsAtStart));

describeEachIsa('gemm vs double reference', () => {
  it('every transpose combination on many shapes, with padded leading dimensions', () => {
    let seed = 1;
    for (const [M, N, K] of SHAPES) {
      for (const [tA, tB] of TRANSPOSES) {
        for (const [alpha, beta, pad] of [[1, 0, 0], [0.5, -1.5, 3], [2, 1, 1]] as const) {
          const p = makeProblem(M, N, K, tA, tB, alpha, beta, pad, seed++);
          checkGemm(p, runGemm(p));
        }
      }
    }
  });

  it('0-sized dimensions: K = 0 gives C = beta*C, M or N = 0 writes nothing', () => {
    for (const [tA, tB] of TRANSPOSES) {
      const p = makeProblem(5, 7, 0, tA, tB, 1.5, 0.5, 2, 9);
      const got = runGemm(p);
      checkGemm(p, got);
      for (let i = 0; i < 5; i++) expect(got[i * p.ldc]).toBe(Math.fround(0.5 * p.c[i * p.ldc]));
      const p0 = makeProblem(5, 7, 0, tA, tB, 1, 0, 0, 10);
      p0.c.fill(NaN);
      expect(Array.from(runGemm(p0)).every((v) => v === 0)).toBe(true);
      for (const [M, N] of [[0, 7], [5, 0], [0, 0]]) {
        const q = makeProblem(M, N, 4, tA, tB, 1, 1, 1, 11);
        const before = q.c.slice();
        expect(runGemm(q)).toEqual(before);
      }
    }
    // Empty buffers are fine when nothing is read or written.
    kernels.gemm(false, false, 0, 0, 0, 1, new Float32Array(0), 1, new Float32Array(0), 1, 0, new Float32Array(0), 1);
  });

  it('beta = 0 ignores C, NaN included; alpha = 0 only scales C', () => {
    for (const [tA, tB] of TRANSPOSES) {
      for (const [M, N, K] of [[7, 13, 5], [129, 257, 65]]) {
        const p = makeProblem(M, N, K, tA, tB, 1.25, 0, 0, 21);
        p.c.fill(NaN);
        const got = runGemm(p);
        expect(got.some(Number.isNaN)).toBe(false);
        checkGemm(p, got);
        const z = makeProblem(M, N, K, tA, tB, 0, -2, 1, 22);
        checkGemm(z, runGemm(z));
      }
    }
  });

  it('1000x784x10 in every transpose combination', () => {
    for (const [tA, tB] of TRANSPOSES) {
      const p = makeProblem(1000, 784, 10, tA, tB, 1, 0.5, 0, 31);
      checkGemm(p, runGemm(p));
    }
  });

  it('128x2048x2048 (NN and TN)', () => {
    for (const [tA, tB] of [[false, false], [true, false]] as const) {
      const { p, ref } = bigProblem(128, 2048, 2048, tA, tB);
      checkGemm(p, runGemm(p), ref);
    }
  });

  it('results are bit-identical for 1 and 2 threads', () => {
    for (const [tA, tB] of [[false, false], [false, true], [true, false]] as const) {
      const p = makeProblem(300, 1100, 600, tA, tB, 1, 0.5, 1, 41);
      setNumThreads(1);
      const one = runGemm(p);
      setNumThreads(2);
      const two = runGemm(p);
      setNumThreads(threadsAtStart);
      expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer))).toBe(true);
      // Narrow outputs (the 10-class layer) and few column panels split over M; tall op(A) with enough
      // column panels for an N split, split over M all the same (inference rows, the weight gradient).
      for (const [M, N, K] of [[500, 10, 700], [1000, 40, 300], [1000, 256, 300], [784, 256, 128]]) {
        const n = makeProblem(M, N, K, tA, tB, 1, 0, 0, 42);
        setNumThreads(1);
        const n1 = runGemm(n);
        setNumThreads(2);
        const n2 = runGemm(n);
        setNumThreads(threadsAtStart);
        expect(Buffer.from(n2.buffer).equals(Buffer.from(n1.buffer))).toBe(true);
        checkGemm(n, n2);
      }
    }
    const lf = (t: number) => {
      setNumThreads(t);
      const x = randomF32(256 * 700, 43);
      const w = randomF32(700 * 600, 44);
      const bias = randomF32(600, 45);
      const y = new Float32Array(256 * 600);
      kernels.linearForward(x, w, bias, y, 256, 700, 600, 'relu');
      return y;
    };
    const y1 = lf(1);
    const y2 = lf(2);
    setNumThreads(threadsAtStart);
    expect(Buffer.from(y2.buffer).equals(Buffer.from(y1.buffer))).toBe(true);
  });

  it('linear_forward: bias and relu fused, with and without bias', () => {
    for (const [rows, inF, outF] of [[1, 1, 1], [5, 13, 7], [33, 300, 45], [128, 784, 100], [200, 20, 10]]) {
      const x = randomF32(rows * inF, rows + inF);
      const w = randomF32(inF * outF, outF + 3);
      const bias = randomF32(outF, outF + 5);
      const p: Problem = {
        transA: false, transB: false, M: rows, N: outF, K: inF, alpha: 1, beta: 1,
        lda: inF, ldb: outF, ldc: outF, a: x, b: w, c: new Float32Array(rows * outF),
      };
      for (let i = 0; i < rows; i++) p.c.set(bias, i * outF);
      const ref = reference(p);
      for (const activation of ['none', 'relu'] as const) {
        for (const withBias of [true, false]) {
          const y = new Float32Array(rows * outF).fill(NaN);
          kernels.linearForward(x, w, withBias ? bias : null, y, rows, inF, outF, activation);
          const scale = 16 * Math.sqrt(inF + 2) * F32_EPS;
          for (let i = 0; i < rows * outF; i++) {
            let e = withBias ? ref.value[i] : ref.value[i] - bias[i % outF];
            if (activation === 'relu') e = Math.max(0, e);
            const tol = scale * ref.magnitude[i] + 1e-30;
            if (!(Math.abs(y[i] - e) <= tol)) {
              throw new Error(`linear ${rows}x${inF}x${outF} ${activation} bias=${withBias}: y[${i}] = ${y[i]}, expected ${e}`);
            }
          }
          if (activation === 'relu') expect(y.every((v) => v >= 0)).toBe(true);
        }
      }
    }
  });

  it('bias_grad sums rows and overwrites', () => {
    for (const [rows, cols] of [[1, 1], [7, 13], [128, 2048], [3, 1500], [0, 4]]) {
      const dy = randomF32(rows * cols, rows * 31 + cols);
      const db = new Float32Array(cols).fill(NaN);
      kernels.biasGrad(dy, db, rows, cols);
      for (let c = 0; c < cols; c++) {
        let s = 0;
        let m = 0;
        for (let r = 0; r < rows; r++) {
          s += dy[r * cols + c];
          m += Math.abs(dy[r * cols + c]);
        }
        expect(Math.abs(db[c] - s)).toBeLessThanOrEqual(rows * F32_EPS * m + 1e-30);
      }
    }
  });

  it('golden gemm.json: every case', () => {
    const golden = loadGolden('gemm.json');
    const run = caseHandler({
      gemm: (c: GoldenCase) => {
        const { transA, transB, alpha, beta } = c.attrs as { transA: boolean; transB: boolean; alpha: number; beta: number };
        const a = c.inputs.a;
        const b = c.inputs.b;
        const M = transA ? a.shape[1] : a.shape[0];
        const K = transA ? a.shape[0] : a.shape[1];
        const N = transB ? b.shape[0] : b.shape[1];
        const y = beta === 0 ? new Float32Array(M * N).fill(NaN) : f32(c.inputs.c);
        kernels.gemm(transA, transB, M, N, K, alpha, f32(a), a.shape[1], f32(b), b.shape[1], beta, y, N);
        expectClose(y, c.expected.y.data, c.tolerance, c.name);
      },
      linear: (c: GoldenCase) => {
        const [batch, inF] = c.inputs.x.shape;
        const outF = c.inputs.weight.shape[0];
        const x = f32(c.inputs.x);
        const weight = f32(c.inputs.weight); // [out, in]
        const weightT = f32(c.inputs.weight_T); // [in, out]
        const dy = f32(c.inputs.dy);
        const y = new Float32Array(batch * outF);
        kernels.linearForward(x, weightT, f32(c.inputs.bias), y, batch, inF, outF);
        expectClose(y, c.expected.y.data, c.tolerance, `${c.name} y`);
        // y through gemm with weight in PyTorch layout (NT) and bias as C.
        const y2 = new Float32Array(batch * outF);
        for (let r = 0; r < batch; r++) y2.set(f32(c.inputs.bias), r * outF);
        kernels.gemm(false, true, batch, outF, inF, 1, x, inF, weight, inF, 1, y2, outF);
        expectClose(y2, c.expected.y.data, c.tolerance, `${c.name} y (gemm NT)`);
        const dx = new Float32Array(batch * inF);
        kernels.gemm(false, false, batch, inF, outF, 1, dy, outF, weight, inF, 0, dx, inF);
        expectClose(dx, c.expected.dx.data, c.tolerance, `${c.name} dx`);
        const dx2 = new Float32Array(batch * inF);
        kernels.gemm(false, true, batch, inF, outF, 1, dy, outF, weightT, outF, 0, dx2, inF);
        expectClose(dx2, c.expected.dx.data, c.tolerance, `${c.name} dx (NT)`);
        const dweight = new Float32Array(outF * inF);
        kernels.gemm(true, false, outF, inF, batch, 1, dy, outF, x, inF, 0, dweight, inF);
        expectClose(dweight, c.expected.dweight.data, c.tolerance, `${c.name} dweight`);
        const dweightT = new Float32Array(inF * outF);
        kernels.gemm(true, false, inF, outF, batch, 1, x, inF, dy, outF, 0, dweightT, outF);
        expectClose(dweightT, c.expected.dweight_T.data, c.tolerance, `${c.name} dweight_T`);
        const dbias = new Float32Array(outF);
        kernels.biasGrad(dy, dbias, batch, outF);
        expectClose(dbias, c.expected.dbias.data, c.tolerance, `${c.name} dbias`);
      },
    });
    for (const c of golden.cases) run(c);
    expect(() => run({ ...golden.cases[0], op: 'gemm_batched' })).toThrow(/unrecognised op 'gemm_batched'/);
  });

  it('runs as a step of an async program', async () => {
    const p = makeProblem(65, 70, 300, false, true, 1, 0.5, 2, 51);
    const c = p.c.slice();
    await native.runAsync([['gemm', p.transA, p.transB, p.M, p.N, p.K, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, c, p.ldc]]);
    checkGemm(p, c);
  });
});

describe('gemm: bad input', () => {
  const a = new Float32Array(15);
  const b = new Float32Array(20);
  const c = new Float32Array(12);
  const ok: unknown[] = [false, false, 3, 4, 5, 1, a, 5, b, 4, 0, c, 4];
  const call = (...args: unknown[]) => () => native.ops.gemm(...args);
  const withArg = (i: number, v: unknown) => ok.map((x, j) => (j === i ? v : x));

  it('accepts the well-formed call', () => {
    expect(call(...ok)).not.toThrow();
  });

  it('rejects non-Float32Array buffers with TypeError', () => {
    expect(call(...withArg(6, new Float64Array(15)))).toThrow(TypeError);
    expect(call(...withArg(6, new Float64Array(15)))).toThrow(/gemm: argument 'a'.*Float32Array/);
    expect(call(...withArg(8, [1, 2, 3]))).toThrow(/gemm: argument 'b'/);
    expect(call(...withArg(0, 1))).toThrow(/gemm: argument 'transA' must be a boolean/);
    expect(() => kernels.gemm(false, false, 3, 4, 5, 1, [] as unknown as Float32Array, 5, b, 4, 0, c, 4)).toThrow(TypeError);
  });

  it('rejects an undersized buffer naming its shape and size', () => {
    expect(call(...withArg(6, new Float32Array(14)))).toThrow(RangeError);
    expect(call(...withArg(6, new Float32Array(14)))).toThrow(
      "gemm: argument 'a' has 14 elements but shape [3, 5] with lda = 5 needs 15",
    );
    expect(call(...withArg(11, new Float32Array(11)))).toThrow(/argument 'c' has 11 elements but shape \[3, 4\]/);
    // Leading dimensions count: [3, 4] with ldc = 6 spans 2*6 + 4 = 16 elements.
    expect(call(...withArg(12, 6))).toThrow("gemm: argument 'c' has 12 elements but shape [3, 4] with ldc = 6 needs 16");
    // Transposed A is [K, M] = [5, 3].
    expect(call(...withArg(0, true))).toThrow(/argument 'lda' = 5 is smaller than|argument 'a'/);
    expect(call(true, false, 3, 4, 5, 1, new Float32Array(14), 3, b, 4, 0, c, 4)).toThrow(
      "gemm: argument 'a' has 14 elements but shape [5, 3] with lda = 3 needs 15",
    );
  });

  it('rejects negative or fractional sizes and too-small leading dimensions', () => {
    expect(call(...withArg(2, -1))).toThrow(RangeError);
    expect(call(...withArg(2, -1))).toThrow(/gemm: argument 'M' must be in \[0, /);
    expect(call(...withArg(4, 2.5))).toThrow(/argument 'K' must be an integer/);
    expect(call(...withArg(7, 4))).toThrow(RangeError);
    expect(call(...withArg(7, 4))).toThrow("gemm: argument 'lda' = 4 is smaller than the 5 columns of 'a' [3, 5] (needs >= 5)");
    expect(call(...withArg(9, 3))).toThrow(/argument 'ldb' = 3 is smaller than the 4 columns of 'b'/);
    expect(call(...withArg(12, 0))).toThrow(/argument 'ldc' = 0/);
    expect(call(...withArg(5, NaN))).toThrow(/argument 'alpha'/);
  });

  it('rejects a detached buffer', () => {
    const buf = new ArrayBuffer(60);
    const view = new Float32Array(buf);
    structuredClone(buf, { transfer: [buf] });
    expect(call(...withArg(6, view))).toThrow(TypeError);
    expect(call(...withArg(6, view))).toThrow(/gemm: argument 'a' is a Float32Array whose buffer is detached/);
  });

  it('rejects an output that aliases an input', () => {
    const shared = new Float32Array(40);
    expect(call(false, false, 2, 2, 2, 1, shared, 2, b, 2, 0, shared.subarray(2), 2)).toThrow(/'c' overlaps/);
  });

  it('linear_forward and bias_grad validate too', () => {
    const x = new Float32Array(6);
    const w = new Float32Array(12);
    const y = new Float32Array(8);
    expect(() => native.ops.linear_forward(x, w, null, y, 2, 3, 4)).not.toThrow();
    expect(() => native.ops.linear_forward(x, w, null, y, 2, 3, 4, 'gelu')).toThrow(
      /linear_forward: argument 'activation' must be "none" or "relu", received "gelu"/,
    );
    expect(() => native.ops.linear_forward(x, w, new Float32Array(3), y, 2, 3, 4)).toThrow(
      "linear_forward: argument 'bias' has 3 elements but shape [4] needs 4",
    );
    expect(() => kernels.linearForward(x, w, new Float32Array(0), y, 2, 3, 4)).toThrow(RangeError);
    expect(() => native.ops.linear_forward(x, new Float32Array(11), null, y, 2, 3, 4)).toThrow(
      "linear_forward: argument 'w' has 11 elements but shape [3, 4] needs 12",
    );
    expect(() => native.ops.linear_forward(x, w, null, y, -2, 3, 4)).toThrow(RangeError);
    expect(() => native.ops.bias_grad(new Float32Array(5), new Float32Array(3), 2, 3)).toThrow(
      "bias_grad: argument 'dy' has 5 elements but shape [2, 3] needs 6",
    );
    expect(() => native.ops.bias_grad(new Float32Array(6), new Int32Array(3), 2, 3)).toThrow(TypeError);
  });
});

describe('gemm: threads go idle', () => {
  it('burns (almost) no CPU time in the 2 s after a large multi-threaded GEMM', async () => {
    setNumThreads(2);
    const p = makeProblem(512, 512, 512, false, false, 1, 0, 0, 61);
    for (let r = 0; r < 3; r++) runGemm(p);
    setNumThreads(threadsAtStart);
    const before = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const used = process.cpuUsage(before);
    const seconds = (used.user + used.system) / 1e6;
    expect(seconds).toBeLessThan(0.2);
  });
});
