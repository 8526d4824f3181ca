// Dropout: masks against an independent JavaScript Philox4x32-10 (checked on
// the Random123 known-answer vectors), inverted scaling, binomial keep rate,
// invariance across threads/ISAs/lengths, backward mask reuse, the
// Float64Array hp form in a compiled program, and argument validation.
import { describe, expect, it } from 'vitest';
import { backend, kernels, setMaxIsa, setNumThreads, getNumThreads } from '../lib';
import { native } from '../lib/binding';
import { describeEachIsa, randomF32, supportedIsas } from './helpers/isa';

// ---------------------------------------------------------------------------
// reference Philox4x32-10 (Salmon et al., SC'11), BigInt products

function mulhilo(a: number, m: number): [number, number] {
  const p = BigInt(a >>> 0) * BigInt(m >>> 0);
  return [Number(p >> 32n), Number(p & 0xffffffffn)];
}

function philox(counter: readonly number[], key0: number, key1: number): number[] {
  let [c0, c1, c2, c3] = counter.map((v) => v >>> 0);
  let k0 = key0 >>> 0;
  let k1 = key1 >>> 0;
  for (let round = 0; round < 10; round++) {
    const [hi0, lo0] = mulhilo(0xd2511f53, c0);
    const [hi1, lo1] = mulhilo(0xcd9e8d57, c2);
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + 0x9e3779b9) >>> 0;
    k1 = (k1 + 0xbb67ae85) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/** Keep mask of the documented contract (native/kernels/dropout.h). */
function referenceMask(n: number, p: number, seed: number, stream: number, step: number): Uint8Array {
  const threshold = Math.floor(p * 2 ** 32);
  const stepLo = step % 2 ** 32;
  const stepHi = Math.floor(step / 2 ** 32);
  const mask = new Uint8Array(n);
  for (let tile = 0; tile * 64 < n; tile++) {
    for (let j = 0; j < 16; j++) {
      const block = tile * 16 + j;
      const words = philox([block % 2 ** 32, Math.floor(block / 2 ** 32), stepLo, stepHi], seed, stream);
      for (let w = 0; w < 4; w++) {
        const i = tile * 64 + 16 * w + j;
        if (i < n) mask[i] = words[w] >= threshold ? 1 : 0;
      }
    }
  }
  return mask;
}

function nativeMask(n: number, p: number, seed: number, stream: number, step: number): Uint8Array {
  const x = new Float32Array(n).fill(1);
  const y = new Float32Array(n);
  kernels.dropoutForward(x, y, n, p, seed, stream, step);
  return Uint8Array.from(y, (v) => (v !== 0 ? 1 : 0));
}

describe('reference Philox4x32-10', () => {
  it('matches the Random123 known-answer vectors', () => {
    const hex = (v: number[]): string[] => v.map((w) => w.toString(16).padStart(8, '0'));
    expect(hex(philox([0, 0, 0, 0], 0, 0))).toEqual(['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
    expect(hex(philox([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], 0xffffffff, 0xffffffff))).toEqual([
      '408f276d',
      '41c83b0e',
      'a20bc7c6',
      '6d5451fd',
    ]);
    expect(hex(philox([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], 0xa4093822, 0x299f31d0))).toEqual([
      'd16cfe09',
      '94fdcceb',
      '5001e420',
      '24126ea1',
    ]);
  });
});

describeEachIsa('dropout', () => {
  it('masks equal the reference Philox masks', () => {
    const cases: [number, number, number, number, number][] = [
      [1000, 0.5, 0, 0, 0],
      [1037, 0.1, 42, 7, 5],
      [64, 0.9, 0xffffffff, 0xffffffff, 2 ** 40 + 3], // step_hi != 0
      [63, 0.3, 12345, 1, 9],
      [1, 0.5, 1, 2, 3],
      [200, 0.999, 3, 4, 5],
    ];
    for (const [n, p, seed, stream, step] of cases) {
      expect(Array.from(nativeMask(n, p, seed, stream, step)), `n=${n} p=${p}`).toEqual(
        Array.from(referenceMask(n, p, seed, stream, step)),
      );
    }
  });

  it('scales kept values by 1/(1-p) and zeroes the rest', () => {
    const n = 4099;
    const x = randomF32(n, 3, -10, 10);
    for (const p of [0.1, 0.5, 0.75]) {
      const y = new Float32Array(n);
      kernels.dropoutForward(x, y, n, p, 9, 1, 2);
      const scale = Math.fround(1 / (1 - p));
      const mask = referenceMask(n, p, 9, 1, 2);
      for (let i = 0; i < n; i++) {
        if (mask[i]) {
          expect(y[i]).toBe(Math.fround(x[i] * scale));
          expect(Math.abs(y[i] - x[i] / (1 - p))).toBeLessThanOrEqual(Math.abs(x[i] / (1 - p)) * 2 ** -22);
        } else {
          expect(y[i]).toBe(0);
        }
      }
    }
  });

  it('keeps a fraction within 5 sigma of 1 - p', () => {
    const n = 200_000;
    for (const p of [0.05, 0.2, 0.5, 0.8]) {
      const mask = nativeMask(n, p, 77, 3, 11);
      const kept = mask.reduce((a, b) => a + b, 0);
      const sigma = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(kept - n * (1 - p)), `p=${p}: kept ${kept} of ${n}`).toBeLessThan(5 * sigma);
    }
  });

  it('same (seed, stream, step) gives the same mask; any change gives another', () => {
    const n = 5000;
    const base = nativeMask(n, 0.5, 1, 2, 3);
    expect(nativeMask(n, 0.5, 1, 2, 3)).toEqual(base);
    const differs = (m: Uint8Array): number => m.reduce((a, v, i) => a + (v !== base[i] ? 1 : 0), 0);
    // independent masks differ in about half the places
    for (const other of [nativeMask(n, 0.5, 1, 2, 4), nativeMask(n, 0.5, 1, 3, 3), nativeMask(n, 0.5, 2, 2, 3)]) {
      expect(differs(other)).toBeGreaterThan(n * 0.4);
      expect(differs(other)).toBeLessThan(n * 0.6);
    }
  });

  it('a shorter tensor gets the prefix of a longer one\'s mask', () => {
    const long = nativeMask(3000, 0.4, 5, 6, 7);
    for (const n of [1, 17, 64, 65, 999]) expect(nativeMask(n, 0.4, 5, 6, 7)).toEqual(long.subarray(0, n));
  });

  it('backward applies the forward mask to dy', () => {
    const n = 3001;
    const x = randomF32(n, 4);
    const dy = randomF32(n, 5);
    const y = new Float32Array(n);
    const dx = new Float32Array(n);
    const p = 0.3;
    kernels.dropoutForward(x, y, n, p, 10, 20, 30);
    kernels.dropoutBackward(dy, dx, n, p, 10, 20, 30);
    const scale = Math.fround(1 / (1 - p));
    for (let i = 0; i < n; i++) {
      if (y[i] !== 0) expect(dx[i]).toBe(Math.fround(dy[i] * scale));
      else expect(dx[i]).toBe(0);
    }
  });

  it('p = 0 is the identity, also in place', () => {
    const x = randomF32(1000, 6);
    const y = new Float32Array(1000);
    kernels.dropoutForward(x, y, 1000, 0, 1, 2, 3);
    expect(y).toEqual(x);
    const inPlace = x.slice();
    kernels.dropoutBackward(inPlace, inPlace, 1000, 0, 1, 2, 3);
    expect(inPlace).toEqual(x);
  });

  it('works in place', () => {
    const x = randomF32(777, 7);
    const y = new Float32Array(777);
    kernels.dropoutForward(x, y, 777, 0.5, 1, 1, 1);
    const inPlace = x.slice();
    kernels.dropoutForward(inPlace, inPlace, 777, 0.5, 1, 1, 1);
    expect(inPlace).toEqual(y);
  });

  it('the hp form reads [seed, stream, step] when it runs', () => {
    const n = 2000;
    const x = randomF32(n, 8);
    const hp = Float64Array.from([123, 4, 0]);
    const y = new Float32Array(n);
    const program = new native.CompiledProgram([['dropout_forward', x, y, n, 0.25, hp]]);
    for (const step of [0, 1, 2 ** 33]) {
      hp[2] = step;
      program.runSync();
      const want = new Float32Array(n);
      kernels.dropoutForward(x, want, n, 0.25, 123, 4, step);
      expect(y, `step ${step}`).toEqual(want);
    }
    const dx = new Float32Array(n);
    kernels.dropoutBackward(x, dx, n, 0.25, hp);
    expect(dx).toEqual(y);
    hp[2] = -1;
    expect(() => program.runSync()).toThrow(/dropout_forward: hp\[2\] \(step\) must be an integer in \[0, 2\^53\)/);
    hp[2] = 1.5;
    expect(() => program.runSync()).toThrow(/hp\[2\] \(step\)/);
    hp[2] = 0;
    hp[0] = 2 ** 32;
    expect(() => program.runSync()).toThrow(/hp\[0\] \(seed\) must be an integer in \[0, 2\^32\)/);
  });
});

describe('dropout invariance', () => {
  it('masks are identical for 1 and 2 threads and on every ISA', () => {
    const before = getNumThreads();
    const n = 100_003; // several chunks and a partial tile
    const x = randomF32(n, 9);
    const outputs: { label: string; y: Float32Array }[] = [];
    try {
      for (const isa of supportedIsas) {
        setMaxIsa(isa);
        for (const threads of [1, 2]) {
          setNumThreads(threads);
          const y = new Float32Array(n);
          kernels.dropoutForward(x, y, n, 0.37, 2024, 5, 99);
          outputs.push({ label: `${isa} x${threads}`, y });
        }
      }
    } finally {
      setNumThreads(before);
      setMaxIsa(backend().detectedIsa);
    }
    const first = Buffer.from(outputs[0].y.buffer);
    for (const o of outputs) expect(Buffer.compare(Buffer.from(o.y.buffer), first), o.label).toBe(0);
  });
});

describe('dropout argument validation', () => {
  const x = new Float32Array(8);
  const y = new Float32Array(8);
  const ops = native.ops;

  it('rejects p outside [0, 1)', () => {
    expect(() => kernels.dropoutForward(x, y, 8, 1, 0, 0, 0)).toThrow(RangeError);
    expect(() => ops.dropout_forward(x, y, 8, 1, 0, 0, 0)).toThrow(RangeError);
    expect(() => ops.dropout_forward(x, y, 8, 1, 0, 0, 0)).toThrow(/dropout_forward: argument 'p' must be in \[0, 1\), received 1/);
    expect(() => ops.dropout_backward(x, y, 8, -0.1, 0, 0, 0)).toThrow(/dropout_backward: argument 'p' must be in \[0, 1\)/);
    expect(() => kernels.dropoutForward(x, y, 8, -0.1, 0, 0, 0)).toThrow(RangeError);
    expect(() => ops.dropout_forward(x, y, 8, NaN, 0, 0, 0)).toThrow(RangeError);
    expect(() => kernels.dropoutForward(x, y, 8, NaN, 0, 0, 0)).toThrow(/argument 'p'/);
  });

  it('rejects wrong dtypes', () => {
    expect(() => ops.dropout_forward(new Float64Array(8), y, 8, 0.5, 0, 0, 0)).toThrow(TypeError);
    expect(() => ops.dropout_forward(new Float64Array(8), y, 8, 0.5, 0, 0, 0)).toThrow(/argument 'x' must be a Float32Array, received Float64Array\(8\)/);
    expect(() => kernels.dropoutBackward(x, [0] as unknown as Float32Array, 8, 0.5, 0, 0, 0)).toThrow(/argument 'dx' must be a Float32Array/);
    expect(() => ops.dropout_forward(x, y, 8, 0.5, Float32Array.from([1, 2, 3]))).toThrow(TypeError);
  });

  it('rejects sizes that do not match and negative counts', () => {
    expect(() => ops.dropout_forward(x, new Float32Array(4), 8, 0.5, 0, 0, 0)).toThrow(/argument 'y' has 4 elements but shape \[8\] needs 8/);
    expect(() => kernels.dropoutForward(x, new Float32Array(4), 8, 0.5, 0, 0, 0)).toThrow(RangeError);
    expect(() => ops.dropout_forward(x, y, -1, 0.5, 0, 0, 0)).toThrow(/argument 'n' must be in \[0/);
    expect(() => kernels.dropoutForward(x, y, -1, 0.5, 0, 0, 0)).toThrow(/argument 'n'/);
  });

  it('rejects seed, stream and step out of range', () => {
    expect(() => ops.dropout_forward(x, y, 8, 0.5, 2 ** 32, 0, 0)).toThrow(/argument 'seed' must be in \[0, 4294967295\]/);
    expect(() => ops.dropout_forward(x, y, 8, 0.5, 0, -1, 0)).toThrow(/argument 'stream'/);
    expect(() => ops.dropout_forward(x, y, 8, 0.5, 0, 0, 1.5)).toThrow(/argument 'step' must be an integer/);
    expect(() => ops.dropout_forward(x, y, 8, 0.5, 0, 0)).toThrow(/missing argument 'step'/);
    expect(() => kernels.dropoutForward(x, y, 8, 0.5, 2 ** 32, 0, 0)).toThrow(/argument 'seed' must be an integer in \[0, 2\^32\)/);
    expect(() => kernels.dropoutForward(x, y, 8, 0.5, 0, 0, 2 ** 53)).toThrow(/argument 'step'/);
    expect(() => ops.dropout_forward(x, y, 8, 0.5, new Float64Array(2))).toThrow(/argument 'hp' must hold \[seed, stream, step\]/);
    expect(() => kernels.dropoutForward(x, y, 8, 0.5, new Float64Array(2))).toThrow(RangeError);
  });
});
