// activations kernels: typed wrappers over the native ops (see native/binding/activation_ops.cpp).
// Each checks its arguments here for a clear message; the native side checks again.
import { runStep } from '../binding';
import { op as build } from '../ops';
import { ACTIVATION_KINDS, type ActivationKind } from '../kinds';

export type { ActivationKind } from '../kinds';
export const activationKinds: readonly ActivationKind[] = ACTIVATION_KINDS;

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<number>).length})`;
  if (typeof v === 'string') return `string '${v}'`;
  return `${typeof v} ${String(v)}`;
}

function checkF32(op: string, name: string, v: unknown, needed: number, shape: string): void {
  if (!(v instanceof Float32Array)) {
    throw new TypeError(`${op}: argument '${name}' must be a Float32Array, received ${describeValue(v)}`);
  }
  if (v.length < needed) {
    throw new RangeError(`${op}: argument '${name}' has ${v.length} elements but shape ${shape} needs ${needed}`);
  }
}

function checkCount(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new RangeError(`${op}: argument '${name}' must be a non-negative integer, received ${describeValue(v)}`);
  }
  return v;
}

function checkKind(op: string, kind: unknown): ActivationKind {
  if (typeof kind !== 'string' || !(activationKinds as readonly string[]).includes(kind)) {
    throw new RangeError(`${op}: argument 'kind' must be one of ${activationKinds.join(', ')}, received ${describeValue(kind)}`);
  }
  return kind as ActivationKind;
}

function checkAlpha(op: string, alpha: unknown): void {
  if (alpha !== undefined && (typeof alpha !== 'number' || !Number.isFinite(alpha))) {
    throw new RangeError(`${op}: argument 'alpha' must be a finite number, received ${describeValue(alpha)}`);
  }
}

/**
 * y[i] = f(x[i]) for i < n. `alpha` is leaky_relu's negative slope (default 0.01)
 * or elu's alpha (default 1); other kinds ignore it. y may be x (in place).
 */
export function activationForward(
  kind: ActivationKind,
  x: Float32Array,
  y: Float32Array,
  n: number = x.length,
  alpha?: number,
): void {
  const op = 'activation_forward';
  checkKind(op, kind);
  checkCount(op, 'n', n);
  checkF32(op, 'x', x, n, `[${n}]`);
  checkF32(op, 'y', y, n, `[${n}]`);
  checkAlpha(op, alpha);
  runStep(build.activation_forward(kind, x, y, n, alpha));
}

/** dx[i] = dy[i] * f'(x[i]); x is the forward input and y the forward output (both required). */
export function activationBackward(
  kind: ActivationKind,
  x: Float32Array,
  y: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  n: number = x.length,
  alpha?: number,
): void {
  const op = 'activation_backward';
  checkKind(op, kind);
  checkCount(op, 'n', n);
  for (const [name, t] of [['x', x], ['y', y], ['dy', dy], ['dx', dx]] as const) checkF32(op, name, t, n, `[${n}]`);
  checkAlpha(op, alpha);
  runStep(build.activation_backward(kind, x, y, dy, dx, n, alpha));
}

function checkRows(op: string, rows: unknown, cols: unknown, buffers: [string, unknown][]): void {
  const r = checkCount(op, 'rows', rows);
  const c = checkCount(op, 'cols', cols);
  for (const [name, t] of buffers) checkF32(op, name, t, r * c, `[${r}, ${c}]`);
}

/** Softmax along each row of x[rows, cols] (the row maximum is subtracted first). */
export function softmaxForward(x: Float32Array, y: Float32Array, rows: number, cols: number): void {
  checkRows('softmax_forward', rows, cols, [['x', x], ['y', y]]);
  runStep(build.softmax_forward(x, y, rows, cols));
}

/** dx = y * (dy - sum(dy * y)) per row; y is the forward output. */
export function softmaxBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void {
  checkRows('softmax_backward', rows, cols, [['y', y], ['dy', dy], ['dx', dx]]);
  runStep(build.softmax_backward(y, dy, dx, rows, cols));
}

/** log_softmax per row: x - max - log(sum(exp(x - max))). */
export function logSoftmaxForward(x: Float32Array, y: Float32Array, rows: number, cols: number): void {
  checkRows('log_softmax_forward', rows, cols, [['x', x], ['y', y]]);
  runStep(build.log_softmax_forward(x, y, rows, cols));
}

/** dx = dy - exp(y) * sum(dy) per row; y is the forward output. */
export function logSoftmaxBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void {
  checkRows('log_softmax_backward', rows, cols, [['y', y], ['dy', dy], ['dx', dx]]);
  runStep(build.log_softmax_backward(y, dy, dx, rows, cols));
}
