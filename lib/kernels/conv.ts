// conv kernels: typed wrappers over the native ops (see native/binding/conv_ops.cpp, native/OPS.md "conv").
// Maps are NCHW row-major Float32Arrays; weights are [K, C/groups, kh, kw] (PyTorch's OIHW). Outputs,
// gradients included, are overwritten. Sizes follow torch (zero padding for convolution and average
// pooling, -inf for max pooling, floor output sizes).
import { runStep } from '../binding';
import { op as build } from '../ops';
import { keyArgs, requireArgs, requireOptionalLength, type SeedKey } from './args';

type F32 = Float32Array;

/** The geometry of a 2-D convolution; omitted strides/dilations are 1, paddings 0, groups 1. */
export interface Conv2dGeometry {
  N: number; C: number; H: number; W: number;
  /** Output channels. */
  K: number;
  kh: number; kw: number;
  sh?: number; sw?: number;
  ph?: number; pw?: number;
  /** Dilation (torch's `dilation`). */
  dilH?: number; dilW?: number;
  groups?: number;
}

/** The geometry of a 2-D pooling; strides default to the pool size (torch), paddings to 0. */
export interface Pool2dGeometry {
  N: number; C: number; H: number; W: number;
  kh: number; kw: number;
  sh?: number; sw?: number;
  ph?: number; pw?: number;
}

/** floor((in + 2*pad - dil*(k-1) - 1) / stride) + 1 (0 or less: the kernel does not fit). */
export function convOutputSize(inSize: number, k: number, stride = 1, pad = 0, dil = 1): number {
  return Math.floor((inSize + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
}

/** The 14 shape arguments of the conv2d ops, in order: N, C, H, W, K, kh, kw, sh, sw, ph, pw, dilH, dilW, groups. */
export function conv2dShapeArgs(g: Conv2dGeometry): [number, number, number, number, number, number, number,
  number, number, number, number, number, number, number] {
  return [g.N, g.C, g.H, g.W, g.K, g.kh, g.kw, g.sh ?? 1, g.sw ?? 1, g.ph ?? 0, g.pw ?? 0, g.dilH ?? 1, g.dilW ?? 1,
    g.groups ?? 1];
}

/** The 10 shape arguments of the pooling ops, in order: N, C, H, W, kh, kw, sh, sw, ph, pw. */
export function pool2dShapeArgs(g: Pool2dGeometry): [number, number, number, number, number, number, number,
  number, number, number] {
  return [g.N, g.C, g.H, g.W, g.kh, g.kw, g.sh ?? g.kh, g.sw ?? g.kw, g.ph ?? 0, g.pw ?? 0];
}

/** [OH, OW] of a convolution. */
export function conv2dOutputShape(g: Conv2dGeometry): [number, number] {
  return [convOutputSize(g.H, g.kh, g.sh ?? 1, g.ph ?? 0, g.dilH ?? 1), convOutputSize(g.W, g.kw, g.sw ?? 1, g.pw ?? 0, g.dilW ?? 1)];
}

/** [OH, OW] of a pooling. */
export function pool2dOutputShape(g: Pool2dGeometry): [number, number] {
  return [convOutputSize(g.H, g.kh, g.sh ?? g.kh, g.ph ?? 0), convOutputSize(g.W, g.kw, g.sw ?? g.kw, g.pw ?? 0)];
}

/** y = act(conv2d(x, w) + bias), act 'none' (default) or 'relu' (fused). */
export function conv2dForward(a: Conv2dGeometry & { x: F32; w: F32; bias?: F32 | null; y: F32; activation?: 'none' | 'relu' }): void {
  const op = 'conv2d_forward';
  requireArgs(op, a, { x: 'f32', w: 'f32', y: 'f32' });
  requireOptionalLength(op, 'bias', a.bias, a.K);
  runStep(build.conv2d_forward(a.x, a.w, a.bias ?? null, a.y, ...conv2dShapeArgs(a), a.activation ?? 'none'));
}

/** dx = the gradient of sum(y * dy) with respect to x (overwrites dx). */
export function conv2dBackwardData(a: Conv2dGeometry & { dy: F32; w: F32; dx: F32 }): void {
  const op = 'conv2d_backward_data';
  requireArgs(op, a, { dy: 'f32', w: 'f32', dx: 'f32' });
  runStep(build.conv2d_backward_data(a.dy, a.w, a.dx, ...conv2dShapeArgs(a)));
}

/** dw (and db when given) = the gradients of sum(y * dy) with respect to w and the bias (overwrite). */
export function conv2dBackwardFilter(a: Conv2dGeometry & { x: F32; dy: F32; dw: F32; db?: F32 | null }): void {
  const op = 'conv2d_backward_filter';
  requireArgs(op, a, { x: 'f32', dy: 'f32', dw: 'f32' });
  requireOptionalLength(op, 'db', a.db, a.K);
  runStep(build.conv2d_backward_filter(a.x, a.dy, a.dw, a.db ?? null, ...conv2dShapeArgs(a)));
}

/** y = max over each window (padding counts as -inf); argmax = the plane index ih*W + iw of each maximum. */
export function maxPool2dForward(a: Pool2dGeometry & { x: F32; y: F32; argmax: Int32Array }): void {
  const op = 'maxpool2d_forward';
  requireArgs(op, a, { x: 'f32', y: 'f32', argmax: 'i32' });
  runStep(build.maxpool2d_forward(a.x, a.y, a.argmax, ...pool2dShapeArgs(a)));
}

/** dx = 0, then dx[argmax] += dy, with the argmax of the forward call. */
export function maxPool2dBackward(a: Pool2dGeometry & { dy: F32; argmax: Int32Array; dx: F32 }): void {
  const op = 'maxpool2d_backward';
  requireArgs(op, a, { dy: 'f32', argmax: 'i32', dx: 'f32' });
  runStep(build.maxpool2d_backward(a.dy, a.argmax, a.dx, ...pool2dShapeArgs(a)));
}

/** y = mean over each window; countIncludePad (default true, torch's default) divides by the padded window size. */
export function avgPool2dForward(a: Pool2dGeometry & { x: F32; y: F32; countIncludePad?: boolean }): void {
  const op = 'avgpool2d_forward';
  requireArgs(op, a, { x: 'f32', y: 'f32' });
  runStep(build.avgpool2d_forward(a.x, a.y, ...pool2dShapeArgs(a), a.countIncludePad ?? true));
}

export function avgPool2dBackward(a: Pool2dGeometry & { dy: F32; dx: F32; countIncludePad?: boolean }): void {
  const op = 'avgpool2d_backward';
  requireArgs(op, a, { dy: 'f32', dx: 'f32' });
  runStep(build.avgpool2d_backward(a.dy, a.dx, ...pool2dShapeArgs(a), a.countIncludePad ?? true));
}

/** y[n, c] = mean over H*W of x[n, c]. */
export function globalAvgPool2dForward(a: { x: F32; y: F32; N: number; C: number; H: number; W: number }): void {
  const op = 'global_avgpool2d_forward';
  requireArgs(op, a, { x: 'f32', y: 'f32' });
  runStep(build.global_avgpool2d_forward(a.x, a.y, a.N, a.C, a.H, a.W));
}

/** dx[n, c, :, :] = dy[n, c] / (H*W). */
export function globalAvgPool2dBackward(a: { dy: F32; dx: F32; N: number; C: number; H: number; W: number }): void {
  const op = 'global_avgpool2d_backward';
  requireArgs(op, a, { dy: 'f32', dx: 'f32' });
  runStep(build.global_avgpool2d_backward(a.dy, a.dx, a.N, a.C, a.H, a.W));
}

/** The sampling key of stochastic pooling: integers, or `hp = Float64Array [seed, stream, step]` read when the op runs. */
export type StochasticPoolKey = SeedKey;

/**
 * Stochastic pooling in training (Zeiler & Fergus 2013): each window's element i is picked with
 * probability max(x_i, 0) / sum(max(x, 0)), seeded by (seed, stream, step, output index) so the
 * choice does not depend on threads; y = the picked element, `choice` its plane index ih*W + iw
 * (-1 and y = 0 where no element of the window is positive).
 */
export function stochasticPool2dForwardTrain(a: Pool2dGeometry & { x: F32; y: F32; choice: Int32Array; key: StochasticPoolKey }): void {
  const op = 'stochpool2d_forward_train';
  requireArgs(op, a, { x: 'f32', y: 'f32', choice: 'i32' });
  runStep(build.stochpool2d_forward_train(a.x, a.y, a.choice, ...pool2dShapeArgs(a), ...keyArgs(op, a.key)));
}

/** Stochastic pooling at inference: y = sum p_i a_i = sum a^2 / sum a over each window, a = max(x, 0). */
export function stochasticPool2dForwardEval(a: Pool2dGeometry & { x: F32; y: F32 }): void {
  const op = 'stochpool2d_forward_eval';
  requireArgs(op, a, { x: 'f32', y: 'f32' });
  runStep(build.stochpool2d_forward_eval(a.x, a.y, ...pool2dShapeArgs(a)));
}

/** dx = 0, then dx[choice] += dy (the sampled element of each window gets the gradient). */
export function stochasticPool2dBackwardTrain(a: Pool2dGeometry & { dy: F32; choice: Int32Array; dx: F32 }): void {
  const op = 'stochpool2d_backward_train';
  requireArgs(op, a, { dy: 'f32', choice: 'i32', dx: 'f32' });
  runStep(build.stochpool2d_backward_train(a.dy, a.choice, a.dx, ...pool2dShapeArgs(a)));
}

/** The gradient of the inference output: dx_i = sum over windows of dy * (2 a_i S1 - S2) / S1^2 (x_i > 0). */
export function stochasticPool2dBackwardEval(a: Pool2dGeometry & { x: F32; dy: F32; dx: F32 }): void {
  const op = 'stochpool2d_backward_eval';
  requireArgs(op, a, { x: 'f32', dy: 'f32', dx: 'f32' });
  runStep(build.stochpool2d_backward_eval(a.x, a.dy, a.dx, ...pool2dShapeArgs(a)));
}
