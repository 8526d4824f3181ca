// norms kernels: typed wrappers over the native ops (see native/binding/norm_ops.cpp).
// x is (N, C, L) row-major; (N, C) is L = 1. Optional buffers may be omitted:
// gamma/beta mean 1/0, running stats are then not tracked, omitted gradients are not computed.
// Gradient outputs are overwritten.
import { runStep } from '../binding';
import { op as build } from '../ops';
import { requireF32s, requireOptionalF32 } from './args';

type F32 = Float32Array;

function checkEps(op: string, eps: number): number {
  if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) {
    throw new RangeError(`${op}: argument 'eps' must be a finite number > 0, received ${String(eps)}`);
  }
  return eps;
}

export interface BatchNormTrainArgs {
  x: F32; y: F32; gamma?: F32 | null; beta?: F32 | null;
  runningMean?: F32 | null; runningVar?: F32 | null;
  /** Outputs for the backward pass: per-channel batch mean and 1/sqrt(var_biased + eps). */
  saveMean?: F32 | null; saveInvStd?: F32 | null;
  N: number; C: number; L?: number;
  /** PyTorch's convention: weight of the new value (default 0.1). */
  momentum?: number; eps?: number;
}

/** Batch norm in training mode: batch statistics (biased variance), running stats updated with the unbiased one. */
export function batchnormForwardTrain(a: BatchNormTrainArgs): void {
  const op = 'batchnorm_forward_train';
  requireF32s(op, { x: a.x, y: a.y });
  for (const k of ['gamma', 'beta', 'runningMean', 'runningVar', 'saveMean', 'saveInvStd'] as const) requireOptionalF32(op, k, a[k]);
  const eps = checkEps(op, a.eps ?? 1e-5);
  runStep(build[op](a.x, a.y, a.gamma ?? null, a.beta ?? null, a.runningMean ?? null, a.runningVar ?? null,
    a.saveMean ?? null, a.saveInvStd ?? null, a.N, a.C, a.L ?? 1, a.momentum ?? 0.1, eps));
}

export interface BatchNormEvalArgs {
  x: F32; y: F32; gamma?: F32 | null; beta?: F32 | null; runningMean: F32; runningVar: F32;
  N: number; C: number; L?: number; eps?: number;
}

/** Batch norm in eval mode: normalizes with the running statistics, which stay unchanged. */
export function batchnormForwardEval(a: BatchNormEvalArgs): void {
  const op = 'batchnorm_forward_eval';
  requireF32s(op, { x: a.x, y: a.y, runningMean: a.runningMean, runningVar: a.runningVar });
  const eps = checkEps(op, a.eps ?? 1e-5);
  runStep(build[op](a.x, a.y, a.gamma ?? null, a.beta ?? null, a.runningMean, a.runningVar, a.N, a.C, a.L ?? 1, eps));
}

export interface NormBackwardArgs {
  x: F32; dy: F32; dx?: F32 | null; gamma?: F32 | null; dgamma?: F32 | null; dbeta?: F32 | null;
  saveMean: F32; saveInvStd: F32;
}

/** Backward of batchnormForwardTrain, from its saveMean/saveInvStd. */
export function batchnormBackward(a: NormBackwardArgs & { N: number; C: number; L?: number }): void {
  const op = 'batchnorm_backward';
  requireF32s(op, { x: a.x, dy: a.dy, saveMean: a.saveMean, saveInvStd: a.saveInvStd });
  runStep(build[op](a.x, a.dy, a.dx ?? null, a.gamma ?? null, a.dgamma ?? null, a.dbeta ?? null, a.saveMean, a.saveInvStd,
    a.N, a.C, a.L ?? 1));
}

/** Backward of batchnormForwardEval (frozen statistics): dx = dy * gamma / sqrt(runningVar + eps). */
export function batchnormBackwardEval(a: {
  x: F32; dy: F32; dx?: F32 | null; gamma?: F32 | null; dgamma?: F32 | null; dbeta?: F32 | null;
  runningMean: F32; runningVar: F32; N: number; C: number; L?: number; eps?: number;
}): void {
  const op = 'batchnorm_backward_eval';
  requireF32s(op, { x: a.x, dy: a.dy });
  const eps = checkEps(op, a.eps ?? 1e-5);
  runStep(build[op](a.x, a.dy, a.dx ?? null, a.gamma ?? null, a.dgamma ?? null, a.dbeta ?? null, a.runningMean,
    a.runningVar, a.N, a.C, a.L ?? 1, eps));
}

export interface LayerNormArgs {
  x: F32; y: F32; gamma?: F32 | null; beta?: F32 | null; saveMean?: F32 | null; saveInvStd?: F32 | null;
  rows: number; cols: number; eps?: number;
}

/** Layer norm over the last dimension (cols), biased variance. */
export function layernormForward(a: LayerNormArgs): void {
  const op = 'layernorm_forward';
  requireF32s(op, { x: a.x, y: a.y });
  const eps = checkEps(op, a.eps ?? 1e-5);
  runStep(build[op](a.x, a.y, a.gamma ?? null, a.beta ?? null, a.saveMean ?? null, a.saveInvStd ?? null, a.rows, a.cols, eps));
}

export function layernormBackward(a: NormBackwardArgs & { rows: number; cols: number }): void {
  const op = 'layernorm_backward';
  requireF32s(op, { x: a.x, dy: a.dy });
  runStep(build[op](a.x, a.dy, a.dx ?? null, a.gamma ?? null, a.dgamma ?? null, a.dbeta ?? null, a.saveMean, a.saveInvStd,
    a.rows, a.cols));
}

export interface GroupNormArgs {
  x: F32; y: F32; gamma?: F32 | null; beta?: F32 | null;
  /** [N, G] each. */
  saveMean?: F32 | null; saveInvStd?: F32 | null;
  N: number; C: number; L?: number; G: number; eps?: number;
}

/** Group norm: G contiguous channel groups, statistics per sample and group. Instance norm is G = C. */
export function groupnormForward(a: GroupNormArgs): void {
  const op = 'groupnorm_forward';
  requireF32s(op, { x: a.x, y: a.y });
  const eps = checkEps(op, a.eps ?? 1e-5);
  if (Number.isInteger(a.C) && Number.isInteger(a.G) && a.G > 0 && a.C % a.G !== 0) {
    throw new RangeError(`${op}: argument 'G' = ${a.G} must divide the channel count C = ${a.C}`);
  }
  runStep(build[op](a.x, a.y, a.gamma ?? null, a.beta ?? null, a.saveMean ?? null, a.saveInvStd ?? null, a.N, a.C,
    a.L ?? 1, a.G, eps));
}

export function groupnormBackward(a: NormBackwardArgs & { N: number; C: number; L?: number; G: number }): void {
  const op = 'groupnorm_backward';
  requireF32s(op, { x: a.x, dy: a.dy });
  runStep(build[op](a.x, a.dy, a.dx ?? null, a.gamma ?? null, a.dgamma ?? null, a.dbeta ?? null, a.saveMean, a.saveInvStd,
    a.N, a.C, a.L ?? 1, a.G));
}
