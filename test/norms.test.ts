// Normalization kernels: PyTorch golden cases on every ISA, finite-difference
// checks of every backward against an independent float64 reference, running
// statistics, large-mean accuracy, thread-count independence, bad input.
import { afterAll, describe, expect, it } from 'vitest';
import { getNumThreads, kernels, setNumThreads } from '../lib';
import { native } from '../lib/binding';
import { caseHandler, expectClose, f32, GoldenCase, loadGolden } from './helpers/golden';
import { describeEachIsa, randomF32, rng } from './helpers/isa';

const golden = loadGolden('norms.json');

/** x (N, C[, L]) from a golden shape. */
function ncl(shape: number[], name: string): { N: number; C: number; L: number } {
  if (shape.length === 2) return { N: shape[0], C: shape[1], L: 1 };
  if (shape.length === 3) return { N: shape[0], C: shape[1], L: shape[2] };
  throw new Error(`${name}: unsupported input rank ${shape.length}`);
}

function numAttr(c: GoldenCase, key: string, fallback?: number): number {
  const v = c.attrs[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number') throw new Error(`golden case '${c.name}': attribute '${key}' missing or not a number`);
  return v;
}

function runBatchnorm(c: GoldenCase): void {
  const { N, C, L } = ncl(c.inputs.x.shape, c.name);
  if (c.attrs.axis !== undefined && c.attrs.axis !== 1) throw new Error(`golden case '${c.name}': unrecognised axis`);
  const eps = numAttr(c, 'eps', 1e-5);
  const x = f32(c.inputs.x), dy = f32(c.inputs.dy), gamma = f32(c.inputs.gamma), beta = f32(c.inputs.beta);
  const rm = f32(c.inputs.running_mean), rv = f32(c.inputs.running_var);
  const y = new Float32Array(x.length), dx = new Float32Array(x.length).fill(NaN);
  const dgamma = new Float32Array(C).fill(NaN), dbeta = new Float32Array(C).fill(NaN);
  const tol = c.tolerance;
  if (c.attrs.training === true) {
    const saveMean = new Float32Array(C), saveInvStd = new Float32Array(C);
    kernels.batchnormForwardTrain({ x, y, gamma, beta, runningMean: rm, runningVar: rv, saveMean, saveInvStd, N, C, L,
      momentum: numAttr(c, 'momentum'), eps });
    expectClose(y, c.expected.y.data, tol, `${c.name} y`);
    expectClose(rm, c.expected.running_mean.data, tol, `${c.name} running_mean`);
    expectClose(rv, c.expected.running_var.data, tol, `${c.name} running_var`);
    if (c.expected.batch_mean) expectClose(saveMean, c.expected.batch_mean.data, tol, `${c.name} batch_mean`);
    kernels.batchnormBackward({ x, dy, dx, gamma, dgamma, dbeta, saveMean, saveInvStd, N, C, L });
  } else if (c.attrs.training === false) {
    const rm0 = rm.slice(), rv0 = rv.slice();
    kernels.batchnormForwardEval({ x, y, gamma, beta, runningMean: rm, runningVar: rv, N, C, L, eps });
    expectClose(y, c.expected.y.data, tol, `${c.name} y`);
    expect(rm).toEqual(rm0);
    expect(rv).toEqual(rv0);
    kernels.batchnormBackwardEval({ x, dy, dx, gamma, dgamma, dbeta, runningMean: rm, runningVar: rv, N, C, L, eps });
  } else {
    throw new Error(`golden case '${c.name}': unrecognised batchnorm variant (training = ${String(c.attrs.training)})`);
  }
  expectClose(dx, c.expected.dx.data, tol, `${c.name} dx`);
  expectClose(dgamma, c.expected.dgamma.data, tol, `${c.name} dgamma`);
  expectClose(dbeta, c.expected.dbeta.data, tol, `${c.name} dbeta`);
}

function runLayernorm(c: GoldenCase): void {
  const axes = c.attrs.normalized_axes;
  if (axes !== undefined && JSON.stringify(axes) !== '[-1]') throw new Error(`golden case '${c.name}': unrecognised normalized_axes`);
  const shape = c.inputs.x.shape;
  const cols = shape[shape.length - 1];
  const rows = shape.slice(0, -1).reduce((p, d) => p * d, 1);
  const x = f32(c.inputs.x), dy = f32(c.inputs.dy), gamma = f32(c.inputs.gamma), beta = f32(c.inputs.beta);
  const y = new Float32Array(x.length), dx = new Float32Array(x.length).fill(NaN);
  const dgamma = new Float32Array(cols).fill(NaN), dbeta = new Float32Array(cols).fill(NaN);
  const saveMean = new Float32Array(rows), saveInvStd = new Float32Array(rows);
  kernels.layernormForward({ x, y, gamma, beta, saveMean, saveInvStd, rows, cols, eps: numAttr(c, 'eps', 1e-5) });
  kernels.layernormBackward({ x, dy, dx, gamma, dgamma, dbeta, saveMean, saveInvStd, rows, cols });
  expectClose(y, c.expected.y.data, c.tolerance, `${c.name} y`);
  expectClose(dx, c.expected.dx.data, c.tolerance, `${c.name} dx`);
  expectClose(dgamma, c.expected.dgamma.data, c.tolerance, `${c.name} dgamma`);
  expectClose(dbeta, c.expected.dbeta.data, c.tolerance, `${c.name} dbeta`);
}

function runGroupnorm(c: GoldenCase, G: number, affine: boolean): void {
  const { N, C, L } = ncl(c.inputs.x.shape, c.name);
  const x = f32(c.inputs.x), dy = f32(c.inputs.dy);
  const gamma = affine ? f32(c.inputs.gamma) : null, beta = affine ? f32(c.inputs.beta) : null;
  const y = new Float32Array(x.length), dx = new Float32Array(x.length).fill(NaN);
  const dgamma = new Float32Array(C).fill(NaN), dbeta = new Float32Array(C).fill(NaN);
  const saveMean = new Float32Array(N * G), saveInvStd = new Float32Array(N * G);
  kernels.groupnormForward({ x, y, gamma, beta, saveMean, saveInvStd, N, C, L, G, eps: numAttr(c, 'eps', 1e-5) });
  kernels.groupnormBackward({ x, dy, dx, gamma, dgamma, dbeta, saveMean, saveInvStd, N, C, L, G });
  expectClose(y, c.expected.y.data, c.tolerance, `${c.name} y`);
  expectClose(dx, c.expected.dx.data, c.tolerance, `${c.name} dx`);
  if (c.expected.dgamma) expectClose(dgamma, c.expected.dgamma.data, c.tolerance, `${c.name} dgamma`);
  if (c.expected.dbeta) expectClose(dbeta, c.expected.dbeta.data, c.tolerance, `${c.name} dbeta`);
}

const runCase = caseHandler({
  batchnorm: runBatchnorm,
  layernorm: runLayernorm,
  groupnorm: (c) => runGroupnorm(c, numAttr(c, 'groups'), true),
  instancenorm: (c) => {
    if (c.attrs.track_running_stats === true) throw new Error(`golden case '${c.name}': unrecognised variant track_running_stats`);
    runGroupnorm(c, ncl(c.inputs.x.shape, c.name).C, c.attrs.affine !== false);
  },
});

// ---- float64 reference: y[i] = (x[i] - mean[g(i)]) / sqrt(var[g(i)] + eps) * gamma[a(i)] + beta[a(i)] ----
interface Layout { size: number; groups: number; group(i: number): number; affine(i: number): number; affineSize: number }

function bnLayout(N: number, C: number, L: number): Layout {
  return { size: N * C * L, groups: C, group: (i) => Math.floor(i / L) % C, affine: (i) => Math.floor(i / L) % C, affineSize: C };
}
function lnLayout(rows: number, cols: number): Layout {
  return { size: rows * cols, groups: rows, group: (i) => Math.floor(i / cols), affine: (i) => i % cols, affineSize: cols };
}
function gnLayout(N: number, C: number, L: number, G: number): Layout {
  return {
    size: N * C * L, groups: N * G, affineSize: C,
    group: (i) => { const n = Math.floor(i / (C * L)); const c = Math.floor(i / L) % C; return n * G + Math.floor(c / (C / G)); },
    affine: (i) => Math.floor(i / L) % C,
  };
}

function refStats(lay: Layout, x: ArrayLike<number>): { mean: number[]; variance: number[]; count: number[] } {
  const mean = new Array(lay.groups).fill(0), variance = new Array(lay.groups).fill(0), count = new Array(lay.groups).fill(0);
  for (let i = 0; i < lay.size; i++) { mean[lay.group(i)] += x[i]; count[lay.group(i)]++; }
  for (let g = 0; g < lay.groups; g++) mean[g] /= count[g];
  for (let i = 0; i < lay.size; i++) variance[lay.group(i)] += (x[i] - mean[lay.group(i)]) ** 2;
  for (let g = 0; g < lay.groups; g++) variance[g] /= count[g];
  return { mean, variance, count };
}

function refForward(lay: Layout, x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, eps: number): number[] {
  const { mean, variance } = refStats(lay, x);
  const y = new Array(lay.size);
  for (let i = 0; i < lay.size; i++) {
    const g = lay.group(i), a = lay.affine(i);
    y[i] = ((x[i] - mean[g]) / Math.sqrt(variance[g] + eps)) * gamma[a] + beta[a];
  }
  return y;
}

/** Central differences of J = sum(y * dy) w.r.t. x, gamma and beta, in float64. */
function finiteDiff(lay: Layout, x: Float32Array, gamma: Float32Array, beta: Float32Array, dy: Float32Array, eps: number) {
  const J = (xx: ArrayLike<number>, gg: ArrayLike<number>, bb: ArrayLike<number>) =>
    refForward(lay, xx, gg, bb, eps).reduce((s, v, i) => s + v * dy[i], 0);
  const grad = (v: Float32Array, f: (w: number[]) => number) => {
    const w = Array.from(v);
    return w.map((_, i) => {
      const h = 1e-5 * Math.max(1, Math.abs(w[i]));
      const keep = w[i];
      w[i] = keep + h; const up = f(w);
      w[i] = keep - h; const down = f(w);
      w[i] = keep;
      return (up - down) / (2 * h);
    });
  };
  return {
    dx: grad(x, (w) => J(w, gamma, beta)),
    dgamma: grad(gamma, (w) => J(x, w, beta)),
    dbeta: grad(beta, (w) => J(x, gamma, w)),
  };
}

const fdTol = { rtol: 2e-3, atol: 2e-4 };

describeEachIsa('norms golden (PyTorch)', () => {
  for (const c of golden.cases) it(c.name, () => runCase(c));
});

describeEachIsa('norms backward vs finite differences', () => {
  const eps = 1e-3;  // larger eps keeps the float64 differences well conditioned
  it('batchnorm (N, C, L) = (5, 3, 4)', () => {
    const N = 5, C = 3, L = 4, lay = bnLayout(N, C, L);
    const x = randomF32(lay.size, 1, -2, 2), dy = randomF32(lay.size, 2), gamma = randomF32(C, 3, 0.5, 1.5), beta = randomF32(C, 4);
    const y = new Float32Array(lay.size), saveMean = new Float32Array(C), saveInvStd = new Float32Array(C);
    kernels.batchnormForwardTrain({ x, y, gamma, beta, saveMean, saveInvStd, N, C, L, eps });
    expectClose(y, refForward(lay, x, gamma, beta, eps), { rtol: 1e-5, atol: 1e-5 }, 'y');
    const dx = new Float32Array(lay.size), dgamma = new Float32Array(C), dbeta = new Float32Array(C);
    kernels.batchnormBackward({ x, dy, dx, gamma, dgamma, dbeta, saveMean, saveInvStd, N, C, L });
    const fd = finiteDiff(lay, x, gamma, beta, dy, eps);
    expectClose(dx, fd.dx, fdTol, 'dx');
    expectClose(dgamma, fd.dgamma, fdTol, 'dgamma');
    expectClose(dbeta, fd.dbeta, fdTol, 'dbeta');
  });
  it('batchnorm eval (frozen statistics)', () => {
    const N = 4, C = 5, L = 2, n = N * C * L;
    const x = randomF32(n, 11, -2, 2), dy = randomF32(n, 12), gamma = randomF32(C, 13), beta = randomF32(C, 14);
    const rm = randomF32(C, 15), rv = randomF32(C, 16, 0.5, 2);
    const idx = (i: number) => Math.floor(i / L) % C;
    const J = (xx: ArrayLike<number>, gg: ArrayLike<number>, bb: ArrayLike<number>) => {
      let s = 0;
      for (let i = 0; i < n; i++) { const c = idx(i); s += dy[i] * (((xx[i] - rm[c]) / Math.sqrt(rv[c] + eps)) * gg[c] + bb[c]); }
      return s;
    };
    const dx = new Float32Array(n), dgamma = new Float32Array(C), dbeta = new Float32Array(C);
    kernels.batchnormBackwardEval({ x, dy, dx, gamma, dgamma, dbeta, runningMean: rm, runningVar: rv, N, C, L, eps });
    const fd = (v: Float32Array, f: (w: number[]) => number) => Array.from(v).map((_, i) => {
      const w = Array.from(v); const h = 1e-4;
      w[i] += h; const up = f(w); w[i] -= 2 * h; return (up - f(w)) / (2 * h);
    });
    expectClose(dx, fd(x, (w) => J(w, gamma, beta)), fdTol, 'dx');
    expectClose(dgamma, fd(gamma, (w) => J(x, w, beta)), fdTol, 'dgamma');
    expectClose(dbeta, fd(beta, (w) => J(x, gamma, w)), fdTol, 'dbeta');
  });
  it('layernorm 4 x 9', () => {
    const rows = 4, cols = 9, lay = lnLayout(rows, cols);
    const x = randomF32(lay.size, 21, -2, 2), dy = randomF32(lay.size, 22), gamma = randomF32(cols, 23, 0.5, 1.5), beta = randomF32(cols, 24);
    const y = new Float32Array(lay.size), saveMean = new Float32Array(rows), saveInvStd = new Float32Array(rows);
    kernels.layernormForward({ x, y, gamma, beta, saveMean, saveInvStd, rows, cols, eps });
    expectClose(y, refForward(lay, x, gamma, beta, eps), { rtol: 1e-5, atol: 1e-5 }, 'y');
    const dx = new Float32Array(lay.size), dgamma = new Float32Array(cols), dbeta = new Float32Array(cols);
    kernels.layernormBackward({ x, dy, dx, gamma, dgamma, dbeta, saveMean, saveInvStd, rows, cols });
    const fd = finiteDiff(lay, x, gamma, beta, dy, eps);
    expectClose(dx, fd.dx, fdTol, 'dx');
    expectClose(dgamma, fd.dgamma, fdTol, 'dgamma');
    expectClose(dbeta, fd.dbeta, fdTol, 'dbeta');
  });
  for (const [N, C, L, G] of [[3, 6, 4, 2], [2, 4, 5, 4], [3, 4, 1, 2]]) {
    it(`groupnorm (N, C, L) = (${N}, ${C}, ${L}), G = ${G}`, () => {
      const lay = gnLayout(N, C, L, G);
      const x = randomF32(lay.size, 31 + G, -2, 2), dy = randomF32(lay.size, 32), gamma = randomF32(C, 33, 0.5, 1.5), beta = randomF32(C, 34);
      const y = new Float32Array(lay.size), saveMean = new Float32Array(N * G), saveInvStd = new Float32Array(N * G);
      kernels.groupnormForward({ x, y, gamma, beta, saveMean, saveInvStd, N, C, L, G, eps });
      expectClose(y, refForward(lay, x, gamma, beta, eps), { rtol: 1e-5, atol: 1e-5 }, 'y');
      const dx = new Float32Array(lay.size), dgamma = new Float32Array(C), dbeta = new Float32Array(C);
      kernels.groupnormBackward({ x, dy, dx, gamma, dgamma, dbeta, saveMean, saveInvStd, N, C, L, G });
      const fd = finiteDiff(lay, x, gamma, beta, dy, eps);
      expectClose(dx, fd.dx, fdTol, 'dx');
      expectClose(dgamma, fd.dgamma, fdTol, 'dgamma');
      expectClose(dbeta, fd.dbeta, fdTol, 'dbeta');
    });
  }
});

describeEachIsa('norms statistics', () => {
  it('batchnorm updates running stats with momentum and the unbiased variance', () => {
    const N = 5, C = 3, L = 4, lay = bnLayout(N, C, L), momentum = 0.25;
    const x = randomF32(lay.size, 41, -3, 3);
    const rm = randomF32(C, 42), rv = randomF32(C, 43, 0.5, 2);
    const rm0 = Array.from(rm), rv0 = Array.from(rv);
    kernels.batchnormForwardTrain({ x, y: new Float32Array(lay.size), runningMean: rm, runningVar: rv, N, C, L, momentum });
    const { mean, variance, count } = refStats(lay, x);
    const n = count[0];
    expectClose(rm, rm0.map((v, c) => (1 - momentum) * v + momentum * mean[c]), { rtol: 1e-6, atol: 1e-6 }, 'running_mean');
    expectClose(rv, rv0.map((v, c) => (1 - momentum) * v + momentum * variance[c] * n / (n - 1)), { rtol: 1e-6, atol: 1e-6 }, 'running_var');
  });

  it('keeps float32 accuracy for inputs with a large mean (1e4 + noise)', () => {
    const check = (shift: number) => {
      const N = 64, C = 3, L = 50;
      const r = rng(51);
      const x = new Float32Array(N * C * L).map(() => shift + (r() - 0.5) * 4);
      const gamma = randomF32(C, 52, 0.5, 1.5), beta = randomF32(C, 53), dy = randomF32(x.length, 54);
      for (const [name, lay, run] of [
        ['batchnorm', bnLayout(N, C, L), (y: Float32Array, dx: Float32Array, dg: Float32Array, db: Float32Array) => {
          const sm = new Float32Array(C), si = new Float32Array(C);
          kernels.batchnormForwardTrain({ x, y, gamma, beta, saveMean: sm, saveInvStd: si, N, C, L });
          kernels.batchnormBackward({ x, dy, dx, gamma, dgamma: dg, dbeta: db, saveMean: sm, saveInvStd: si, N, C, L });
        }],
        ['groupnorm', gnLayout(N, C, L, 3), (y: Float32Array, dx: Float32Array, dg: Float32Array, db: Float32Array) => {
          const sm = new Float32Array(N * 3), si = new Float32Array(N * 3);
          kernels.groupnormForward({ x, y, gamma, beta, saveMean: sm, saveInvStd: si, N, C, L, G: 3 });
          kernels.groupnormBackward({ x, dy, dx, gamma, dgamma: dg, dbeta: db, saveMean: sm, saveInvStd: si, N, C, L, G: 3 });
        }],
      ] as const) {
        const y = new Float32Array(x.length), dx = new Float32Array(x.length), dg = new Float32Array(C), db = new Float32Array(C);
        run(y, dx, dg, db);
        expectClose(y, refForward(lay, x, gamma, beta, 1e-5), { rtol: 1e-4, atol: 5e-5 }, `${name} y (shift ${shift})`);
        // Reference dx in float64: gamma*invstd*(dy - mean(dy) - xhat*mean(dy*xhat)) per channel.
        const { mean, variance, count } = refStats(lay, x);
        const sdy = new Array(lay.groups).fill(0), sdyx = new Array(lay.groups).fill(0);
        const xhat = (i: number) => (x[i] - mean[lay.group(i)]) / Math.sqrt(variance[lay.group(i)] + 1e-5);
        for (let i = 0; i < x.length; i++) {
          const g = lay.group(i), a = lay.affine(i);
          sdy[g] += dy[i] * gamma[a]; sdyx[g] += dy[i] * gamma[a] * xhat(i);
        }
        const dxRef = Array.from(x, (_, i) => {
          const g = lay.group(i), a = lay.affine(i);
          return (dy[i] * gamma[a] - sdy[g] / count[g] - xhat(i) * sdyx[g] / count[g]) / Math.sqrt(variance[g] + 1e-5);
        });
        expectClose(dx, dxRef, { rtol: 1e-4, atol: 5e-5 }, `${name} dx (shift ${shift})`);
      }
    };
    check(1e4);
    check(-3e3);
  });

  it('layernorm keeps float32 accuracy for rows with a large mean', () => {
    const rows = 8, cols = 300, lay = lnLayout(rows, cols);
    const r = rng(61);
    const x = new Float32Array(rows * cols).map(() => 5e3 + (r() - 0.5) * 2);
    const gamma = randomF32(cols, 62), beta = randomF32(cols, 63);
    const y = new Float32Array(x.length);
    kernels.layernormForward({ x, y, gamma, beta, rows, cols });
    expectClose(y, refForward(lay, x, gamma, beta, 1e-5), { rtol: 1e-4, atol: 5e-5 }, 'y');
  });
});

describeEachIsa('norms results do not depend on the thread count', () => {
  const before = getNumThreads();
  afterAll(() => setNumThreads(before));
  const runAll = () => {
    const out: Float32Array[] = [];
    { // batchnorm: 600 columns = 3 column chunks; 64 rows = several row tasks
      const N = 64, C = 300, L = 2, n = N * C * L;
      const x = randomF32(n, 71, -1, 3), dy = randomF32(n, 72), gamma = randomF32(C, 73), beta = randomF32(C, 74);
      const y = new Float32Array(n), sm = new Float32Array(C), si = new Float32Array(C), rm = new Float32Array(C), rv = new Float32Array(C).fill(1);
      kernels.batchnormForwardTrain({ x, y, gamma, beta, runningMean: rm, runningVar: rv, saveMean: sm, saveInvStd: si, N, C, L });
      const dx = new Float32Array(n), dg = new Float32Array(C), db = new Float32Array(C);
      kernels.batchnormBackward({ x, dy, dx, gamma, dgamma: dg, dbeta: db, saveMean: sm, saveInvStd: si, N, C, L });
      out.push(y, sm, si, rm, rv, dx, dg, db);
    }
    { // layernorm: 100 rows of 1000 columns (4 column chunks for dgamma)
      const rows = 100, cols = 1000, n = rows * cols;
      const x = randomF32(n, 81), dy = randomF32(n, 82), gamma = randomF32(cols, 83), beta = randomF32(cols, 84);
      const y = new Float32Array(n), sm = new Float32Array(rows), si = new Float32Array(rows);
      kernels.layernormForward({ x, y, gamma, beta, saveMean: sm, saveInvStd: si, rows, cols });
      const dx = new Float32Array(n), dg = new Float32Array(cols), db = new Float32Array(cols);
      kernels.layernormBackward({ x, dy, dx, gamma, dgamma: dg, dbeta: db, saveMean: sm, saveInvStd: si, rows, cols });
      out.push(y, sm, si, dx, dg, db);
    }
    { // groupnorm: 64 (sample, group) units over several tasks
      const N = 8, C = 64, L = 300, G = 8, n = N * C * L;
      const x = randomF32(n, 91), dy = randomF32(n, 92), gamma = randomF32(C, 93), beta = randomF32(C, 94);
      const y = new Float32Array(n), sm = new Float32Array(N * G), si = new Float32Array(N * G);
      kernels.groupnormForward({ x, y, gamma, beta, saveMean: sm, saveInvStd: si, N, C, L, G });
      const dx = new Float32Array(n), dg = new Float32Array(C), db = new Float32Array(C);
      kernels.groupnormBackward({ x, dy, dx, gamma, dgamma: dg, dbeta: db, saveMean: sm, saveInvStd: si, N, C, L, G });
      out.push(y, sm, si, dx, dg, db);
    }
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

describe('norms reject bad input', () => {
  const N = 4, C = 3, L = 2, n = N * C * L;
  const x = new Float32Array(n), y = new Float32Array(n), g = new Float32Array(C);
  it('shape mismatches name the argument', () => {
    expect(() => kernels.batchnormForwardTrain({ x: new Float32Array(n - 1), y, N, C, L }))
      .toThrow(/batchnorm_forward_train: argument 'x' has 23 elements but shape \[4, 3, 2\] needs 24/);
    expect(() => kernels.batchnormForwardTrain({ x, y, gamma: new Float32Array(2), N, C, L })).toThrow(RangeError);
    expect(() => kernels.layernormForward({ x, y, gamma: new Float32Array(3), rows: 4, cols: 6 })).toThrow(/'gamma'/);
    expect(() => kernels.groupnormBackward({ x, dy: y, saveMean: new Float32Array(3), saveInvStd: new Float32Array(8), N, C, L, G: 3 }))
      .toThrow(/'saveMean' has 3 elements/);
  });
  it('wrong dtypes are TypeErrors', () => {
    expect(() => kernels.batchnormForwardTrain({ x: new Float64Array(n) as unknown as Float32Array, y, N, C, L })).toThrow(TypeError);
    const ops = native.ops as Record<string, (...a: unknown[]) => void>;
    expect(() => ops.layernorm_forward(new Int32Array(n), y, null, null, null, null, 4, 6, 1e-5)).toThrow(TypeError);
    expect(() => ops.batchnorm_backward(x, y, y, g, g, g, [0, 0, 0], g, N, C, L)).toThrow(TypeError);
  });
  it('eps must be > 0 and momentum in [0, 1]', () => {
    expect(() => kernels.layernormForward({ x, y, rows: 4, cols: 6, eps: 0 })).toThrow(/'eps' must be/);
    expect(() => kernels.groupnormForward({ x, y, N, C, L, G: 1, eps: -1 })).toThrow(RangeError);
    const ops = native.ops as Record<string, (...a: unknown[]) => void>;
    expect(() => ops.batchnorm_forward_eval(x, y, null, null, g, g, N, C, L, 0)).toThrow(/batchnorm_forward_eval: argument 'eps' must be > 0/);
    expect(() => kernels.batchnormForwardTrain({ x, y, N, C, L, momentum: 1.5 })).toThrow(/'momentum' must be in \[0, 1\]/);
  });
  it('G must divide C', () => {
    expect(() => kernels.groupnormForward({ x, y, N, C, L, G: 2 })).toThrow(/'G' = 2 must divide the channel count C = 3/);
    const ops = native.ops as Record<string, (...a: unknown[]) => void>;
    expect(() => ops.groupnorm_backward(x, y, y, g, g, g, g, g, N, C, L, 2)).toThrow(RangeError);
  });
  it('batchnorm training needs more than one value per channel', () => {
    expect(() => kernels.batchnormForwardTrain({ x: new Float32Array(3), y: new Float32Array(3), N: 1, C: 3, L: 1 }))
      .toThrow(/expected more than 1 value per channel when training/);
    // N = 1 with L > 1 is fine (PyTorch's rule is N*L > 1).
    expect(() => kernels.batchnormForwardTrain({ x: new Float32Array(6), y: new Float32Array(6), N: 1, C: 3, L: 2 })).not.toThrow();
  });
  it('bad dimensions are RangeErrors', () => {
    expect(() => kernels.layernormForward({ x, y, rows: 0, cols: 6 })).toThrow(RangeError);
    expect(() => kernels.layernormForward({ x, y, rows: 1.5, cols: 6 })).toThrow(/'rows' must be an integer/);
  });
});

/** Closed-form float64 backward of refForward. */
function refBackward(lay: Layout, x: ArrayLike<number>, gamma: ArrayLike<number>, dy: ArrayLike<number>, eps: number) {
  const { mean, variance, count } = refStats(lay, x);
  const invstd = variance.map((v) => 1 / Math.sqrt(v + eps));
  const xhat = (i: number) => (x[i] - mean[lay.group(i)]) * invstd[lay.group(i)];
  const sg = new Array(lay.groups).fill(0), sgx = new Array(lay.groups).fill(0);
  const dgamma = new Array(lay.affineSize).fill(0), dbeta = new Array(lay.affineSize).fill(0);
  for (let i = 0; i < lay.size; i++) {
    const g = lay.group(i), a = lay.affine(i);
    sg[g] += dy[i] * gamma[a];
    sgx[g] += dy[i] * gamma[a] * xhat(i);
    dgamma[a] += dy[i] * xhat(i);
    dbeta[a] += dy[i];
  }
  const dx = Array.from({ length: lay.size }, (_, i) => {
    const g = lay.group(i), a = lay.affine(i);
    return invstd[g] * (dy[i] * gamma[a] - sg[g] / count[g] - xhat(i) * sgx[g] / count[g]);
  });
  return { dx, dgamma, dbeta };
}

describeEachIsa('norms match the float64 reference at sizes around the vector width', () => {
  const widths = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 100, 257, 1029];
  const tol = { rtol: 1e-4, atol: 2e-5 };
  const check = (name: string, lay: Layout, run: (x: Float32Array, g: Float32Array, b: Float32Array, dy: Float32Array,
    y: Float32Array, dx: Float32Array, dg: Float32Array, db: Float32Array) => void, seed: number) => {
    const x = randomF32(lay.size, seed, -1, 3), dy = randomF32(lay.size, seed + 1);
    const gamma = randomF32(lay.affineSize, seed + 2, 0.5, 1.5), beta = randomF32(lay.affineSize, seed + 3);
    const y = new Float32Array(lay.size), dx = new Float32Array(lay.size);
    const dg = new Float32Array(lay.affineSize), db = new Float32Array(lay.affineSize);
    run(x, gamma, beta, dy, y, dx, dg, db);
    expectClose(y, refForward(lay, x, gamma, beta, 1e-5), tol, `${name} y`);
    const ref = refBackward(lay, x, gamma, dy, 1e-5);
    expectClose(dx, ref.dx, tol, `${name} dx`);
    expectClose(dg, ref.dgamma, tol, `${name} dgamma`);
    expectClose(db, ref.dbeta, tol, `${name} dbeta`);
  };
  it('layernorm rows of each width', () => {
    for (const cols of widths) {
      const rows = 3;
      check(`layernorm cols=${cols}`, lnLayout(rows, cols), (x, gamma, beta, dy, y, dx, dgamma, dbeta) => {
        const saveMean = new Float32Array(rows), saveInvStd = new Float32Array(rows);
        kernels.layernormForward({ x, y, gamma, beta, saveMean, saveInvStd, rows, cols });
        kernels.layernormBackward({ x, dy, dx, gamma, dgamma, dbeta, saveMean, saveInvStd, rows, cols });
      }, cols);
    }
  });
  it('batchnorm with C or L of each width', () => {
    for (const w of widths) {
      for (const [N, C, L] of [[3, w, 1], [2, 3, w], [40, w, 1]]) {
        if (N * L < 2) continue;
        check(`batchnorm (${N}, ${C}, ${L})`, bnLayout(N, C, L), (x, gamma, beta, dy, y, dx, dgamma, dbeta) => {
          const saveMean = new Float32Array(C), saveInvStd = new Float32Array(C);
          kernels.batchnormForwardTrain({ x, y, gamma, beta, saveMean, saveInvStd, N, C, L });
          kernels.batchnormBackward({ x, dy, dx, gamma, dgamma, dbeta, saveMean, saveInvStd, N, C, L });
        }, 100 + w);
      }
    }
  });
  it('groupnorm with L of each width', () => {
    for (const L of widths) {
      const N = 2, C = 4, G = 2;
      check(`groupnorm L=${L}`, gnLayout(N, C, L, G), (x, gamma, beta, dy, y, dx, dgamma, dbeta) => {
        const saveMean = new Float32Array(N * G), saveInvStd = new Float32Array(N * G);
        kernels.groupnormForward({ x, y, gamma, beta, saveMean, saveInvStd, N, C, L, G });
        kernels.groupnormBackward({ x, dy, dx, gamma, dgamma, dbeta, saveMean, saveInvStd, N, C, L, G });
      }, 200 + L);
    }
  });
});

describe('norms golden handler rejects what it does not know', () => {
  const bn = golden.cases.find((c) => c.op === 'batchnorm')!;
  it('an unknown op fails', () => {
    expect(() => runCase({ ...bn, name: 'x', op: 'batchnorm3d' })).toThrow(/unrecognised op 'batchnorm3d'/);
  });
  it('an unknown variant fails', () => {
    expect(() => runCase({ ...bn, attrs: { ...bn.attrs, training: 'sometimes' } })).toThrow(/unrecognised batchnorm variant/);
    expect(() => runCase({ ...bn, attrs: { ...bn.attrs, axis: 2 } })).toThrow(/unrecognised axis/);
    const ln = golden.cases.find((c) => c.op === 'layernorm')!;
    expect(() => runCase({ ...ln, attrs: { ...ln.attrs, normalized_axes: [-2, -1] } })).toThrow(/unrecognised normalized_axes/);
  });
});

describeEachIsa('norms optional buffers', () => {
  it('null gamma/beta equal ones/zeros, and omitted outputs are left alone', () => {
    const N = 3, C = 4, L = 5, n = N * C * L;
    const x = randomF32(n, 301, -2, 2), dy = randomF32(n, 302);
    const ones = new Float32Array(C).fill(1), zeros = new Float32Array(C);
    const variants: [string, (g: Float32Array | null, b: Float32Array | null, y: Float32Array, dx: Float32Array | null,
      dg: Float32Array | null, db: Float32Array | null) => void][] = [
      ['batchnorm', (g, b, y, dx, dg, db) => {
        const sm = new Float32Array(C), si = new Float32Array(C);
        kernels.batchnormForwardTrain({ x, y, gamma: g, beta: b, saveMean: sm, saveInvStd: si, N, C, L });
        kernels.batchnormBackward({ x, dy, dx, gamma: g, dgamma: dg, dbeta: db, saveMean: sm, saveInvStd: si, N, C, L });
      }],
      ['instancenorm', (g, b, y, dx, dg, db) => {
        const sm = new Float32Array(N * C), si = new Float32Array(N * C);
        kernels.groupnormForward({ x, y, gamma: g, beta: b, saveMean: sm, saveInvStd: si, N, C, L, G: C });
        kernels.groupnormBackward({ x, dy, dx, gamma: g, dgamma: dg, dbeta: db, saveMean: sm, saveInvStd: si, N, C, L, G: C });
      }],
    ];
    for (const [name, run] of variants) {
      const y1 = new Float32Array(n), y2 = new Float32Array(n), dx1 = new Float32Array(n), dx2 = new Float32Array(n);
      const dg = new Float32Array(C), db = new Float32Array(C);
      run(ones, zeros, y1, dx1, dg, db);
      run(null, null, y2, dx2, null, null);
      expect(Array.from(y2), `${name} y`).toEqual(Array.from(y1));
      expect(Array.from(dx2), `${name} dx`).toEqual(Array.from(dx1));
      const dg2 = new Float32Array(C), db2 = new Float32Array(C);
      run(ones, zeros, y2, null, dg2, db2);  // no dx wanted: gradients of the affine still computed
      expect(Array.from(dg2), `${name} dgamma`).toEqual(Array.from(dg));
      expect(Array.from(db2), `${name} dbeta`).toEqual(Array.from(db));
    }
    const rows = 6, cols = 10, lx = randomF32(rows * cols, 303), ldy = randomF32(rows * cols, 304);
    const y1 = new Float32Array(rows * cols), y2 = new Float32Array(rows * cols);
    const sm = new Float32Array(rows), si = new Float32Array(rows);
    kernels.layernormForward({ x: lx, y: y1, gamma: new Float32Array(cols).fill(1), beta: new Float32Array(cols), rows, cols });
    kernels.layernormForward({ x: lx, y: y2, saveMean: sm, saveInvStd: si, rows, cols });
    expect(Array.from(y2)).toEqual(Array.from(y1));
    const dgA = new Float32Array(cols), dgB = new Float32Array(cols), dbB = new Float32Array(cols), dx = new Float32Array(rows * cols);
    kernels.layernormBackward({ x: lx, dy: ldy, dx: null, dgamma: dgA, saveMean: sm, saveInvStd: si, rows, cols });
    kernels.layernormBackward({ x: lx, dy: ldy, dx, dgamma: dgB, dbeta: dbB, saveMean: sm, saveInvStd: si, rows, cols });
    expect(Array.from(dgA)).toEqual(Array.from(dgB));
    expect(dgB.some((v) => v !== 0) && dx.some((v) => v !== 0)).toBe(true);
  });
});
