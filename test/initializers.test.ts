import { describe, expect, it } from 'vitest';
import { Random } from '../lib/random';
import {
  Constant,
  GlorotNormal,
  GlorotUniform,
  HeNormal,
  HeUniform,
  LecunNormal,
  LecunUniform,
  Ones,
  RandomNormal,
  RandomUniform,
  TruncatedNormal,
  Zeros,
  computeFans,
  getInitializer,
  initializerFromConfig,
  initializerNames,
  type Initializer,
} from '../lib/initializers';

function stats(x: ArrayLike<number>): { mean: number; std: number; min: number; max: number } {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    sum += x[i];
    min = Math.min(min, x[i]);
    max = Math.max(max, x[i]);
  }
  const mean = sum / x.length;
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += (x[i] - mean) ** 2;
  return { mean, std: Math.sqrt(ss / x.length), min, max };
}

function fractionWithin(x: ArrayLike<number>, mean: number, halfWidth: number): number {
  let n = 0;
  for (let i = 0; i < x.length; i++) if (Math.abs(x[i] - mean) <= halfWidth) n++;
  return n / x.length;
}

describe('Random', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = new Random(42);
    const b = new Random(42);
    const c = new Random(43);
    const seqA = Array.from({ length: 100 }, () => a.nextUint32());
    const seqB = Array.from({ length: 100 }, () => b.nextUint32());
    const seqC = Array.from({ length: 100 }, () => c.nextUint32());
    expect(seqA).toEqual(seqB);
    expect(seqA.filter((v, i) => v === seqC[i]).length).toBeLessThan(3);
    expect(new Random('run-1').uniform()).toBe(new Random('run-1').uniform());
    expect(new Random(2 ** 40 + 1).uniform()).not.toBe(new Random(1).uniform());
  });

  it('fork depends on the seed and the label, not on the position of the parent', () => {
    const parent = new Random(7);
    const before = parent.fork('init').uniform();
    for (let i = 0; i < 1000; i++) parent.uniform();
    expect(parent.fork('init').uniform()).toBe(before);
    expect(parent.fork('shuffle').uniform()).not.toBe(before);
    expect(new Random(8).fork('init').uniform()).not.toBe(before);
    // Fork streams are not the parent's stream.
    const p = new Random(7);
    const f = p.fork('x');
    expect(Array.from({ length: 8 }, () => f.nextUint32())).not.toEqual(Array.from({ length: 8 }, () => p.nextUint32()));
  });

  it('uniform and normal have the right moments', () => {
    const r = new Random(1);
    const n = 200_000;
    const u = Float64Array.from({ length: n }, () => r.uniform());
    const su = stats(u);
    expect(su.min).toBeGreaterThanOrEqual(0);
    expect(su.max).toBeLessThan(1);
    expect(Math.abs(su.mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(su.std - Math.sqrt(1 / 12))).toBeLessThan(0.003);
    const z = Float64Array.from({ length: n }, () => r.normal());
    const sz = stats(z);
    expect(Math.abs(sz.mean)).toBeLessThan(0.01);
    expect(Math.abs(sz.std - 1)).toBeLessThan(0.01);
    expect(Math.abs(fractionWithin(z, 0, 1) - 0.682689)).toBeLessThan(0.005);
    expect(Math.abs(fractionWithin(z, 0, 2) - 0.954500)).toBeLessThan(0.003);
  });

  it('int(n) covers [0, n) evenly; shuffle/permutation give permutations', () => {
    const r = new Random(3);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[r.int(7)]++;
    // Chi-square with 6 degrees of freedom: 99.99th percentile is about 27.9.
    const chi2 = counts.reduce((s, c) => s + (c - 10_000) ** 2 / 10_000, 0);
    expect(chi2).toBeLessThan(27.9);
    expect(r.int(1)).toBe(0);
    const big = r.int(2 ** 32);
    expect(big).toBeGreaterThanOrEqual(0);
    expect(big).toBeLessThan(2 ** 32);
    const p = r.permutation(1000);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(p.subarray(0, 20))).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
    const arr = Int32Array.from([5, 6, 7, 8]);
    expect(Array.from(r.shuffle(arr)).sort()).toEqual([5, 6, 7, 8]);
  });

  it('shuffle puts each element in each position equally often', () => {
    const r = new Random(11);
    const counts = Array.from({ length: 4 }, () => new Array(4).fill(0));
    for (let t = 0; t < 40_000; t++) {
      const p = r.permutation(4);
      for (let i = 0; i < 4; i++) counts[i][p[i]]++;
    }
    for (const row of counts) for (const c of row) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });

  it('getState/fromState resumes exactly, including a pending normal', () => {
    const r = new Random(5);
    r.normal(); // leaves the second Box-Muller value pending
    const saved = JSON.parse(JSON.stringify(r.getState()));
    const expected = [r.normal(), r.uniform(), r.int(100), r.normal()];
    const resumed = Random.fromState(saved);
    expect([resumed.normal(), resumed.uniform(), resumed.int(100), resumed.normal()]).toEqual(expected);
    expect(resumed.fork('a').uniform()).toBe(new Random(5).fork('a').uniform());
  });

  it('rejects bad arguments', () => {
    expect(() => new Random(-1)).toThrow(RangeError);
    expect(() => new Random(1.5)).toThrow(/seed/);
    expect(() => new Random(2 ** 53)).toThrow(RangeError);
    expect(() => new Random(1).int(0)).toThrow(/Random.int: n/);
    expect(() => new Random(1).int(2 ** 32 + 1)).toThrow(RangeError);
    expect(() => new Random(1).permutation(-1)).toThrow(RangeError);
    expect(() => Random.fromState({ key: [0, 0], state: [0, 0, 0, 0], spareNormal: null })).toThrow(/all-zero/);
    expect(() => Random.fromState({ key: [0, 0], state: [1, 2, 3], spareNormal: null } as never)).toThrow(TypeError);
  });
});

describe('initializers', () => {
  it('computes fans like Keras (channels last)', () => {
    expect(computeFans([30, 20])).toEqual({ fanIn: 30, fanOut: 20 });
    expect(computeFans([3, 3, 16, 32])).toEqual({ fanIn: 144, fanOut: 288 });
    expect(computeFans([7])).toEqual({ fanIn: 7, fanOut: 7 });
    expect(computeFans([])).toEqual({ fanIn: 1, fanOut: 1 });
  });

  const shape = [400, 300]; // 120 000 values: sample std within ~0.2 % of the truth
  const fanIn = 400;
  const fanOut = 300;
  const normals: [string, Initializer, number][] = [
    ['HeNormal', new HeNormal(), Math.sqrt(2 / fanIn)],
    ['GlorotNormal', new GlorotNormal(), Math.sqrt(2 / (fanIn + fanOut))],
    ['LecunNormal', new LecunNormal(), Math.sqrt(1 / fanIn)],
    ['RandomNormal', new RandomNormal({ mean: 0.5, stddev: 0.2 }), 0.2],
  ];
  for (const [name, init, std] of normals) {
    it(`${name}: std ${std.toPrecision(4)}, not truncated`, () => {
      const w = init.init(shape, new Random(name));
      expect(w).toBeInstanceOf(Float32Array);
      expect(w.length).toBe(fanIn * fanOut);
      const mean = name === 'RandomNormal' ? 0.5 : 0;
      const s = stats(w);
      expect(Math.abs(s.mean - mean)).toBeLessThan((4 * std) / Math.sqrt(w.length));
      expect(Math.abs(s.std / std - 1)).toBeLessThan(0.01);
      // A full normal: about 4.55 % of the values lie beyond 2 std (0 if truncated).
      expect(Math.abs(1 - fractionWithin(w, mean, 2 * std) - 0.0455)).toBeLessThan(0.003);
    });
  }

  const uniforms: [string, Initializer, number][] = [
    ['HeUniform', new HeUniform(), Math.sqrt(6 / fanIn)],
    ['GlorotUniform', new GlorotUniform(), Math.sqrt(6 / (fanIn + fanOut))],
    ['LecunUniform', new LecunUniform(), Math.sqrt(3 / fanIn)],
  ];
  for (const [name, init, limit] of uniforms) {
    it(`${name}: uniform in [-${limit.toPrecision(4)}, ${limit.toPrecision(4)}]`, () => {
      const w = init.init(shape, new Random(name));
      const s = stats(w);
      expect(s.min).toBeGreaterThanOrEqual(-limit);
      expect(s.max).toBeLessThanOrEqual(limit);
      expect(s.min).toBeLessThan(-0.999 * limit);
      expect(s.max).toBeGreaterThan(0.999 * limit);
      expect(Math.abs(s.mean)).toBeLessThan((4 * limit) / Math.sqrt(3 * w.length));
      expect(Math.abs(s.std / (limit / Math.sqrt(3)) - 1)).toBeLessThan(0.01);
    });
  }

  it('RandomUniform respects min/max; TruncatedNormal stays within 2 std', () => {
    const u = new RandomUniform({ min: 2, max: 3 }).init([50_000], new Random(1));
    const su = stats(u);
    expect(su.min).toBeGreaterThanOrEqual(2);
    expect(su.max).toBeLessThanOrEqual(3);
    expect(Math.abs(su.mean - 2.5)).toBeLessThan(0.01);
    const t = new TruncatedNormal({ mean: 1, stddev: 0.1 }).init([100_000], new Random(2));
    const st = stats(t);
    expect(st.min).toBeGreaterThanOrEqual(1 - 0.2 - 1e-6);
    expect(st.max).toBeLessThanOrEqual(1 + 0.2 + 1e-6);
    // std of a normal truncated at ±2 sigma: 0.87962566 sigma.
    expect(Math.abs(st.std / (0.1 * 0.87962566) - 1)).toBeLessThan(0.01);
  });

  it('constant initializers', () => {
    expect(Array.from(new Zeros().init([2, 2], new Random(0)))).toEqual([0, 0, 0, 0]);
    expect(Array.from(new Ones().init([3], new Random(0)))).toEqual([1, 1, 1]);
    expect(Array.from(new Constant({ value: 0.25 }).init([2], new Random(0)))).toEqual([0.25, 0.25]);
    expect(new Zeros().init([0, 5], new Random(0)).length).toBe(0);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const a = new HeNormal().init([20, 10], new Random(9).fork('dense_1'));
    const b = new HeNormal().init([20, 10], new Random(9).fork('dense_1'));
    const c = new HeNormal().init([20, 10], new Random(9).fork('dense_2'));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    const out = new Float32Array(200);
    new HeNormal().fill(out, [20, 10], new Random(9).fork('dense_1'));
    expect(Array.from(out)).toEqual(Array.from(a));
  });

  it('resolves names in any case style and round-trips configs', () => {
    for (const name of ['heNormal', 'he_normal', 'HeNormal', 'kaiming_normal']) expect(getInitializer(name).className).toBe('HeNormal');
    expect(getInitializer('glorot_uniform').className).toBe('GlorotUniform');
    expect(getInitializer('smallGaussian').className).toBe('RandomNormal');
    expect(getInitializer('lecun_normal').className).toBe('LecunNormal');
    for (const name of initializerNames()) {
      const init = getInitializer(name);
      const saved = JSON.parse(JSON.stringify(init.getConfig()));
      const restored = initializerFromConfig(saved);
      expect(restored.className).toBe(init.className);
      expect(Array.from(restored.init([6, 5], new Random(4)))).toEqual(Array.from(init.init([6, 5], new Random(4))));
    }
    const custom = initializerFromConfig({ className: 'random_normal', config: { mean: 3, stddev: 0.5 } });
    expect(custom.getConfig()).toEqual({ className: 'RandomNormal', config: { mean: 3, stddev: 0.5 } });
    const inst = new HeUniform();
    expect(getInitializer(inst)).toBe(inst);
    const own: Initializer = {
      className: 'Mine',
      init: (shape) => new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(7),
      fill: (out) => out.fill(7),
      getConfig: () => ({ className: 'Mine', config: {} }),
    };
    expect(getInitializer(own)).toBe(own);
  });

  it('rejects bad options with a RangeError/TypeError naming the option', () => {
    expect(() => new RandomNormal({ stddev: -1 })).toThrow(RangeError);
    expect(() => new RandomNormal({ stddev: -1 })).toThrow(/'stddev'/);
    expect(() => new TruncatedNormal({ stddev: -0.1 })).toThrow(/'stddev'/);
    expect(() => new RandomUniform({ min: 1, max: 0 })).toThrow(RangeError);
    expect(() => new RandomUniform({ min: 1, max: 0 })).toThrow(/'min' \(1\) must be <= option 'max' \(0\)/);
    expect(() => new RandomNormal({ mean: NaN })).toThrow(/'mean'/);
    expect(() => new Constant({ value: Infinity })).toThrow(/'value'/);
    expect(() => new RandomNormal({ std: 1 } as never)).toThrow(/unknown option 'std'/);
    expect(() => initializerFromConfig({ className: 'RandomUniform', config: { min: 5, max: -5 } })).toThrow(RangeError);
    expect(() => getInitializer('orthogonal')).toThrow(/unknown initializer 'orthogonal'/);
    expect(() => getInitializer(42 as never)).toThrow(TypeError);
    expect(() => new HeNormal().init([2, -1], new Random(0))).toThrow(RangeError);
    expect(() => new HeNormal().init([2, 1.5], new Random(0))).toThrow(RangeError);
    expect(() => new HeNormal().fill(new Float32Array(3), [2, 2], new Random(0))).toThrow(/out has 3 elements/);
    expect(() => new HeNormal().init([2, 2], Math.random as never)).toThrow(/rng must be a Random/);
  });
});
