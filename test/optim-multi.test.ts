// optim_step_multi (one parallel region over every parameter buffer) against its reference, one
// optim_step per buffer: bit-identical on every ISA, for 1, 2 and 3 threads, for every kind and
// branch, with per-tensor hyper-parameters; the non-finite status over all tensors; bad input; and
// the Optimizer class, whose steps() emit it, against stepsPerTensor().
import { afterAll, describe, expect, it } from 'vitest';
import { Adam, Dense, getNumThreads, kernels, Sequential, SGD, setNumThreads, Tensor } from '../lib';
import { native } from '../lib/binding';
import type { OptimizerKind, OptimizerOptions } from '../lib/kernels/optim';
import { describeEachIsa, randomF32 } from './helpers/isa';
import { CONFIGS } from './helpers/optim-configs';

const { optimStep, optimHyper, createOptimState, OPTIM_HP } = kernels;


// Below, at and above the SIMD widths and the 32 Ki-element chunk, so tensors span several chunks
// and threads split inside one tensor and across tensors.
const SIZES = [1, 17, 32768 + 5, 3, 70000, 16];

interface Tensors {
  params: Float32Array[];
  grads: Float32Array[];
  states: (Float32Array | null)[][]; // [tensor][slot]
  hp: Float64Array; // 8 per tensor
}

function makeTensors(kind: OptimizerKind, options: OptimizerOptions, seed: number): Tensors {
  const hp = new Float64Array(8 * SIZES.length);
  const states: (Float32Array | null)[][] = [];
  SIZES.forEach((n, i) => {
    // Per-tensor L1/L2, as layers with different regularizers have.
    const own = optimHyper(kind, { ...options, weightDecay: (options.weightDecay ?? 0) * (i + 1), l1: i % 2 ? 0.003 : options.l1 });
    hp.set(own, 8 * i);
    states.push(createOptimState(kind, own, n).map((s, k) => (s ? randomF32(n, seed + 10 * i + k, 0.1, 1) : null)));
  });
  return {
    params: SIZES.map((n, i) => randomF32(n, seed + 100 + i, -1, 1)),
    grads: SIZES.map((n, i) => randomF32(n, seed + 200 + i, -1, 1)),
    states,
    hp,
  };
}

function copy(t: Tensors): Tensors {
  return { params: t.params.map((p) => p.slice()), grads: t.grads, states: t.states.map((s) => s.map((x) => (x ? x.slice() : null))), hp: t.hp.slice() };
}

function runMulti(kind: OptimizerKind, t: Tensors, status: Float32Array): void {
  const slot = (k: number) => t.states.map((s) => s[k]);
  native.ops.optim_step_multi(kind, t.params, t.grads, slot(0), slot(1), slot(2), t.hp, status);
}

function runPerTensor(kind: OptimizerKind, t: Tensors, status: Float32Array): number {
  let bad = 0;
  t.params.forEach((p, i) => {
    optimStep(kind, p, t.grads[i], t.states[i], t.hp.subarray(8 * i, 8 * i + 8), status);
    bad = Math.max(bad, status[0]);
  });
  return bad;
}

function bytesOf(t: Tensors): Buffer[] {
  const b = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  return [...t.params.map(b), ...t.states.flat().filter((s): s is Float32Array => s !== null).map(b)];
}

function setStep(t: Tensors, step: number): void {
  for (let i = 0; i < SIZES.length; i++) t.hp[8 * i + OPTIM_HP.t] = step;
}

describeEachIsa('optim_step_multi equals one optim_step per tensor', () => {
  const before = getNumThreads();
  afterAll(() => setNumThreads(before));
  CONFIGS.forEach((config, ci) => {
    it(`${config.kind} ${JSON.stringify(config.options)}`, () => {
      const start = makeTensors(config.kind, config.options, 1000 * ci);
      setNumThreads(1);
      const want = copy(start);
      for (let step = 1; step <= 3; step++) {
        setStep(want, step);
        expect(runPerTensor(config.kind, want, new Float32Array(1))).toBe(0);
      }
      for (const threads of [1, 2, 3]) {
        setNumThreads(threads);
        const got = copy(start);
        const status = new Float32Array([7]);
        for (let step = 1; step <= 3; step++) {
          setStep(got, step);
          runMulti(config.kind, got, status);
          expect(status[0]).toBe(0);
        }
        const w = bytesOf(want);
        bytesOf(got).forEach((buf, k) => expect(buf.equals(w[k]), `${threads} threads, buffer ${k}`).toBe(true));
      }
    });
  });
});

describe('optim_step_multi status and input checks', () => {
  const before = getNumThreads();
  afterAll(() => setNumThreads(before));
  const adam = (): Tensors => makeTensors('adam', { lr: 0.01 }, 5);

  it('status is 1 when any tensor has a non-finite gradient, else 0 (rewritten each run)', () => {
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      for (const [tensor, value] of [[0, Number.NaN], [4, Number.POSITIVE_INFINITY], [5, Number.NEGATIVE_INFINITY]] as const) {
        const t = adam();
        t.grads = t.grads.map((g) => g.slice());
        t.grads[tensor][t.grads[tensor].length - 1] = value;
        const status = new Float32Array(1);
        runMulti('adam', t, status);
        expect(status[0], `tensor ${tensor}`).toBe(1);
        const clean = adam();
        runMulti('adam', clean, status);
        expect(status[0]).toBe(0);
      }
    }
  });

  it('no tensors is a no-op', () => {
    const status = new Float32Array([3]);
    native.ops.optim_step_multi('sgd', [], [], [], [], [], new Float64Array(0), status);
    expect(status[0]).toBe(0);
  });

  it('rejects mismatched lists, short hp, bad tensors, naming the tensor', () => {
    const t = adam();
    const status = new Float32Array(1);
    const s = (k: number) => t.states.map((x) => x[k]);
    const call = (over: Partial<{ grads: unknown; s1: unknown; s2: unknown; hp: unknown; params: unknown }>) => () =>
      native.ops.optim_step_multi('adam', over.params ?? t.params, over.grads ?? t.grads, over.s1 ?? s(0), over.s2 ?? s(1), s(2), over.hp ?? t.hp, status);
    expect(call({ grads: t.grads.slice(1) })).toThrow(/optim_step_multi: argument 'grads' has 5 entries but 'params' has 6/);
    expect(call({ s2: s(1).slice(2) })).toThrow(/argument 's2' has 4 entries but 'params' has 6/);
    expect(call({ hp: t.hp.subarray(0, 40) })).toThrow(/argument 'hp' has 40 elements but needs 48: 8 per tensor/);
    const shortGrad = t.grads.slice();
    shortGrad[2] = new Float32Array(3);
    expect(call({ grads: shortGrad })).toThrow(/tensor 2: argument 'grads\[2\]' has 3 elements but 'params\[2\]' has 32773/);
    const noState = s(0).slice();
    noState[3] = null;
    expect(call({ s1: noState })).toThrow(/tensor 3: argument 's1' \(optimizer state\) is required/);
    const badHp = t.hp.slice();
    badHp[8 * 4 + OPTIM_HP.lr] = -1;
    expect(call({ hp: badHp })).toThrow(RangeError);
    expect(call({ hp: badHp })).toThrow(/tensor 4: Invalid learning rate: -1/);
    expect(call({ params: [t.params[0], [1, 2]] })).toThrow(TypeError);
    expect(call({ params: t.params[0] })).toThrow(/argument 'params' must be an Array of Float32Array/);
    expect(call({ s1: 5 })).toThrow(TypeError);
    expect(() => native.ops.optim_step_multi('lamb', [], [], [], [], [], new Float64Array(0), status)).toThrow(/unknown kind 'lamb'/);
  });

  it('re-checks every tensor\'s hyper-parameters when a compiled program runs', () => {
    const t = adam();
    const s = (k: number) => t.states.map((x) => x[k]);
    const status = new Float32Array(1);
    const program = new native.CompiledProgram([['optim_step_multi', 'adam', t.params, t.grads, s(0), s(1), s(2), t.hp, status]]);
    program.runSync();
    t.hp[8 * 5 + OPTIM_HP.lr] = -1;
    expect(() => program.runSync()).toThrow(/optim_step_multi: tensor 5: Invalid learning rate: -1/);
    t.hp[8 * 5 + OPTIM_HP.lr] = 0.01;
    t.hp[8 * 1 + OPTIM_HP.c] = 1; // amsgrad for tensor 1 needs an s3 the program does not have
    expect(() => program.runSync()).toThrow(/tensor 1: argument 's3' .* is required/);
  });
});

describe('Optimizer.steps() (one optim_step_multi) against stepsPerTensor()', () => {
  for (const [name, make] of [
    ['Adam', () => new Adam({ lr: 0.01 })],
    ['SGD momentum', () => new SGD({ lr: 0.05, momentum: 0.9 })],
  ] as const) {
    it(`${name}: one op, and the same weights after 3 training steps`, async () => {
      const train = async (perTensor: boolean) => {
        const m = new Sequential([new Dense({ units: 40, activation: 'relu', inputShape: [12] }), new Dense({ units: 3 })], { seed: 3 });
        const opt = make();
        if (perTensor) (opt as unknown as { steps: () => unknown }).steps = opt.stepsPerTensor.bind(opt);
        m.compile({ optimizer: opt, loss: 'sparseCategoricalCrossentropy' });
        const x = new Tensor(randomF32(16 * 12, 9, -1, 1), [16, 12]);
        const y = Int32Array.from({ length: 16 }, (_, i) => i % 3);
        for (let k = 0; k < 3; k++) await m.trainOnBatch(x, y);
        return { weights: m.layers.flatMap((l) => l.params().map((p) => Array.from(p.value))), steps: opt.steps() };
      };
      const multi = await train(false);
      const single = await train(true);
      expect(multi.steps.length).toBe(1);
      expect(multi.steps[0][0]).toBe('optim_step_multi');
      expect(single.steps.length).toBe(4);
      expect(multi.weights).toEqual(single.weights);
    });
  }
});
