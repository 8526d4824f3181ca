// Learning-rate schedules, matching PyTorch's (see the golden README, schedules.json).
//
// Epoch-based schedules are pure functions: `lrAt(epoch, baseLr)` is the lr in effect
// during epoch `epoch` (0-based), i.e. after `epoch` calls of PyTorch's scheduler.step().
// Computing from the closed form (not PyTorch's chained recursive form) keeps them
// stateless, so a resumed run only needs the epoch number.
//
// ReduceLROnPlateau depends on the metric history, so it is stateful: `step(metric)` after
// each epoch returns the new lr; getState()/ReduceLROnPlateau.fromState() save and resume it.

export interface ScheduleConfig {
  className: string;
  config: Record<string, number | string>;
}

export interface EpochSchedule {
  readonly className: string;
  /** The learning rate in effect during epoch `epoch` (0, 1, 2, ...). */
  lrAt(epoch: number, baseLr: number): number;
  getConfig(): ScheduleConfig;
}

function checkOptions(op: string, options: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${op}: options must be an object, received ${options === null ? 'null' : typeof options}`);
  }
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) throw new TypeError(`${op}: unknown option '${k}' (expected ${allowed.join(', ') || 'none'})`);
  }
  return options as Record<string, unknown>;
}

interface NumberRule {
  integer?: boolean;
  min?: number; // inclusive
  above?: number; // exclusive
  below?: number; // exclusive
  max?: number; // inclusive
}

function num(op: string, name: string, v: unknown, fallback: number | undefined, rule: NumberRule = {}): number {
  if (v === undefined) {
    if (fallback === undefined) throw new TypeError(`${op}: option '${name}' is required`);
    v = fallback;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new TypeError(`${op}: option '${name}' must be a finite number, received ${typeof v === 'number' ? v : typeof v}`);
  }
  if (rule.integer && !Number.isInteger(v)) throw new RangeError(`${op}: option '${name}' must be an integer, received ${v}`);
  if (rule.min !== undefined && v < rule.min) throw new RangeError(`${op}: option '${name}' must be >= ${rule.min}, received ${v}`);
  if (rule.above !== undefined && !(v > rule.above)) {
    throw new RangeError(`${op}: option '${name}' must be > ${rule.above}, received ${v}`);
  }
  if (rule.below !== undefined && !(v < rule.below)) {
    throw new RangeError(`${op}: option '${name}' must be < ${rule.below}, received ${v}`);
  }
  if (rule.max !== undefined && v > rule.max) throw new RangeError(`${op}: option '${name}' must be <= ${rule.max}, received ${v}`);
  return v;
}

function checkEpochArgs(op: string, epoch: number, baseLr: number): void {
  if (typeof epoch !== 'number' || !Number.isInteger(epoch) || epoch < 0) {
    throw new RangeError(`${op}.lrAt: epoch must be a non-negative integer, received ${epoch}`);
  }
  if (typeof baseLr !== 'number' || !Number.isFinite(baseLr) || baseLr < 0) {
    throw new RangeError(`${op}.lrAt: baseLr must be a finite number >= 0, received ${baseLr}`);
  }
}

type OptionSpec = Record<string, [fallback: number | undefined, rule: NumberRule]>;

/**
 * An epoch schedule with numeric options: parsed from `spec` (in its order) onto the instance and
 * saved back by getConfig; lrAt checks its arguments, then calls rate().
 */
abstract class NumericSchedule implements EpochSchedule {
  readonly #optionNames: readonly string[];
  constructor(readonly className: string, options: unknown, spec: OptionSpec) {
    this.#optionNames = Object.keys(spec);
    const o = checkOptions(className, options, this.#optionNames);
    for (const [name, [fallback, rule]] of Object.entries(spec)) {
      (this as unknown as Record<string, number>)[name] = num(className, name, o[name], fallback, rule);
    }
  }
  protected abstract rate(epoch: number, baseLr: number): number;
  lrAt(epoch: number, baseLr: number): number {
    checkEpochArgs(this.className, epoch, baseLr);
    return this.rate(epoch, baseLr);
  }
  getConfig(): ScheduleConfig {
    const config: Record<string, number> = {};
    for (const k of this.#optionNames) config[k] = (this as unknown as Record<string, number>)[k];
    return { className: this.className, config };
  }
}

export class ConstantLR extends NumericSchedule {
  protected rate(_epoch: number, baseLr: number): number {
    return baseLr;
  }
  constructor(options?: Record<string, never>) {
    super('ConstantLR', options, {});
  }
}

/** baseLr * gamma^floor(epoch / stepSize). */
export class StepLR extends NumericSchedule {
  declare readonly stepSize: number;
  declare readonly gamma: number;
  protected rate(epoch: number, baseLr: number): number {
    return baseLr * Math.pow(this.gamma, Math.floor(epoch / this.stepSize));
  }
  constructor(options: { stepSize: number; gamma?: number }) {
    super('StepLR', options, { stepSize: [undefined, { integer: true, min: 1 }], gamma: [0.1, { min: 0 }] });
  }
}

/** baseLr * gamma^epoch. */
export class ExponentialLR extends NumericSchedule {
  declare readonly gamma: number;
  protected rate(epoch: number, baseLr: number): number {
    return baseLr * Math.pow(this.gamma, epoch);
  }
  constructor(options: { gamma: number }) {
    super('ExponentialLR', options, { gamma: [undefined, { min: 0 }] });
  }
}

/**
 * etaMin + (baseLr - etaMin) * (1 + cos(pi * epoch / tMax)) / 2 for every epoch: as PyTorch's
 * closed form, past tMax the curve rises again (period 2*tMax), it is not clamped at etaMin.
 */
export class CosineAnnealingLR extends NumericSchedule {
  declare readonly tMax: number;
  declare readonly etaMin: number;
  protected rate(epoch: number, baseLr: number): number {
    return this.etaMin + ((baseLr - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.tMax))) / 2;
  }
  constructor(options: { tMax: number; etaMin?: number }) {
    super('CosineAnnealingLR', options, { tMax: [undefined, { integer: true, min: 1 }], etaMin: [0, { min: 0 }] });
  }
}

/**
 * Linear warmup then cosine decay, held at etaMin after the cosine part:
 *   epoch < W:  baseLr * (epoch + 1) / W
 *   otherwise:  etaMin + (baseLr - etaMin) * (1 + cos(pi * min(epoch - W, T) / T)) / 2
 * with W = warmupEpochs (may be 0), T = cosineEpochs.
 */
export class WarmupCosine extends NumericSchedule {
  declare readonly warmupEpochs: number;
  declare readonly cosineEpochs: number;
  declare readonly etaMin: number;
  protected rate(epoch: number, baseLr: number): number {
    const w = this.warmupEpochs;
    if (epoch < w) return (baseLr * (epoch + 1)) / w;
    const t = Math.min(epoch - w, this.cosineEpochs);
    return this.etaMin + 0.5 * (baseLr - this.etaMin) * (1 + Math.cos((Math.PI * t) / this.cosineEpochs));
  }
  constructor(options: { warmupEpochs: number; cosineEpochs: number; etaMin?: number }) {
    super('WarmupCosine', options, {
      warmupEpochs: [undefined, { integer: true, min: 0 }],
      cosineEpochs: [undefined, { integer: true, min: 1 }],
      etaMin: [0, { min: 0 }],
    });
  }
}

export interface ReduceLROnPlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  minLr?: number;
  eps?: number;
}

export interface ReduceLROnPlateauState {
  lr: number;
  /** Best metric so far; ±Infinity before the first step (JSON: stored as null). */
  best: number;
  badEpochs: number;
  cooldownCounter: number;
  epochs: number;
}

/**
 * PyTorch's ReduceLROnPlateau for one learning rate. After each epoch, step(metric):
 *   improved iff (min, rel) metric < best*(1-threshold); (min, abs) metric < best-threshold;
 *                (max, rel) metric > best*(1+threshold); (max, abs) metric > best+threshold.
 *   improved: best = metric, badEpochs = 0; else badEpochs += 1.
 *   in cooldown (counter > 0): counter -= 1 and badEpochs = 0.
 *   badEpochs > patience: lr = max(lr*factor, minLr) (kept unchanged if the decrease is
 *   <= eps), counter = cooldown, badEpochs = 0.
 * A NaN metric never improves (it counts as a bad epoch), as in PyTorch.
 */
export class ReduceLROnPlateau {
  readonly className = 'ReduceLROnPlateau';
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLr: number;
  readonly eps: number;
  private lrNow: number;
  private best: number;
  private badEpochs = 0;
  private cooldownCounter = 0;
  private epochs = 0;

  constructor(initialLr: number, options: ReduceLROnPlateauOptions = {}) {
    const op = 'ReduceLROnPlateau';
    const o = checkOptions(op, options, ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps']);
    const mode = o.mode ?? 'min';
    if (mode !== 'min' && mode !== 'max') throw new RangeError(`${op}: option 'mode' must be 'min' or 'max', received ${String(mode)}`);
    const thresholdMode = o.thresholdMode ?? 'rel';
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs') {
      throw new RangeError(`${op}: option 'thresholdMode' must be 'rel' or 'abs', received ${String(thresholdMode)}`);
    }
    this.mode = mode;
    this.thresholdMode = thresholdMode;
    this.factor = num(op, 'factor', o.factor, 0.1, { min: 0, below: 1 });
    this.patience = num(op, 'patience', o.patience, 10, { integer: true, min: 0 });
    this.threshold = num(op, 'threshold', o.threshold, 1e-4, { min: 0 });
    this.cooldown = num(op, 'cooldown', o.cooldown, 0, { integer: true, min: 0 });
    this.minLr = num(op, 'minLr', o.minLr, 0, { min: 0 });
    this.eps = num(op, 'eps', o.eps, 1e-8, { min: 0 });
    this.lrNow = num(op, 'initialLr', initialLr, undefined, { min: 0 });
    this.best = this.worst();
  }

  private worst(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(metric: number): boolean {
    const b = this.best;
    if (this.mode === 'min') {
      return this.thresholdMode === 'rel' ? metric < b * (1 - this.threshold) : metric < b - this.threshold;
    }
    return this.thresholdMode === 'rel' ? metric > b * (1 + this.threshold) : metric > b + this.threshold;
  }

  /** The current learning rate. */
  get lr(): number {
    return this.lrNow;
  }

  /** Records the metric of the epoch just finished; returns the lr for the next epoch. */
  step(metric: number): number {
    if (typeof metric !== 'number') {
      throw new TypeError(`ReduceLROnPlateau.step: metric must be a number, received ${typeof metric}`);
    }
    this.epochs++;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.badEpochs = 0;
    } else {
      this.badEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.badEpochs = 0; // bad epochs during cooldown are ignored
    }
    if (this.badEpochs > this.patience) {
      const reduced = Math.max(this.lrNow * this.factor, this.minLr);
      if (this.lrNow - reduced > this.eps) this.lrNow = reduced;
      this.cooldownCounter = this.cooldown;
      this.badEpochs = 0;
    }
    return this.lrNow;
  }

  getConfig(): ScheduleConfig {
    return {
      className: this.className,
      config: {
        mode: this.mode,
        factor: this.factor,
        patience: this.patience,
        threshold: this.threshold,
        thresholdMode: this.thresholdMode,
        cooldown: this.cooldown,
        minLr: this.minLr,
        eps: this.eps,
      },
    };
  }

  getState(): ReduceLROnPlateauState {
    return { lr: this.lrNow, best: this.best, badEpochs: this.badEpochs, cooldownCounter: this.cooldownCounter, epochs: this.epochs };
  }

  /**
   * Restores a scheduler saved with getConfig() + getState(). `best` may be null (how
   * JSON.stringify writes ±Infinity): it then means "no metric seen yet".
   */
  static fromState(config: ScheduleConfig, state: ReduceLROnPlateauState): ReduceLROnPlateau {
    if (typeof config !== 'object' || config === null || config.className !== 'ReduceLROnPlateau') {
      throw new TypeError(`ReduceLROnPlateau.fromState: config.className must be 'ReduceLROnPlateau'`);
    }
    if (typeof state !== 'object' || state === null) throw new TypeError('ReduceLROnPlateau.fromState: state must be an object');
    const op = 'ReduceLROnPlateau.fromState';
    const s = new ReduceLROnPlateau(num(op, 'state.lr', state.lr, undefined, { min: 0 }), config.config as ReduceLROnPlateauOptions);
    const best = state.best as number | null;
    if (best === null || best === undefined) s.best = s.worst();
    else if (typeof best !== 'number' || Number.isNaN(best)) throw new TypeError(`${op}: state.best must be a number or null`);
    else s.best = best;
    s.badEpochs = num(op, 'state.badEpochs', state.badEpochs, undefined, { integer: true, min: 0 });
    s.cooldownCounter = num(op, 'state.cooldownCounter', state.cooldownCounter, undefined, { integer: true, min: 0 });
    s.epochs = num(op, 'state.epochs', state.epochs, 0, { integer: true, min: 0 });
    return s;
  }
}

// Epoch-schedule registry for model saving: names normalised like the initializers'
// ('step_lr', 'stepLR', 'StepLR'); option names accept snake_case too ('step_size').
type ScheduleFactory = (options: Record<string, unknown>) => EpochSchedule;
const SCHEDULES: Record<string, { className: string; make: ScheduleFactory }> = {};
function normaliseName(name: string): string {
  return name.replace(/[_\-\s]/g, '').toLowerCase();
}
function registerSchedule(className: string, make: ScheduleFactory, ...aliases: string[]): void {
  for (const n of [className, ...aliases]) SCHEDULES[normaliseName(n)] = { className, make };
}
registerSchedule('ConstantLR', (o) => new ConstantLR(o as Record<string, never>), 'constant');
registerSchedule('StepLR', (o) => new StepLR(o as { stepSize: number }), 'step');
registerSchedule('ExponentialLR', (o) => new ExponentialLR(o as { gamma: number }), 'exponential');
registerSchedule('CosineAnnealingLR', (o) => new CosineAnnealingLR(o as { tMax: number }), 'cosine', 'cosineAnnealing');
registerSchedule('WarmupCosine', (o) => new WarmupCosine(o as { warmupEpochs: number; cosineEpochs: number }));

function camelCaseKeys(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    // step_size -> stepSize, T_max -> tMax, eta_min -> etaMin
    const camel = k.replace(/_([a-zA-Z])/g, (_m, c: string) => c.toUpperCase());
    out[camel.charAt(0).toLowerCase() + camel.slice(1)] = v;
  }
  return out;
}

/** An epoch schedule from a name plus options, or from a saved {className, config}. */
export function getSchedule(spec: string | ScheduleConfig, options: Record<string, unknown> = {}): EpochSchedule {
  if (typeof spec === 'object' && spec !== null && typeof spec.className === 'string') {
    return getSchedule(spec.className, (spec.config ?? {}) as Record<string, unknown>);
  }
  if (typeof spec !== 'string') throw new TypeError(`getSchedule: expected a name or {className, config}, received ${typeof spec}`);
  const entry = SCHEDULES[normaliseName(spec)];
  if (!entry) {
    const known = [...new Set(Object.values(SCHEDULES).map((e) => e.className))].join(', ');
    throw new RangeError(`unknown learning-rate schedule '${spec}' (known: ${known}; ReduceLROnPlateau is built with its constructor)`);
  }
  return entry.make(camelCaseKeys(options));
}
