// Optimizers with torch.optim names, defaults and semantics. The update itself
// is one fused native pass over all parameter buffers (op `optim_step_multi`,
// one parallel region for the whole model); this class owns hyper-parameters,
// per-parameter state and the step counter.
import type { ProgramStep } from './binding';
import { OPTIMIZER_DEFAULTS, OPTIMIZER_KINDS, OPTIM_HP, OPTIM_HP_LENGTH, packOptimHyper, type OptimizerKind } from './kinds';
import { createOptimState } from './kernels/optim';
import { op } from './ops';
import { checkNumber } from './errors';

/** A trainable buffer with its gradient, as the optimizer sees it. */
export interface OptimizerParam {
  name: string;
  value: Float32Array;
  grad: Float32Array;
  /** Coupled L2 added to the gradient (`g += l2 * p`), from the layer's regularizer. */
  l2: number;
  /** L1 added to the gradient (`g += l1 * sign(p)`), from the layer's regularizer. */
  l1: number;
}

type Kind = OptimizerKind;

interface Slot {
  param: OptimizerParam;
  states: (Float32Array | null)[];
  hp: Float64Array; // [lr, t, weight_decay, l1, a, b, eps, c]: a view of Optimizer.hp
}

export interface OptimizerConfig {
  className: string;
  config: Record<string, number | boolean>;
}

/** Rejects misspelt options (a `learningRate` that would silently be ignored). */
function checkKeys(where: string, opts: object, allowed: readonly string[]): void {
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${where}: expected an options object`);
  for (const k of Object.keys(opts)) {
    if (!allowed.includes(k)) throw new TypeError(`${where}: unknown option '${k}' (expected ${allowed.join(', ')})`);
  }
}

export abstract class Optimizer {
  /** Learning rate in effect; schedules and callbacks change it between steps. */
  lr: number;
  /** Steps taken (torch's per-parameter `step`, shared here since all params step together). */
  iterations = 0;
  protected abstract readonly kind: Kind;
  private slots: Slot[] = [];
  /** Every slot's hyper-parameters, 8 per slot (optim_step_multi's hp). */
  private hp = new Float64Array(0);
  readonly status = new Float32Array(1);

  protected constructor(lr: number, readonly weightDecay: number) {
    this.lr = checkNumber(this.constructor.name, 'lr', lr, { min: 0 });
    checkNumber(this.constructor.name, 'weightDecay', weightDecay, { min: 0 });
  }

  /** The kind's own hyper-parameters (OPTIMIZER_DEFAULTS[kind].hyper's names), read from this optimizer's fields. */
  private hyper(): Record<string, number | boolean> {
    const fields = this as unknown as Record<string, number | boolean>;
    return Object.fromEntries(Object.keys(OPTIMIZER_DEFAULTS[this.kind].hyper).map((k) => [k, fields[k]]));
  }

  abstract getConfig(): OptimizerConfig;

  /** Binds the optimizer to a model's parameters, creating (zeroed) state. */
  attach(params: OptimizerParam[]): void {
    const hyper = this.hyper();
    const eps = (this as unknown as { eps?: number }).eps;
    const width = OPTIM_HP_LENGTH;
    this.hp = new Float64Array(width * params.length);
    this.slots = params.map((p, i) => {
      const weightDecay = this.kind === 'adamw' ? this.weightDecay : this.weightDecay + p.l2;
      const hp = this.hp.subarray(width * i, width * (i + 1));
      hp.set(packOptimHyper(this.kind, { lr: this.lr, t: 1, weightDecay, l1: p.l1, eps, hyper }));
      const states: (Float32Array | null)[] = createOptimState(this.kind, hp, p.value.length);
      this.initState(states, p);
      return { param: p, states, hp };
    });
    if (this.kind === 'adamw' && params.some((p) => p.l2 > 0)) {
      throw new RangeError(
        'AdamW: a layer has an L2 kernel regularizer; with AdamW use weightDecay (decoupled) instead, or use Adam for coupled L2',
      );
    }
  }

  protected initState(_states: (Float32Array | null)[], _p: OptimizerParam): void {}

  /** Program steps of one update: one fused pass over every parameter (bit-identical to one optim_step each). */
  steps(): ProgramStep[] {
    if (this.slots.length === 0) return [];
    const state = (i: number) => this.slots.map((s) => s.states[i]);
    return [op.optim_step_multi(this.kind, this.slots.map((s) => s.param.value), this.slots.map((s) => s.param.grad), state(0), state(1), state(2), this.hp, this.status)];
  }

  /** The same update as one optim_step per parameter (the reference of optim_step_multi, for tests and benchmarks). */
  stepsPerTensor(): ProgramStep[] {
    return this.slots.map((s) => op.optim_step(this.kind, s.param.value, s.param.grad, s.states[0], s.states[1], s.states[2], s.hp, this.status));
  }

  /** Called before a step runs: advances the counter and publishes lr and t to the native program. */
  beginStep(): void {
    this.iterations += 1;
    checkNumber(this.constructor.name, 'lr', this.lr, { min: 0 });
    for (const s of this.slots) {
      s.hp[OPTIM_HP.lr] = this.lr;
      s.hp[OPTIM_HP.t] = this.iterations;
    }
  }

  /** The hyper-parameters beginStep publishes (8 per parameter), read by the native update; a chunk of steps stages copies. */
  hyperBuffer(): Float64Array {
    return this.hp;
  }

  /** Undo beginStep's counter when a step did not run (it was halted). */
  cancelStep(): void {
    this.iterations -= 1;
  }

  /** State buffers by parameter name, for saving. */
  stateTensors(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const s of this.slots) {
      s.states.forEach((st, i) => {
        if (st) out.set(`${s.param.name}.state${i}`, st);
      });
    }
    return out;
  }

  loadStateTensors(tensors: Map<string, Float32Array>): void {
    for (const s of this.slots) {
      s.states.forEach((st, i) => {
        if (!st) return;
        const key = `${s.param.name}.state${i}`;
        const v = tensors.get(key);
        if (!v) throw new Error(`optimizer state '${key}' is missing from the saved file`);
        if (v.length !== st.length) throw new Error(`optimizer state '${key}' has ${v.length} values, expected ${st.length}`);
        st.set(v);
      });
    }
  }
}

const SGD_D = OPTIMIZER_DEFAULTS.sgd;
const ADAGRAD_D = OPTIMIZER_DEFAULTS.adagrad;
const RMSPROP_D = OPTIMIZER_DEFAULTS.rmsprop;
const ADAMAX_D = OPTIMIZER_DEFAULTS.adamax;
const ADADELTA_D = OPTIMIZER_DEFAULTS.adadelta;

export interface SGDOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

export class SGD extends Optimizer {
  protected readonly kind = 'sgd';
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  constructor(opts: SGDOptions = {}) {
    checkKeys('SGD', opts, ['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay']);
    super(opts.lr ?? SGD_D.lr, opts.weightDecay ?? SGD_D.weightDecay);
    this.momentum = checkNumber('SGD', 'momentum', opts.momentum ?? SGD_D.hyper.momentum, { min: 0 });
    this.dampening = checkNumber('SGD', 'dampening', opts.dampening ?? SGD_D.hyper.dampening, { min: 0, max: 1 });
    this.nesterov = opts.nesterov ?? SGD_D.hyper.nesterov;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new RangeError('SGD: Nesterov momentum requires a momentum > 0 and zero dampening');
    }
  }
  getConfig(): OptimizerConfig {
    return { className: 'SGD', config: { lr: this.lr, momentum: this.momentum, dampening: this.dampening, nesterov: this.nesterov, weightDecay: this.weightDecay } };
  }
}

export interface AdagradOptions {
  lr?: number;
  lrDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
  weightDecay?: number;
}

export class Adagrad extends Optimizer {
  protected readonly kind = 'adagrad';
  readonly lrDecay: number;
  readonly initialAccumulatorValue: number;
  readonly eps: number;
  constructor(opts: AdagradOptions = {}) {
    checkKeys('Adagrad', opts, ['lr', 'lrDecay', 'initialAccumulatorValue', 'eps', 'weightDecay']);
    super(opts.lr ?? ADAGRAD_D.lr, opts.weightDecay ?? ADAGRAD_D.weightDecay);
    this.lrDecay = checkNumber('Adagrad', 'lrDecay', opts.lrDecay ?? ADAGRAD_D.hyper.lrDecay, { min: 0 });
    this.initialAccumulatorValue = checkNumber('Adagrad', 'initialAccumulatorValue', opts.initialAccumulatorValue ?? ADAGRAD_D.hyper.initialAccumulatorValue, { min: 0 });
    this.eps = checkNumber('Adagrad', 'eps', opts.eps ?? ADAGRAD_D.eps, { min: 0 });
  }
  protected override initState(states: (Float32Array | null)[]): void {
    states[0]!.fill(this.initialAccumulatorValue);
  }
  getConfig(): OptimizerConfig {
    return { className: 'Adagrad', config: { lr: this.lr, lrDecay: this.lrDecay, initialAccumulatorValue: this.initialAccumulatorValue, eps: this.eps, weightDecay: this.weightDecay } };
  }
}

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  momentum?: number;
  centered?: boolean;
  weightDecay?: number;
}

export class RMSprop extends Optimizer {
  protected readonly kind = 'rmsprop';
  readonly alpha: number;
  readonly eps: number;
  readonly momentum: number;
  readonly centered: boolean;
  constructor(opts: RMSpropOptions = {}) {
    checkKeys('RMSprop', opts, ['lr', 'alpha', 'eps', 'momentum', 'centered', 'weightDecay']);
    super(opts.lr ?? RMSPROP_D.lr, opts.weightDecay ?? RMSPROP_D.weightDecay);
    this.alpha = checkNumber('RMSprop', 'alpha', opts.alpha ?? RMSPROP_D.hyper.alpha, { min: 0 });
    this.eps = checkNumber('RMSprop', 'eps', opts.eps ?? RMSPROP_D.eps, { min: 0 });
    this.momentum = checkNumber('RMSprop', 'momentum', opts.momentum ?? RMSPROP_D.hyper.momentum, { min: 0 });
    this.centered = opts.centered ?? RMSPROP_D.hyper.centered;
  }
  getConfig(): OptimizerConfig {
    return { className: 'RMSprop', config: { lr: this.lr, alpha: this.alpha, eps: this.eps, momentum: this.momentum, centered: this.centered, weightDecay: this.weightDecay } };
  }
}

export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
}

function checkBeta(where: string, name: string, v: number): number {
  return checkNumber(where, name, v, { min: 0, max: 1, maxExclusive: true });
}

export class Adam extends Optimizer {
  protected readonly kind: Kind = 'adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly amsgrad: boolean;
  constructor(opts: AdamOptions = {}, kind: 'adam' | 'adamw' = 'adam') {
    checkKeys(new.target.name, opts, ['lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'amsgrad']);
    super(opts.lr ?? OPTIMIZER_DEFAULTS[kind].lr, opts.weightDecay ?? OPTIMIZER_DEFAULTS[kind].weightDecay);
    const d = OPTIMIZER_DEFAULTS[kind];
    const where = this.constructor.name;
    this.beta1 = checkBeta(where, 'beta1', opts.beta1 ?? d.hyper.beta1);
    this.beta2 = checkBeta(where, 'beta2', opts.beta2 ?? d.hyper.beta2);
    this.eps = checkNumber(where, 'eps', opts.eps ?? d.eps, { min: 0 });
    this.amsgrad = opts.amsgrad ?? d.hyper.amsgrad;
  }
  getConfig(): OptimizerConfig {
    return { className: this.constructor.name, config: { lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay, amsgrad: this.amsgrad } };
  }
}

/** Adam with decoupled weight decay (Loshchilov & Hutter); torch's default weightDecay is 0.01. */
export class AdamW extends Adam {
  protected override readonly kind: Kind = 'adamw';
  constructor(opts: AdamOptions = {}) {
    super(opts, 'adamw');
  }
}

export interface AdamaxOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export class Adamax extends Optimizer {
  protected readonly kind = 'adamax';
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  constructor(opts: AdamaxOptions = {}) {
    checkKeys('Adamax', opts, ['lr', 'beta1', 'beta2', 'eps', 'weightDecay']);
    super(opts.lr ?? ADAMAX_D.lr, opts.weightDecay ?? ADAMAX_D.weightDecay);
    this.beta1 = checkBeta('Adamax', 'beta1', opts.beta1 ?? ADAMAX_D.hyper.beta1);
    this.beta2 = checkBeta('Adamax', 'beta2', opts.beta2 ?? ADAMAX_D.hyper.beta2);
    this.eps = checkNumber('Adamax', 'eps', opts.eps ?? ADAMAX_D.eps, { min: 0 });
  }
  getConfig(): OptimizerConfig {
    return { className: 'Adamax', config: { lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay } };
  }
}

export interface AdadeltaOptions {
  lr?: number;
  rho?: number;
  eps?: number;
  weightDecay?: number;
}

export class Adadelta extends Optimizer {
  protected readonly kind = 'adadelta';
  readonly rho: number;
  readonly eps: number;
  constructor(opts: AdadeltaOptions = {}) {
    checkKeys('Adadelta', opts, ['lr', 'rho', 'eps', 'weightDecay']);
    super(opts.lr ?? ADADELTA_D.lr, opts.weightDecay ?? ADADELTA_D.weightDecay);
    this.rho = checkNumber('Adadelta', 'rho', opts.rho ?? ADADELTA_D.hyper.rho, { min: 0, max: 1 });
    this.eps = checkNumber('Adadelta', 'eps', opts.eps ?? ADADELTA_D.eps, { min: 0 });
  }
  getConfig(): OptimizerConfig {
    return { className: 'Adadelta', config: { lr: this.lr, rho: this.rho, eps: this.eps, weightDecay: this.weightDecay } };
  }
}

// Each class checks its own options (unknown keys, ranges).
const registry: Record<OptimizerName, new (opts: never) => Optimizer> = {
  sgd: SGD, adagrad: Adagrad, rmsprop: RMSprop, adam: Adam, adamw: AdamW, adamax: Adamax, adadelta: Adadelta,
};

export type OptimizerName = OptimizerKind;

/** Resolves 'adam', 'SGD', ... (torch defaults) or an Optimizer instance. */
export function getOptimizer(spec: Optimizer | OptimizerName | string, config: Record<string, unknown> = {}): Optimizer {
  if (spec instanceof Optimizer) return spec;
  const name = typeof spec === 'string' ? spec.toLowerCase() : undefined;
  const make = OPTIMIZER_KINDS.find((k) => k === name);
  if (!make) {
    throw new RangeError(`unknown optimizer ${JSON.stringify(spec)}; expected one of ${OPTIMIZER_KINDS.join(', ')} or an Optimizer`);
  }
  return new registry[make](config as never);
}

export function optimizerFromConfig(c: OptimizerConfig): Optimizer {
  return getOptimizer(c.className, c.config);
}
