// Input adaptation for Sequential: samples and targets as the programs read them.
import type { Dataset } from '../data/dataset';
import { checkNumber } from '../errors';
import type { FitOptions } from './options';
import { Tensor, describeValue, formatShape, shapeSize } from '../tensor';

/** Samples: a float tensor [n, ...shape], or compact bytes converted per batch (data * scale). */
export type Inputs = Tensor | { data: Float32Array | Uint8Array; shape: readonly number[]; scale?: number };
/** Targets: integer labels for sparse losses, else a float tensor [n, outputs] (or [n] for one output). */
export type Targets = Tensor | Int32Array | Float32Array | readonly number[];

/** Samples as a program gathers them: rows of sampleSize values, times scale for bytes. */
export interface DataSource {
  data: Float32Array | Uint8Array;
  n: number;
  sampleShape: number[];
  sampleSize: number;
  scale: number;
}

export interface TargetSource {
  data: Float32Array | Int32Array;
  n: number;
}

/** True for a Dataset (lib/data): samples, targets and scale in one object. */
export function isDataset(v: unknown): v is Dataset {
  return !!v && typeof v === 'object' && 'x' in v && 'y' in v && 'featureSize' in v && 'n' in v;
}

export function datasetInputs(d: Dataset): Inputs {
  return { data: d.x, shape: [d.n, ...d.shape], scale: d.scale };
}

/** The (data, options) or (x, y, options) overloads of fit and evaluate, as one shape. */
export function splitArgs<O>(a: Inputs | Dataset, b: Targets | O | undefined, c: O | undefined): { x: Inputs; y: Targets; opts: O | undefined } {
  if (isDataset(a)) return { x: datasetInputs(a), y: a.y, opts: b as O | undefined };
  return { x: a, y: b as Targets, opts: c };
}

export function toSource(x: Inputs, what: string): DataSource {
  if (x instanceof Tensor) {
    if (x.rank < 2) throw new RangeError(`${what}: expected a tensor of shape [samples, ...features] but received ${formatShape(x.shape)}`);
    return { data: x.data, n: x.shape[0], sampleShape: [...x.shape.slice(1)], sampleSize: shapeSize(x.shape.slice(1)), scale: 1 };
  }
  if (x && typeof x === 'object' && (x.data instanceof Float32Array || x.data instanceof Uint8Array) && Array.isArray(x.shape)) {
    const shape = x.shape as number[];
    if (shape.length < 2) throw new RangeError(`${what}: expected shape [samples, ...features] but received ${formatShape(shape)}`);
    const size = shapeSize(shape);
    if (size !== x.data.length) throw new RangeError(`${what}: shape ${formatShape(shape)} needs ${size} values but data has ${x.data.length}`);
    const scale = x.scale ?? 1;
    if (x.data instanceof Float32Array && scale !== 1) throw new RangeError(`${what}: scale applies to Uint8Array data only`);
    checkNumber(what, 'scale', scale);
    return { data: x.data, n: shape[0], sampleShape: shape.slice(1), sampleSize: shapeSize(shape.slice(1)), scale };
  }
  throw new TypeError(`${what}: expected a Tensor or { data: Float32Array | Uint8Array, shape } but received ${describeValue(x)}`);
}

/** Integer labels in [0, outputs) for a sparse loss, else n x outputs float targets. */
export function toTargets(y: Targets, n: number, what: string, sparse: boolean, outputs: number): TargetSource {
  if (sparse) {
    let labels: Int32Array;
    if (y instanceof Int32Array) labels = y;
    else if (Array.isArray(y)) labels = Int32Array.from(y as number[]);
    else if (y instanceof Tensor || y instanceof Float32Array) {
      const d = y instanceof Tensor ? y.data : y;
      labels = new Int32Array(d.length);
      for (let i = 0; i < d.length; i++) {
        if (!Number.isInteger(d[i])) throw new RangeError(`${what}: labels must be integers; label ${i} is ${d[i]}`);
        labels[i] = d[i];
      }
    } else throw new TypeError(`${what}: expected integer labels (Int32Array) but received ${describeValue(y)}`);
    if (labels.length !== n) throw new RangeError(`${what}: ${labels.length} labels for ${n} samples`);
    for (let i = 0; i < n; i++) {
      if (labels[i] < 0 || labels[i] >= outputs) {
        throw new RangeError(`${what}: label ${i} is ${labels[i]}, outside [0, ${outputs}) for a model with ${outputs} outputs`);
      }
    }
    return { data: labels, n };
  }
  let d: Float32Array;
  if (y instanceof Tensor) d = y.data;
  else if (y instanceof Float32Array) d = y;
  else if (Array.isArray(y)) d = Float32Array.from(y as number[]);
  else throw new TypeError(`${what}: expected a Tensor or Float32Array of targets but received ${describeValue(y)}`);
  if (d.length !== n * outputs) {
    throw new RangeError(`${what}: targets have ${d.length} values; expected ${n} samples x ${outputs} outputs = ${n * outputs}`);
  }
  return { data: d, n };
}

/** The training indices and the validation data of fit's options (validationSplit holds out the last samples, as Keras does). */
export function holdOut(
  src: DataSource,
  tgt: TargetSource,
  opts: Pick<FitOptions, 'validationData' | 'validationSplit'>,
  targets: (y: Targets, n: number, what: string) => TargetSource,
): { trainIdx: Int32Array; val: { src: DataSource; tgt: TargetSource; idx: Int32Array } | null } {
  let trainIdx = Int32Array.from({ length: src.n }, (_, i) => i);
  let val: { src: DataSource; tgt: TargetSource; idx: Int32Array } | null = null;
  const validation = opts.validationData;
  if (validation) {
    const v = isDataset(validation) ? splitArgs<never>(validation, undefined, undefined) : { x: validation[0], y: validation[1] };
    const vs = toSource(v.x, 'fit: validationData[0]');
    val = { src: vs, tgt: targets(v.y, vs.n, 'fit: validationData[1]'), idx: Int32Array.from({ length: vs.n }, (_, i) => i) };
  } else if (opts.validationSplit !== undefined) {
    const f = checkNumber('fit', 'validationSplit', opts.validationSplit, { min: 0, max: 1, maxExclusive: true });
    const nVal = Math.floor(src.n * f);
    if (nVal > 0) {
      val = { src, tgt, idx: trainIdx.slice(src.n - nVal) };
      trainIdx = trainIdx.slice(0, src.n - nVal);
    }
  }
  return { trainIdx, val };
}
