// losses kernels: typed wrappers over the native ops (see native/binding/loss_ops.cpp).
// Mean reduction (over all elements for elementwise losses, over the batch N for the
// cross-entropies); the loss is written to out[0] and returned; dinput, when given,
// is overwritten with d(mean loss)/d(input).
import { runStep } from '../binding';
import { op as build } from '../ops';

import { LOSS_KINDS, type LossKind } from '../kinds';

export type { LossKind } from '../kinds';
const lossKinds: readonly string[] = LOSS_KINDS;

export interface LossArgs {
  kind: LossKind;
  /** Prediction [N, C]: values (mse, mae, huber), probabilities (bce) or logits (bce_logits, cce). */
  input: Float32Array;
  /** Target [N, C]: values, probabilities in [0, 1], or one-hot/probability rows for cce. */
  target: Float32Array;
  dinput?: Float32Array | null;
  out?: Float32Array;
  N: number;
  C: number;
  /** Huber delta (default 1). */
  delta?: number;
}

export function loss(a: LossArgs): number {
  if (!lossKinds.includes(a.kind)) {
    throw new RangeError(`loss: unknown kind '${String(a.kind)}'; expected one of ${lossKinds.join(', ')}`);
  }
  const out = a.out ?? new Float32Array(1);
  if (a.delta !== undefined && a.kind !== 'huber') throw new RangeError(`loss: 'delta' applies to kind 'huber' only`);
  runStep(build.loss(a.kind, a.input, a.target, a.dinput ?? null, out, a.N, a.C, a.kind === 'huber' ? a.delta : undefined));
  return out[0];
}

export interface SparseCrossEntropyArgs {
  logits: Float32Array;
  /** Class indices in [0, C), N of them. */
  labels: Int32Array;
  dlogits?: Float32Array | null;
  out?: Float32Array;
  N: number;
  C: number;
  /** eps: target q = (1 - eps) * onehot + eps / C (default 0). */
  labelSmoothing?: number;
}

/** Softmax cross-entropy with integer labels (fused log-softmax). */
export function sparseCrossEntropy(a: SparseCrossEntropyArgs): number {
  const out = a.out ?? new Float32Array(1);
  runStep(build.sparse_cross_entropy(a.logits, a.labels, a.dlogits ?? null, out, a.N, a.C, a.labelSmoothing ?? 0));
  return out[0];
}
