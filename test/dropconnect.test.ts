// DropConnect (Wan et al. 2013): the masked GEMMs against an independent
// JavaScript Philox4x32-10 mask (the documented layout of native/kernels/
// dropout.h applied to weight index i*out + j), per ISA and for 1 and 2
// threads, against the scalar reference, gradients by finite differences,
// inference with the expected weights, the Dense option in training, and
// argument validation.
import { afterAll, describe, expect, it } from 'vitest';
import { backend, Dense, getNumThreads, kernels, loadModel, Sequential, setMaxIsa, setNumThreads, SGD } from '../lib';
import { native } from '../lib/binding';
import { describeEachIsa, randomF32 } from './helpers/isa';
import { blobs } from './helpers/data';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ops = native.ops as Record<string, (...args: unknown[]) => void>;
const threadsBefore = getNumThreads();
afterAll(() => setNumThreads(threadsBefore));

// ---------------------------------------------------------------------------
// reference Philox4x32-10 (Salmon et al., SC'11), BigInt products

function philox(counter: readonly number[], key0: number, key1: number): number[] {
  let [c0, c1, c2, c3] = counter.map((v) => v >>> 0);
  let k0 = key0 >>> 0;
  let k1 = key1 >>> 0;
  const mul = (m: number, a: number): [number, number] => {
    const p = BigInt(m) * BigInt(a >>> 0);
    return [Number(p >> 32n), Number(p & 0xffffffffn)];
  };
  for (let round = 0; round < 10; round++) {
    const [hi0, lo0] = mul(0xd2511f53, c0);
    const [hi1, lo1] = mul(0xcd9e8d57, c2);
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + 0x9e3779b9) >>> 0;
    k1 = (k1 + 0xbb67ae85) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/** Keep bit of weight f = i*out + j (dropout.h's layout over the flat kernel). */
function referenceMask(n: number, p: number, seed: number, stream: number, step: number): Uint8Array {
  const threshold = Math.floor(p * 2 ** 32);
  const mask = new Uint8Array(n);
  for (let tile = 0; tile * 64 < n; tile++) {
    for (let j = 0; j < 16; j++) {
      const block = tile * 16 + j;
      const words = philox([block % 2 ** 32, Math.floor(block / 2 ** 32), step % 2 ** 32, Math.floor(step / 2 ** 32)], seed, stream);
      for (let w = 0; w < 4; w++) {
        const i = tile * 64 + 16 * w + j;
        if (i < n) mask[i] = words[w] >= threshold ? 1 : 0;
      }
    }
  }
  return mask;
}

/** W' = mask * w * (float)(1/(1-p)), each product rounded to float32 as the kernels do. */
function maskedWeights(w: Float32Array, mask: Uint8Array, p: number): Float32Array {
  const scale = Math.fround(1 / (1 - p));
  return Float32Array.from(w, (v, i) => (mask[i] ? Math.fround(v * scale) : 0));
}

function identity(n: number): Float32Array {
  const e = new Float32Array(n * n);
  for (let i = 0; i < n; i++) e[i * n + i] = 1;
  return e;
}

/** Plain double-precision x[rows,in] * w[in,out] (+ bias). */
function matmul(x: Float32Array, w: ArrayLike<number>, rows: number, inF: number, outF: number, bias?: Float32Array): Float64Array {
  const y = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      let s = bias ? bias[o] : 0;
      for (let k = 0; k < inF; k++) s += x[r * inF + k] * w[k * outF + o];
      y[r * outF + o] = s;
    }
  }
  return y;
}

function countMismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let bad = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) bad++;
  return bad;
}

function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  return e;
}

// Shapes that reach every path of the driver: the masked copy (small, narrow
// output), and the fused packing (blocked) with edge tiles, K blocks (in > kc)
// and rows that do not start on a Philox tile (out not a multiple of 64).
const SHAPES: [number, number, number][] = [
  [3, 5, 7], // small
  [64, 300, 10], // narrow output
  [40, 70, 50], // blocked, edge tiles everywhere
  [130, 600, 200], // blocked, two K blocks on every ISA, two M blocks on some
  [17, 64, 257], // blocked, out = 4*64 + 1
];

describeEachIsa('dropconnect masks', () => {
  const key = { seed: 1234, stream: 3, step: 77 };

  it('forward with x = I gives exactly the reference masked weights (every path)', () => {
    for (const [, inF, outF] of SHAPES) {
      for (const p of [0.5, 0.2]) {
        const w = randomF32(inF * outF, inF + outF);
        const want = maskedWeights(w, referenceMask(inF * outF, p, key.seed, key.stream, key.step), p);
        const y = new Float32Array(inF * outF);
        kernels.dropConnectForward(identity(inF), w, null, y, inF, inF, outF, 'none', p, key);
        expect(countMismatches(y, want), `${inF}x${outF} p=${p}`).toBe(0);
      }
    }
  });

  it('input gradient with dy = I gives the transposed masked weights', () => {
    for (const [, inF, outF] of SHAPES) {
      const p = 0.4;
      const w = randomF32(inF * outF, 2 * inF + outF);
      const wm = maskedWeights(w, referenceMask(inF * outF, p, key.seed, key.stream, key.step), p);
      const dx = new Float32Array(outF * inF);
      kernels.dropConnectBackwardInput(identity(outF), w, dx, outF, inF, outF, p, key);
      const want = new Float32Array(outF * inF);
      for (let i = 0; i < inF; i++) for (let o = 0; o < outF; o++) want[o * inF + i] = wm[i * outF + o];
      expect(countMismatches(dx, want), `${inF}x${outF}`).toBe(0);
    }
  });

  it('weight gradient with x = I is the masked, scaled dy', () => {
    for (const [, inF, outF] of SHAPES) {
      const p = 0.3;
      const dy = randomF32(inF * outF, 5 + inF);
      const want = maskedWeights(dy, referenceMask(inF * outF, p, key.seed, key.stream, key.step), p);
      const dw = new Float32Array(inF * outF);
      kernels.dropConnectBackwardWeight(identity(inF), dy, dw, inF, inF, outF, p, key);
      expect(countMismatches(dw, want), `${inF}x${outF}`).toBe(0);
    }
  });

  it('equals linear_forward / gemm on the dropout-masked kernel bit for bit, for 1 and 2 threads', () => {
    for (const [rows, inF, outF] of SHAPES) {
      const x = randomF32(rows * inF, 1), w = randomF32(inF * outF, 2), b = randomF32(outF, 3), dy = randomF32(rows * outF, 4);
      const p = 0.5;
      const wm = new Float32Array(inF * outF);
      kernels.dropoutForward(w, wm, inF * outF, p, key.seed, key.stream, key.step);
      const results: Float32Array[][] = [];
      for (const threads of [1, 2]) {
        setNumThreads(threads);
        const y = new Float32Array(rows * outF), dx = new Float32Array(rows * inF), dw = new Float32Array(inF * outF);
        kernels.dropConnectForward(x, w, b, y, rows, inF, outF, 'relu', p, key);
        kernels.dropConnectBackwardInput(dy, w, dx, rows, inF, outF, p, key);
        kernels.dropConnectBackwardWeight(x, dy, dw, rows, inF, outF, p, key);
        results.push([y, dx, dw]);
      }
      setNumThreads(threadsBefore);
      const yRef = new Float32Array(rows * outF), dxRef = new Float32Array(rows * inF), dwRef = new Float32Array(inF * outF);
      kernels.linearForward(x, wm, b, yRef, rows, inF, outF, 'relu');
      kernels.gemm(false, true, rows, inF, outF, 1, dy, outF, wm, outF, 0, dxRef, inF);
      kernels.gemm(true, false, inF, outF, rows, 1, x, inF, dy, outF, 0, dwRef, outF);
      kernels.dropoutForward(dwRef, dwRef, inF * outF, p, key.seed, key.stream, key.step);
      for (const [t, [y, dx, dw]] of results.entries()) {
        const what = `${rows}x${inF}x${outF}, ${t + 1} thread(s)`;
        expect(countMismatches(y, yRef), `y ${what}`).toBe(0);
        expect(countMismatches(dx, dxRef), `dx ${what}`).toBe(0);
        expect(countMismatches(dw, dwRef), `dw ${what}`).toBe(0);
      }
    }
  });

  it('matches the scalar reference and a double-precision product within float32 rounding', () => {
    const isa = backend().isa;
    for (const [rows, inF, outF] of SHAPES) {
      const x = randomF32(rows * inF, 6), w = randomF32(inF * outF, 7), b = randomF32(outF, 8);
      const p = 0.5;
      const run = (): Float32Array => {
        const y = new Float32Array(rows * outF);
        kernels.dropConnectForward(x, w, b, y, rows, inF, outF, 'none', p, key);
        return y;
      };
      const here = run();
      setMaxIsa('scalar');
      const scalar = run();
      setMaxIsa(isa);
      const exact = matmul(x, maskedWeights(w, referenceMask(inF * outF, p, key.seed, key.stream, key.step), p), rows, inF, outF, b);
      expect(maxRelErr(scalar, exact)).toBeLessThan(1e-5 * Math.sqrt(inF));
      expect(maxRelErr(here, exact)).toBeLessThan(1e-5 * Math.sqrt(inF));
      expect(maxRelErr(here, scalar)).toBeLessThan(1e-5 * Math.sqrt(inF));
    }
  });

  it('a new step, stream or seed gives a new mask; p = 0 is the plain linear map', () => {
    const [inF, outF] = [70, 50];
    const w = randomF32(inF * outF, 9);
    const masked = (k: { seed: number; stream: number; step: number }, p = 0.5): Float32Array => {
      const y = new Float32Array(inF * outF);
      kernels.dropConnectForward(identity(inF), w, null, y, inF, inF, outF, 'none', p, k);
      return y;
    };
    const base = masked(key);
    expect(countMismatches(masked(key), base)).toBe(0);
    for (const other of [{ ...key, step: 78 }, { ...key, stream: 4 }, { ...key, seed: 1235 }]) {
      expect(countMismatches(masked(other), base)).toBeGreaterThan(inF * outF * 0.3);
    }
    expect(countMismatches(masked(key, 0), w)).toBe(0);
  });
});

describe('dropconnect statistics and gradients', () => {
  it('keeps a fraction of weights within 5 sigma of 1 - p', () => {
    const [inF, outF] = [300, 200];
    for (const p of [0.1, 0.5, 0.9]) {
      const y = new Float32Array(inF * outF);
      kernels.dropConnectForward(identity(inF), new Float32Array(inF * outF).fill(1), null, y, inF, inF, outF, 'none', p, { seed: 5, stream: 0, step: 1 });
      const n = inF * outF;
      const kept = y.reduce((s, v) => s + (v !== 0 ? 1 : 0), 0);
      expect(Math.abs(kept - n * (1 - p))).toBeLessThan(5 * Math.sqrt(n * p * (1 - p)));
    }
  });

  it('the mean over many training masks is the inference output x W + b (expected weights)', () => {
    const [rows, inF, outF, steps, p] = [4, 64, 16, 400, 0.5];
    const x = randomF32(rows * inF, 11), w = randomF32(inF * outF, 12), b = randomF32(outF, 13);
    const mean = new Float64Array(rows * outF);
    const y = new Float32Array(rows * outF);
    for (let s = 0; s < steps; s++) {
      kernels.dropConnectForward(x, w, b, y, rows, inF, outF, 'none', p, { seed: 21, stream: 1, step: s });
      for (let i = 0; i < y.length; i++) mean[i] += y[i] / steps;
    }
    const expected = matmul(x, w, rows, inF, outF, b);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < outF; o++) {
        // Var of one output: sum_k x_k^2 w_ko^2 p/(1-p) (inverted Bernoulli weights).
        let v = 0;
        for (let k = 0; k < inF; k++) v += (x[r * inF + k] * w[k * outF + o]) ** 2 * (p / (1 - p));
        expect(Math.abs(mean[r * outF + o] - expected[r * outF + o])).toBeLessThan(5 * Math.sqrt(v / steps));
      }
    }
  });

  it('backward matches central finite differences of sum(c * forward) (small and blocked paths)', () => {
    for (const [rows, inF, outF] of [[3, 5, 7], [40, 70, 50]] as [number, number, number][]) {
      const key = { seed: 8, stream: 2, step: 5 };
      const p = 0.5;
      const x = randomF32(rows * inF, 31), w = randomF32(inF * outF, 32), c = randomF32(rows * outF, 33);
      const loss = (xx: Float32Array, ww: Float32Array): number => {
        const y = new Float32Array(rows * outF);
        kernels.dropConnectForward(xx, ww, null, y, rows, inF, outF, 'none', p, key);
        let s = 0;
        for (let i = 0; i < y.length; i++) s += c[i] * y[i];
        return s;
      };
      const dx = new Float32Array(rows * inF), dw = new Float32Array(inF * outF);
      kernels.dropConnectBackwardInput(c, w, dx, rows, inF, outF, p, key);
      kernels.dropConnectBackwardWeight(x, c, dw, rows, inF, outF, p, key);
      const h = 1e-2;
      const probe = (buf: Float32Array, i: number, isX: boolean): number => {
        const keep = buf[i];
        buf[i] = keep + h;
        const up = isX ? loss(buf, w) : loss(x, buf);
        buf[i] = keep - h;
        const down = isX ? loss(buf, w) : loss(x, buf);
        buf[i] = keep;
        return (up - down) / (2 * h);
      };
      const tol = 2e-3 * Math.sqrt(rows * outF);
      for (let t = 0; t < 25; t++) {
        const i = (t * 7919) % (rows * inF);
        expect(Math.abs(probe(x, i, true) - dx[i]), `dx[${i}]`).toBeLessThan(tol);
        const j = (t * 104729) % (inF * outF);
        expect(Math.abs(probe(w, j, false) - dw[j]), `dw[${j}]`).toBeLessThan(tol);
      }
      // A dropped weight has no effect on the output: its gradient is exactly 0.
      const mask = referenceMask(inF * outF, p, key.seed, key.stream, key.step);
      for (let j = 0; j < inF * outF; j++) if (!mask[j]) expect(dw[j]).toBe(0);
    }
  });
});

describe('Dense({ dropConnect })', () => {
  const { x, y } = blobs(400, 8, 3, 5);
  const build = (dropConnect: number, seed = 3): Sequential => {
    const m = new Sequential([], { seed });
    m.add(new Dense({ units: 64, activation: 'relu', inputShape: [8], dropConnect }));
    m.add(new Dense({ units: 3, dropConnect }));
    m.compile({ optimizer: new SGD({ lr: 0.05, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    return m;
  };

  it('predict uses the kernel as it is (the expected weights)', async () => {
    const m = build(0.5);
    const plain = build(0);
    plain.build([8]);
    m.build([8]);
    plain.setWeights(m.getWeights());
    const a = await m.predict(x);
    const b = await plain.predict(x);
    expect(countMismatches(a.data, b.data)).toBe(0);
  });

  it('trains, bit-identically for 1 and 2 threads, and differently from no DropConnect', async () => {
    const run = async (threads: number, rate: number): Promise<Map<string, Float32Array>> => {
      setNumThreads(threads);
      const m = build(rate);
      await m.fit(x, y, { epochs: 3, batchSize: 40, seed: 4 });
      return m.getWeights();
    };
    try {
      const a = await run(1, 0.5);
      const b = await run(2, 0.5);
      const c = await run(2, 0);
      for (const [k, v] of a) expect(countMismatches(v, b.get(k)!), k).toBe(0);
      expect(countMismatches(a.get('dense_1.kernel') ?? [...a.values()][0], c.get('dense_1.kernel') ?? [...c.values()][0])).toBeGreaterThan(0);
    } finally {
      setNumThreads(threadsBefore);
    }
    const m = build(0.3);
    await m.fit(x, y, { epochs: 10, batchSize: 40, seed: 4 });
    expect((await m.evaluate(x, y)).accuracy).toBeGreaterThan(0.9);
  });

  it('saves and loads the rate, and resumes bit-exactly', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-dropconnect-'));
    const dir = path.join(tmp, 'model');
    try {
      const m = build(0.25);
      await m.fit(x, y, { epochs: 1, batchSize: 40, seed: 4 });
      await m.save(dir);
      const again = await loadModel(dir);
      expect(again.layers.map((l) => (l as Dense).dropConnect)).toEqual([0.25, 0.25]);
      await m.fit(x, y, { epochs: 1, batchSize: 40, seed: 5 });
      await again.fit(x, y, { epochs: 1, batchSize: 40, seed: 5 });
      const wa = m.getWeights(), wb = again.getWeights();
      for (const [k, v] of wa) expect(countMismatches(v, wb.get(k)!), k).toBe(0);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('rejects a bad rate', () => {
    for (const bad of [1, -0.1, 1.5, NaN, '0.5' as unknown as number]) {
      expect(() => new Dense({ units: 4, dropConnect: bad })).toThrow(/dropConnect/);
    }
  });
});

describe('dropconnect argument validation', () => {
  const [rows, inF, outF] = [4, 6, 5];
  const x = new Float32Array(rows * inF), w = new Float32Array(inF * outF), y = new Float32Array(rows * outF);
  const dy = new Float32Array(rows * outF), dx = new Float32Array(rows * inF), dw = new Float32Array(inF * outF);
  const k = [0.5, 1, 2, 3];

  it('names the argument, the expected and the received shape or value', () => {
    expect(() => ops.dropconnect_forward(x, w.subarray(1), null, y, rows, inF, outF, 'none', ...k)).toThrow(RangeError);
    expect(() => ops.dropconnect_forward(x, w.subarray(1), null, y, rows, inF, outF, 'none', ...k)).toThrow(/dropconnect_forward: argument 'w' has 29 elements but shape \[6, 5\] needs 30/);
    expect(() => ops.dropconnect_forward(x, w, null, y, rows, inF, outF, 'tanh', ...k)).toThrow(/argument 'activation'/);
    expect(() => ops.dropconnect_forward(x, w, null, y, rows, inF, outF, 'none', 1, 1, 2, 3)).toThrow(/argument 'p' must be in \[0, 1\), received 1/);
    expect(() => ops.dropconnect_forward(x, w, null, y, rows, inF, outF, 'none', -0.5, 1, 2, 3)).toThrow(RangeError);
    expect(() => ops.dropconnect_forward(x, w, null, y, rows, inF, outF, 'none', 0.5, -1, 2, 3)).toThrow(/argument 'seed'/);
    expect(() => ops.dropconnect_forward(x, w, null, y, rows, inF, outF, 'none', 0.5, 1, 2 ** 32, 3)).toThrow(/argument 'stream'/);
    expect(() => ops.dropconnect_forward(x, w, null, y, rows, inF, outF, 'none', 0.5, 1, 2, 1.5)).toThrow(/argument 'step'/);
    expect(() => ops.dropconnect_forward(x, w, null, y, rows, inF, outF, 'none', 0.5, new Float64Array(2))).toThrow(/argument 'hp' must hold/);
    expect(() => ops.dropconnect_forward(new Float64Array(24), w, null, y, rows, inF, outF, 'none', ...k)).toThrow(TypeError);
    expect(() => ops.dropconnect_forward(x, w, null, x, rows, inF, 4, 'none', ...k)).toThrow(/overlaps/);
    expect(() => ops.dropconnect_backward_input(dy, w, dx.subarray(2), rows, inF, outF, ...k)).toThrow(/argument 'dx' has 22 elements but shape \[4, 6\] needs 24/);
    expect(() => ops.dropconnect_backward_input(dy, w, dy, rows, 5, outF, ...k)).toThrow(/overlaps/);
    expect(() => ops.dropconnect_backward_weight(x, dy, dw, -1, inF, outF, ...k)).toThrow(/argument 'rows'/);
    expect(() => ops.dropconnect_backward_weight(x, dy, x, rows, 5, 4, ...k)).toThrow(/overlaps/);
    expect(() => kernels.dropConnectForward(x, w, new Float32Array(2), y, rows, inF, outF, 'none', 0.5, { seed: 1, stream: 2, step: 3 })).toThrow(/argument 'bias' has 2 elements/);
    expect(() => kernels.dropConnectBackwardWeight(x, dy, [] as unknown as Float32Array, rows, inF, outF, 0.5, { seed: 1, stream: 2, step: 3 })).toThrow(TypeError);
  });

  it('a validation error leaves the output untouched; a bad hp is reported when the program runs', () => {
    const out = new Float32Array(rows * outF).fill(7);
    expect(() => ops.dropconnect_forward(x, w, null, out, rows, inF, outF, 'none', 1.5, 1, 2, 3)).toThrow(RangeError);
    expect(out.every((v) => v === 7)).toBe(true);
    const hp = new Float64Array([1, 2, 3]);
    const program = new native.CompiledProgram([['dropconnect_forward', x, w, null, out, rows, inF, outF, 'none', 0.5, hp]]);
    program.runSync();
    hp[2] = -1;
    expect(() => program.runSync()).toThrow(/hp\[2\] \(step\) must be an integer/);
  });
});
