// dropout kernels: typed wrappers over the native ops (see native/binding/dropout_ops.cpp).
//
// Inverted dropout: kept elements are scaled by 1/(1-p), dropped ones are 0.
// The keep decision of element i is a pure function of (seed, stream, step, i)
// (Philox4x32-10), so masks do not depend on threads or the instruction set,
// and the backward pass regenerates the forward mask from the same values.
// Inference simply does not call these; p = 0 is the identity.
import { runStep } from '../binding';
import { op as build } from '../ops';

type F32 = Float32Array;

const MAX_U32 = 0xffffffff;

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<number>).length})`;
  return `${typeof v} ${String(v)}`;
}

function checkIntegerIn(op: string, name: string, v: unknown, max: number, maxText: string): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw new RangeError(`${op}: argument '${name}' must be an integer in [0, ${maxText}), received ${describeValue(v)}`);
  }
}

function checkArgs(op: string, src: [string, unknown], dst: [string, unknown], n: unknown, p: unknown): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new RangeError(`${op}: argument 'n' must be a non-negative integer, received ${describeValue(n)}`);
  }
  for (const [name, t] of [src, dst]) {
    if (!(t instanceof Float32Array)) {
      throw new TypeError(`${op}: argument '${name}' must be a Float32Array, received ${describeValue(t)}`);
    }
    if (t.length < n) throw new RangeError(`${op}: argument '${name}' has ${t.length} elements but shape [${n}] needs ${n}`);
  }
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) {
    throw new RangeError(`${op}: argument 'p' must be in [0, 1), received ${describeValue(p)}`);
  }
}

function checkKey(op: string, seed: unknown, stream: unknown, step: unknown): void {
  if (seed instanceof Float64Array) {
    if (seed.length < 3) {
      throw new RangeError(`${op}: argument 'hp' must hold [seed, stream, step] (3 elements), received ${describeValue(seed)}`);
    }
    return;
  }
  checkIntegerIn(op, 'seed', seed, MAX_U32, '2^32');
  checkIntegerIn(op, 'stream', stream, MAX_U32, '2^32');
  checkIntegerIn(op, 'step', step, Number.MAX_SAFE_INTEGER, '2^53');
}

/**
 * y = mask * x / (1 - p) over the first n elements. seed and stream (integers
 * in [0, 2^32)) key the generator, step (integer in [0, 2^53)) is the training
 * step. Or pass `hp = Float64Array [seed, stream, step]`, read when the op runs.
 */
export function dropoutForward(x: F32, y: F32, n: number, p: number, hp: Float64Array): void;
export function dropoutForward(x: F32, y: F32, n: number, p: number, seed: number, stream: number, step: number): void;
export function dropoutForward(x: F32, y: F32, n: number, p: number, seed: number | Float64Array, stream?: number, step?: number): void {
  runDropout('dropout_forward', ['x', x], ['y', y], n, p, seed, stream, step);
}

function runDropout(
  op: 'dropout_forward' | 'dropout_backward',
  src: [string, F32],
  dst: [string, F32],
  n: number,
  p: number,
  seed: number | Float64Array,
  stream?: number,
  step?: number,
): void {
  checkArgs(op, src, dst, n, p);
  checkKey(op, seed, stream, step);
  if (seed instanceof Float64Array) runStep(build[op](src[1], dst[1], n, p, seed));
  else runStep(build[op](src[1], dst[1], n, p, seed, stream as number, step as number));
}

/** dx = mask * dy / (1 - p), with the mask of the forward call with the same p, seed, stream and step. */
export function dropoutBackward(dy: F32, dx: F32, n: number, p: number, hp: Float64Array): void;
export function dropoutBackward(dy: F32, dx: F32, n: number, p: number, seed: number, stream: number, step: number): void;
export function dropoutBackward(dy: F32, dx: F32, n: number, p: number, seed: number | Float64Array, stream?: number, step?: number): void {
  runDropout('dropout_backward', ['dy', dy], ['dx', dx], n, p, seed, stream, step);
}
