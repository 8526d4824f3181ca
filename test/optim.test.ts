// Fused optimizer steps, clipping and the non-finite guard: PyTorch golden
// trajectories on every ISA, a float64 reference for the options the fixtures
// do not cover, SIMD paths against the scalar reference, thread-count
// independence, the NaN/Inf status, and bad input.
import { afterAll, describe, expect, it } from 'vitest';
import { getNumThreads, kernels, setMaxIsa, setNumThreads, backend } from '../lib';
import { native } from '../lib/binding';
import type { OptimizerKind, OptimizerOptions } from '../lib/kernels/optim';
import { expectClose, f32, GoldenCase, loadGolden, caseHandler } from './helpers/golden';
import { describeEachIsa, randomF32, rng, supportedIsas } from './helpers/isa';
import { CONFIGS } from './helpers/optim-configs';

const { optimStep, optimHyper, createOptimState, clipGradNorm, clipGradValue, checkFinite, sumSquares, OPTIM_HP } = kernels;

// ---------------------------------------------------------------------------
// Golden cases: each case is mapped to a kind + options from its attrs.

const TORCH_KINDS: Record<string, OptimizerKind> = {
  SGD: 'sgd',
  Adagrad: 'adagrad',
  RMSprop: 'rmsprop',
  Adam: 'adam',
  AdamW: 'adamw',
  Adamax: 'adamax',
  Adadelta: 'adadelta',
};

// torch hyper-parameter name -> how it sets our options; anything else fails the case.
const TORCH_HYPERPARAMS: Record<string, (o: OptimizerOptions, v: unknown) => void> = {
  lr: (o, v) => (o.lr = num(v, 'lr')),
  momentum: (o, v) => (o.momentum = num(v, 'momentum')),
  dampening: (o, v) => (o.dampening = num(v, 'dampening')),
  nesterov: (o, v) => (o.nesterov = bool(v, 'nesterov')),
  weight_decay: (o, v) => (o.weightDecay = num(v, 'weight_decay')),
  eps: (o, v) => (o.eps = num(v, 'eps')),
  lr_decay: (o, v) => (o.lrDecay = num(v, 'lr_decay')),
  initial_accumulator_value: (o, v) => (o.initialAccumulatorValue = num(v, 'initial_accumulator_value')),
  alpha: (o, v) => (o.alpha = num(v, 'alpha')),
  centered: (o, v) => (o.centered = bool(v, 'centered')),
  betas: (o, v) => {
    if (!Array.isArray(v) || v.length !== 2) throw new Error(`betas: expected two numbers, got ${JSON.stringify(v)}`);
    o.betas = [num(v[0], 'betas[0]'), num(v[1], 'betas[1]')];
  },
  amsgrad: (o, v) => (o.amsgrad = bool(v, 'amsgrad')),
  rho: (o, v) => (o.rho = num(v, 'rho')),
};

function num(v: unknown, name: string): number {
  if (typeof v !== 'number') throw new Error(`${name}: expected a number, got ${JSON.stringify(v)}`);
  return v;
}
function bool(v: unknown, name: string): boolean {
  if (typeof v !== 'boolean') throw new Error(`${name}: expected a boolean, got ${JSON.stringify(v)}`);
  return v;
}

// Documentation-only attrs (strings) and the ones the trajectory runner understands.
const DOC_ATTRS = new Set(['formula', 'note', 'applies_to']);
const TRAJECTORY_ATTRS = new Set(['optimizer', 'hyperparams', 'steps', 'l1', 'max_norm']);

function checkAttrs(c: GoldenCase, known: Set<string>): void {
  for (const key of Object.keys(c.attrs)) {
    if (!known.has(key) && !DOC_ATTRS.has(key)) throw new Error(`golden case '${c.name}': unrecognised attr '${key}'`);
  }
}

function slice(t: { shape: number[]; data: number[] }, step: number): Float32Array {
  const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return Float32Array.from(t.data.slice(step * per, (step + 1) * per));
}

function runTrajectory(c: GoldenCase): void {
  checkAttrs(c, TRAJECTORY_ATTRS);
  const kind = TORCH_KINDS[c.attrs.optimizer as string];
  if (!kind) throw new Error(`golden case '${c.name}': unrecognised optimizer '${String(c.attrs.optimizer)}'`);
  const options: OptimizerOptions = { l1: c.attrs.l1 === undefined ? 0 : num(c.attrs.l1, 'l1') };
  for (const [key, value] of Object.entries(c.attrs.hyperparams as Record<string, unknown>)) {
    const set = TORCH_HYPERPARAMS[key];
    if (!set) throw new Error(`golden case '${c.name}': unrecognised hyper-parameter '${key}'`);
    set(options, value);
  }
  // torch.optim.AdamW's default weight decay is 0.01, ours too; every other default is 0.
  const maxNorm = c.attrs.max_norm === undefined ? undefined : num(c.attrs.max_norm, 'max_norm');
  const steps = num(c.attrs.steps, 'steps');
  const hp = optimHyper(kind, options);
  const w = f32(c.inputs.w);
  const b = f32(c.inputs.b);
  const stateW = createOptimState(kind, hp, w.length);
  const stateB = createOptimState(kind, hp, b.length);
  const status = new Float32Array(1);
  const norm = new Float32Array(1);
  expect(c.expected.w_steps.shape[0]).toBe(steps);
  for (let t = 1; t <= steps; t++) {
    const gw = slice(c.inputs.grad_w, t - 1);
    const gb = slice(c.inputs.grad_b, t - 1);
    if (maxNorm !== undefined) clipGradNorm([gw, gb], maxNorm, norm);
    hp[OPTIM_HP.t] = t;
    optimStep(kind, w, gw, stateW, hp, status);
    expect(status[0], `${c.name} step ${t}: status`).toBe(0);
    optimStep(kind, b, gb, stateB, hp, status);
    expect(status[0], `${c.name} step ${t}: status`).toBe(0);
    expectClose(w, slice(c.expected.w_steps, t - 1), c.tolerance, `${c.name} w after step ${t}`);
    expectClose(b, slice(c.expected.b_steps, t - 1), c.tolerance, `${c.name} b after step ${t}`);
  }
}

const clipCase = caseHandler({
  clip_grad_norm: (c) => {
    checkAttrs(c, new Set(['max_norm', 'norm_type']));
    if (c.attrs.norm_type !== 2) throw new Error(`golden case '${c.name}': unsupported norm_type ${String(c.attrs.norm_type)}`);
    const gw = f32(c.inputs.grad_w);
    const gb = f32(c.inputs.grad_b);
    const norm = clipGradNorm([gw, gb], num(c.attrs.max_norm, 'max_norm'));
    expectClose([norm], c.expected.total_norm.data, c.tolerance, `${c.name} total_norm`);
    expectClose(gw, c.expected.grad_w.data, c.tolerance, `${c.name} grad_w`);
    expectClose(gb, c.expected.grad_b.data, c.tolerance, `${c.name} grad_b`);
  },
  clip_grad_value: (c) => {
    checkAttrs(c, new Set(['clip_value']));
    const gw = f32(c.inputs.grad_w);
    const gb = f32(c.inputs.grad_b);
    clipGradValue([gw, gb], num(c.attrs.clip_value, 'clip_value'));
    expectClose(gw, c.expected.grad_w.data, c.tolerance, `${c.name} grad_w`);
    expectClose(gb, c.expected.grad_b.data, c.tolerance, `${c.name} grad_b`);
  },
});

function runGoldenCase(c: GoldenCase): void {
  if (c.attrs.optimizer !== undefined) runTrajectory(c);
  else clipCase(c);
}

const golden = loadGolden('optimizers.json');

describeEachIsa('optimizers.json golden', () => {
  for (const c of golden.cases) {
    it(c.name, () => runGoldenCase(c));
  }
});

describe('golden case mapping', () => {
  it('fails on an unknown optimizer, hyper-parameter or op', () => {
    const base = golden.cases.find((c) => c.attrs.optimizer === 'SGD')!;
    expect(() => runGoldenCase({ ...base, attrs: { ...base.attrs, optimizer: 'LBFGS' } })).toThrow(/unrecognised optimizer/);
    expect(() =>
      runGoldenCase({ ...base, attrs: { ...base.attrs, hyperparams: { lr: 0.1, maximize: true } } }),
    ).toThrow(/unrecognised hyper-parameter 'maximize'/);
    expect(() => runGoldenCase({ ...base, attrs: { ...base.attrs, foo: 1 } })).toThrow(/unrecognised attr 'foo'/);
    const clip = golden.cases.find((c) => c.op === 'clip_grad_value')!;
    expect(() => runGoldenCase({ ...clip, op: 'clip_grad_norm_inf' })).toThrow(/unrecognised op/);
  });
});

// ---------------------------------------------------------------------------
// A float64 reference of every kind (torch.optim's formulas), for options the
// fixtures do not exercise: dampening, lr_decay, initial accumulator, combined
// rmsprop momentum + centered, weight decay with every kind, L1 with adamw.

interface RefState {
  s1: Float64Array;
  s2: Float64Array;
  s3: Float64Array;
}

function referenceStep(kind: OptimizerKind, o: Required<OptimizerOptions>, t: number, p: Float64Array, grad: Float32Array, s: RefState): void {
  const [b1, b2] = o.betas;
  for (let i = 0; i < p.length; i++) {
    if (kind === 'adamw') p[i] *= 1 - o.lr * o.weightDecay;
    let g = grad[i];
    if (kind !== 'adamw') g += o.weightDecay * p[i];
    g += o.l1 * Math.sign(p[i]);
    switch (kind) {
      case 'sgd': {
        if (o.momentum !== 0) {
          s.s1[i] = t === 1 ? g : s.s1[i] * o.momentum + (1 - o.dampening) * g;
          g = o.nesterov ? g + o.momentum * s.s1[i] : s.s1[i];
        }
        p[i] -= o.lr * g;
        break;
      }
      case 'adagrad': {
        const clr = o.lr / (1 + (t - 1) * o.lrDecay);
        s.s1[i] = (t === 1 ? o.initialAccumulatorValue : s.s1[i]) + g * g;
        p[i] -= (clr * g) / (Math.sqrt(s.s1[i]) + o.eps);
        break;
      }
      case 'rmsprop': {
        s.s1[i] = o.alpha * s.s1[i] + (1 - o.alpha) * g * g;
        let avg = s.s1[i];
        if (o.centered) {
          s.s3[i] = o.alpha * s.s3[i] + (1 - o.alpha) * g;
          avg -= s.s3[i] * s.s3[i];
        }
        const denom = Math.sqrt(avg) + o.eps;
        if (o.momentum > 0) {
          s.s2[i] = o.momentum * s.s2[i] + g / denom;
          p[i] -= o.lr * s.s2[i];
        } else {
          p[i] -= (o.lr * g) / denom;
        }
        break;
      }
      case 'adam':
      case 'adamw': {
        s.s1[i] = b1 * s.s1[i] + (1 - b1) * g;
        s.s2[i] = b2 * s.s2[i] + (1 - b2) * g * g;
        s.s3[i] = Math.max(s.s3[i], s.s2[i]);
        const v = o.amsgrad ? s.s3[i] : s.s2[i];
        p[i] -= ((o.lr / (1 - b1 ** t)) * s.s1[i]) / (Math.sqrt(v) / Math.sqrt(1 - b2 ** t) + o.eps);
        break;
      }
      case 'adamax': {
        s.s1[i] = b1 * s.s1[i] + (1 - b1) * g;
        s.s2[i] = Math.max(b2 * s.s2[i], Math.abs(g) + o.eps);
        p[i] -= ((o.lr / (1 - b1 ** t)) * s.s1[i]) / s.s2[i];
        break;
      }
      case 'adadelta': {
        s.s1[i] = o.rho * s.s1[i] + (1 - o.rho) * g * g;
        const delta = (Math.sqrt(s.s2[i] + o.eps) / Math.sqrt(s.s1[i] + o.eps)) * g;
        s.s2[i] = o.rho * s.s2[i] + (1 - o.rho) * delta * delta;
        p[i] -= o.lr * delta;
        break;
      }
    }
  }
}

function fullOptions(kind: OptimizerKind, o: OptimizerOptions): Required<OptimizerOptions> {
  const hp = optimHyper(kind, o);
  return {
    lr: hp[OPTIM_HP.lr],
    step: 1,
    weightDecay: hp[OPTIM_HP.weightDecay],
    l1: hp[OPTIM_HP.l1],
    momentum: o.momentum ?? 0,
    dampening: o.dampening ?? 0,
    nesterov: o.nesterov ?? false,
    lrDecay: o.lrDecay ?? 0,
    initialAccumulatorValue: o.initialAccumulatorValue ?? 0,
    alpha: o.alpha ?? 0.99,
    centered: o.centered ?? false,
    betas: o.betas ?? [0.9, 0.999],
    amsgrad: o.amsgrad ?? false,
    rho: o.rho ?? 0.9,
    eps: hp[OPTIM_HP.eps],
  };
}


function configName(c: { kind: OptimizerKind; options: OptimizerOptions }): string {
  return `${c.kind} ${JSON.stringify(c.options)}`;
}

describeEachIsa('optim_step against a float64 reference', () => {
  for (const config of CONFIGS) {
    it(configName(config), () => {
      const { kind, options } = config;
      const n = 37;
      const steps = 5;
      const o = fullOptions(kind, options);
      const hp = optimHyper(kind, options);
      const param = randomF32(n, 11, -1, 1);
      const state = createOptimState(kind, hp, n);
      // Stale state contents must be ignored at t = 1 (fresh state, as in torch).
      for (const s of state) s?.fill(123);
      const ref = Float64Array.from(param);
      const refState: RefState = { s1: new Float64Array(n), s2: new Float64Array(n), s3: new Float64Array(n) };
      const status = new Float32Array(1);
      for (let t = 1; t <= steps; t++) {
        const grad = randomF32(n, 100 + t, -1, 1);
        hp[OPTIM_HP.t] = t;
        optimStep(kind, param, grad, state, hp, status);
        referenceStep(kind, o, t, ref, grad, refState);
        expect(status[0]).toBe(0);
        expectClose(param, ref, { rtol: 1e-4, atol: 1e-5 }, `${configName(config)} step ${t}`);
      }
    });
  }
});

// ---------------------------------------------------------------------------
// Every SIMD path against the scalar reference, on sizes that hit the tails.

const TAIL_SIZES = [1, 7, 15, 16, 17, 33, 1000];
const SIMD_TOL = { rtol: 1e-6, atol: 1e-7 };

function withIsa<T>(isa: string, fn: () => T): T {
  const before = backend().isa;
  setMaxIsa(isa);
  try {
    return fn();
  } finally {
    setMaxIsa(before);
  }
}

// Random but consistent state (v >= gavg^2 so centered rmsprop stays real).
function randomState(kind: OptimizerKind, hp: Float64Array, n: number, seed: number) {
  const state = createOptimState(kind, hp, n);
  const ranges: [number, number][] =
    kind === 'sgd' || kind === 'rmsprop'
      ? [[-1, 1], [-1, 1], [-0.5, 0.5]]
      : kind === 'adam' || kind === 'adamw'
        ? [[-1, 1], [0.5, 1], [1, 1.5]]
        : [[0.1, 1], [0.1, 1], [0.1, 1]];
  if (kind === 'rmsprop') ranges[0] = [0.5, 1];
  if (kind === 'adamax') ranges[0] = [-1, 1];
  return state.map((s, k) => (s ? randomF32(n, seed + k, ranges[k][0], ranges[k][1]) : null));
}

for (const isa of supportedIsas.filter((x) => x !== 'scalar')) {
  describe(`${isa} against scalar`, () => {
    for (const config of CONFIGS) {
      for (const t of [1, 3]) {
        it(`${configName(config)} t=${t}`, () => {
          const { kind, options } = config;
          const hp = optimHyper(kind, { ...options, step: t });
          for (const n of TAIL_SIZES) {
            const param = randomF32(n, n, -1, 1);
            const grad = randomF32(n, n + 1, -1, 1);
            const state = randomState(kind, hp, n, n + 2);
            const run = (which: string) => {
              const p = param.slice();
              const s = state.map((x) => (x ? x.slice() : null));
              const status = new Float32Array([7]);
              withIsa(which, () => optimStep(kind, p, grad, s, hp, status));
              return { p, s, status: status[0] };
            };
            const want = run('scalar');
            const got = run(isa);
            expectClose(got.p, want.p, SIMD_TOL, `${isa} ${configName(config)} n=${n} param`);
            want.s.forEach((s, k) => {
              if (s) expectClose(got.s[k]!, s, SIMD_TOL, `${isa} ${configName(config)} n=${n} s${k + 1}`);
            });
            expect(got.status).toBe(0);
            expect(want.status).toBe(0);
          }
        });
      }
    }

    it('sum_squares, clip_grad_norm, clip_grad_value and check_finite', () => {
      for (const n of TAIL_SIZES) {
        const x = randomF32(n, 3 * n, -2, 2);
        let exact = 0;
        for (const v of x) exact += v * v;
        const want = withIsa('scalar', () => sumSquares([x])[0]);
        const got = withIsa(isa, () => sumSquares([x])[0]);
        expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-6 * want);
        expect(Math.abs(got - exact)).toBeLessThanOrEqual(1e-6 * exact);

        const clip = (which: string) => {
          const a = x.slice();
          const b = randomF32(5, n, -2, 2);
          const norm = withIsa(which, () => clipGradNorm([a, b], 0.5));
          return { a, b, norm };
        };
        const cs = clip('scalar');
        const cv = clip(isa);
        expect(Math.abs(cv.norm - cs.norm)).toBeLessThanOrEqual(1e-6 * cs.norm);
        expectClose(cv.a, cs.a, SIMD_TOL, `${isa} clip_grad_norm n=${n}`);
        expectClose(cv.b, cs.b, SIMD_TOL, `${isa} clip_grad_norm n=${n}`);

        const v = x.slice();
        withIsa(isa, () => clipGradValue([v], 0.7));
        expect(Array.from(v)).toEqual(Array.from(x, (e) => Math.fround(Math.min(0.7, Math.max(-0.7, e)))));

        for (const pos of [0, n - 1, n >> 1]) {
          const y = x.slice();
          y[pos] = Number.NaN;
          expect(Array.from(withIsa(isa, () => checkFinite([x, y])))).toEqual([0, 1]);
        }
      }
    });
  });
}

// ---------------------------------------------------------------------------
// Results do not depend on the thread count.

describe('thread-count independence on a 2048x2048 buffer', () => {
  const before = getNumThreads();
  afterAll(() => setNumThreads(before));
  const n = 2048 * 2048;

  function bytes(x: Float32Array): Buffer {
    return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  }

  it('optim_step (adam amsgrad, rmsprop centered), sum_squares and clip_grad_norm are bit-identical for 1 and 2 threads', () => {
    const param = randomF32(n, 1, -1, 1);
    const grad = randomF32(n, 2, -1, 1);
    const results: Buffer[][] = [];
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      const out: Buffer[] = [];
      for (const [kind, options] of [
        ['adam', { amsgrad: true, weightDecay: 0.01 }],
        ['rmsprop', { centered: true, momentum: 0.9 }],
      ] as [OptimizerKind, OptimizerOptions][]) {
        const p = param.slice();
        const hp = optimHyper(kind, options);
        const state = createOptimState(kind, hp, n);
        const status = new Float32Array(1);
        for (let t = 1; t <= 2; t++) {
          hp[OPTIM_HP.t] = t;
          optimStep(kind, p, grad, state, hp, status);
        }
        out.push(bytes(p), ...state.filter((s): s is Float32Array => s !== null).map(bytes));
      }
      out.push(bytes(sumSquares([grad, param])));
      const g = grad.slice();
      const norm = new Float32Array(1);
      clipGradNorm([g, param.slice()], 1.0, norm);
      out.push(bytes(norm), bytes(g));
      results.push(out);
    }
    expect(results[0].length).toBe(results[1].length);
    results[0].forEach((buf, i) => expect(buf.equals(results[1][i]), `result ${i}`).toBe(true));
  });
});

// ---------------------------------------------------------------------------
// The non-finite guard.

describeEachIsa('non-finite gradients', () => {
  for (const config of CONFIGS) {
    it(`${configName(config)}: status 1 on NaN, +Inf, -Inf; 0 otherwise`, () => {
      const { kind, options } = config;
      const hp = optimHyper(kind, options);
      for (const n of [1, 17, 1000, 70000]) {
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          for (const pos of [0, n - 1, Math.floor(n / 2)]) {
            const grad = randomF32(n, n, -1, 1);
            grad[pos] = bad;
            const status = new Float32Array(1);
            optimStep(kind, randomF32(n, 2, -1, 1), grad, createOptimState(kind, hp, n), hp, status);
            expect(status[0], `n=${n} ${bad} at ${pos}`).toBe(1);
          }
        }
        const status = new Float32Array([5]);
        optimStep(kind, randomF32(n, 2, -1, 1), randomF32(n, 3, -1e30, 1e30), createOptimState(kind, hp, n), hp, status);
        expect(status[0], `n=${n} finite`).toBe(0);
      }
    });
  }

  it('check_finite flags each buffer', () => {
    const ok = randomF32(100, 1);
    const nan = ok.slice();
    nan[99] = Number.NaN;
    const inf = ok.slice();
    inf[3] = Number.NEGATIVE_INFINITY;
    expect(Array.from(checkFinite([ok, nan, inf, new Float32Array(0)]))).toEqual([0, 1, 1, 0]);
  });

  it('clip_grad_value keeps NaN; clip_grad_norm of a NaN gradient is NaN', () => {
    const g = new Float32Array([Number.NaN, 2, -2, 0.1]);
    clipGradValue([g], 1);
    expect(Array.from(g)).toEqual([Number.NaN, 1, -1, Math.fround(0.1)]);
    const h = new Float32Array([Number.NaN, 2]);
    expect(clipGradNorm([h], 1)).toBeNaN();
  });
});

// ---------------------------------------------------------------------------
// Bad input.

describe('optim bad input', () => {
  const n = 4;
  const p = () => new Float32Array(n);
  const status = new Float32Array(1);
  function step(kind: string, options: OptimizerOptions, state: (Float32Array | null)[] | null = null, hpOverride?: (hp: Float64Array) => void) {
    const hp = optimHyper(kind as OptimizerKind, options);
    hpOverride?.(hp);
    const s = state ?? createOptimState(kind as OptimizerKind, hp, n);
    return () => optimStep(kind as OptimizerKind, p(), p(), s, hp, status);
  }

  const cases: [string, () => void, RegExp][] = [
    ['negative lr', step('sgd', { lr: -1 }), /Invalid learning rate: -1/],
    ['NaN lr', step('adam', { lr: Number.NaN }), /Invalid learning rate: NaN/],
    ['negative eps', step('adam', { eps: -1e-8 }), /Invalid epsilon value: -1e-8/],
    ['negative momentum', step('sgd', { momentum: -0.5 }), /Invalid momentum value: -0.5/],
    ['negative rmsprop momentum', step('rmsprop', { momentum: -0.1 }), /Invalid momentum value: -0.1/],
    ['beta1 = 1', step('adam', { betas: [1, 0.999] }), /Invalid beta parameter at index 0: 1/],
    ['beta2 < 0', step('adamax', { betas: [0.9, -0.1] }), /Invalid beta parameter at index 1: -0.1/],
    ['adamw beta2 = 1.5', step('adamw', { betas: [0.9, 1.5] }), /Invalid beta parameter at index 1: 1.5/],
    ['nesterov without momentum', step('sgd', { nesterov: true }), /Nesterov momentum requires a momentum and zero dampening/],
    ['nesterov with dampening', step('sgd', { nesterov: true, momentum: 0.9, dampening: 0.1 }), /Nesterov momentum requires/],
    ['rho > 1', step('adadelta', { rho: 1.5 }), /Invalid rho value: 1.5/],
    ['rho < 0', step('adadelta', { rho: -0.1 }), /Invalid rho value: -0.1/],
    ['negative alpha', step('rmsprop', { alpha: -0.5 }), /Invalid alpha value: -0.5/],
    ['negative weight_decay', step('adam', { weightDecay: -0.01 }), /Invalid weight_decay value: -0.01/],
    ['negative l1', step('sgd', { l1: -0.01 }), /Invalid l1 value: -0.01/],
    ['negative lr_decay', step('adagrad', { lrDecay: -1 }), /Invalid lr_decay value: -1/],
    ['t = 0', step('adam', {}, null, (hp) => (hp[OPTIM_HP.t] = 0)), /Invalid step t: 0/],
    ['t = 1.5', step('adam', {}, null, (hp) => (hp[OPTIM_HP.t] = 1.5)), /Invalid step t: 1.5/],
    ['missing s1 (sgd momentum)', step('sgd', { momentum: 0.9 }, [null, null, null]), /argument 's1' .* is required/],
    ['missing s2 (adam)', step('adam', {}, [p(), null, null]), /argument 's2' .* is required/],
    ['missing s3 (amsgrad)', step('adam', { amsgrad: true }, [p(), p(), null]), /argument 's3' .* is required/],
    ['missing s3 (centered)', step('rmsprop', { centered: true }, [p(), null, null]), /argument 's3' .* is required/],
    ['short s1', step('adagrad', {}, [new Float32Array(n - 1), null, null]), /argument 's1' .* has 3 elements but the parameter has 4/],
    ['long s2', step('adadelta', {}, [p(), new Float32Array(n + 1), null]), /argument 's2' .* has 5 elements/],
  ];
  for (const [title, fn, message] of cases) {
    it(title, () => {
      expect(fn).toThrow(RangeError);
      expect(fn).toThrow(message);
      expect(fn).toThrow(/^optim_step: /);
    });
  }

  it('grad/param length mismatch, short hp, empty status, unknown kind', () => {
    const hp = optimHyper('sgd', { lr: 0.1 });
    expect(() => optimStep('sgd', p(), new Float32Array(n + 1), [], hp, status)).toThrow(
      /optim_step: argument 'grad' has 5 elements but 'param' has 4/,
    );
    expect(() => optimStep('sgd', p(), p(), [], new Float64Array(7), status)).toThrow(/argument 'hp' has 7 elements but needs 8/);
    expect(() => optimStep('sgd', p(), p(), [], hp, new Float32Array(0))).toThrow(/argument 'status' is empty/);
    expect(() => optimStep('lamb' as OptimizerKind, p(), p(), [], hp, status)).toThrow(RangeError);
    expect(() => optimStep('lamb' as OptimizerKind, p(), p(), [], hp, status)).toThrow(/unknown optimizer kind "lamb"/);
    // The native check, without the TypeScript layer.
    expect(() => native.ops.optim_step('lamb', p(), p(), null, null, null, hp, status)).toThrow(/optim_step: unknown kind 'lamb'/);
    expect(() => native.ops.optim_step('sgd', p(), [1, 2, 3, 4], null, null, null, hp, status)).toThrow(TypeError);
    expect(() => optimStep('sgd', p(), p(), [], new Float32Array(8) as unknown as Float64Array, status)).toThrow(TypeError);
  });

  it('re-checks hyper-parameters changed after a program was compiled', () => {
    const hp = optimHyper('adam', { lr: 0.01 });
    const param = p();
    const program = new native.CompiledProgram([['optim_step', 'adam', param, p(), p(), p(), null, hp, status]]);
    program.runSync();
    hp[OPTIM_HP.lr] = -1;
    expect(() => program.runSync()).toThrow(/optim_step: Invalid learning rate: -1/);
    hp[OPTIM_HP.lr] = 0.01;
    hp[OPTIM_HP.c] = 1; // amsgrad now needs s3, which the program does not have
    expect(() => program.runSync()).toThrow(/argument 's3' .* is required/);
  });

  it('clip and check ops reject bad arguments', () => {
    expect(() => clipGradNorm([p()], -1)).toThrow(/clip_grad_norm: argument 'maxNorm' must be >= 0/);
    expect(() => clipGradNorm([p()], 1, new Float32Array(0))).toThrow(/argument 'out' is empty/);
    expect(() => clipGradNorm([p(), [1] as unknown as Float32Array], 1)).toThrow(TypeError);
    expect(() => clipGradValue([p()], -0.5)).toThrow(/clip_grad_value: argument 'clipValue' must be >= 0/);
    expect(() => clipGradValue([p()], Number.NaN)).toThrow(RangeError);
    expect(() => checkFinite([p(), p()], new Float32Array(1))).toThrow(/check_finite: argument 'flags' has 1 elements but there are 2 buffers/);
    expect(() => sumSquares([p(), p()], new Float32Array(1))).toThrow(/sum_squares: argument 'out' has 1 elements/);
  });
});

describe('sum_squares', () => {
  it('matches a float64 sum for every buffer', () => {
    const r = rng(5);
    const buffers = [1, 31, 4096, 100000].map((n) => Float32Array.from({ length: n }, () => r() * 4 - 2));
    const out = sumSquares(buffers);
    buffers.forEach((b, i) => {
      let s = 0;
      for (const v of b) s += v * v;
      expect(Math.abs(out[i] - s)).toBeLessThanOrEqual(1e-6 * s);
    });
  });
});
