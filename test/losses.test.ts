// Loss kernels: PyTorch golden cases on every ISA, finite-difference checks of
// every dinput against an independent float64 reference, stability at large
// logits, thread-count independence, bad input.
import { afterAll, describe, expect, it } from 'vitest';
import { getNumThreads, kernels, setNumThreads } from '../lib';
import { native } from '../lib/binding';
import { caseHandler, expectClose, f32, GoldenCase, i32, loadGolden } from './helpers/golden';
import { describeEachIsa, randomF32, rng } from './helpers/isa';

const golden = loadGolden('losses.json');
const ops = native.ops as Record<string, (...a: unknown[]) => void>;

function nc(shape: number[]): { N: number; C: number } {
  if (shape.length === 0) return { N: 1, C: 1 };
  const C = shape[shape.length - 1];
  return { N: shape.slice(0, -1).reduce((p, d) => p * d, 1), C };
}

function checkReduction(c: GoldenCase, expected: string): void {
  if (c.attrs.reduction !== undefined && c.attrs.reduction !== expected) {
    throw new Error(`golden case '${c.name}': unrecognised reduction '${String(c.attrs.reduction)}'`);
  }
}

function runDense(c: GoldenCase, kind: kernels.LossKind): void {
  checkReduction(c, kind === 'cce' ? 'mean over batch' : 'mean');
  const { N, C } = nc(c.inputs.input.shape);
  const input = f32(c.inputs.input), target = f32(c.inputs.target);
  const dinput = new Float32Array(input.length).fill(NaN);
  const delta = kind === 'huber' ? (c.attrs.delta as number) : undefined;
  if (kind === 'huber' && typeof delta !== 'number') throw new Error(`golden case '${c.name}': huber without delta`);
  const value = kernels.loss({ kind, input, target, dinput, N, C, delta });
  expectClose([value], c.expected.loss.data, c.tolerance, `${c.name} loss`);
  expectClose(dinput, c.expected.dinput.data, c.tolerance, `${c.name} dinput`);
}

function runSparse(c: GoldenCase): void {
  checkReduction(c, 'mean over batch');
  const { N, C } = nc(c.inputs.input.shape);
  const logits = f32(c.inputs.input), labels = i32(c.inputs.target);
  const ls = c.attrs.label_smoothing ?? 0;
  if (typeof ls !== 'number') throw new Error(`golden case '${c.name}': bad label_smoothing`);
  const dlogits = new Float32Array(logits.length).fill(NaN);
  const value = kernels.sparseCrossEntropy({ logits, labels, dlogits, N, C, labelSmoothing: ls });
  expectClose([value], c.expected.loss.data, c.tolerance, `${c.name} loss`);
  expectClose(dlogits, c.expected.dinput.data, c.tolerance, `${c.name} dinput`);
}

const runCase = caseHandler({
  mse: (c) => runDense(c, 'mse'),
  mae: (c) => runDense(c, 'mae'),
  huber: (c) => runDense(c, 'huber'),
  bce: (c) => {
    if (c.attrs.input_kind !== undefined && c.attrs.input_kind !== 'probabilities') throw new Error(`golden case '${c.name}': unrecognised input_kind`);
    runDense(c, 'bce');
  },
  bce_with_logits: (c) => runDense(c, 'bce_logits'),
  categorical_crossentropy: (c) => {
    if (c.attrs.input_kind !== undefined && c.attrs.input_kind !== 'logits') throw new Error(`golden case '${c.name}': unrecognised input_kind`);
    runDense(c, 'cce');
  },
  sparse_categorical_crossentropy: runSparse,
});

// ---- float64 references (mean reduction) ----
function logSoftmaxRow(z: ArrayLike<number>, off: number, C: number): number[] {
  let m = -Infinity;
  for (let j = 0; j < C; j++) m = Math.max(m, z[off + j]);
  let s = 0;
  for (let j = 0; j < C; j++) s += Math.exp(z[off + j] - m);
  const lse = m + Math.log(s);
  return Array.from({ length: C }, (_, j) => z[off + j] - lse);
}

function refLoss(kind: string, p: ArrayLike<number>, t: ArrayLike<number>, N: number, C: number, delta = 1): number {
  let s = 0;
  const n = N * C;
  if (kind === 'cce') {
    for (let r = 0; r < N; r++) {
      const ls = logSoftmaxRow(p, r * C, C);
      for (let j = 0; j < C; j++) s -= t[r * C + j] * ls[j];
    }
    return s / N;
  }
  for (let i = 0; i < n; i++) {
    const e = p[i] - t[i];
    switch (kind) {
      case 'mse': s += e * e; break;
      case 'mae': s += Math.abs(e); break;
      case 'huber': s += Math.abs(e) < delta ? 0.5 * e * e : delta * (Math.abs(e) - 0.5 * delta); break;
      case 'bce': s -= t[i] * Math.max(Math.log(p[i]), -100) + (1 - t[i]) * Math.max(Math.log(1 - p[i]), -100); break;
      case 'bce_logits': s += Math.max(p[i], 0) - p[i] * t[i] + Math.log1p(Math.exp(-Math.abs(p[i]))); break;
      default: throw new Error(kind);
    }
  }
  return s / n;
}

function refSparse(z: ArrayLike<number>, labels: Int32Array, N: number, C: number, eps: number): number {
  let s = 0;
  for (let r = 0; r < N; r++) {
    const ls = logSoftmaxRow(z, r * C, C);
    for (let j = 0; j < C; j++) s -= ((j === labels[r] ? 1 - eps : 0) + eps / C) * ls[j];
  }
  return s / N;
}

function fdGrad(v: Float32Array, f: (w: number[]) => number, h: number): number[] {
  const w = Array.from(v);
  return w.map((_, i) => {
    const keep = w[i];
    w[i] = keep + h; const up = f(w);
    w[i] = keep - h; const down = f(w);
    w[i] = keep;
    return (up - down) / (2 * h);
  });
}

const fdTol = { rtol: 1e-3, atol: 1e-6 };

describeEachIsa('losses golden (PyTorch)', () => {
  for (const c of golden.cases) it(c.name, () => runCase(c));
});

describeEachIsa('losses dinput vs finite differences', () => {
  const N = 6, C = 7, n = N * C;
  const cases: [kernels.LossKind, Float32Array, Float32Array, number?][] = [
    ['mse', randomF32(n, 1, -2, 2), randomF32(n, 2, -2, 2)],
    ['mae', randomF32(n, 3, -2, 2), randomF32(n, 4, -2, 2)],
    ['huber', randomF32(n, 5, -3, 3), randomF32(n, 6, -3, 3), 0.7],
    ['bce', randomF32(n, 7, 0.05, 0.95), randomF32(n, 8, 0, 1)],
    ['bce_logits', randomF32(n, 9, -6, 6), randomF32(n, 10, 0, 1)],
    ['cce', randomF32(n, 13, -4, 4), randomF32(n, 14, 0, 1)],  // rows that do not sum to 1
    ['cce', randomF32(n, 11, -4, 4), (() => { const t = randomF32(n, 12, 0, 1); for (let r = 0; r < N; r++) { let s = 0; for (let j = 0; j < C; j++) s += t[r * C + j]; for (let j = 0; j < C; j++) t[r * C + j] /= s; } return t; })()],
  ];
  for (const [kind, input, target, delta] of cases) {
    it(`${kind} (input seed ${input[0].toFixed(3)})`, () => {
      const dinput = new Float32Array(n);
      const value = kernels.loss({ kind, input, target, dinput, N, C, delta });
      expect(value).toBeCloseTo(refLoss(kind, input, target, N, C, delta ?? 1), 5);
      // h small against the distance of any element to a kink (mae/huber) at these random inputs.
      expectClose(dinput, fdGrad(input, (w) => refLoss(kind, w, target, N, C, delta ?? 1), 1e-6), fdTol, `${kind} dinput`);
    });
  }
  for (const eps of [0, 0.1, 0.3]) {
    it(`sparse cross-entropy, label smoothing ${eps}`, () => {
      const logits = randomF32(n, 20, -5, 5);
      const labels = Int32Array.from({ length: N }, (_, r) => (r * 3) % C);
      const dlogits = new Float32Array(n);
      const value = kernels.sparseCrossEntropy({ logits, labels, dlogits, N, C, labelSmoothing: eps });
      expect(value).toBeCloseTo(refSparse(logits, labels, N, C, eps), 5);
      expectClose(dlogits, fdGrad(logits, (w) => refSparse(w, labels, N, C, eps), 1e-6), fdTol, 'dlogits');
    });
  }
});

describeEachIsa('losses numerics', () => {
  it('mae gradient is 0 at an exact tie', () => {
    const d = new Float32Array(3);
    kernels.loss({ kind: 'mae', input: Float32Array.of(1, 2, 3), target: Float32Array.of(1, 1, 4), dinput: d, N: 1, C: 3 });
    expect(Array.from(d)).toEqual([0, Math.fround(1 / 3), -Math.fround(1 / 3)]);
  });
  it('bce clamps each log at -100 (p = 0 and p = 1)', () => {
    const input = Float32Array.of(0, 1, 0, 1), target = Float32Array.of(1, 0, 0, 1);
    const d = new Float32Array(4);
    const value = kernels.loss({ kind: 'bce', input, target, dinput: d, N: 1, C: 4 });
    expect(value).toBeCloseTo(50, 5);  // (100 + 100 + 0 + 0) / 4
    for (const v of d) expect(Number.isFinite(v)).toBe(true);
  });
  it('bce_logits and cross-entropy stay finite and exact for |z| >= 30', () => {
    const z = Float32Array.of(30, -30, 80, -80, 1e4, -1e4), t = Float32Array.of(0, 1, 1, 0, 0.5, 0.5);
    const d = new Float32Array(6);
    const value = kernels.loss({ kind: 'bce_logits', input: z, target: t, dinput: d, N: 1, C: 6 });
    expect(value).toBeCloseTo(refLoss('bce_logits', z, t, 1, 6), 3);
    expectClose(d, [1 / 6, -1 / 6, 0, 0, 0.5 / 6, -0.5 / 6], { rtol: 1e-5, atol: 1e-7 }, 'dz');
    const logits = Float32Array.of(1000, -1000, 0, 999, 88, 100), labels = Int32Array.of(1, 0);
    const dl = new Float32Array(6);
    const ce = kernels.sparseCrossEntropy({ logits, labels, dlogits: dl, N: 2, C: 3 });
    expect(ce).toBeCloseTo(refSparse(logits, labels, 2, 3, 0), 3);
    for (const v of dl) expect(Number.isFinite(v)).toBe(true);
  });
  it('one-hot cce equals sparse cross-entropy', () => {
    const N = 9, C = 13, logits = randomF32(N * C, 30, -8, 8);
    const r = rng(31);
    const labels = Int32Array.from({ length: N }, () => Math.floor(r() * C));
    const onehot = new Float32Array(N * C);
    labels.forEach((y, i) => { onehot[i * C + y] = 1; });
    const d1 = new Float32Array(N * C), d2 = new Float32Array(N * C);
    const a = kernels.loss({ kind: 'cce', input: logits, target: onehot, dinput: d1, N, C });
    const b = kernels.sparseCrossEntropy({ logits, labels, dlogits: d2, N, C });
    expect(a).toBeCloseTo(b, 5);
    expectClose(d1, d2, { rtol: 1e-5, atol: 1e-7 }, 'dlogits');
  });
});

describeEachIsa('losses do not depend on the thread count', () => {
  const before = getNumThreads();
  afterAll(() => setNumThreads(before));
  const runAll = () => {
    const out: Float32Array[] = [];
    const n = 100_003;
    const p = randomF32(n, 41, 0.01, 0.99), t = randomF32(n, 42, 0, 1);
    for (const kind of ['mse', 'mae', 'huber', 'bce', 'bce_logits'] as const) {
      const d = new Float32Array(n);
      out.push(Float32Array.of(kernels.loss({ kind, input: p, target: t, dinput: d, N: 1, C: n })), d);
    }
    const N = 1024, C = 1000;
    const z = randomF32(N * C, 43, -10, 10), q = randomF32(N * C, 44, 0, 0.002);
    const labels = Int32Array.from({ length: N }, (_, i) => (i * 7) % C);
    const d1 = new Float32Array(N * C), d2 = new Float32Array(N * C);
    out.push(Float32Array.of(kernels.loss({ kind: 'cce', input: z, target: q, dinput: d1, N, C })), d1);
    out.push(Float32Array.of(kernels.sparseCrossEntropy({ logits: z, labels, dlogits: d2, N, C, labelSmoothing: 0.1 })), d2);
    return out;
  };
  it('1 and 2 threads give bit-identical results', () => {
    setNumThreads(1);
    const one = runAll();
    setNumThreads(2);
    const two = runAll();
    for (let k = 0; k < one.length; k++) {
      expect(Buffer.from(two[k].buffer).equals(Buffer.from(one[k].buffer)), `output ${k}`).toBe(true);
    }
  });
});

describe('losses reject bad input', () => {
  const p = new Float32Array(6).fill(0.5), t = new Float32Array(6).fill(0.5), out = new Float32Array(1);
  it('unknown kind', () => {
    expect(() => kernels.loss({ kind: 'hinge' as kernels.LossKind, input: p, target: t, N: 2, C: 3 })).toThrow(RangeError);
    expect(() => ops.loss('hinge', p, t, null, out, 2, 3)).toThrow(/loss: unknown loss kind 'hinge'/);
  });
  it('sizes against N*C', () => {
    expect(() => ops.loss('mse', p, new Float32Array(5), null, out, 2, 3)).toThrow(/argument 'target' has 5 elements but shape \[2, 3\] needs 6/);
    expect(() => ops.loss('mse', p, t, new Float32Array(2), out, 2, 3)).toThrow(/'dinput'/);
    expect(() => ops.loss('mse', p, t, null, new Float32Array(0), 2, 3)).toThrow(/'out'/);
    expect(() => ops.sparse_cross_entropy(p, Int32Array.of(0), null, out, 2, 3)).toThrow(/'labels' has 1 elements but N = 2/);
  });
  it('wrong dtypes', () => {
    expect(() => ops.sparse_cross_entropy(p, Float32Array.of(0, 1), null, out, 2, 3)).toThrow(TypeError);
    expect(() => ops.loss('mse', Array.from(p), t, null, out, 2, 3)).toThrow(TypeError);
  });
  it('labels out of range name the index and value', () => {
    expect(() => kernels.sparseCrossEntropy({ logits: p, labels: Int32Array.of(0, 3), N: 2, C: 3 }))
      .toThrow(/sparse_cross_entropy: labels\[1\] = 3 is out of range \[0, 3\)/);
    expect(() => kernels.sparseCrossEntropy({ logits: p, labels: Int32Array.of(-1, 0), N: 2, C: 3 })).toThrow(RangeError);
  });
  it('labels changed after a program was compiled are caught at run time', async () => {
    const labels = Int32Array.of(0, 1);
    const prog = new native.CompiledProgram([['sparse_cross_entropy', p, labels, null, out, 2, 3]]);
    prog.runSync();
    labels[1] = 7;
    expect(() => prog.runSync()).toThrow(/labels\[1\] = 7 is out of range/);
    await expect(prog.run()).rejects.toThrow(/labels\[1\] = 7/);
  });
  it('bce probabilities and targets must be in [0, 1]', () => {
    expect(() => kernels.loss({ kind: 'bce', input: Float32Array.of(0.5, 1.5), target: Float32Array.of(0, 1), N: 1, C: 2 }))
      .toThrow(/argument 'input' must hold values in \[0, 1\] for kind 'bce', but input\[1\] = 1.5/);
    expect(() => kernels.loss({ kind: 'bce', input: Float32Array.of(0.5, 0.5), target: Float32Array.of(-0.1, 1), N: 1, C: 2 }))
      .toThrow(RangeError);
    expect(() => kernels.loss({ kind: 'bce', input: Float32Array.of(NaN, 0.5), target: Float32Array.of(0, 1), N: 1, C: 2 }))
      .toThrow(RangeError);
  });
  it('hyper-parameters', () => {
    expect(() => kernels.loss({ kind: 'huber', input: p, target: t, N: 2, C: 3, delta: 0 })).toThrow(/huber delta\) must be > 0/);
    expect(() => ops.loss('mse', p, t, null, out, 2, 3, 1)).toThrow(/kind 'mse' takes no param/);
    expect(() => kernels.sparseCrossEntropy({ logits: p, labels: Int32Array.of(0, 1), N: 2, C: 3, labelSmoothing: 1.5 }))
      .toThrow(/'labelSmoothing' must be in \[0, 1\]/);
    expect(() => ops.loss('mse', p, t, null, out, 0, 3)).toThrow(RangeError);
  });
});

/** d(mean loss)/d(input) in float64, closed form. */
function refGrad(kind: string, p: ArrayLike<number>, t: ArrayLike<number>, N: number, C: number, delta = 1): number[] {
  const n = N * C;
  if (kind === 'cce') {
    const g = new Array(n);
    for (let r = 0; r < N; r++) {
      const ls = logSoftmaxRow(p, r * C, C);
      let sq = 0;
      for (let j = 0; j < C; j++) sq += t[r * C + j];
      for (let j = 0; j < C; j++) g[r * C + j] = (Math.exp(ls[j]) * sq - t[r * C + j]) / N;
    }
    return g;
  }
  return Array.from({ length: n }, (_, i) => {
    const e = p[i] - t[i];
    switch (kind) {
      case 'mse': return (2 * e) / n;
      case 'mae': return Math.sign(e) / n;
      case 'huber': return Math.min(Math.max(e, -delta), delta) / n;
      case 'bce': return (p[i] - t[i]) / Math.max(p[i] * (1 - p[i]), 1e-12) / n;
      case 'bce_logits': return (1 / (1 + Math.exp(-p[i])) - t[i]) / n;
      default: throw new Error(kind);
    }
  });
}

describeEachIsa('losses match the float64 reference at sizes around the vector width', () => {
  const widths = [1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 100, 1000, 1029];
  it('elementwise kinds (values spanning the interesting ranges)', () => {
    for (const n of widths) {
      const inputs: Record<string, [Float32Array, Float32Array]> = {
        mse: [randomF32(n, n, -3, 3), randomF32(n, n + 1, -3, 3)],
        mae: [randomF32(n, n + 2, -3, 3), randomF32(n, n + 3, -3, 3)],
        huber: [randomF32(n, n + 4, -3, 3), randomF32(n, n + 5, -3, 3)],
        bce: [randomF32(n, n + 6, 1e-6, 1 - 1e-6), randomF32(n, n + 7, 0, 1)],
        bce_logits: [randomF32(n, n + 8, -40, 40), randomF32(n, n + 9, 0, 1)],
      };
      for (const [kind, [p, t]] of Object.entries(inputs)) {
        const d = new Float32Array(n);
        const value = kernels.loss({ kind: kind as kernels.LossKind, input: p, target: t, dinput: d, N: 1, C: n });
        const ref = refLoss(kind, p, t, 1, n);
        expectClose([value], [ref], { rtol: 2e-6, atol: 1e-7 }, `${kind} n=${n} loss`);
        expectClose(d, refGrad(kind, p, t, 1, n), { rtol: 1e-5, atol: 1e-9 }, `${kind} n=${n} dinput`);
      }
    }
  });
  it('bce at subnormal and zero probabilities (log clamped at -100)', () => {
    const p = Float32Array.of(1e-40, 1e-44, 0, 1, 3e-39, 1e-30, 0.5, 1 - 2 ** -24, 1e-40, 0, 1, 0.25, 2e-45, 1e-38, 1e-20, 0.75, 0.1);
    const t = Float32Array.from(p, (_, i) => (i % 3 === 0 ? 1 : i % 3 === 1 ? 0 : 0.5));
    const d = new Float32Array(p.length);
    const value = kernels.loss({ kind: 'bce', input: p, target: t, dinput: d, N: 1, C: p.length });
    expectClose([value], [refLoss('bce', p, t, 1, p.length)], { rtol: 1e-5, atol: 1e-6 }, 'loss');
    expectClose(d, refGrad('bce', p, t, 1, p.length), { rtol: 1e-5, atol: 1e-9 }, 'dinput');
  });
  it('cross-entropy rows of many widths (dense and sparse with smoothing)', () => {
    for (const C of widths) {
      const N = 3;
      const z = randomF32(N * C, C, -30, 30);
      const labels = Int32Array.from({ length: N }, (_, r) => (r * 5 + 1) % C);
      const q = new Float32Array(N * C);
      labels.forEach((y, r) => { q[r * C + y] = 1; });
      const d1 = new Float32Array(N * C);
      const v1 = kernels.loss({ kind: 'cce', input: z, target: q, dinput: d1, N, C });
      expectClose([v1], [refLoss('cce', z, q, N, C)], { rtol: 2e-6, atol: 1e-6 }, `cce C=${C} loss`);
      expectClose(d1, refGrad('cce', z, q, N, C), { rtol: 1e-5, atol: 1e-9 }, `cce C=${C} dinput`);
      const d2 = new Float32Array(N * C);
      const v2 = kernels.sparseCrossEntropy({ logits: z, labels, dlogits: d2, N, C, labelSmoothing: 0.2 });
      expectClose([v2], [refSparse(z, labels, N, C, 0.2)], { rtol: 2e-6, atol: 1e-6 }, `sparse C=${C} loss`);
      const qs = Array.from({ length: N * C }, (_, i) => (Math.floor(i / C) < N && i % C === labels[Math.floor(i / C)] ? 0.8 : 0) + 0.2 / C);
      expectClose(d2, refGrad('cce', z, qs, N, C), { rtol: 1e-5, atol: 1e-9 }, `sparse C=${C} dlogits`);
    }
  });
});

describe('losses golden handler rejects what it does not know', () => {
  const mse = golden.cases.find((c) => c.op === 'mse')!;
  it('an unknown op fails', () => {
    expect(() => runCase({ ...mse, op: 'kl_div' })).toThrow(/unrecognised op 'kl_div'/);
  });
  it('an unknown variant fails', () => {
    expect(() => runCase({ ...mse, attrs: { ...mse.attrs, reduction: 'sum' } })).toThrow(/unrecognised reduction 'sum'/);
    const bce = golden.cases.find((c) => c.op === 'bce')!;
    expect(() => runCase({ ...bce, attrs: { ...bce.attrs, input_kind: 'logits' } })).toThrow(/unrecognised input_kind/);
  });
});

describe('losses: bce values changed after compiling a program', () => {
  it('are caught when the program runs, naming the element', async () => {
    const n = 40_000;  // several chunks
    const p = new Float32Array(n).fill(0.5), t = new Float32Array(n).fill(0.25), out = new Float32Array(1);
    const prog = new native.CompiledProgram([['loss', 'bce', p, t, null, out, 1, n]]);
    prog.runSync();
    expect(out[0]).toBeCloseTo(-(0.25 * Math.log(0.5) + 0.75 * Math.log(0.5)), 5);
    t[35_000] = 1.25;
    p[20_000] = -0.5;  // the input is reported first
    out[0] = 7;
    expect(() => prog.runSync()).toThrow(/argument 'input' must hold values in \[0, 1\] for kind 'bce', but input\[20000\] = -0.5/);
    expect(out[0]).toBe(7);
    p[20_000] = 0.5;
    await expect(prog.run()).rejects.toThrow(/target\[35000\] = 1.25/);
    t[35_000] = NaN;
    expect(() => prog.runSync()).toThrow(/target\[35000\] = nan/);
  });
});
