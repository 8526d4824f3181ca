// The in-memory dataset representation shared by every loader, the splitter and the training loop.
//
// Data stays compact: image sets keep their raw bytes (Uint8Array, one byte a pixel) and the training
// loop converts per batch (native op `gather_rows(src, index, rows, cols, dst, scale)` with
// `scale = dataset.scale`, 1/255 for pixels), so 60,000 MNIST images cost 47 MB, not 188 MB of float32.

/** Samples and their targets, row-major, one row per sample. */
export interface Dataset {
  /**
   * Inputs, `n * featureSize` elements, sample `i` at `[i * featureSize, (i + 1) * featureSize)`.
   * Uint8Array for raw pixels (multiply by `scale` to get the model's input), Float32Array otherwise.
   */
  readonly x: Uint8Array | Float32Array;
  /**
   * Targets: Int32Array of `n` class indices in `[0, numClasses)` for classification, or a
   * Float32Array of `n * targetSize` values for regression.
   */
  readonly y: Int32Array | Float32Array;
  /** Number of samples. */
  readonly n: number;
  /** Shape of one input sample, e.g. `[28, 28]` for MNIST images or `[2]` for points in the plane. */
  readonly shape: readonly number[];
  /** Elements per input sample: the product of `shape`. */
  readonly featureSize: number;
  /** Elements per target: 1 for class indices. */
  readonly targetSize: number;
  /** Number of classes when `y` holds class indices. */
  readonly numClasses?: number;
  /** Factor that turns an element of `x` into the model's input value (1/255 for pixels, 1 for floats). */
  readonly scale: number;
  /** Optional human-readable class names, `numClasses` of them. */
  readonly classNames?: readonly string[];
}

export interface DatasetInit {
  x: Uint8Array | Float32Array;
  y: Int32Array | Float32Array;
  shape: readonly number[];
  numClasses?: number;
  /** Default 1/255 when x is a Uint8Array, 1 when it is a Float32Array. */
  scale?: number;
  classNames?: readonly string[];
  /** Elements per target when `y` is a Float32Array (default: y.length / n). */
  targetSize?: number;
}

/** Validates the parts and builds a Dataset; `n` is taken from `x.length / product(shape)`. */
export function createDataset(init: DatasetInit, what = 'createDataset'): Dataset {
  const { x, y, shape } = init;
  if (!(x instanceof Uint8Array || x instanceof Float32Array)) {
    throw new TypeError(`${what}: x must be a Uint8Array or Float32Array, received ${describe(x)}`);
  }
  if (!(y instanceof Int32Array || y instanceof Float32Array)) {
    throw new TypeError(`${what}: y must be an Int32Array or Float32Array, received ${describe(y)}`);
  }
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw new RangeError(`${what}: shape must be a non-empty list of positive integers, received ${JSON.stringify(shape)}`);
  }
  const featureSize = shape.reduce((a, b) => a * b, 1);
  if (x.length % featureSize !== 0) {
    throw new RangeError(`${what}: x has ${x.length} elements, not a multiple of the sample size ${featureSize} (shape [${shape.join(', ')}])`);
  }
  const n = x.length / featureSize;
  const scale = init.scale ?? (x instanceof Uint8Array ? 1 / 255 : 1);
  if (!Number.isFinite(scale) || scale <= 0) {
    throw new RangeError(`${what}: scale must be a positive finite number, received ${scale}`);
  }
  let targetSize = 1;
  if (y instanceof Int32Array) {
    if (init.targetSize !== undefined && init.targetSize !== 1) {
      throw new RangeError(`${what}: class-index targets (Int32Array) have targetSize 1, received ${init.targetSize}`);
    }
    if (y.length !== n) {
      throw new RangeError(`${what}: y has ${y.length} labels but x holds ${n} samples`);
    }
  } else {
    targetSize = init.targetSize ?? (n === 0 ? 1 : y.length / n);
    if (!Number.isSafeInteger(targetSize) || targetSize < 1 || y.length !== n * targetSize) {
      throw new RangeError(`${what}: y has ${y.length} values, which is not ${n} samples × a positive whole target size`);
    }
  }
  const numClasses = init.numClasses;
  if (numClasses !== undefined) {
    if (!Number.isSafeInteger(numClasses) || numClasses < 1) {
      throw new RangeError(`${what}: numClasses must be a positive integer, received ${numClasses}`);
    }
    if (!(y instanceof Int32Array)) {
      throw new TypeError(`${what}: numClasses is given but y is not an Int32Array of class indices`);
    }
    for (let i = 0; i < n; i++) {
      if (y[i] < 0 || y[i] >= numClasses) {
        throw new RangeError(`${what}: label ${y[i]} of sample ${i} is outside [0, ${numClasses})`);
      }
    }
  }
  if (init.classNames !== undefined) {
    if (numClasses === undefined || init.classNames.length !== numClasses) {
      throw new RangeError(`${what}: classNames has ${init.classNames.length} names, expected numClasses = ${numClasses}`);
    }
  }
  const dataset: Dataset = {
    x,
    y,
    n,
    shape: Object.freeze([...shape]),
    featureSize,
    targetSize,
    scale,
    ...(numClasses !== undefined ? { numClasses } : {}),
    ...(init.classNames !== undefined ? { classNames: Object.freeze([...init.classNames]) } : {}),
  };
  return Object.freeze(dataset);
}

/** A new dataset holding the samples `index[0], index[1], ...` of `dataset`, in that order (data copied). */
export function selectSamples(dataset: Dataset, index: ArrayLike<number>): Dataset {
  const { featureSize, targetSize, n } = dataset;
  const count = index.length;
  const x = dataset.x instanceof Uint8Array ? new Uint8Array(count * featureSize) : new Float32Array(count * featureSize);
  const y = dataset.y instanceof Int32Array ? new Int32Array(count * targetSize) : new Float32Array(count * targetSize);
  for (let k = 0; k < count; k++) {
    const i = index[k];
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      throw new RangeError(`selectSamples: index[${k}] = ${i} is outside [0, ${n})`);
    }
    x.set(dataset.x.subarray(i * featureSize, (i + 1) * featureSize), k * featureSize);
    y.set(dataset.y.subarray(i * targetSize, (i + 1) * targetSize), k * targetSize);
  }
  return Object.freeze({ ...dataset, x, y, n: count });
}

/** Number of samples of each class (requires class-index targets). */
export function classCounts(dataset: Dataset): Int32Array {
  if (!(dataset.y instanceof Int32Array)) {
    throw new TypeError('classCounts: the dataset has no class-index targets (y is not an Int32Array)');
  }
  let numClasses = dataset.numClasses ?? 0;
  if (dataset.numClasses === undefined) for (const label of dataset.y) numClasses = Math.max(numClasses, label + 1);
  const counts = new Int32Array(numClasses);
  for (const label of dataset.y) {
    if (label < 0 || label >= numClasses) throw new RangeError(`classCounts: label ${label} is outside [0, ${numClasses})`);
    counts[label]++;
  }
  return counts;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as { length: number }).length})`;
  if (Array.isArray(value)) return `Array(${value.length})`;
  return typeof value;
}
