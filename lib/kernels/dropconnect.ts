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

/** The mask's key: explicit integers, or `hp = Float64Array [seed, stream, step]` read when the op runs. */
export type DropConnectKey = { seed: number; stream: number; step: number } | Float64Array;

function requireF32(op: string, name: string, v: unknown): asserts v is Float32Array {
  if (!(v instanceof Float32Array)) {
    const got = v === null ? 'null' : typeof v === 'object' ? (v as object).constructor?.name ?? 'object' : typeof v;
    throw new TypeError(`${op}: argument '${name}' must be a Float32Array, received ${got}`);
  }
}

/** The key as the hp form: a Float64Array is passed on (read when the op runs), numbers are packed (checked natively). */
function hpOf(op: string, key: DropConnectKey): Float64Array | [number, number, number] {
  if (key instanceof Float64Array) return key;
  if (key === null || typeof key !== 'object') {
    throw new TypeError(`${op}: argument 'key' must be { seed, stream, step } or a Float64Array [seed, stream, step], received ${key === null ? 'null' : typeof key}`);
  }
  return [key.seed, key.stream, key.step];
}

/** y[rows,out] = act(x[rows,in] * W' + bias), W' = M∘w/(1-p); act 'none' or 'relu' (fused). */
export function dropConnectForward(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
  rows: number,
  inFeatures: number,
  outFeatures: number,
  activation: 'none' | 'relu',
  p: number,
  key: DropConnectKey,
): void {
  const op = 'dropconnect_forward';
  requireF32(op, 'x', x);
  requireF32(op, 'w', w);
  requireF32(op, 'y', y);
  if (bias !== null && bias !== undefined) {
    requireF32(op, 'bias', bias);
    // Checked here because native code cannot tell an empty array from null.
    if (bias.length < outFeatures) {
      throw new RangeError(`${op}: argument 'bias' has ${bias.length} elements but shape [${outFeatures}] needs ${outFeatures}`);
    }
  }
  const k = hpOf(op, key);
  runStep(k instanceof Float64Array
    ? build.dropconnect_forward(x, w, bias ?? null, y, rows, inFeatures, outFeatures, activation, p, k)
    : build.dropconnect_forward(x, w, bias ?? null, y, rows, inFeatures, outFeatures, activation, p, ...k));
}

/** dx[rows,in] = dy[rows,out] * W'^T, with the mask of the forward call with the same p and key. */
export function dropConnectBackwardInput(
  dy: Float32Array,
  w: Float32Array,
  dx: Float32Array,
  rows: number,
  inFeatures: number,
  outFeatures: number,
  p: number,
  key: DropConnectKey,
): void {
  const op = 'dropconnect_backward_input';
  requireF32(op, 'dy', dy);
  requireF32(op, 'w', w);
  requireF32(op, 'dx', dx);
  const k = hpOf(op, key);
  runStep(k instanceof Float64Array
    ? build.dropconnect_backward_input(dy, w, dx, rows, inFeatures, outFeatures, p, k)
    : build.dropconnect_backward_input(dy, w, dx, rows, inFeatures, outFeatures, p, ...k));
}

/** dw[in,out] = M∘(x^T dy)/(1-p) (overwrites), the gradient with respect to the unmasked kernel. */
export function dropConnectBackwardWeight(
  x: Float32Array,
  dy: Float32Array,
  dw: Float32Array,
  rows: number,
  inFeatures: number,
  outFeatures: number,
  p: number,
  key: DropConnectKey,
): void {
  const op = 'dropconnect_backward_weight';
  requireF32(op, 'x', x);
  requireF32(op, 'dy', dy);
  requireF32(op, 'dw', dw);
  const k = hpOf(op, key);
  runStep(k instanceof Float64Array
    ? build.dropconnect_backward_weight(x, dy, dw, rows, inFeatures, outFeatures, p, k)
    : build.dropconnect_backward_weight(x, dy, dw, rows, inFeatures, outFeatures, p, ...k));
}
