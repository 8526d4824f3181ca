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
