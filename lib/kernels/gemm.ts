// gemm kernels: typed wrappers over the native ops (see native/binding/gemm_ops.cpp).
import { runStep } from '../binding';
import { op as build } from '../ops';
import { requireF32, requireF32s, requireOptionalLength } from './args';
import type { LinearActivation } from '../kinds';

/**
 * C[M,N] = alpha * op(A) * op(B) + beta * C (row-major). A is [M,K] with leading
 * dimension lda >= K, or [K,M] with lda >= M when transA; B is [K,N] (ldb >= N),
 * or [N,K] (ldb >= K) when transB; ldc >= N. beta = 0 ignores C's contents.
 * Leading dimensions default to the tight ones.
 */
export function gemm(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  a: Float32Array,
  lda: number | undefined,
  b: Float32Array,
  ldb: number | undefined,
  beta: number,
  c: Float32Array,
  ldc?: number,
): void {
  requireF32('gemm', 'a', a);
  requireF32('gemm', 'b', b);
  requireF32('gemm', 'c', c);
  const tightA = transA ? M : K;
  const tightB = transB ? K : N;
  runStep(build.gemm(
    transA, transB, M, N, K, alpha,
    a, lda ?? Math.max(1, tightA),
    b, ldb ?? Math.max(1, tightB),
    beta, c, ldc ?? Math.max(1, N),
  ));
}

export type { LinearActivation } from '../kinds';

/**
 * y[rows,out] = act(x[rows,in] * w[in,out] + bias), the bias add and relu fused
 * into the GEMM's tile store. `w` is [in,out] (the transpose of PyTorch's layout).
 */
export function linearForward(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
  rows: number,
  inFeatures: number,
  outFeatures: number,
  activation: LinearActivation = 'none',
): void {
  requireF32s('linear_forward', { x, w, y });
  requireOptionalLength('linear_forward', 'bias', bias, outFeatures);
  runStep(build.linear_forward(x, w, bias ?? null, y, rows, inFeatures, outFeatures, activation));
}

/** db[c] = sum over rows of dy[r, c] (overwrites db). */
export function biasGrad(dy: Float32Array, db: Float32Array, rows: number, cols: number): void {
  requireF32('bias_grad', 'dy', dy);
  requireF32('bias_grad', 'db', db);
  runStep(build.bias_grad(dy, db, rows, cols));
}
