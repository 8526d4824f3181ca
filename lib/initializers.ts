// Seeded weight initializers (Keras names, Keras/PyTorch definitions).
//
// Fans follow Keras' channels-last convention: a dense kernel is [in, out] (fanIn = in,
// fanOut = out); a conv kernel [...receptive, in, out] multiplies both by the receptive
// field size; a 1-D shape [n] has fanIn = fanOut = n; a scalar has fanIn = fanOut = 1.
//
// Normal-distributed initializers are NOT truncated (as PyTorch's kaiming_normal_ /
// xavier_normal_ / normal_); Keras' variance-scaling normals truncate at 2 std and rescale.
// Use `truncatedNormal` when a truncated draw is wanted: it redraws values outside
// mean ± 2*stddev (the stddev given is that of the untruncated distribution, as in Keras).
//
// Values are drawn in float64 and rounded to float32, in row-major order, one rng draw
// sequence per call: the same rng state always gives the same tensor.

import { Random } from './random';
import { assertShape, formatShape, shapeSize } from './tensor';

export interface InitializerConfig {
  className: string;
  config: Record<string, number>;
}

export interface Initializer {
  readonly className: string;
  /** A new float32 tensor of `shape` (row-major), drawn from `rng`. */
  init(shape: readonly number[], rng: Random): Float32Array;
  /** Fills `out` (its length must equal the shape's size). */
  fill(out: Float32Array, shape: readonly number[], rng: Random): Float32Array;
  getConfig(): InitializerConfig;
}

export function computeFans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  let receptive = 1;
  for (let i = 0; i < shape.length - 2; i++) receptive *= shape[i];
  return { fanIn: shape[shape.length - 2] * receptive, fanOut: shape[shape.length - 1] * receptive };
}

function checkNumber(op: string, name: string, v: unknown, opts: { min?: number; positive?: boolean } = {}): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new TypeError(`${op}: option '${name}' must be a finite number, received ${typeof v === 'number' ? v : typeof v}`);
  }
  if (opts.positive && !(v > 0)) throw new RangeError(`${op}: option '${name}' must be > 0, received ${v}`);
  if (opts.min !== undefined && v < opts.min) {
    throw new RangeError(`${op}: option '${name}' must be >= ${opts.min}, received ${v}`);
  }
  return v;
}

function checkOptions(op: string, options: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${op}: options must be an object, received ${options === null ? 'null' : typeof options}`);
  }
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) {
      throw new TypeError(`${op}: unknown option '${k}' (expected ${allowed.length ? allowed.join(', ') : 'none'})`);
    }
  }
  return options as Record<string, unknown>;
}

abstract class BaseInitializer implements Initializer {
  abstract readonly className: string;
  protected abstract draw(out: Float32Array, shape: readonly number[], rng: Random): void;
  abstract getConfig(): InitializerConfig;

  init(shape: readonly number[], rng: Random): Float32Array {
    assertShape(shape, `${this.className}.init: shape`);
    const n = shapeSize(shape);
    if (!Number.isSafeInteger(n) || n > 0x7fffffff) {
      throw new RangeError(`${this.className}.init: shape ${formatShape(shape)} has too many elements (${n})`);
    }
    return this.fill(new Float32Array(n), shape, rng);
  }

  fill(out: Float32Array, shape: readonly number[], rng: Random): Float32Array {
    if (!(out instanceof Float32Array)) throw new TypeError(`${this.className}.fill: out must be a Float32Array`);
    assertShape(shape, `${this.className}.fill: shape`);
    const n = shapeSize(shape);
    if (out.length !== n) {
      throw new RangeError(`${this.className}.fill: out has ${out.length} elements, shape ${formatShape(shape)} needs ${n}`);
    }
    if (!(rng instanceof Random)) throw new TypeError(`${this.className}: rng must be a Random`);
    this.draw(out, shape, rng);
    return out;
  }
}

export class Constant extends BaseInitializer {
  readonly className: string = 'Constant';
  readonly value: number;
  constructor(options?: { value?: number }) {
    super();
    const o = checkOptions('Constant', options, ['value']);
    this.value = checkNumber('Constant', 'value', o.value ?? 0);
  }
  protected draw(out: Float32Array): void {
    out.fill(this.value);
  }
  getConfig(): InitializerConfig {
    return { className: 'Constant', config: { value: this.value } };
  }
}

export class Zeros extends BaseInitializer {
  readonly className = 'Zeros';
  constructor(options?: Record<string, never>) {
    super();
    checkOptions('Zeros', options, []);
  }
  protected draw(out: Float32Array): void {
    out.fill(0);
  }
  getConfig(): InitializerConfig {
    return { className: 'Zeros', config: {} };
  }
}

export class Ones extends BaseInitializer {
  readonly className = 'Ones';
  constructor(options?: Record<string, never>) {
    super();
    checkOptions('Ones', options, []);
  }
  protected draw(out: Float32Array): void {
    out.fill(1);
  }
  getConfig(): InitializerConfig {
    return { className: 'Ones', config: {} };
  }
}

/** Normal(mean, stddev), not truncated. Keras RandomNormal; default stddev 0.05. */
export class RandomNormal extends BaseInitializer {
  readonly className = 'RandomNormal';
  readonly mean: number;
  readonly stddev: number;
  constructor(options?: { mean?: number; stddev?: number }) {
    super();
    const o = checkOptions('RandomNormal', options, ['mean', 'stddev']);
    this.mean = checkNumber('RandomNormal', 'mean', o.mean ?? 0);
    this.stddev = checkNumber('RandomNormal', 'stddev', o.stddev ?? 0.05, { min: 0 });
  }
  protected draw(out: Float32Array, _shape: readonly number[], rng: Random): void {
    for (let i = 0; i < out.length; i++) out[i] = this.mean + this.stddev * rng.normal();
  }
  getConfig(): InitializerConfig {
    return { className: 'RandomNormal', config: { mean: this.mean, stddev: this.stddev } };
  }
}

/**
 * Normal(mean, stddev) with values beyond 2 stddev redrawn (Keras TruncatedNormal; the
 * result's std is about 0.88 * stddev).
 */
export class TruncatedNormal extends BaseInitializer {
  readonly className = 'TruncatedNormal';
  readonly mean: number;
  readonly stddev: number;
  constructor(options?: { mean?: number; stddev?: number }) {
    super();
    const o = checkOptions('TruncatedNormal', options, ['mean', 'stddev']);
    this.mean = checkNumber('TruncatedNormal', 'mean', o.mean ?? 0);
    this.stddev = checkNumber('TruncatedNormal', 'stddev', o.stddev ?? 0.05, { min: 0 });
  }
  protected draw(out: Float32Array, _shape: readonly number[], rng: Random): void {
    for (let i = 0; i < out.length; i++) {
      let z: number;
      do z = rng.normal();
      while (z < -2 || z > 2); // accepts ~95.4 % of draws
      out[i] = this.mean + this.stddev * z;
    }
  }
  getConfig(): InitializerConfig {
    return { className: 'TruncatedNormal', config: { mean: this.mean, stddev: this.stddev } };
  }
}

/** Uniform in [min, max). Keras RandomUniform; defaults -0.05, 0.05. */
export class RandomUniform extends BaseInitializer {
  readonly className = 'RandomUniform';
  readonly min: number;
  readonly max: number;
  constructor(options?: { min?: number; max?: number }) {
    super();
    const o = checkOptions('RandomUniform', options, ['min', 'max']);
    this.min = checkNumber('RandomUniform', 'min', o.min ?? -0.05);
    this.max = checkNumber('RandomUniform', 'max', o.max ?? 0.05);
    if (this.min > this.max) {
      throw new RangeError(`RandomUniform: option 'min' (${this.min}) must be <= option 'max' (${this.max})`);
    }
  }
  protected draw(out: Float32Array, _shape: readonly number[], rng: Random): void {
    for (let i = 0; i < out.length; i++) out[i] = this.min + (this.max - this.min) * rng.uniform();
  }
  getConfig(): InitializerConfig {
    return { className: 'RandomUniform', config: { min: this.min, max: this.max } };
  }
}

type Distribution = 'normal' | 'uniform';
type FanMode = 'fanIn' | 'fanAvg';

/**
 * Variance scaling: variance = scale / n with n = fanIn or (fanIn+fanOut)/2.
 * normal: std = sqrt(variance) (not truncated); uniform: limit = sqrt(3 * variance).
 */
abstract class VarianceScaling extends BaseInitializer {
  constructor(
    readonly className: string,
    private readonly scale: number,
    private readonly mode: FanMode,
    private readonly distribution: Distribution,
    options: Record<string, never> | undefined,
  ) {
    super();
    checkOptions(className, options, []);
  }
  /** std for normal, limit for uniform, for this shape. */
  spread(shape: readonly number[]): number {
    const { fanIn, fanOut } = computeFans(shape);
    const n = this.mode === 'fanIn' ? fanIn : (fanIn + fanOut) / 2;
    const variance = this.scale / Math.max(1, n);
    return this.distribution === 'normal' ? Math.sqrt(variance) : Math.sqrt(3 * variance);
  }
  protected draw(out: Float32Array, shape: readonly number[], rng: Random): void {
    const s = this.spread(shape);
    if (this.distribution === 'normal') {
      for (let i = 0; i < out.length; i++) out[i] = s * rng.normal();
    } else {
      for (let i = 0; i < out.length; i++) out[i] = s * (2 * rng.uniform() - 1);
    }
  }
  getConfig(): InitializerConfig {
    return { className: this.className, config: {} };
  }
}

type NoOptions = Record<string, never>;
/** limit = sqrt(6 / (fanIn + fanOut)) (PyTorch xavier_uniform_). */
export class GlorotUniform extends VarianceScaling { constructor(o?: NoOptions) { super('GlorotUniform', 1, 'fanAvg', 'uniform', o); } }
/** std = sqrt(2 / (fanIn + fanOut)), not truncated (PyTorch xavier_normal_). */
export class GlorotNormal extends VarianceScaling { constructor(o?: NoOptions) { super('GlorotNormal', 1, 'fanAvg', 'normal', o); } }
/** limit = sqrt(6 / fanIn) (PyTorch kaiming_uniform_ with a = 0, mode fan_in). */
export class HeUniform extends VarianceScaling { constructor(o?: NoOptions) { super('HeUniform', 2, 'fanIn', 'uniform', o); } }
/** std = sqrt(2 / fanIn), not truncated (PyTorch kaiming_normal_). */
export class HeNormal extends VarianceScaling { constructor(o?: NoOptions) { super('HeNormal', 2, 'fanIn', 'normal', o); } }
/** limit = sqrt(3 / fanIn). */
export class LecunUniform extends VarianceScaling { constructor(o?: NoOptions) { super('LecunUniform', 1, 'fanIn', 'uniform', o); } }
/** std = sqrt(1 / fanIn), not truncated. */
export class LecunNormal extends VarianceScaling { constructor(o?: NoOptions) { super('LecunNormal', 1, 'fanIn', 'normal', o); } }

type Factory = (options?: Record<string, unknown>) => Initializer;

// className -> factory. Lookup normalises names: 'heNormal', 'HeNormal', 'he_normal' all match.
const REGISTRY: Record<string, { className: string; make: Factory }> = {};
function register(className: string, make: Factory, ...aliases: string[]): void {
  for (const name of [className, ...aliases]) REGISTRY[normaliseName(name)] = { className, make };
}
function normaliseName(name: string): string {
  return name.replace(/[_\-\s]/g, '').toLowerCase();
}

register('Zeros', (o) => new Zeros(o as Record<string, never>), 'zero');
register('Ones', (o) => new Ones(o as Record<string, never>), 'one');
register('Constant', (o) => new Constant(o as { value?: number }));
register('RandomNormal', (o) => new RandomNormal(o as { mean?: number; stddev?: number }), 'normal', 'smallGaussian');
register('TruncatedNormal', (o) => new TruncatedNormal(o as { mean?: number; stddev?: number }));
register('RandomUniform', (o) => new RandomUniform(o as { min?: number; max?: number }), 'uniform');
register('GlorotUniform', (o) => new GlorotUniform(o as Record<string, never>), 'xavierUniform');
register('GlorotNormal', (o) => new GlorotNormal(o as Record<string, never>), 'xavierNormal');
register('HeUniform', (o) => new HeUniform(o as Record<string, never>), 'kaimingUniform');
register('HeNormal', (o) => new HeNormal(o as Record<string, never>), 'kaimingNormal');
register('LecunUniform', (o) => new LecunUniform(o as Record<string, never>));
register('LecunNormal', (o) => new LecunNormal(o as Record<string, never>));

export function initializerNames(): string[] {
  return [...new Set(Object.values(REGISTRY).map((e) => e.className))];
}

/**
 * Resolves an initializer from a name ('heNormal', 'he_normal', 'HeNormal'), a saved config
 * ({className, config}) or an Initializer instance (returned as is).
 */
export function getInitializer(spec: string | InitializerConfig | Initializer): Initializer {
  if (typeof spec === 'string') return lookup(spec).make();
  if (typeof spec === 'object' && spec !== null) {
    // An instance, ours or a user's own implementation of the interface.
    if (typeof (spec as Initializer).init === 'function' && typeof (spec as Initializer).getConfig === 'function') return spec as Initializer;
    if ('className' in spec && typeof spec.className === 'string') return initializerFromConfig(spec as InitializerConfig);
  }
  throw new TypeError(
    `getInitializer: expected a name, a {className, config} object or an Initializer, received ${spec === null ? 'null' : typeof spec}`,
  );
}

export function initializerFromConfig(cfg: InitializerConfig): Initializer {
  if (typeof cfg !== 'object' || cfg === null || typeof cfg.className !== 'string') {
    throw new TypeError('initializerFromConfig: expected {className: string, config: object}');
  }
  const config = cfg.config ?? {};
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new TypeError(`initializerFromConfig: config of '${cfg.className}' must be an object`);
  }
  return lookup(cfg.className).make({ ...config });
}

function lookup(name: string): { className: string; make: Factory } {
  const entry = REGISTRY[normaliseName(name)];
  if (!entry) throw new RangeError(`unknown initializer '${name}' (known: ${initializerNames().join(', ')})`);
  return entry;
}
