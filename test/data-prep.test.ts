import { describe, expect, it } from 'vitest';
import { Random } from '../lib/random';
import { apportion, createDataset, moons, spirals, Standardizer, trainValTestSplit, type Dataset } from '../lib/data';

describe('synthetic two-class sets', () => {
  it('moons without noise lie on the two half circles, classes alternating', () => {
    const ds = moons({ n: 101, noise: 0, shuffle: false });
    expect(ds.n).toBe(101);
    expect(ds.shape).toEqual([2]);
    expect(ds.numClasses).toBe(2);
    for (let i = 0; i < ds.n; i++) {
      const [x, y] = [ds.x[2 * i], ds.x[2 * i + 1]];
      expect(ds.y[i]).toBe(i % 2);
      if (ds.y[i] === 0) {
        expect(Math.hypot(x, y)).toBeCloseTo(1, 6);
        expect(y).toBeGreaterThanOrEqual(-1e-7);
      } else {
        expect(Math.hypot(x - 1, y - 0.5)).toBeCloseTo(1, 6);
        expect(y).toBeLessThanOrEqual(0.5 + 1e-7);
      }
    }
    // Class 0 has the extra point when n is odd; the arcs span their full angle.
    expect(Array.from(ds.y).filter((c) => c === 0)).toHaveLength(51);
    expect([ds.x[0], ds.x[1]]).toEqual([1, 0]);
  });

  it('spirals without noise: the two arms are the same curve turned by π', () => {
    const ds = spirals({ n: 200, noise: 0, turns: 2, shuffle: false });
    for (let j = 0; j < 100; j++) {
      const a = 2 * (2 * j); // class 0, j-th point
      const b = 2 * (2 * j + 1); // class 1, j-th point
      expect(ds.x[b]).toBeCloseTo(-ds.x[a], 6);
      expect(ds.x[b + 1]).toBeCloseTo(-ds.x[a + 1], 6);
      expect(Math.hypot(ds.x[a], ds.x[a + 1])).toBeCloseTo((j + 0.5) / 100, 6);
    }
  });

  it('are deterministic for a seed, and the noise has the requested spread', () => {
    for (const make of [moons, spirals]) {
      const a = make({ n: 4000, noise: 0.2, seed: 7 });
      const b = make({ n: 4000, noise: 0.2, seed: 7 });
      const c = make({ n: 4000, noise: 0.2, seed: 8 });
      expect(Array.from(a.x)).toEqual(Array.from(b.x));
      expect(Array.from(a.x)).not.toEqual(Array.from(c.x));
      const clean = make({ n: 4000, noise: 0, seed: 7 }); // the same order: it does not depend on the noise
      let sum = 0;
      let sumSq = 0;
      for (let i = 0; i < a.x.length; i++) {
        const d = a.x[i] - clean.x[i];
        sum += d;
        sumSq += d * d;
      }
      const mean = sum / a.x.length;
      expect(Math.abs(mean)).toBeLessThan(0.01);
      expect(Math.sqrt(sumSq / a.x.length - mean * mean)).toBeGreaterThan(0.19);
      expect(Math.sqrt(sumSq / a.x.length - mean * mean)).toBeLessThan(0.21);
    }
  });

  it('shuffle by default: a seeded permutation of the ordered set, different per seed', () => {
    for (const make of [moons, spirals]) {
      const ordered = make({ n: 500, seed: 3, shuffle: false });
      const a = make({ n: 500, seed: 3 });
      const b = make({ n: 500, seed: 3 });
      expect(Array.from(a.x)).toEqual(Array.from(b.x));
      expect(Array.from(a.y)).not.toEqual(Array.from(ordered.y)); // no longer alternating
      const key = (ds: typeof a, i: number) => `${ds.x[2 * i]},${ds.x[2 * i + 1]},${ds.y[i]}`;
      const rows = (ds: typeof a) => Array.from({ length: ds.n }, (_, i) => key(ds, i)).sort();
      expect(rows(a)).toEqual(rows(ordered));
      expect(Array.from(make({ n: 500, seed: 4 }).y)).not.toEqual(Array.from(a.y));
      // The last fifth (what validationSplit: 0.2 holds out) has both classes, from the whole curve.
      const tail = Array.from(a.y.subarray(400));
      expect(tail.filter((c) => c === 0).length).toBeGreaterThan(35);
      expect(tail.filter((c) => c === 1).length).toBeGreaterThan(35);
      const position = new Map(Array.from({ length: 500 }, (_, i) => [key(ordered, i), i]));
      const from = Array.from({ length: 100 }, (_, i) => position.get(key(a, 400 + i))!);
      expect(Math.min(...from)).toBeLessThan(50);
      expect(Math.max(...from)).toBeGreaterThan(450);
    }
  });

  it('validate their options', () => {
    expect(() => moons({ n: 10, shuffle: 'yes' as unknown as boolean })).toThrow('moons: shuffle must be a boolean, received yes');
    expect(() => moons({ n: 0 })).toThrow('moons: n must be a positive integer, received 0');
    expect(() => spirals({ n: 10, noise: -1 })).toThrow('spirals: noise must be a finite number ≥ 0, received -1');
    expect(() => spirals({ n: 10, turns: 0 })).toThrow(/turns must be a positive finite number/);
    expect(() => moons({ n: 10, seed: 1.5 })).toThrow(TypeError);
  });
});

// A dataset whose features encode the sample index, so a split's rows can be checked against it.
function indexedDataset(labels: number[], numClasses: number): Dataset {
  const n = labels.length;
  const x = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) x.set([i, -i, i * 0.5], i * 3);
  return createDataset({ x, y: Int32Array.from(labels), shape: [3], numClasses });
}

function checkPartition(ds: Dataset, split: ReturnType<typeof trainValTestSplit>, ratios: readonly number[]): void {
  const sum = ratios.reduce((a, b) => a + b, 0);
  const parts = [split.indices.train, split.indices.val, split.indices.test];
  const sets = [split.train, split.val, split.test];
  parts.forEach((index, p) => {
    // Exact sizes: floor or ceiling of the exact share, summing to n.
    const exact = (ds.n * ratios[p]) / sum;
    expect(index.length === Math.floor(exact) || index.length === Math.ceil(exact)).toBe(true);
    expect(sets[p].n).toBe(index.length);
    // Rows and labels copied from the original samples.
    index.forEach((original, k) => {
      expect(sets[p].x[k * 3]).toBe(original);
      expect(sets[p].x[k * 3 + 1]).toBe(-original);
      expect(sets[p].y[k]).toBe(ds.y[original]);
    });
  });
  const seen = new Int32Array(ds.n);
  for (const index of parts) for (const i of index) seen[i]++;
  expect(Array.from(seen).every((count) => count === 1)).toBe(true);
}

describe('trainValTestSplit', () => {
  it('apportion gives floor/ceiling sizes summing to the total', () => {
    expect(apportion(10, [0.6, 0.2, 0.2])).toEqual([6, 2, 2]);
    expect(apportion(11, [6, 2, 2])).toEqual([7, 2, 2]);
    expect(apportion(7, [1, 1, 1])).toEqual([3, 2, 2]);
    expect(apportion(5, [1, 0, 1])).toEqual([3, 0, 2]);
  });

  it('covers every sample once with exact sizes; normalised ratios; seeded', () => {
    const labels = Array.from({ length: 103 }, (_, i) => i % 4);
    const ds = indexedDataset(labels, 4);
    for (const ratios of [[0.6, 0.2, 0.2], [6, 2, 2], [1, 0, 1], [0.7, 0.15, 0.15]] as [number, number, number][]) {
      checkPartition(ds, trainValTestSplit(ds, { ratios, seed: 3 }), ratios);
    }
    const a = trainValTestSplit(ds, { ratios: [6, 2, 2], seed: 3 });
    const b = trainValTestSplit(ds, { ratios: [0.6, 0.2, 0.2], seed: 3 });
    const c = trainValTestSplit(ds, { ratios: [0.6, 0.2, 0.2], seed: 4 });
    expect(Array.from(a.indices.train)).toEqual(Array.from(b.indices.train));
    expect(Array.from(a.indices.train)).not.toEqual(Array.from(c.indices.train));
    expect(a.train.x).toBeInstanceOf(Float32Array);
  });

  it('stratify keeps each class within one sample of its exact share, with exact part sizes', () => {
    const rng = new Random(11);
    const configurations = [
      [50, 30, 20],
      [1, 2, 3, 97],
      [7, 7, 7, 7, 7, 7, 7],
      [333, 1, 2, 45, 19],
      [5],
    ];
    for (const classSizes of configurations) {
      const labels: number[] = [];
      classSizes.forEach((size, c) => labels.push(...new Array(size).fill(c)));
      rng.shuffle(labels);
      const ds = indexedDataset(labels, classSizes.length);
      for (const ratios of [[0.6, 0.2, 0.2], [0.8, 0.1, 0.1], [1, 1, 1]] as [number, number, number][]) {
        for (const seed of [0, 1, 2]) {
          const split = trainValTestSplit(ds, { ratios, seed, stratify: true });
          checkPartition(ds, split, ratios);
          const sum = ratios.reduce((x, y) => x + y, 0);
          [split.train, split.val, split.test].forEach((part, p) => {
            const counts = new Array(classSizes.length).fill(0);
            for (const label of part.y) counts[label]++;
            counts.forEach((count, c) => {
              expect(Math.abs(count - (classSizes[c] * ratios[p]) / sum)).toBeLessThan(1 + 1e-9);
            });
          });
        }
      }
    }
  });

  it('keeps Uint8 pixel data compact and validates options', () => {
    const images = createDataset({ x: new Uint8Array(10 * 4).map((_, i) => i), y: new Int32Array(10).map((_, i) => i % 2), shape: [2, 2], numClasses: 2 });
    const split = trainValTestSplit(images, { ratios: [0.5, 0.3, 0.2], stratify: true });
    expect(split.train.x).toBeInstanceOf(Uint8Array);
    expect(split.train.scale).toBe(1 / 255);
    expect(split.train.shape).toEqual([2, 2]);
    expect(() => trainValTestSplit(images, { ratios: [0.5, 0.5] as unknown as [number, number, number] })).toThrow(/ratios must be \[train, val, test\]/);
    expect(() => trainValTestSplit(images, { ratios: [1, -1, 1] })).toThrow(/finite, ≥ 0 and not all 0/);
    expect(() => trainValTestSplit(images, { ratios: [0, 0, 0] })).toThrow(/not all 0/);
    const regression = createDataset({ x: new Float32Array(4), y: new Float32Array(4), shape: [1] });
    expect(() => trainValTestSplit(regression, { ratios: [1, 1, 1], stratify: true })).toThrow(/stratify needs class-index targets/);
  });
});

describe('Standardizer', () => {
  // Reference statistics computed directly, column by column.
  function reference(x: ArrayLike<number>, rows: number, cols: number, scale = 1): { mean: number[]; std: number[] } {
    const mean: number[] = [];
    const std: number[] = [];
    for (let c = 0; c < cols; c++) {
      const column = Array.from({ length: rows }, (_, r) => x[r * cols + c] * scale);
      const m = column.reduce((a, b) => a + b, 0) / rows;
      const s = Math.sqrt(column.reduce((a, v) => a + (v - m) ** 2, 0) / rows);
      mean.push(m);
      std.push(s === 0 ? 1 : s);
    }
    return { mean, std };
  }

  const rows = 40;
  const cols = 3;
  const rng = new Random(5);
  const x = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) x.set([100 + 10 * rng.normal(), -3 + 0.01 * rng.normal(), 7], r * cols);

  it('learns per-feature mean and population std; a constant feature gets std 1', () => {
    const s = new Standardizer().fit(x, rows, cols);
    const ref = reference(x, rows, cols);
    for (let c = 0; c < cols; c++) {
      expect(s.mean[c]).toBeCloseTo(ref.mean[c], 9);
      expect(s.std[c]).toBeCloseTo(ref.std[c], 9);
    }
    expect(s.std[2]).toBe(1);
    const z = s.transform(x, rows, cols);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) expect(z[r * cols + c]).toBeCloseTo((x[r * cols + c] - ref.mean[c]) / ref.std[c], 5);
    }
    expect(z[2]).toBe(0);
    const back = s.inverseTransform(z, rows, cols);
    for (let i = 0; i < x.length; i++) expect(back[i]).toBeCloseTo(x[i], 3);
  });

  it('is fitted on the training split only and applied unchanged to the others', () => {
    const ds = createDataset({ x, y: new Int32Array(rows), shape: [cols], numClasses: 1 });
    const split = trainValTestSplit(ds, { ratios: [0.5, 0.25, 0.25], seed: 2 });
    const s = new Standardizer().fitDataset(split.train);
    const ref = reference(split.train.x, split.train.n, cols);
    const val = s.transformDataset(split.val);
    expect(val.x).toBeInstanceOf(Float32Array);
    expect(val.scale).toBe(1);
    expect(val.y).toBe(split.val.y);
    for (let k = 0; k < val.n; k++) {
      for (let c = 0; c < cols; c++) expect(val.x[k * cols + c]).toBeCloseTo((split.val.x[k * cols + c] - ref.mean[c]) / ref.std[c], 5);
    }
  });

  it('applies the dataset scale to Uint8 pixels', () => {
    const pixels = Uint8Array.from({ length: 6 * 4 }, (_, i) => (i * 37) % 256);
    const images = createDataset({ x: pixels, y: new Int32Array(6), shape: [2, 2], numClasses: 1 });
    const s = new Standardizer().fitDataset(images);
    const ref = reference(pixels, 6, 4, 1 / 255);
    for (let c = 0; c < 4; c++) expect(s.mean[c]).toBeCloseTo(ref.mean[c], 12);
    const z = s.transformDataset(images);
    expect(z.x[5]).toBeCloseTo((pixels[5] / 255 - ref.mean[1]) / ref.std[1], 5);
    expect(z.shape).toEqual([2, 2]);
  });

  it('round-trips through JSON exactly and rejects bad state', () => {
    const s = new Standardizer().fit(x, rows, cols);
    const restored = Standardizer.fromJSON(JSON.parse(JSON.stringify(s)));
    expect(Array.from(restored.mean)).toEqual(Array.from(s.mean));
    expect(Array.from(restored.transform(x, rows, cols))).toEqual(Array.from(s.transform(x, rows, cols)));
    expect(() => Standardizer.fromJSON({ kind: 'other' })).toThrow(TypeError);
    expect(() => Standardizer.fromJSON({ kind: 'gradwell.Standardizer', version: 1, mean: [0], std: [0] })).toThrow('Standardizer.fromJSON: std[0] must be a positive finite number');
    expect(() => Standardizer.fromJSON({ kind: 'gradwell.Standardizer', version: 1, mean: [0, 1], std: [1] })).toThrow(/same length/);
  });

  it('reports misuse clearly', () => {
    const s = new Standardizer();
    expect(s.fitted).toBe(false);
    expect(() => s.transform(x, rows, cols)).toThrow('Standardizer.transform: not fitted; call fit() on the training split first');
    expect(() => s.fit(x, rows, 4)).toThrow('Standardizer.fit: x has 120 elements, expected rows × cols = 40 × 4 = 160');
    s.fit(x, rows, cols);
    expect(() => s.transform(new Float32Array(8), 2, 4)).toThrow('Standardizer.transform: fitted on 3 columns, received cols=4');
    expect(() => new Standardizer().fit(Float32Array.from([1, NaN]), 2, 1)).toThrow(/column 0 holds non-finite values/);
  });
});

describe('createDataset', () => {
  it('checks sizes and labels', () => {
    expect(() => createDataset({ x: new Float32Array(6), y: new Int32Array(2), shape: [4] })).toThrow('createDataset: x has 6 elements, not a multiple of the sample size 4 (shape [4])');
    expect(() => createDataset({ x: new Float32Array(6), y: new Int32Array(2), shape: [2] })).toThrow('createDataset: y has 2 labels but x holds 3 samples');
    expect(() => createDataset({ x: new Float32Array(4), y: Int32Array.from([0, 3]), shape: [2], numClasses: 3 })).toThrow('createDataset: label 3 of sample 1 is outside [0, 3)');
    const regression = createDataset({ x: new Float32Array(4), y: new Float32Array(6), shape: [2] });
    expect(regression.targetSize).toBe(3);
  });
});
