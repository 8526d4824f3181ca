// conv kernels (native/kernels/conv*.{h,cpp}): every case of the PyTorch golden file conv.json on
// every ISA, finite differences of every backward against an independent float64 JavaScript
// reference, the SIMD paths against the scalar ISA on random shapes, 1 vs 2 threads bit-identical,
// use inside a compiled program, and bad input.
import { afterAll, describe, expect, it } from 'vitest';
import { getNumThreads, kernels, setMaxIsa, setNumThreads, backend } from '../lib';
import { native } from '../lib/binding';
import { op } from '../lib/ops';
import { caseHandler, expectClose, f32, GoldenCase, loadGolden } from './helpers/golden';
import { describeEachIsa, randomF32, supportedIsas } from './helpers/isa';

const golden = loadGolden('conv.json');

// The golden cases of whole small CNNs ('cnn_train': conv + BatchNorm2d + pool + dense, three SGD/Adam
// steps) need the layers (Conv2D, MaxPool2D, Flatten, Dense, Sequential); the layers' test
// (test/conv-layers.test.ts, branch helper/convlayers) runs them. They are the ONLY cases this file
// leaves out, by explicit op name; any other op it does not know fails below.
const COVERED_BY_LAYERS_TEST = new Set(['cnn_train']);

type Geo = kernels.Conv2dGeometry;
type PoolGeo = kernels.Pool2dGeometry;

function pair(c: GoldenCase, key: string): [number, number] {
  const v = c.attrs[key];
  if (!Array.isArray(v) || v.length !== 2 || !v.every((n) => Number.isInteger(n))) {
    throw new Error(`golden case '${c.name}': attribute '${key}' missing or not a pair of integers`);
  }
  return [v[0] as number, v[1] as number];
}

function runConv(c: GoldenCase): void {
  const [N, C, H, W] = c.inputs.x.shape;
  const [K, , kh, kw] = c.inputs.w.shape;
  const [sh, sw] = pair(c, 'stride'), [ph, pw] = pair(c, 'padding'), [dh, dw] = pair(c, 'dilation');
  const groups = c.attrs.groups;
  if (typeof groups !== 'number') throw new Error(`golden case '${c.name}': attribute 'groups' missing`);
  const g: Geo = { N, C, H, W, K, kh, kw, sh, sw, ph, pw, dilH: dh, dilW: dw, groups };
  const x = f32(c.inputs.x), w = f32(c.inputs.w), b = c.inputs.b ? f32(c.inputs.b) : null, dy = f32(c.inputs.dy);
  const y = new Float32Array(c.expected.y.data.length).fill(NaN);
  kernels.conv2dForward({ ...g, x, w, bias: b, y });
  expectClose(y, c.expected.y.data, c.tolerance, `${c.name} y`);
  const dx = new Float32Array(x.length).fill(NaN), dW = new Float32Array(w.length).fill(NaN);
  const db = new Float32Array(K).fill(NaN);
  kernels.conv2dBackwardData({ ...g, dy, w, dx });
  kernels.conv2dBackwardFilter({ ...g, x, dy, dw: dW, db });
  expectClose(dx, c.expected.dx.data, c.tolerance, `${c.name} dx`);
  expectClose(dW, c.expected.dw.data, c.tolerance, `${c.name} dw`);
  if (c.expected.db) expectClose(db, c.expected.db.data, c.tolerance, `${c.name} db`);
}

function poolGeo(c: GoldenCase): PoolGeo {
  const [N, C, H, W] = c.inputs.x.shape;
  const [kh, kw] = pair(c, 'kernel'), [sh, sw] = pair(c, 'stride'), [ph, pw] = pair(c, 'padding');
  if (c.attrs.ceil_mode === true) throw new Error(`golden case '${c.name}': unrecognised variant ceil_mode`);
  return { N, C, H, W, kh, kw, sh, sw, ph, pw };
}

function runMaxPool(c: GoldenCase): void {
  const g = poolGeo(c);
  const x = f32(c.inputs.x), dy = f32(c.inputs.dy);
  const y = new Float32Array(dy.length).fill(NaN), argmax = new Int32Array(dy.length).fill(-1);
  kernels.maxPool2dForward({ ...g, x, y, argmax });
  expectClose(y, c.expected.y.data, c.tolerance, `${c.name} y`);
  const dx = new Float32Array(x.length).fill(NaN);
  kernels.maxPool2dBackward({ ...g, dy, argmax, dx });
  expectClose(dx, c.expected.dx.data, c.tolerance, `${c.name} dx`);
}

function runAvgPool(c: GoldenCase): void {
  const g = poolGeo(c);
  const cip = c.attrs.count_include_pad;
  if (typeof cip !== 'boolean') throw new Error(`golden case '${c.name}': attribute 'count_include_pad' missing`);
  const x = f32(c.inputs.x), dy = f32(c.inputs.dy);
  const y = new Float32Array(dy.length).fill(NaN), dx = new Float32Array(x.length).fill(NaN);
  kernels.avgPool2dForward({ ...g, x, y, countIncludePad: cip });
  kernels.avgPool2dBackward({ ...g, dy, dx, countIncludePad: cip });
  expectClose(y, c.expected.y.data, c.tolerance, `${c.name} y`);
  expectClose(dx, c.expected.dx.data, c.tolerance, `${c.name} dx`);
}

function runGlobalAvg(c: GoldenCase): void {
  const [N, C, H, W] = c.inputs.x.shape;
  const x = f32(c.inputs.x), dy = f32(c.inputs.dy);
  const y = new Float32Array(N * C).fill(NaN), dx = new Float32Array(x.length).fill(NaN);
  kernels.globalAvgPool2dForward({ x, y, N, C, H, W });
  kernels.globalAvgPool2dBackward({ dy, dx, N, C, H, W });
  expectClose(y, c.expected.y.data, c.tolerance, `${c.name} y`);
  expectClose(dx, c.expected.dx.data, c.tolerance, `${c.name} dx`);
}

// BatchNorm2d and GroupNorm on maps are the norm kernels with L = H*W.
function runBatchnorm2d(c: GoldenCase): void {
  const [N, C, H, W] = c.inputs.x.shape;
  const L = H * W;
  const x = f32(c.inputs.x), dy = f32(c.inputs.dy), gamma = f32(c.inputs.gamma), beta = f32(c.inputs.beta);
  const runningMean = f32(c.inputs.running_mean), runningVar = f32(c.inputs.running_var);
  const y = new Float32Array(x.length), saveMean = new Float32Array(C), saveInvStd = new Float32Array(C);
  const momentum = c.attrs.momentum as number, eps = c.attrs.eps as number;
  kernels.batchnormForwardTrain({ x, y, gamma, beta, runningMean, runningVar, saveMean, saveInvStd, N, C, L, momentum, eps });
  const dx = new Float32Array(x.length), dgamma = new Float32Array(C), dbeta = new Float32Array(C);
  kernels.batchnormBackward({ x, dy, dx, gamma, dgamma, dbeta, saveMean, saveInvStd, N, C, L });
  for (const [k, v] of Object.entries({ y, dx, dgamma, dbeta, running_mean: runningMean, running_var: runningVar })) {
    expectClose(v, c.expected[k].data, c.tolerance, `${c.name} ${k}`);
  }
}

function runGroupnorm2d(c: GoldenCase): void {
  const [N, C, H, W] = c.inputs.x.shape;
  const L = H * W, G = c.attrs.groups as number;
  const x = f32(c.inputs.x), dy = f32(c.inputs.dy), gamma = f32(c.inputs.gamma), beta = f32(c.inputs.beta);
  const y = new Float32Array(x.length), saveMean = new Float32Array(N * G), saveInvStd = new Float32Array(N * G);
  kernels.groupnormForward({ x, y, gamma, beta, saveMean, saveInvStd, N, C, L, G, eps: c.attrs.eps as number });
  const dx = new Float32Array(x.length), dgamma = new Float32Array(C), dbeta = new Float32Array(C);
  kernels.groupnormBackward({ x, dy, dx, gamma, dgamma, dbeta, saveMean, saveInvStd, N, C, L, G });
  for (const [k, v] of Object.entries({ y, dx, dgamma, dbeta })) expectClose(v, c.expected[k].data, c.tolerance, `${c.name} ${k}`);
}

const runCase = caseHandler({
  conv2d: runConv,
  maxpool2d: runMaxPool,
  avgpool2d: runAvgPool,
  global_avg_pool2d: runGlobalAvg,
  batchnorm2d_train: runBatchnorm2d,
  groupnorm2d: runGroupnorm2d,
});

describe('conv golden file', () => {
  it('holds cases of every kernel op, and only the known layer-level ops are left to the layers test', () => {
    const ops = new Set(golden.cases.map((c) => c.op));
    for (const o of ['conv2d', 'maxpool2d', 'avgpool2d', 'global_avg_pool2d']) expect(ops.has(o), o).toBe(true);
    for (const c of golden.cases) {
      if (COVERED_BY_LAYERS_TEST.has(c.op)) expect(c.attrs.architecture, c.name).toBeDefined();
    }
  });
});

describeEachIsa('conv golden (PyTorch)', () => {
  for (const c of golden.cases) {
    if (COVERED_BY_LAYERS_TEST.has(c.op)) continue;  // see COVERED_BY_LAYERS_TEST
    it(c.name, () => runCase(c));
  }
});

// ---------------- float64 JavaScript reference ----------------

function full(g: Geo): Required<Geo> {
  return { sh: 1, sw: 1, ph: 0, pw: 0, dilH: 1, dilW: 1, groups: 1, ...g } as Required<Geo>;
}

function refConv(g0: Geo, x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | null): Float64Array {
  const g = full(g0);
  const [OH, OW] = kernels.conv2dOutputShape(g);
  const cg = g.C / g.groups, kg = g.K / g.groups;
  const y = new Float64Array(g.N * g.K * OH * OW);
  for (let n = 0; n < g.N; n++) for (let k = 0; k < g.K; k++) {
    const grp = Math.floor(k / kg);
    for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
      let acc = b ? b[k] : 0;
      for (let c = 0; c < cg; c++) for (let i = 0; i < g.kh; i++) for (let j = 0; j < g.kw; j++) {
        const ih = oh * g.sh - g.ph + i * g.dilH, iw = ow * g.sw - g.pw + j * g.dilW;
        if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
        acc += w[((k * cg + c) * g.kh + i) * g.kw + j] * x[((n * g.C + grp * cg + c) * g.H + ih) * g.W + iw];
      }
      y[((n * g.K + k) * OH + oh) * OW + ow] = acc;
    }
  }
  return y;
}

function refPool(g: PoolGeo, x: ArrayLike<number>, kind: 'max' | 'avg', cip = true): Float64Array {
  const [sh, sw, ph, pw] = [g.sh ?? g.kh, g.sw ?? g.kw, g.ph ?? 0, g.pw ?? 0];
  const [OH, OW] = kernels.pool2dOutputShape(g);
  const y = new Float64Array(g.N * g.C * OH * OW);
  for (let p = 0; p < g.N * g.C; p++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    let best = -Infinity, sum = 0, count = 0;
    for (let i = 0; i < g.kh; i++) for (let j = 0; j < g.kw; j++) {
      const ih = oh * sh - ph + i, iw = ow * sw - pw + j;
      if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
      const v = x[(p * g.H + ih) * g.W + iw];
      best = Math.max(best, v); sum += v; count++;
    }
    y[(p * OH + oh) * OW + ow] = kind === 'max' ? best : sum / (cip ? g.kh * g.kw : count);
  }
  return y;
}

/** Central differences of J(v) = sum(f(v) * dy) at v, in float64. */
function fdGrad(v: Float32Array, dy: ArrayLike<number>, f: (v: Float64Array) => Float64Array, h = 1e-3): Float64Array {
  const w = Float64Array.from(v);
  const J = () => f(w).reduce((s, e, i) => s + e * dy[i], 0);
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const keep = w[i];
    w[i] = keep + h; const up = J();
    w[i] = keep - h; const down = J();
    w[i] = keep;
    out[i] = (up - down) / (2 * h);
  }
  return out;
}

const refTol = { rtol: 1e-4, atol: 1e-5 };
const fdTol = { rtol: 1e-3, atol: 1e-4 };

const convShapes: Array<[string, Geo]> = [
  ['3x3 pad 1', { N: 2, C: 3, H: 6, W: 5, K: 4, kh: 3, kw: 3, ph: 1, pw: 1 }],
  ['stride 2, pad (2, 0), 1x3 dilated (1, 2)', { N: 2, C: 2, H: 7, W: 8, K: 3, kh: 1, kw: 3, sh: 2, sw: 2, ph: 2, pw: 0, dilH: 1, dilW: 2 }],
  ['groups 2, 5x5 pad 2', { N: 1, C: 4, H: 6, W: 6, K: 6, kh: 5, kw: 5, ph: 2, pw: 2, groups: 2 }],
  ['depthwise', { N: 2, C: 3, H: 5, W: 5, K: 3, kh: 3, kw: 3, ph: 1, pw: 1, groups: 3 }],
  ['1x1', { N: 3, C: 5, H: 4, W: 3, K: 2, kh: 1, kw: 1 }],
  ['kernel = padded input', { N: 1, C: 2, H: 3, W: 2, K: 2, kh: 5, kw: 4, ph: 1, pw: 1 }],
];

function convData(g: Geo, seed: number) {
  const f = full(g);
  const [OH, OW] = kernels.conv2dOutputShape(f);
  const x = randomF32(f.N * f.C * f.H * f.W, seed);
  const w = randomF32(f.K * (f.C / f.groups) * f.kh * f.kw, seed + 1);
  const b = randomF32(f.K, seed + 2);
  const dy = randomF32(f.N * f.K * OH * OW, seed + 3);
  return { x, w, b, dy, ny: dy.length };
}

describeEachIsa('conv vs float64 reference and finite differences', () => {
  for (const [label, g] of convShapes) {
    it(label, () => {
      const { x, w, b, dy, ny } = convData(g, 10);
      const y = new Float32Array(ny);
      kernels.conv2dForward({ ...g, x, w, bias: b, y });
      expectClose(y, refConv(g, x, w, b), refTol, 'y');
      const yr = new Float32Array(ny);
      kernels.conv2dForward({ ...g, x, w, bias: b, y: yr, activation: 'relu' });
      expectClose(yr, Array.from(refConv(g, x, w, b), (v) => Math.max(0, v)), refTol, 'relu(y)');
      const dx = new Float32Array(x.length), dW = new Float32Array(w.length), db = new Float32Array(b.length);
      kernels.conv2dBackwardData({ ...g, dy, w, dx });
      kernels.conv2dBackwardFilter({ ...g, x, dy, dw: dW, db });
      expectClose(dx, fdGrad(x, dy, (v) => refConv(g, v, w, b)), fdTol, 'dx');
      expectClose(dW, fdGrad(w, dy, (v) => refConv(g, x, v, b)), fdTol, 'dw');
      expectClose(db, fdGrad(b, dy, (v) => refConv(g, x, w, v)), fdTol, 'db');
    });
  }

  const pools: Array<[string, PoolGeo]> = [
    ['2x2', { N: 2, C: 2, H: 6, W: 7, kh: 2, kw: 2 }],
    ['3x3 stride 2 pad 1', { N: 1, C: 3, H: 7, W: 6, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 }],
    ['3x2 stride 1 (overlapping) pad (1, 1)', { N: 2, C: 1, H: 5, W: 5, kh: 3, kw: 2, sh: 1, sw: 1, ph: 1, pw: 1 }],
  ];
  for (const [label, g] of pools) {
    it(`maxpool ${label}`, () => {
      const [OH, OW] = kernels.pool2dOutputShape(g);
      const n = g.N * g.C * g.H * g.W, ny = g.N * g.C * OH * OW;
      // Distinct values one apart, so the maximum is unique and the differences do not cross a tie.
      const x = Float32Array.from(randomF32(n, 3).map((v, i) => i).sort(() => 0).map((i) => ((i * 7919) % n) - n / 2));
      const dy = randomF32(ny, 4);
      const y = new Float32Array(ny), argmax = new Int32Array(ny), dx = new Float32Array(n);
      kernels.maxPool2dForward({ ...g, x, y, argmax });
      expectClose(y, refPool(g, x, 'max'), refTol, 'y');
      kernels.maxPool2dBackward({ ...g, dy, argmax, dx });
      expectClose(dx, fdGrad(x, dy, (v) => refPool(g, v, 'max'), 0.25), fdTol, 'dx');
    });
    for (const cip of [true, false]) {
      it(`avgpool ${label} countIncludePad ${cip}`, () => {
        const [OH, OW] = kernels.pool2dOutputShape(g);
        const n = g.N * g.C * g.H * g.W, ny = g.N * g.C * OH * OW;
        const x = randomF32(n, 5), dy = randomF32(ny, 6);
        const y = new Float32Array(ny), dx = new Float32Array(n);
        kernels.avgPool2dForward({ ...g, x, y, countIncludePad: cip });
        expectClose(y, refPool(g, x, 'avg', cip), refTol, 'y');
        kernels.avgPool2dBackward({ ...g, dy, dx, countIncludePad: cip });
        expectClose(dx, fdGrad(x, dy, (v) => refPool(g, v, 'avg', cip)), fdTol, 'dx');
      });
    }
  }

  it('global average pool', () => {
    const N = 2, C = 3, H = 4, W = 5;
    const x = randomF32(N * C * H * W, 7), dy = randomF32(N * C, 8);
    const y = new Float32Array(N * C), dx = new Float32Array(x.length);
    kernels.globalAvgPool2dForward({ x, y, N, C, H, W });
    kernels.globalAvgPool2dBackward({ dy, dx, N, C, H, W });
    const ref = (v: Float64Array) => Float64Array.from({ length: N * C }, (_, p) => v.slice(p * H * W, (p + 1) * H * W).reduce((s, e) => s + e, 0) / (H * W));
    expectClose(y, ref(Float64Array.from(x)), refTol, 'y');
    expectClose(dx, fdGrad(x, dy, ref), fdTol, 'dx');
  });

  it('maxpool: torch semantics for ties (first maximum), NaN (propagates) and -inf padding', () => {
    const g: PoolGeo = { N: 1, C: 1, H: 2, W: 4, kh: 2, kw: 2, sh: 2, sw: 2 };
    const x = new Float32Array([1, 3, NaN, 0, 3, 2, 5, 9]);
    const y = new Float32Array(2), argmax = new Int32Array(2);
    kernels.maxPool2dForward({ ...g, x, y, argmax });
    expect(y[0]).toBe(3);
    expect(argmax[0]).toBe(1);
    expect(Number.isNaN(y[1])).toBe(true);
    expect(argmax[1]).toBe(2);
    const neg = new Float32Array([-5, -6, -7, -8]), y2 = new Float32Array(9), a2 = new Int32Array(9);
    const pg: PoolGeo = { N: 1, C: 1, H: 2, W: 2, kh: 2, kw: 2, sh: 1, sw: 1, ph: 1, pw: 1 };
    expect(kernels.pool2dOutputShape(pg)).toEqual([3, 3]);
    kernels.maxPool2dForward({ ...pg, x: neg, y: y2, argmax: a2 });
    // Corner windows see one input element each; zero padding would give 0 there.
    expect(Array.from(y2)).toEqual([-5, -5, -6, -5, -5, -6, -7, -7, -8]);
    expect(Array.from(a2)).toEqual([0, 0, 1, 0, 0, 1, 2, 2, 3]);
  });
});

// ---------------- SIMD paths vs the scalar ISA on random shapes ----------------

function runAll(g: Geo, d: ReturnType<typeof convData>) {
  const y = new Float32Array(d.ny), dx = new Float32Array(d.x.length), dW = new Float32Array(d.w.length), db = new Float32Array(d.b.length);
  kernels.conv2dForward({ ...g, x: d.x, w: d.w, bias: d.b, y, activation: 'relu' });
  kernels.conv2dBackwardData({ ...g, dy: d.dy, w: d.w, dx });
  kernels.conv2dBackwardFilter({ ...g, x: d.x, dy: d.dy, dw: dW, db });
  return { y, dx, dW, db };
}

function randomGeo(r: () => number): Geo {
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const groups = [1, 1, 2, 3][int(0, 3)];
  const kh = int(1, 5), kw = int(1, 5), dh = int(1, 2), dw = int(1, 2), ph = int(0, 2), pw = int(0, 2);
  const H = Math.max(int(1, 12), dh * (kh - 1) + 1 - 2 * ph), W = Math.max(int(1, 12), dw * (kw - 1) + 1 - 2 * pw);
  return { N: int(1, 5), C: groups * int(1, 4), H, W, K: groups * int(1, 5), kh, kw, sh: int(1, 3), sw: int(1, 3), ph, pw, dilH: dh, dilW: dw, groups };
}

describe('conv: every ISA agrees with the scalar reference on random shapes', () => {
  afterAll(() => { setMaxIsa(backend().detectedIsa); });
  const r = (() => { let s = 12345; return () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; }; })();
  const cases = Array.from({ length: 24 }, () => randomGeo(r));
  // Wide enough for every register tile of the direct kernels (16 < K <= 32, K > 32, edge lanes).
  cases.push({ N: 3, C: 8, H: 9, W: 7, K: 40, kh: 3, kw: 3, ph: 1, pw: 1 },
    { N: 2, C: 5, H: 10, W: 10, K: 24, kh: 5, kw: 5, ph: 2, pw: 2 },
    { N: 2, C: 7, H: 11, W: 9, K: 70, kh: 3, kw: 2, sh: 2, sw: 1, ph: 1, pw: 0, dilH: 2, dilW: 1 },
    { N: 5, C: 12, H: 6, W: 13, K: 33, kh: 3, kw: 3, ph: 2, pw: 1, dilH: 1, dilW: 2 },
    { N: 2, C: 20, H: 4, W: 4, K: 9, kh: 1, kw: 1 },
    // Rows of at least 14 outputs: the forward passes' row tiles, mixed with general tiles.
    { N: 2, C: 20, H: 14, W: 16, K: 40, kh: 3, kw: 3, ph: 1, pw: 1 },
    { N: 2, C: 6, H: 15, W: 28, K: 12, kh: 5, kw: 5, ph: 2, pw: 2 });
  for (const isa of supportedIsas.filter((i) => i !== 'scalar')) {
    it(isa, () => {
      cases.forEach((g, i) => {
        const d = convData(g, 100 + i);
        setMaxIsa('scalar');
        const ref = runAll(g, d);
        setMaxIsa(isa);
        const got = runAll(g, d);
        const label = `case ${i} ${JSON.stringify(g)}`;
        expectClose(got.y, ref.y, refTol, `${label} y`);
        expectClose(got.dx, ref.dx, refTol, `${label} dx`);
        expectClose(got.dW, ref.dW, { rtol: 1e-4, atol: 1e-4 }, `${label} dw`);
        expectClose(got.db, ref.db, refTol, `${label} db`);
      });
    });
  }
});

describe('pooling: every ISA gives the scalar reference\'s bits (ties, NaN, borders, row tails)', () => {
  afterAll(() => { setMaxIsa(backend().detectedIsa); });
  const geos: PoolGeo[] = [
    { N: 2, C: 3, H: 28, W: 28, kh: 2, kw: 2 }, { N: 1, C: 2, H: 9, W: 37, kh: 2, kw: 2 },
    { N: 2, C: 2, H: 7, W: 7, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 }, { N: 1, C: 3, H: 8, W: 11, kh: 2, kw: 2, sh: 1, sw: 2, ph: 1, pw: 1 },
    { N: 1, C: 1, H: 5, W: 40, kh: 2, kw: 3, sh: 2, sw: 1 },
  ];
  for (const isa of supportedIsas.filter((i) => i !== 'scalar')) {
    it(isa, () => {
      geos.forEach((g, gi) => {
        const n = g.N * g.C * g.H * g.W;
        // Few distinct values (ties), some NaN and -Infinity.
        const x = Float32Array.from(randomF32(n, 40 + gi), (v, i) => (i % 17 === 3 ? NaN : i % 23 === 5 ? -Infinity : Math.round(v * 3)));
        const [OH, OW] = kernels.pool2dOutputShape(g);
        const ny = g.N * g.C * OH * OW, dy = randomF32(ny, 50 + gi);
        const run = () => {
          const y = new Float32Array(ny), am = new Int32Array(ny), dx = new Float32Array(n), ay = new Float32Array(ny), adx = new Float32Array(n);
          kernels.maxPool2dForward({ ...g, x, y, argmax: am });
          kernels.maxPool2dBackward({ ...g, dy, argmax: am, dx });
          kernels.avgPool2dForward({ ...g, x: dy.length ? x.map((v) => (Number.isFinite(v) ? v : 0)) : x, y: ay, countIncludePad: gi % 2 === 0 });
          kernels.avgPool2dBackward({ ...g, dy, dx: adx, countIncludePad: gi % 2 === 0 });
          return { y, am, dx, ay, adx };
        };
        setMaxIsa('scalar');
        const ref = run();
        setMaxIsa(isa);
        const got = run();
        expect(Array.from(got.am), `geometry ${gi} argmax`).toEqual(Array.from(ref.am));
        expect(Array.from(got.y), `geometry ${gi} y`).toEqual(Array.from(ref.y));
        expect(Array.from(got.dx), `geometry ${gi} dx`).toEqual(Array.from(ref.dx));
        expectClose(got.ay, ref.ay, refTol, `geometry ${gi} avg y`);
        expectClose(got.adx, ref.adx, refTol, `geometry ${gi} avg dx`);
      });
    });
  }
});

// ---------------- threads ----------------

describeEachIsa('conv: 1 and 2 threads give identical bits', () => {
  const saved = getNumThreads();
  afterAll(() => setNumThreads(saved));
  it('conv forward / backward data / backward filter and pooling', () => {
    const g: Geo = { N: 20, C: 6, H: 14, W: 14, K: 16, kh: 5, kw: 5, ph: 2, pw: 2 };
    const d = convData(g, 77);
    const pg: PoolGeo = { N: 20, C: 16, H: 14, W: 14, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 };
    const run = () => {
      const out = runAll(g, d);
      const [OH, OW] = kernels.pool2dOutputShape(pg);
      const py = new Float32Array(20 * 16 * OH * OW), am = new Int32Array(py.length), pdx = new Float32Array(out.y.length);
      const ay = new Float32Array(py.length), adx = new Float32Array(out.y.length);
      kernels.maxPool2dForward({ ...pg, x: out.y, y: py, argmax: am });
      kernels.maxPool2dBackward({ ...pg, dy: ay.fill(0.5), argmax: am, dx: pdx });
      kernels.avgPool2dForward({ ...pg, x: out.y, y: ay, countIncludePad: false });
      kernels.avgPool2dBackward({ ...pg, dy: py, dx: adx, countIncludePad: false });
      return { ...out, py, am, pdx, ay, adx };
    };
    setNumThreads(1);
    const one = run();
    setNumThreads(2);
    const two = run();
    for (const k of Object.keys(one) as Array<keyof typeof one>) expect(Buffer.from(two[k].buffer).equals(Buffer.from(one[k].buffer)), k).toBe(true);
  });
});

// ---------------- program steps ----------------

describe('conv ops as steps of a compiled program', () => {
  it('forward + backward steps run in one program and match the direct calls', async () => {
    const g: Geo = { N: 3, C: 2, H: 6, W: 6, K: 4, kh: 3, kw: 3, ph: 1, pw: 1 };
    const d = convData(g, 5);
    const [OH, OW] = kernels.conv2dOutputShape(g);
    const y = new Float32Array(d.ny), p = new Float32Array(3 * 4 * (OH / 2) * (OW / 2)), am = new Int32Array(p.length);
    const dp = randomF32(p.length, 9), dyp = new Float32Array(d.ny), dx = new Float32Array(d.x.length), dW = new Float32Array(d.w.length), db = new Float32Array(4);
    const s = kernels.conv2dShapeArgs(g);
    const ps = kernels.pool2dShapeArgs({ N: 3, C: 4, H: OH, W: OW, kh: 2, kw: 2 });
    const program = new native.CompiledProgram([
      op.conv2d_forward(d.x, d.w, d.b, y, ...s, 'relu'),
      op.maxpool2d_forward(y, p, am, ...ps),
      op.maxpool2d_backward(dp, am, dyp, ...ps),
      op.conv2d_backward_data(dyp, d.w, dx, ...s),
      op.conv2d_backward_filter(d.x, dyp, dW, db, ...s),
    ]);
    await program.run();
    const y2 = new Float32Array(d.ny);
    kernels.conv2dForward({ ...g, x: d.x, w: d.w, bias: d.b, y: y2, activation: 'relu' });
    expect(y).toEqual(y2);
    const dx2 = new Float32Array(d.x.length);
    kernels.conv2dBackwardData({ ...g, dy: dyp, w: d.w, dx: dx2 });
    expect(dx).toEqual(dx2);
    expect(dW.some((v) => v !== 0)).toBe(true);
  });
});

// ---------------- bad input ----------------

describe('conv ops reject bad input with errors naming the argument', () => {
  const ops = native.ops;
  const g: Geo = { N: 2, C: 4, H: 5, W: 5, K: 6, kh: 3, kw: 3, ph: 1, pw: 1, groups: 2 };
  const d = convData(g, 1);
  const s = kernels.conv2dShapeArgs(g);
  it('shapes, groups, kernels larger than the padded input, aliasing, types', () => {
    const y = new Float32Array(d.ny).fill(7);
    expect(() => ops.conv2d_forward(d.x.subarray(1), d.w, d.b, y, ...s)).toThrow(/conv2d_forward: argument 'x' has 199 elements but shape \[2, 4, 5, 5\] needs 200/);
    expect(() => ops.conv2d_forward(d.x, d.w.subarray(1), d.b, y, ...s)).toThrow(/argument 'w' .*\[6, 2, 3, 3\]/);
    expect(() => ops.conv2d_forward(d.x, d.w, d.b.subarray(1), y, ...s)).toThrow(/argument 'bias'/);
    expect(() => ops.conv2d_forward(d.x, d.w, d.b, y.subarray(1), ...s)).toThrow(/argument 'y' .*\[2, 6, 5, 5\]/);
    expect(() => kernels.conv2dForward({ ...g, groups: 3, x: d.x, w: d.w, y })).toThrow(/argument 'groups' \(3\) must divide the input channels C \(4\)/);
    expect(() => kernels.conv2dForward({ ...g, K: 5, x: d.x, w: d.w, y })).toThrow(/argument 'groups' \(2\) must divide the output channels K \(5\)/);
    expect(() => kernels.conv2dForward({ ...g, kh: 8, x: d.x, w: d.w, y })).toThrow(RangeError);
    expect(() => kernels.conv2dForward({ ...g, kh: 8, x: d.x, w: d.w, y })).toThrow(/argument 'kh': the kernel height .* = 8 exceeds the padded input height H\+2\*ph = 7/);
    expect(() => kernels.conv2dBackwardData({ ...g, kw: 5, dilW: 2, dy: d.dy, w: d.w, dx: d.x })).toThrow(/argument 'kw'/);
    expect(() => kernels.conv2dForward({ ...g, sh: 0, x: d.x, w: d.w, y })).toThrow(/argument 'sh' must be in \[1,/);
    expect(() => kernels.conv2dForward({ ...g, ph: -1, x: d.x, w: d.w, y })).toThrow(/argument 'ph'/);
    expect(() => kernels.conv2dForward({ ...g, N: 1.5, x: d.x, w: d.w, y })).toThrow(/argument 'N' must be an integer/);
    expect(() => ops.conv2d_forward(d.x, d.w, d.b, y, ...s, 'tanh' as 'relu')).toThrow(/argument 'activation'/);
    expect(() => ops.conv2d_forward(d.x, d.w, d.b, d.x as Float32Array, ...s)).toThrow(/argument 'y'/);
    expect(() => ops.conv2d_forward(d.x, d.w, d.b, d.x, ...s)).toThrow(RangeError);
    expect(() => kernels.conv2dForward({ ...g, x: [] as unknown as Float32Array, w: d.w, y })).toThrow(TypeError);
    expect(() => kernels.conv2dBackwardFilter({ ...g, x: d.x, dy: d.dy, dw: d.w, db: new Float32Array(2) })).toThrow(/argument 'db' has 2 elements/);
    expect(() => ops.conv2d_backward_filter(d.x, d.dy, d.dy, null, ...s)).toThrow(/argument 'dw' overlaps/);
    expect(y.every((v) => v === 7)).toBe(true);
  });
  it('pooling: padding more than half the window, windows larger than the input, argmax type and range', () => {
    const x = randomF32(2 * 3 * 4 * 4, 2), y = new Float32Array(2 * 3 * 2 * 2), am = new Int32Array(y.length), dx = new Float32Array(x.length);
    const base = { N: 2, C: 3, H: 4, W: 4, kh: 2, kw: 2 };
    expect(() => kernels.maxPool2dForward({ ...base, ph: 2, x, y, argmax: am })).toThrow(/argument 'ph' \(2\) must be at most kh\/2/);
    expect(() => kernels.avgPool2dForward({ ...base, kw: 6, x, y })).toThrow(/argument 'kw' \(6\) exceeds the padded input width/);
    expect(() => kernels.maxPool2dForward({ ...base, x, y, argmax: new Float32Array(8) as unknown as Int32Array })).toThrow(TypeError);
    expect(() => ops.maxpool2d_forward(x, y, new Int32Array(3), ...kernels.pool2dShapeArgs(base))).toThrow(/argument 'argmax' has 3 elements/);
    kernels.maxPool2dForward({ ...base, x, y, argmax: am });
    am[5] = 16;
    expect(() => kernels.maxPool2dBackward({ ...base, dy: y, argmax: am, dx })).toThrow(/argmax\[5\] = 16 is outside the input plane \[0, 16\)/);
    expect(() => ops.avgpool2d_forward(x, y, ...kernels.pool2dShapeArgs(base), 1 as unknown as boolean)).toThrow(/argument 'countIncludePad' must be a boolean/);
    expect(() => kernels.globalAvgPool2dForward({ x, y: new Float32Array(5), N: 2, C: 3, H: 4, W: 4 })).toThrow(/argument 'y' has 5 elements but shape \[2, 3\] needs 6/);
  });
});
