// The kind lists of the native ops, as TypeScript literal unions. The native
// addon holds the one source (native/kernels/kinds.inc, exposed as
// `native.kinds()`); test/kinds.test.ts checks that these lists equal it, so a
// kind added there without being added here (or the reverse) fails the tests.
// Everything else (validation messages, the fuzzer, the benchmarks) reads these.

/** Elementwise activations, as in PyTorch (derivatives at kinks use the `x > 0` test). */
export const ACTIVATION_KINDS = [
  'sigmoid',
  'tanh',
  'relu',
  'leaky_relu',
  'elu',
  'selu',
  'gelu',
  'gelu_tanh',
  'silu',
  'softplus',
] as const;
export type ActivationKind = (typeof ACTIVATION_KINDS)[number];

/** Kinds of the `loss` op (the sparse cross-entropy is its own op). */
export const LOSS_KINDS = ['mse', 'mae', 'huber', 'bce', 'bce_logits', 'cce'] as const;
export type LossKind = (typeof LOSS_KINDS)[number];

/** Kinds of the `optim_step` op, in torch.optim's names. */
export const OPTIMIZER_KINDS = ['sgd', 'adagrad', 'rmsprop', 'adam', 'adamw', 'adamax', 'adadelta'] as const;
export type OptimizerKind = (typeof OPTIMIZER_KINDS)[number];

/** Fused activations of `linear_forward`. */
export const LINEAR_ACTIVATIONS = ['none', 'relu'] as const;
export type LinearActivation = (typeof LINEAR_ACTIVATIONS)[number];

/** True when `v` is one of `list` (narrows the type). */
export function isKind<T extends string>(list: readonly T[], v: unknown): v is T {
  return typeof v === 'string' && (list as readonly string[]).includes(v);
}

/** "a, b or c": a list of names for an error message. */
export function oneOf(names: readonly string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/**
 * The one optimizer defaults table: torch.optim's defaults (torch 2.x, where
 * SGD's lr is 1e-3). `hyper` names the kind's own hyper-parameters in the order
 * of the native hp slots a, b, c (native/kernels/kinds.inc; test/kinds.test.ts
 * checks the names and the order), with their defaults.
 */
export const OPTIMIZER_DEFAULTS = {
  sgd: { lr: 1e-3, weightDecay: 0, eps: 0, hyper: { momentum: 0, dampening: 0, nesterov: false } },
  adagrad: { lr: 1e-2, weightDecay: 0, eps: 1e-10, hyper: { lrDecay: 0, initialAccumulatorValue: 0 } },
  rmsprop: { lr: 1e-2, weightDecay: 0, eps: 1e-8, hyper: { alpha: 0.99, momentum: 0, centered: false } },
  adam: { lr: 1e-3, weightDecay: 0, eps: 1e-8, hyper: { beta1: 0.9, beta2: 0.999, amsgrad: false } },
  adamw: { lr: 1e-3, weightDecay: 1e-2, eps: 1e-8, hyper: { beta1: 0.9, beta2: 0.999, amsgrad: false } },
  adamax: { lr: 2e-3, weightDecay: 0, eps: 1e-8, hyper: { beta1: 0.9, beta2: 0.999 } },
  adadelta: { lr: 1.0, weightDecay: 0, eps: 1e-6, hyper: { rho: 0.9 } },
} as const satisfies Record<OptimizerKind, OptimizerDefaults>;

export interface OptimizerDefaults {
  lr: number;
  weightDecay: number;
  eps: number;
  hyper: Readonly<Record<string, number | boolean>>;
}

/** The slots of optim_step's hyper-parameter vector (native/OPS.md). */
export const OPTIM_HP = { lr: 0, t: 1, weightDecay: 2, l1: 3, a: 4, b: 5, eps: 6, c: 7 } as const;
export const OPTIM_HP_LENGTH = 8;
const KIND_SLOTS = [OPTIM_HP.a, OPTIM_HP.b, OPTIM_HP.c] as const;

/** The values one optimizer step packs; `hyper` by the names of OPTIMIZER_DEFAULTS[kind].hyper (missing: the default). */
export interface OptimHyperValues {
  lr?: number;
  t?: number;
  weightDecay?: number;
  l1?: number;
  eps?: number;
  hyper?: Readonly<Record<string, number | boolean | undefined>>;
}

/** The one hyper-parameter packing: hp = [lr, t, weightDecay, l1, a, b, eps, c], defaults from OPTIMIZER_DEFAULTS. */
export function packOptimHyper(kind: OptimizerKind, v: OptimHyperValues = {}): Float64Array {
  const d: OptimizerDefaults = OPTIMIZER_DEFAULTS[kind];
  const hp = new Float64Array(OPTIM_HP_LENGTH);
  hp[OPTIM_HP.lr] = v.lr ?? d.lr;
  hp[OPTIM_HP.t] = v.t ?? 1;
  hp[OPTIM_HP.weightDecay] = v.weightDecay ?? d.weightDecay;
  hp[OPTIM_HP.l1] = v.l1 ?? 0;
  hp[OPTIM_HP.eps] = v.eps ?? d.eps;
  Object.keys(d.hyper).forEach((name, i) => {
    const value = v.hyper?.[name] ?? d.hyper[name];
    hp[KIND_SLOTS[i]] = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  });
  return hp;
}
