// Seeded two-class point sets in the plane, for quick experiments and tests of non-linear models.
// Samples alternate between the classes (even index: class 0, odd: class 1), so any prefix is balanced.

import { createDataset, type Dataset } from './dataset';
import { Random } from '../random';

export interface TwoClassOptions {
  /** Number of points (class 0 gets the extra one when odd). */
  n: number;
  /** Standard deviation of the Gaussian noise added to each coordinate. */
  noise?: number;
  /** Seed of the noise (default 0). */
  seed?: number;
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

function validate(what: string, options: TwoClassOptions, defaultNoise: number): { n: number; noise: number; rng: Random } {
  if (options === null || typeof options !== 'object') throw new TypeError(`${what}: options must be an object with n`);
  const { n } = options;
  const noise = options.noise ?? defaultNoise;
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${what}: n must be a positive integer, received ${String(n)}`);
  if (typeof noise !== 'number' || !Number.isFinite(noise) || noise < 0) {
    throw new RangeError(`${what}: noise must be a finite number ≥ 0, received ${String(noise)}`);
  }
  if (!Number.isSafeInteger(seed)) throw new TypeError(`${what}: seed must be a safe integer, received ${String(seed)}`);
  return { n, noise, rng: new Random(seed) };
}

// Fills `n` alternating points; `position(c, j, m)` places the j-th of the m points of class c.
function twoClass(n: number, noise: number, rng: Random, position: (c: number, j: number, m: number) => [number, number]): PointDataset {
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
  return createDataset({ x, y, shape: [2], numClasses: 2, scale: 1 }) as PointDataset;
}

/**
 * Two interleaved spiral arms from the origin out to radius 1, the second the first turned by π;
 * noise defaults to 0.05.
 */
export function spirals(options: SpiralOptions): PointDataset {
  const { n, noise, rng } = validate('spirals', options, 0.05);
  const turns = options.turns ?? 1.5;
  if (typeof turns !== 'number' || !Number.isFinite(turns) || turns <= 0) {
    throw new RangeError(`spirals: turns must be a positive finite number, received ${String(turns)}`);
  }
  return twoClass(n, noise, rng, (c, j, m) => {
    const s = (j + 0.5) / m; // position along the arm, in (0, 1)
    const angle = s * turns * 2 * Math.PI + c * Math.PI;
    return [s * Math.cos(angle), s * Math.sin(angle)];
  });
}

/**
 * Two interleaving half circles (as scikit-learn's make_moons): class 0 the upper arc of the unit
 * circle, class 1 the lower arc centred at (1, 0.5); noise defaults to 0.1.
 */
export function moons(options: TwoClassOptions): PointDataset {
  const { n, noise, rng } = validate('moons', options, 0.1);
  return twoClass(n, noise, rng, (c, j, m) => {
    const t = m === 1 ? 0 : (Math.PI * j) / (m - 1);
    return c === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
  });
}
