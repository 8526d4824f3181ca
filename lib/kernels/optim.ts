// optim kernels: typed wrappers over the native ops (see native/binding/optim_ops.cpp).
// One fused pass per parameter buffer with torch.optim semantics, gradient
// clipping and the non-finite guard.
import { native, runStep } from '../binding';
import { op as build } from '../ops';
import { OPTIMIZER_KINDS as KINDS, OPTIM_HP, packOptimHyper, type OptimizerKind } from '../kinds';

export type { OptimizerKind } from '../kinds';
export const OPTIMIZER_KINDS: readonly OptimizerKind[] = KINDS;

/** Slots of the hyper-parameter vector `hp` of optimStep (native/OPS.md). */
export { OPTIM_HP, OPTIM_HP_LENGTH } from '../kinds';

/** Hyper-parameters by name; the defaults are torch.optim's. */
export interface OptimizerOptions {
  lr?: number;
  /** The 1-based step number (1 = fresh state). Default 1. */
  step?: number;
  /** Coupled L2 (added to the gradient); AdamW: decoupled decay. */
  weightDecay?: number;
  /** L1 penalty: `l1 * sign(p)` added to the gradient. */
  l1?: number;
  /** sgd, rmsprop */
  momentum?: number;
  /** sgd */
  dampening?: number;
  nesterov?: boolean;
  /** adagrad */
  lrDecay?: number;
  initialAccumulatorValue?: number;
  /** rmsprop */
  alpha?: number;
  centered?: boolean;
  /** adam, adamw, adamax */
  betas?: readonly [number, number];
  amsgrad?: boolean;
  /** adadelta */
  rho?: number;
  eps?: number;
}

function checkKind(op: string, kind: unknown): OptimizerKind {
  if (typeof kind !== 'string' || !(OPTIMIZER_KINDS as readonly string[]).includes(kind)) {
    throw new RangeError(`${op}: unknown optimizer kind ${JSON.stringify(kind)}; expected one of ${OPTIMIZER_KINDS.join(', ')}`);
  }
  return kind as OptimizerKind;
}

function checkF32(op: string, name: string, x: unknown): Float32Array {
  if (!(x instanceof Float32Array)) {
    throw new TypeError(`${op}: argument '${name}' must be a Float32Array, received ${describe(x)}`);
  }
  return x;
}

function checkF32List(op: string, name: string, xs: unknown): Float32Array[] {
  if (!Array.isArray(xs)) throw new TypeError(`${op}: argument '${name}' must be an array of Float32Array, received ${describe(xs)}`);
  xs.forEach((x, i) => checkF32(op, `${name}[${i}]`, x));
  return xs as Float32Array[];
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (ArrayBuffer.isView(x)) return `${x.constructor.name}(${(x as unknown as { length: number }).length})`;
  if (Array.isArray(x)) return `Array(${x.length})`;
  return `${typeof x} ${String(x)}`;
}

/**
 * Builds the hyper-parameter vector of optimStep from named options, with
 * torch.optim's defaults. Keep it and update `hp[OPTIM_HP.t]` (and `lr`) between steps.
 */
export function optimHyper(kind: OptimizerKind, options: OptimizerOptions = {}): Float64Array {
  checkKind('optimHyper', kind);
  const { betas, ...o } = options;
  return packOptimHyper(kind, {
    lr: o.lr,
    t: o.step,
    weightDecay: o.weightDecay,
    l1: o.l1,
    eps: o.eps,
    hyper: { ...o, beta1: betas?.[0], beta2: betas?.[1] },
  });
}

type StateRule = 'always' | 'never' | 'a != 0' | 'b > 0' | 'c != 0';

/** When each state buffer is needed, per kind, as the native side says (native/kernels/kinds.inc). */
const STATE_RULES = new Map<string, StateRule[]>(native.kinds().optimizers.map((o) => [o.name, o.states as StateRule[]]));

function ruleHolds(rule: StateRule, hp: Float64Array): boolean {
  switch (rule) {
    case 'always':
      return true;
    case 'never':
      return false;
    case 'a != 0':
      return hp[OPTIM_HP.a] !== 0;
    case 'b > 0':
      return hp[OPTIM_HP.b] > 0;
    case 'c != 0':
      return hp[OPTIM_HP.c] !== 0;
  }
}

/** Which state buffers (s1, s2, s3) a step of `kind` with `hp` reads and writes. */
export function optimStateSlots(kind: OptimizerKind, hp: Float64Array): [boolean, boolean, boolean] {
  checkKind('optimStateSlots', kind);
  const rules = STATE_RULES.get(kind);
  if (!rules) throw new Error(`optimStateSlots: the native addon does not know optimizer kind '${kind}'`);
  return [ruleHolds(rules[0], hp), ruleHolds(rules[1], hp), ruleHolds(rules[2], hp)];
}

/** State buffers of one parameter for `kind` (null where the step needs none). */
export function createOptimState(
  kind: OptimizerKind,
  hp: Float64Array,
  length: number,
): [Float32Array | null, Float32Array | null, Float32Array | null] {
  const [s1, s2, s3] = optimStateSlots(kind, hp);
  const make = (needed: boolean) => (needed ? new Float32Array(length) : null);
  return [make(s1), make(s2), make(s3)];
}

/**
 * One fused optimizer step in place: `param` and the state buffers are updated
 * from `grad` in a single pass. `status[0]` becomes 1 when any gradient element
 * was NaN or infinite (the parameters are then updated with it, as torch
 * would; check `status` and stop), else 0. Step t = 1 treats the state as fresh.
 */
export function optimStep(
  kind: OptimizerKind,
  param: Float32Array,
  grad: Float32Array,
  state: readonly (Float32Array | null | undefined)[],
  hp: Float64Array,
  status: Float32Array,
): void {
  const op = 'optim_step';
  checkKind(op, kind);
  checkF32(op, 'param', param);
  checkF32(op, 'grad', grad);
  if (!(hp instanceof Float64Array)) throw new TypeError(`${op}: argument 'hp' must be a Float64Array, received ${describe(hp)}`);
  checkF32(op, 'status', status);
  const s = [state[0] ?? null, state[1] ?? null, state[2] ?? null];
  s.forEach((x, i) => {
    if (x !== null) checkF32(op, `s${i + 1}`, x);
  });
  runStep(build.optim_step(kind, param, grad, s[0], s[1], s[2], hp, status));
}

/**
 * torch.nn.utils.clip_grad_norm_: scales every gradient by
 * `min(1, maxNorm / (norm + 1e-6))` where norm is the global 2-norm; returns the norm before clipping.
 */
export function clipGradNorm(grads: Float32Array[], maxNorm: number, out: Float32Array = new Float32Array(1)): number {
  checkF32List('clip_grad_norm', 'grads', grads);
  checkF32('clip_grad_norm', 'out', out);
  runStep(build.clip_grad_norm(grads, maxNorm, out));
  return out[0];
}

/** torch.nn.utils.clip_grad_value_: clamps every element to [-clipValue, clipValue] (NaN stays NaN). */
export function clipGradValue(grads: Float32Array[], clipValue: number): void {
  checkF32List('clip_grad_value', 'grads', grads);
  runStep(build.clip_grad_value(grads, clipValue));
}

/** flags[i] = 1 when buffers[i] holds a NaN or an infinity, else 0. */
export function checkFinite(buffers: Float32Array[], flags: Float32Array = new Float32Array(buffers.length)): Float32Array {
  checkF32List('check_finite', 'buffers', buffers);
  checkF32('check_finite', 'flags', flags);
  runStep(build.check_finite(buffers, flags));
  return flags;
}

/** out[i] = sum of squares of buffers[i], accumulated in double (identical for any thread count). */
export function sumSquares(buffers: Float32Array[], out: Float32Array = new Float32Array(buffers.length)): Float32Array {
  checkF32List('sum_squares', 'buffers', buffers);
  checkF32('sum_squares', 'out', out);
  runStep(build.sum_squares(buffers, out));
  return out;
}
