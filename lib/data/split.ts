// Seeded train/validation/test splits, optionally stratified by class.

import { classCounts, selectSamples, type Dataset } from './dataset';
import { Random } from '../random';

export interface SplitOptions {
  /** Relative sizes of train, validation and test, e.g. [0.6, 0.2, 0.2] or [6, 2, 2]; normalised. */
  ratios: readonly [number, number, number];
  /** Seed of the shuffle (default 0). */
  seed?: number;
  /** Keep each class's proportion in every part (needs class-index targets). Default false. */
  stratify?: boolean;
}

export interface Splits<D extends Dataset = Dataset> {
  train: D;
  val: D;
  test: D;
  /** The indices into the original dataset that each part holds, in the order it holds them. */
  indices: { train: Int32Array; val: Int32Array; test: Int32Array };
}

/**
 * Sizes for `total` items in proportion to `weights` (largest remainder): each size is the floor or
 * the ceiling of its exact share, and they sum to `total` exactly. Ties go to the earlier part.
 */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const sizes = exact.map(Math.floor);
  let left = total - sizes.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => i).sort((a, b) => exact[b] - sizes[b] - (exact[a] - sizes[a]) || a - b);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) sizes[order[k]]++;
  return sizes;
}

function validateRatios(ratios: unknown): number[] {
  if (!Array.isArray(ratios) || ratios.length !== 3) {
    throw new TypeError(`trainValTestSplit: ratios must be [train, val, test], received ${JSON.stringify(ratios)}`);
  }
  if (!ratios.every((r) => typeof r === 'number' && Number.isFinite(r) && r >= 0) || ratios.reduce((a, b) => a + b, 0) <= 0) {
    throw new RangeError(`trainValTestSplit: ratios must be finite, ≥ 0 and not all 0, received ${JSON.stringify(ratios)}`);
  }
  return ratios as number[];
}

/**
 * Splits `dataset` into train, validation and test parts whose sizes follow `ratios` exactly
 * (largest remainder); every sample lands in exactly one part. Each part is shuffled by `seed`.
 * With `stratify`, every class is divided in the same proportions: each class's count in a part is
 * within one of its exact share whenever that is possible with the exact part sizes (it is in all
 * but contrived cases; otherwise the allocation closest to it is taken), and part sizes stay exact.
 */
export function trainValTestSplit<D extends Dataset>(dataset: D, options: SplitOptions): Splits<D> {
  const ratios = validateRatios(options?.ratios);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new TypeError(`trainValTestSplit: seed must be a safe integer, received ${String(seed)}`);
  const rng = new Random(seed);
  const sizes = apportion(dataset.n, ratios);
  let parts: Int32Array[];
  if (options.stratify) {
    if (!(dataset.y instanceof Int32Array)) {
      throw new TypeError('trainValTestSplit: stratify needs class-index targets (y an Int32Array)');
    }
    parts = stratifiedParts(dataset.y, classCounts(dataset), sizes, ratios, rng);
  } else {
    const order = rng.permutation(dataset.n);
    parts = [order.slice(0, sizes[0]), order.slice(sizes[0], sizes[0] + sizes[1]), order.slice(sizes[0] + sizes[1])];
  }
  return {
    train: selectSamples(dataset, parts[0]) as D,
    val: selectSamples(dataset, parts[1]) as D,
    test: selectSamples(dataset, parts[2]) as D,
    indices: { train: parts[0], val: parts[1], test: parts[2] },
  };
}

// Allocates each class's samples to the parts. Start: each class divided by largest remainder, so
// every cell is the floor or the ceiling of its exact share. Then, while a part is too large, move
// samples along an augmenting path of parts (Ford–Fulkerson over the classes): part p passes one
// sample to part q through a class that is rounded up in p and down in q, keeping every cell within
// one of its share. Only when no such path exists (the exact part sizes admit no allocation within
// one per cell) is the cheapest single move taken instead.
function stratifiedParts(labels: Int32Array, counts: Int32Array, sizes: number[], ratios: number[], rng: Random): Int32Array[] {
  const numParts = sizes.length;
  const ratioSum = ratios.reduce((a, b) => a + b, 0);
  const share = (c: number, p: number): number => (counts[c] * ratios[p]) / ratioSum;
  const alloc = Array.from(counts, (count) => apportion(count, ratios));
  const excess = sizes.map((size, p) => alloc.reduce((sum, row) => sum + row[p], 0) - size);
  const move = (c: number, from: number, to: number): void => {
    alloc[c][from]--;
    alloc[c][to]++;
    excess[from]--;
    excess[to]++;
  };
  for (let from = excess.findIndex((e) => e > 0); from >= 0; from = excess.findIndex((e) => e > 0)) {
    // Breadth-first search over parts; via[q] = [previous part, class] of the edge into q.
    const via: ([number, number] | null)[] = new Array(numParts).fill(null);
    const visited = new Array(numParts).fill(false);
    visited[from] = true;
    const queue = [from];
    let reached = -1;
    while (queue.length > 0 && reached < 0) {
      const p = queue.shift()!;
      for (let q = 0; q < numParts && reached < 0; q++) {
        if (visited[q]) continue;
        const c = alloc.findIndex((row, k) => row[p] > share(k, p) && row[q] < share(k, q));
        if (c < 0) continue;
        visited[q] = true;
        via[q] = [p, c];
        if (excess[q] < 0) reached = q;
        else queue.push(q);
      }
    }
    if (reached >= 0) {
      for (let q = reached; q !== from; q = via[q]![0]) move(via[q]![1], via[q]![0], q);
      continue;
    }
    // No allocation within one per cell reaches a smaller part: take the least harmful single move.
    const to = excess.findIndex((e) => e < 0); // exists: the excesses sum to zero
    let best = -1;
    let bestCost = Infinity;
    for (let c = 0; c < alloc.length; c++) {
      if (alloc[c][from] === 0) continue;
      const cost =
        Math.abs(alloc[c][from] - 1 - share(c, from)) - Math.abs(alloc[c][from] - share(c, from)) +
        Math.abs(alloc[c][to] + 1 - share(c, to)) - Math.abs(alloc[c][to] - share(c, to));
      if (cost < bestCost) {
        bestCost = cost;
        best = c;
      }
    }
    move(best, from, to);
  }
  // Shuffle each class's members, deal them out by the allocation, then shuffle each part.
  const members: number[][] = Array.from(counts, () => []);
  labels.forEach((label, i) => members[label].push(i));
  const parts: number[][] = Array.from({ length: numParts }, () => []);
  members.forEach((list, c) => {
    rng.shuffle(list);
    let offset = 0;
    for (let p = 0; p < numParts; p++) {
      for (let k = 0; k < alloc[c][p]; k++) parts[p].push(list[offset + k]); // no spread: classes may be huge
      offset += alloc[c][p];
    }
  });
  return parts.map((part) => rng.shuffle(Int32Array.from(part)));
}
