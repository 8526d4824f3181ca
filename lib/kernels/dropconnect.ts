// DropConnect kernels: typed wrappers over the native ops (see native/binding/dropconnect_ops.cpp).
//
// DropConnect (Wan et al. 2013) drops individual weights: in training the
// kernel W[in,out] is replaced by W' = M∘W/(1-p), M a fresh Bernoulli(1-p)
// mask per step. The keep bit of weight (i, j) is dropout's keep bit of element
// i*out + j for the same (seed, stream, step) (Philox4x32-10, see
// native/kernels/dropout.h), so it does not depend on threads or the
// instruction set, and `dropoutForward(w, wm, in*out, p, key)` gives exactly W'.
// The forward GEMM makes the mask while packing W for the micro-kernel (no
// copy of W'); the input gradient masks a scratch copy (measured faster).
// Inference uses W itself (E[W'] = W).
import { runStep } from '../binding';
import { op as build } from '../ops';
import { keyArgs, requireF32s, requireOptionalLength, type SeedKey } from './args';

type F32 = Float32Array;

/** The mask's key: explicit integers, or `hp = Float64Array [seed, stream, step]` read when the op runs. */
export type DropConnectKey = SeedKey;

/** y[rows,out] = act(x[rows,in] * W' + bias), W' = M∘w/(1-p); act 'none' or 'relu' (fused). */
export function dropConnectForward(x: F32, w: F32, bias: F32 | null, y: F32, rows: number, inFeatures: number,
  outFeatures: number, activation: 'none' | 'relu', p: number, key: DropConnectKey): void {
  const op = 'dropconnect_forward';
  requireF32s(op, { x, w, y });
  requireOptionalLength(op, 'bias', bias, outFeatures);
  runStep(build.dropconnect_forward(x, w, bias ?? null, y, rows, inFeatures, outFeatures, activation, p, ...keyArgs(op, key)));
}

/** dx[rows,in] = dy[rows,out] * W'^T, with the mask of the forward call with the same p and key. */
export function dropConnectBackwardInput(dy: F32, w: F32, dx: F32, rows: number, inFeatures: number, outFeatures: number, p: number, key: DropConnectKey): void {
  const op = 'dropconnect_backward_input';
  requireF32s(op, { dy, w, dx });
  runStep(build.dropconnect_backward_input(dy, w, dx, rows, inFeatures, outFeatures, p, ...keyArgs(op, key)));
}

/** dw[in,out] = M∘(x^T dy)/(1-p) (overwrites), the gradient with respect to the unmasked kernel. */
export function dropConnectBackwardWeight(x: F32, dy: F32, dw: F32, rows: number, inFeatures: number, outFeatures: number, p: number, key: DropConnectKey): void {
  const op = 'dropconnect_backward_weight';
  requireF32s(op, { x, dy, dw });
  runStep(build.dropconnect_backward_weight(x, dy, dw, rows, inFeatures, outFeatures, p, ...keyArgs(op, key)));
}
