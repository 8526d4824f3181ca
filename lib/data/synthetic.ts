// Seeded two-class point sets in the plane, for quick experiments and tests of non-linear models.
// The points are made in order along the curves, alternating between the classes, then shuffled
// (seeded; `shuffle: false` keeps the order: even index class 0, odd class 1, from the start of each
// curve to its end), so that a held-out tail (fit's validationSplit) is a fair sample.

import { createDataset, type Dataset } from './dataset';
import { Random } from '../random';

export interface TwoClassOptions {
  /** Number of points (class 0 gets the extra one when odd). */
  n: number;
  /** Standard deviation of the Gaussian noise added to each coordinate. */
  noise?: number;
  /** Seed of the noise and of the order (default 0). */
  seed?: number;
  /**
   * Shuffle the samples (default true, as scikit-learn's make_moons). `false` keeps them in order
   * along the curves, classes alternating: then the last samples are the ends of the curves.
   */
  shuffle?: boolean;
}

export interface SpiralOptions extends TwoClassOptions {
  /** Turns of each arm (default 1.5). */
  turns?: number;
}

/** A 2-D two-class dataset: x is Float32 `[n, 2]`, y Int32 class indices. */
export interface PointDataset extends Dataset {
  readonly x: Float32Array;
  readonly y: Int32Array;
}

interface Validated {
  n: number;
  noise: number;
  rng: Random;
  shuffle: boolean;
}

function validate(what: string, options: TwoClassOptions, defaultNoise: number): Validated {
  if (options === null || typeof options !== 'object') throw new TypeError(`${what}: options must be an object with n`);
  const { n } = options;
  const noise = options.noise ?? defaultNoise;
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${what}: n must be a positive integer, received ${String(n)}`);
  if (typeof noise !== 'number' || !Number.isFinite(noise) || noise < 0) {
    throw new RangeError(`${what}: noise must be a finite number ≥ 0, received ${String(noise)}`);
  }
  if (!Number.isSafeInteger(seed)) throw new TypeError(`${what}: seed must be a safe integer, received ${String(seed)}`);
  const shuffle = options.shuffle ?? true;
  if (typeof shuffle !== 'boolean') throw new TypeError(`${what}: shuffle must be a boolean, received ${String(shuffle)}`);
  return { n, noise, rng: new Random(seed), shuffle };
}

// Fills `n` alternating points; `position(c, j, m)` places the j-th of the m points of class c.
// With shuffle, sample i of the result is sample order[i] of the ordered set (the same points and
// noise; the order comes from an independent stream of the seed, so it does not depend on noise).
function twoClass(v: Validated, position: (c: number, j: number, m: number) => [number, number]): PointDataset {
  const { n, noise, rng } = v;
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  const counts = [Math.ceil(n / 2), Math.floor(n / 2)];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    const [px, py] = position(c, i >> 1, counts[c]);
    x[2 * i] = px + noise * rng.normal();
    x[2 * i + 1] = py + noise * rng.normal();
    y[i] = c;
  }
  if (v.shuffle) {
    const order = rng.fork('shuffle').permutation(n);
    const xs = new Float32Array(n * 2);
    const ys = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const k = order[i];
      xs[2 * i] = x[2 * k];
      xs[2 * i + 1] = x[2 * k + 1];
      ys[i] = y[k];
    }
    return createDataset({ x: xs, y: ys, shape: [2], numClasses: 2, scale: 1 }) as PointDataset;
  }
  return createDataset({ x, y, shape: [2], numClasses: 2, scale: 1 }) as PointDataset;
}

/**
 * Two interleaved spiral arms from the origin out to radius 1, the second the first turned by π;
 * noise defaults to 0.05. Shuffled unless `shuffle: false`.
 */
export function spirals(options: SpiralOptions): PointDataset {
  const v = validate('spirals', options, 0.05);
  const turns = options.turns ?? 1.5;
  if (typeof turns !== 'number' || !Number.isFinite(turns) || turns <= 0) {
    throw new RangeError(`spirals: turns must be a positive finite number, received ${String(turns)}`);
  }
  return twoClass(v, (c, j, m) => {
    const s = (j + 0.5) / m; // position along the arm, in (0, 1)
    const angle = s * turns * 2 * Math.PI + c * Math.PI;
    return [s * Math.cos(angle), s * Math.sin(angle)];
  });
}

/**
 * Two interleaving half circles (as scikit-learn's make_moons): class 0 the upper arc of the unit
 * circle, class 1 the lower arc centred at (1, 0.5); noise defaults to 0.1. Shuffled unless
 * `shuffle: false`.
 */
export function moons(options: TwoClassOptions): PointDataset {
  return twoClass(validate('moons', options, 0.1), (c, j, m) => {
    const t = m === 1 ? 0 : (Math.PI * j) / (m - 1);
    return c === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
  });
}
