// Stochastic pooling ops (Zeiler & Fergus 2013; native/kernels/conv.h): training samples one element
// per window with probability proportional to its (ReLU-clipped) value, seeded and identical for any
// thread count; inference is the probability-weighted average; backward routes to the sampled element
// (training) and is checked by finite differences (inference). References are plain JavaScript.
import { afterAll, describe, expect, it } from 'vitest';
import { backend, getNumThreads, kernels, setMaxIsa, setNumThreads } from '../lib';
import { native } from '../lib/binding';
import { op } from '../lib/ops';
import { expectClose } from './helpers/golden';
import { randomF32, supportedIsas } from './helpers/isa';

type PoolGeo = kernels.Pool2dGeometry;

function windows(g: PoolGeo): number[][] {
  // Flat input indices of every output's window (clipped), outputs in NCHW order.
  const [OH, OW] = kernels.pool2dOutputShape(g);
  const [sh, sw, ph, pw] = [g.sh ?? g.kh, g.sw ?? g.kw, g.ph ?? 0, g.pw ?? 0];
  const out: number[][] = [];
  for (let p = 0; p < g.N * g.C; p++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    const w: number[] = [];
    for (let i = 0; i < g.kh; i++) for (let j = 0; j < g.kw; j++) {
      const ih = oh * sh - ph + i, iw = ow * sw - pw + j;
      if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W) w.push((p * g.H + ih) * g.W + iw);
    }
    out.push(w);
  }
  return out;
}

function refEval(g: PoolGeo, x: ArrayLike<number>): Float64Array {
  return Float64Array.from(windows(g), (w) => {
    let s1 = 0, s2 = 0;
    for (const i of w) { const a = Math.max(0, x[i]); s1 += a; s2 += a * a; }
    return s1 > 0 ? s2 / s1 : 0;
  });
}

const g: PoolGeo = { N: 2, C: 3, H: 7, W: 8, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 };
const [OH, OW] = kernels.pool2dOutputShape(g);
const nx = g.N * g.C * g.H * g.W, ny = g.N * g.C * OH * OW;

function train(x: Float32Array, key: kernels.StochasticPoolKey, geo: PoolGeo = g) {
  const [oh, ow] = kernels.pool2dOutputShape(geo);
  const n = geo.N * geo.C * oh * ow;
  const y = new Float32Array(n).fill(NaN), choice = new Int32Array(n).fill(-7);
  kernels.stochasticPool2dForwardTrain({ ...geo, x, y, choice, key });
  return { y, choice };
}

describe('stochastic pooling, training', () => {
  const saved = getNumThreads();
  afterAll(() => { setNumThreads(saved); setMaxIsa(backend().detectedIsa); });
  // ReLU-like data: a third of the elements zero or negative, one window all non-positive.
  const x = randomF32(nx, 1, -0.5, 1.5);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) x[i * g.W + j] = -1;  // output (0, 0, 0, 0) sees only these and padding

  it('picks an element of the window with a positive value, y = x[choice]; no positive element: y = 0, choice -1', () => {
    const { y, choice } = train(x, { seed: 3, stream: 1, step: 0 });
    const wins = windows(g);
    let empty = 0;
    wins.forEach((w, o) => {
      const plane = Math.floor(w[0] / (g.H * g.W)) * g.H * g.W;
      if (w.every((i) => !(x[i] > 0))) {
        empty++;
        expect(choice[o], `output ${o}`).toBe(-1);
        expect(y[o]).toBe(0);
      } else {
        expect(w.includes(plane + choice[o]), `output ${o}: choice ${choice[o]} in its window`).toBe(true);
        expect(x[plane + choice[o]]).toBeGreaterThan(0);
        expect(y[o]).toBe(x[plane + choice[o]]);
      }
    });
    expect(empty).toBeGreaterThan(0);
  });

  it('samples with probability proportional to the activation (20,000 windows)', () => {
    const geo: PoolGeo = { N: 1, C: 20000, H: 2, W: 2, kh: 2, kw: 2 };
    const vals = [1, 2, 0, 3];  // p = 1/6, 2/6, 0, 3/6
    const xx = Float32Array.from({ length: 4 * 20000 }, (_, i) => vals[i % 4]);
    const { choice } = train(xx, { seed: 11, stream: 0, step: 5 }, geo);
    const counts = [0, 0, 0, 0];
    for (const c of choice) counts[c]++;
    expect(counts[2]).toBe(0);
    [1 / 6, 2 / 6, 0, 3 / 6].forEach((p, i) => expect(Math.abs(counts[i] / 20000 - p), `element ${i}`).toBeLessThan(0.012));
  });

  it('is a pure function of (seed, stream, step, output): same key same choice, any thread count and ISA; another step differs', () => {
    const key = { seed: 9, stream: 2, step: 17 };
    setNumThreads(1);
    const one = train(x, key);
    setNumThreads(2);
    const two = train(x, key);
    expect(Array.from(two.choice)).toEqual(Array.from(one.choice));
    expect(Array.from(two.y)).toEqual(Array.from(one.y));
    for (const isa of supportedIsas) {
      setMaxIsa(isa);
      expect(Array.from(train(x, key).choice), isa).toEqual(Array.from(one.choice));
    }
    setMaxIsa(backend().detectedIsa);
    const other = train(x, { ...key, step: 18 });
    expect(Array.from(other.choice)).not.toEqual(Array.from(one.choice));
    expect(Array.from(train(x, new Float64Array([9, 2, 17])).choice)).toEqual(Array.from(one.choice));
  });

  it('backward routes dy to the sampled element (overlapping windows add up)', () => {
    const geo: PoolGeo = { N: 2, C: 2, H: 6, W: 6, kh: 3, kw: 3, sh: 1, sw: 1 };
    const xx = randomF32(2 * 2 * 36, 4, 0.1, 1);
    const { choice } = train(xx, { seed: 1, stream: 1, step: 1 }, geo);
    const dy = randomF32(choice.length, 5), dx = new Float32Array(xx.length).fill(NaN);
    kernels.stochasticPool2dBackwardTrain({ ...geo, dy, choice, dx });
    const want = new Float64Array(xx.length);
    const per = 4 * 4;
    choice.forEach((c, o) => { want[Math.floor(o / per) * 36 + c] += dy[o]; });
    expectClose(dx, want, { rtol: 1e-6, atol: 1e-7 }, 'dx');
  });

  it('in a compiled program the step comes from hp, so each run samples anew', () => {
    const hp = new Float64Array([4, 0, 0]);
    const y = new Float32Array(ny), choice = new Int32Array(ny);
    const program = new native.CompiledProgram([op.stochpool2d_forward_train(x, y, choice, ...kernels.pool2dShapeArgs(g), hp)]);
    program.runSync();
    const first = Array.from(choice);
    expect(first).toEqual(Array.from(train(x, { seed: 4, stream: 0, step: 0 }).choice));
    hp[2] = 1;
    program.runSync();
    expect(Array.from(choice)).toEqual(Array.from(train(x, { seed: 4, stream: 0, step: 1 }).choice));
    hp[2] = 0.5;
    expect(() => program.runSync()).toThrow(/hp\[2\] \(step\) must be an integer/);
  });

  it('rejects bad input naming the argument', () => {
    const y = new Float32Array(ny), choice = new Int32Array(ny), dx = new Float32Array(nx);
    const s = kernels.pool2dShapeArgs(g);
    expect(() => native.ops.stochpool2d_forward_train(x, y, new Int32Array(2), ...s, 1, 2, 3)).toThrow(/argument 'choice' has 2 elements/);
    expect(() => native.ops.stochpool2d_forward_train(x, y, choice, ...s, -1, 2, 3)).toThrow(/argument 'seed'/);
    expect(() => native.ops.stochpool2d_forward_train(x, y, choice, ...s, new Float64Array(2))).toThrow(/argument 'hp' must hold/);
    expect(() => kernels.stochasticPool2dForwardTrain({ ...g, x, y, choice, key: null as unknown as Float64Array })).toThrow(TypeError);
    choice.fill(0);
    choice[3] = nx;
    expect(() => kernels.stochasticPool2dBackwardTrain({ ...g, dy: y, choice, dx })).toThrow(/choice\[3\] = 336 is neither -1 nor inside the input plane \[0, 56\)/);
    expect(() => kernels.stochasticPool2dForwardEval({ ...g, ph: 2, x, y })).toThrow(/argument 'ph' \(2\) must be at most kh\/2/);
  });
});

describe('stochastic pooling, inference', () => {
  it('is the probability-weighted average sum a^2 / sum a, and its gradient matches finite differences', () => {
    // No value within the differences' reach of the kink of max(x, 0).
    const x = Float32Array.from(randomF32(nx, 7, -0.3, 1.5), (v) => (Math.abs(v) < 0.01 ? 0.05 : v));
    const y = new Float32Array(ny);
    kernels.stochasticPool2dForwardEval({ ...g, x, y });
    expectClose(y, refEval(g, x), { rtol: 1e-5, atol: 1e-6 }, 'y');
    const dy = randomF32(ny, 8), dx = new Float32Array(nx).fill(NaN);
    kernels.stochasticPool2dBackwardEval({ ...g, x, dy, dx });
    const w = Float64Array.from(x), J = () => refEval(g, w).reduce((s, v, i) => s + v * dy[i], 0);
    const fd = Array.from(x, (_, i) => {
      const keep = w[i], h = 1e-4;
      w[i] = keep + h; const up = J(); w[i] = keep - h; const down = J(); w[i] = keep;
      return (up - down) / (2 * h);
    });
    expectClose(dx, fd, { rtol: 1e-3, atol: 1e-4 }, 'dx');
  });

  it('equals the expectation of the training output', () => {
    // One 2x2 window, many planes: the mean of the sampled outputs approaches the inference output.
    const geo: PoolGeo = { N: 1, C: 40000, H: 2, W: 2, kh: 2, kw: 2 };
    const vals = [0.5, 2, 0, 1.5];
    const x = Float32Array.from({ length: 4 * 40000 }, (_, i) => vals[i % 4]);
    const y = new Float32Array(40000), choice = new Int32Array(40000), ye = new Float32Array(40000);
    kernels.stochasticPool2dForwardTrain({ ...geo, x, y, choice, key: { seed: 2, stream: 3, step: 4 } });
    kernels.stochasticPool2dForwardEval({ ...geo, x, y: ye });
    const mean = y.reduce((s, v) => s + v, 0) / y.length;
    expect(ye[0]).toBeCloseTo((0.25 + 4 + 2.25) / 4, 6);
    expect(Math.abs(mean - ye[0])).toBeLessThan(0.02);
  });
});
