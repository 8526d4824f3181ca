// Per-feature standardisation: (x - mean) / std, fitted on the training split only and then applied
// unchanged to validation, test and deployment data.

import { createDataset, type Dataset } from './dataset';

/** The serialisable state of a fitted Standardizer. */
export interface StandardizerState {
  kind: 'gradwell.Standardizer';
  version: 1;
  mean: number[];
  std: number[];
}

function checkMatrix(what: string, x: unknown, rows: number, cols: number): void {
  if (!(x instanceof Float32Array || x instanceof Uint8Array)) {
    throw new TypeError(`${what}: x must be a Float32Array or Uint8Array, received ${x === null ? 'null' : typeof x}`);
  }
  if (!Number.isSafeInteger(rows) || rows < 0 || !Number.isSafeInteger(cols) || cols < 1) {
    throw new RangeError(`${what}: rows must be an integer ≥ 0 and cols ≥ 1, received rows=${rows}, cols=${cols}`);
  }
  if (x.length !== rows * cols) {
    throw new RangeError(`${what}: x has ${x.length} elements, expected rows × cols = ${rows} × ${cols} = ${rows * cols}`);
  }
}

/**
 * Learns each column's mean and (population) standard deviation; a column with standard deviation 0
 * gets 1, so it maps to 0 instead of NaN. Statistics are accumulated in float64 (two passes).
 */
export class Standardizer {
  private meanValues: Float64Array | null = null;
  private stdValues: Float64Array | null = null;

  /** Whether `fit` (or `fromJSON`) has set the statistics. */
  get fitted(): boolean {
    return this.meanValues !== null;
  }

  get mean(): Float64Array {
    return this.requireFitted('mean').mean.slice();
  }

  get std(): Float64Array {
    return this.requireFitted('std').std.slice();
  }

  /**
   * Fits on `rows × cols` row-major samples; each element is multiplied by `scale` first (1/255 for
   * Uint8 pixels, as in a Dataset). Returns `this`.
   */
  fit(x: Float32Array | Uint8Array, rows: number, cols: number, scale = 1): this {
    checkMatrix('Standardizer.fit', x, rows, cols);
    if (rows < 1) throw new RangeError('Standardizer.fit: needs at least one row');
    if (!Number.isFinite(scale) || scale <= 0) throw new RangeError(`Standardizer.fit: scale must be positive and finite, received ${scale}`);
    const mean = new Float64Array(cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += x[r * cols + c] * scale;
    for (let c = 0; c < cols; c++) mean[c] /= rows;
    const variance = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const d = x[r * cols + c] * scale - mean[c];
        variance[c] += d * d;
      }
    }
    const std = new Float64Array(cols);
    for (let c = 0; c < cols; c++) {
      if (!Number.isFinite(mean[c]) || !Number.isFinite(variance[c])) {
        throw new RangeError(`Standardizer.fit: column ${c} holds non-finite values`);
      }
      const s = Math.sqrt(variance[c] / rows);
      std[c] = s > 0 ? s : 1;
    }
    this.meanValues = mean;
    this.stdValues = std;
    return this;
  }

  /** Fits on a dataset's inputs (its `scale` applied), one feature per element of a sample. */
  fitDataset(dataset: Dataset): this {
    return this.fit(dataset.x, dataset.n, dataset.featureSize, dataset.scale);
  }

  /** Returns `(x * scale - mean) / std` as a new Float32Array, or writes it into `out`. */
  transform(x: Float32Array | Uint8Array, rows: number, cols: number, scale = 1, out?: Float32Array): Float32Array {
    const { mean, std } = this.requireFitted('transform');
    checkMatrix('Standardizer.transform', x, rows, cols);
    if (cols !== mean.length) throw new RangeError(`Standardizer.transform: fitted on ${mean.length} columns, received cols=${cols}`);
    if (!Number.isFinite(scale) || scale <= 0) throw new RangeError(`Standardizer.transform: scale must be positive and finite, received ${scale}`);
    const result = out ?? new Float32Array(rows * cols);
    if (!(result instanceof Float32Array) || result.length !== rows * cols) {
      throw new RangeError(`Standardizer.transform: out must be a Float32Array of ${rows * cols} elements`);
    }
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) result[r * cols + c] = (x[r * cols + c] * scale - mean[c]) / std[c];
    }
    return result;
  }

  /** A copy of `dataset` with standardised Float32 inputs (scale 1); targets are shared. */
  transformDataset<D extends Dataset>(dataset: D): D {
    const x = this.transform(dataset.x, dataset.n, dataset.featureSize, dataset.scale);
    const rebuilt = createDataset({ ...dataset, x, scale: 1, targetSize: dataset.targetSize }, 'Standardizer.transformDataset');
    return Object.freeze({ ...dataset, ...rebuilt }) as D;
  }

  /** Undoes `transform` (without the input scale): `y * std + mean`. */
  inverseTransform(y: Float32Array, rows: number, cols: number): Float32Array {
    const { mean, std } = this.requireFitted('inverseTransform');
    checkMatrix('Standardizer.inverseTransform', y, rows, cols);
    if (cols !== mean.length) throw new RangeError(`Standardizer.inverseTransform: fitted on ${mean.length} columns, received cols=${cols}`);
    const result = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) result[r * cols + c] = y[r * cols + c] * std[c] + mean[c];
    return result;
  }

  toJSON(): StandardizerState {
    const { mean, std } = this.requireFitted('toJSON');
    return { kind: 'gradwell.Standardizer', version: 1, mean: Array.from(mean), std: Array.from(std) };
  }

  static fromJSON(state: unknown): Standardizer {
    const s = state as Partial<StandardizerState> | null;
    if (s === null || typeof s !== 'object' || s.kind !== 'gradwell.Standardizer' || s.version !== 1) {
      throw new TypeError(`Standardizer.fromJSON: expected { kind: 'gradwell.Standardizer', version: 1, mean, std }, received ${JSON.stringify(state)?.slice(0, 80)}`);
    }
    const { mean, std } = s;
    if (!Array.isArray(mean) || !Array.isArray(std) || mean.length === 0 || mean.length !== std.length) {
      throw new RangeError('Standardizer.fromJSON: mean and std must be non-empty arrays of the same length');
    }
    mean.forEach((m, c) => {
      if (typeof m !== 'number' || !Number.isFinite(m)) throw new RangeError(`Standardizer.fromJSON: mean[${c}] is not a finite number`);
    });
    std.forEach((v, c) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new RangeError(`Standardizer.fromJSON: std[${c}] must be a positive finite number`);
    });
    const standardizer = new Standardizer();
    standardizer.meanValues = Float64Array.from(mean);
    standardizer.stdValues = Float64Array.from(std);
    return standardizer;
  }

  private requireFitted(what: string): { mean: Float64Array; std: Float64Array } {
    if (this.meanValues === null || this.stdValues === null) {
      throw new Error(`Standardizer.${what}: not fitted; call fit() on the training split first`);
    }
    return { mean: this.meanValues, std: this.stdValues };
  }
}
