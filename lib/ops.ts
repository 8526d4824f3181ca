// One typed builder per native op. A program step is the op's name followed by
// its positional arguments, in the order of the op's Prepare function in
// native/binding/<family>_ops.cpp; `OpArgs` is that order, written once, so a
// layer, loss or optimizer that passes a wrong argument fails to compile.
// `NativeBinding.ops` (lib/binding.ts) is typed from the same map, and
// test/ops.test.ts checks that the addon exports exactly these ops.
import type { ActivationKind, LinearActivation, LossKind, OptimizerKind } from './kinds';

type F32 = Float32Array;
type F64 = Float64Array;
type I32 = Int32Array;
type U8 = Uint8Array;
type Opt<T> = T | null;

/** The arguments of every native op, by op name. */
export interface OpArgs {
  // gemm family (native/binding/gemm_ops.cpp)
  gemm: [transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number, a: F32, lda: number,
    b: F32, ldb: number, beta: number, c: F32, ldc: number];
  linear_forward: [x: F32, w: F32, bias: Opt<F32>, y: F32, rows: number, inFeatures: number, outFeatures: number,
    activation?: LinearActivation];
  linear_forward_u8: [src: U8, index: I32, scale: number, w: F32, bias: Opt<F32>, y: F32, rows: number, inFeatures: number,
    outFeatures: number, activation?: LinearActivation];
  weight_grad_u8: [src: U8, index: I32, scale: number, g: F32, dw: F32, db: Opt<F32>, rows: number, inFeatures: number,
    outFeatures: number];
  weight_grad: [x: F32, g: F32, dw: F32, db: Opt<F32>, rows: number, inFeatures: number, outFeatures: number];
  input_grad: [g: F32, w: F32, dx: F32, mask: Opt<F32>, rows: number, inFeatures: number, outFeatures: number];
  bias_grad: [dy: F32, db: F32, rows: number, cols: number];
  // activations (native/binding/activation_ops.cpp)
  activation_forward: [kind: ActivationKind, x: F32, y: F32, n: number, alpha?: number];
  activation_backward: [kind: ActivationKind, x: F32, y: F32, dy: F32, dx: F32, n: number, alpha?: number];
  activation_backward_bias: [kind: ActivationKind, x: F32, y: F32, dy: F32, dx: F32, db: F32, rows: number, cols: number,
    alpha?: number];
  softmax_forward: [x: F32, y: F32, rows: number, cols: number];
  softmax_backward: [y: F32, dy: F32, dx: F32, rows: number, cols: number];
  log_softmax_forward: [x: F32, y: F32, rows: number, cols: number];
  log_softmax_backward: [y: F32, dy: F32, dx: F32, rows: number, cols: number];
  // dropout (native/binding/dropout_ops.cpp): the key as numbers, or hp = [seed, stream, step] read at run time
  // (hp may hold a 4th value: the element offset of x[0] in the whole tensor, for data-parallel ranks)
  dropout_forward: [x: F32, y: F32, n: number, p: number, hp: F64] | [x: F32, y: F32, n: number, p: number,
    seed: number, stream: number, step: number];
  dropout_backward: [dy: F32, dx: F32, n: number, p: number, hp: F64] | [dy: F32, dx: F32, n: number, p: number,
    seed: number, stream: number, step: number];
  // dropconnect (native/binding/dropconnect_ops.cpp): the key as numbers, or hp = [seed, stream, step]
  dropconnect_forward: [x: F32, w: F32, bias: Opt<F32>, y: F32, rows: number, inFeatures: number, outFeatures: number,
    activation: LinearActivation, p: number, hp: F64] | [x: F32, w: F32, bias: Opt<F32>, y: F32, rows: number,
    inFeatures: number, outFeatures: number, activation: LinearActivation, p: number, seed: number, stream: number,
    step: number];
  dropconnect_backward_input: [dy: F32, w: F32, dx: F32, rows: number, inFeatures: number, outFeatures: number,
    p: number, hp: F64] | [dy: F32, w: F32, dx: F32, rows: number, inFeatures: number, outFeatures: number,
    p: number, seed: number, stream: number, step: number];
  dropconnect_backward_weight: [x: F32, dy: F32, dw: F32, rows: number, inFeatures: number, outFeatures: number,
    p: number, hp: F64] | [x: F32, dy: F32, dw: F32, rows: number, inFeatures: number, outFeatures: number,
    p: number, seed: number, stream: number, step: number];
  // norms (native/binding/norm_ops.cpp)
  batchnorm_forward_train: [x: F32, y: F32, gamma: Opt<F32>, beta: Opt<F32>, runningMean: Opt<F32>,
    runningVar: Opt<F32>, saveMean: Opt<F32>, saveInvStd: Opt<F32>, N: number, C: number, L: number,
    momentum: number, eps: number];
  batchnorm_forward_eval: [x: F32, y: F32, gamma: Opt<F32>, beta: Opt<F32>, runningMean: F32, runningVar: F32,
    N: number, C: number, L: number, eps: number];
  batchnorm_backward: [x: F32, dy: F32, dx: Opt<F32>, gamma: Opt<F32>, dgamma: Opt<F32>, dbeta: Opt<F32>,
    saveMean: F32, saveInvStd: F32, N: number, C: number, L: number];
  batchnorm_backward_eval: [x: F32, dy: F32, dx: Opt<F32>, gamma: Opt<F32>, dgamma: Opt<F32>, dbeta: Opt<F32>,
    runningMean: F32, runningVar: F32, N: number, C: number, L: number, eps: number];
  layernorm_forward: [x: F32, y: F32, gamma: Opt<F32>, beta: Opt<F32>, saveMean: Opt<F32>, saveInvStd: Opt<F32>,
    rows: number, cols: number, eps: number];
  layernorm_backward: [x: F32, dy: F32, dx: Opt<F32>, gamma: Opt<F32>, dgamma: Opt<F32>, dbeta: Opt<F32>,
    saveMean: F32, saveInvStd: F32, rows: number, cols: number];
  groupnorm_forward: [x: F32, y: F32, gamma: Opt<F32>, beta: Opt<F32>, saveMean: Opt<F32>, saveInvStd: Opt<F32>,
    N: number, C: number, L: number, G: number, eps: number];
  groupnorm_backward: [x: F32, dy: F32, dx: Opt<F32>, gamma: Opt<F32>, dgamma: Opt<F32>, dbeta: Opt<F32>,
    saveMean: F32, saveInvStd: F32, N: number, C: number, L: number, G: number];
  // losses (native/binding/loss_ops.cpp); param is huber's delta
  loss: [kind: LossKind, input: F32, target: F32, dinput: Opt<F32>, out: F32, N: number, C: number, param?: number];
  sparse_cross_entropy: [logits: F32, labels: I32, dlogits: Opt<F32>, out: F32, N: number, C: number,
    labelSmoothing?: number];
  // optim (native/binding/optim_ops.cpp)
  optim_step: [kind: OptimizerKind, param: F32, grad: F32, s1: Opt<F32>, s2: Opt<F32>, s3: Opt<F32>, hp: F64,
    status: F32];
  optim_step_multi: [kind: OptimizerKind, params: F32[], grads: F32[], s1: Opt<F32>[], s2: Opt<F32>[], s3: Opt<F32>[],
    hp: F64, status: F32];
  clip_grad_norm: [grads: F32[], maxNorm: number, out: F32];
  clip_grad_value: [grads: F32[], clipValue: number];
  check_finite: [buffers: F32[], flags: F32];
  sum_squares: [buffers: F32[], out: F32];
  // data movement and program control (native/binding/data_ops.cpp)
  gather_rows: [src: F32 | U8, index: I32, rows: number, cols: number, dst: F32, scale?: number];
  gather_i32: [src: I32, index: I32, n: number, dst: I32];
  fill: [x: F32, value: number, n?: number];
  copy: [src: F32, dst: F32, n?: number];
  halt_if_nonzero: [flags: F32, message: string];
  halt_if_nonfinite: [values: F32, message: string];
  clock_lap: [laps: F64, slot: number];
  thread_tag: [tags: F64, slot: number];
  stage_in: [stage: F32 | I32 | F64, live: F32 | I32 | F64, cursor: I32];
  stage_out: [live: F32 | I32 | F64, stage: F32 | I32 | F64, cursor: I32];
  // data-parallel collectives and helpers (native/binding/dist_ops.cpp); need distributed.init()
  allreduce_grads_start: [arena: F32, offset: number, count: number, tickets: F64, bucket: number];
  allreduce_grads_finish: [tickets: F64, buckets: number];
  allreduce_f64: [buf: F64, n: number];
  allreduce_f32: [buf: F32, n: number];
  broadcast_f32: [buffers: F32[], root: number];
  scale: [x: F32, alpha: number, n: number];
  syncbn_forward_train: [x: F32, y: F32, gamma: Opt<F32>, beta: Opt<F32>, runningMean: Opt<F32>,
    runningVar: Opt<F32>, saveMean: F32, saveInvStd: F32, N: number, C: number, L: number,
    momentum: number, eps: number];
  syncbn_backward: [x: F32, dy: F32, dx: Opt<F32>, gamma: Opt<F32>, dgamma: Opt<F32>, dbeta: Opt<F32>,
    saveMean: F32, saveInvStd: F32, N: number, C: number, L: number];
  // conv (native/binding/conv_ops.cpp): NCHW maps, weight [K, C/groups, kh, kw] (torch's OIHW)
  conv2d_forward: [x: F32, w: F32, bias: Opt<F32>, y: F32, N: number, C: number, H: number, W: number, K: number,
    kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dilH: number, dilW: number, groups: number,
    activation?: LinearActivation];
  conv2d_backward_data: [dy: F32, w: F32, dx: F32, N: number, C: number, H: number, W: number, K: number,
    kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dilH: number, dilW: number, groups: number];
  conv2d_backward_filter: [x: F32, dy: F32, dw: F32, db: Opt<F32>, N: number, C: number, H: number, W: number,
    K: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dilH: number, dilW: number,
    groups: number];
  maxpool2d_forward: [x: F32, y: F32, argmax: I32, N: number, C: number, H: number, W: number, kh: number,
    kw: number, sh: number, sw: number, ph: number, pw: number];
  maxpool2d_backward: [dy: F32, argmax: I32, dx: F32, N: number, C: number, H: number, W: number, kh: number,
    kw: number, sh: number, sw: number, ph: number, pw: number];
  avgpool2d_forward: [x: F32, y: F32, N: number, C: number, H: number, W: number, kh: number, kw: number,
    sh: number, sw: number, ph: number, pw: number, countIncludePad: boolean];
  avgpool2d_backward: [dy: F32, dx: F32, N: number, C: number, H: number, W: number, kh: number, kw: number,
    sh: number, sw: number, ph: number, pw: number, countIncludePad: boolean];
  global_avgpool2d_forward: [x: F32, y: F32, N: number, C: number, H: number, W: number];
  global_avgpool2d_backward: [dy: F32, dx: F32, N: number, C: number, H: number, W: number];
  stochpool2d_forward_train: [x: F32, y: F32, choice: I32, N: number, C: number, H: number, W: number, kh: number,
    kw: number, sh: number, sw: number, ph: number, pw: number, hp: F64] | [x: F32, y: F32, choice: I32, N: number,
    C: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number,
    seed: number, stream: number, step: number];
  stochpool2d_forward_eval: [x: F32, y: F32, N: number, C: number, H: number, W: number, kh: number, kw: number,
    sh: number, sw: number, ph: number, pw: number];
  stochpool2d_backward_train: [dy: F32, choice: I32, dx: F32, N: number, C: number, H: number, W: number, kh: number,
    kw: number, sh: number, sw: number, ph: number, pw: number];
  stochpool2d_backward_eval: [x: F32, dy: F32, dx: F32, N: number, C: number, H: number, W: number, kh: number,
    kw: number, sh: number, sw: number, ph: number, pw: number];
}

export type OpName = keyof OpArgs;

/** One step of op K: its name, then its arguments. */
export type Step<K extends OpName = OpName> = K extends OpName ? readonly [K, ...OpArgs[K]] : never;

/** Independent branches of steps (writing disjoint buffers); see `fork`. */
export type ForkStep = readonly ['fork', ...(readonly ProgramStep[])[]];

/** Any step of a native program. */
export type ProgramStep = Step | ForkStep;

/**
 * A program step that runs independent branches: on 2 threads with 2 branches each on its own thread
 * (their kernels single-threaded), else one after the other with every thread. Results are the same
 * either way (kernels give the same bits for any thread count), so the branches must not write a
 * buffer another branch reads or writes.
 */
export function fork(...branches: ProgramStep[][]): ForkStep {
  return ['fork', ...branches];
}

/** The op steps of a program with every fork's branches spliced in, in order (for inspecting programs). */
export function flatSteps(steps: readonly ProgramStep[]): Step[] {
  return steps.flatMap((s) => (s[0] === 'fork' ? (s as ForkStep).slice(1).flatMap((b) => flatSteps(b as ProgramStep[])) : [s as Step]));
}

export type OpBuilders = { readonly [K in OpName]: (...args: OpArgs[K]) => Step<K> };

function builder<K extends OpName>(name: K): (...args: OpArgs[K]) => Step<K> {
  return (...args: OpArgs[K]) => [name, ...args] as unknown as Step<K>;
}

/**
 * The step builders: `op.gemm(transA, transB, M, ...)` returns `['gemm', transA, ...]`.
 * Listing an op here is what makes it usable from TypeScript; the type
 * annotation makes a missing or misspelt entry a compile error.
 */
export const op: OpBuilders = {
  gemm: builder('gemm'),
  linear_forward: builder('linear_forward'),
  linear_forward_u8: builder('linear_forward_u8'),
  weight_grad_u8: builder('weight_grad_u8'),
  weight_grad: builder('weight_grad'),
  input_grad: builder('input_grad'),
  bias_grad: builder('bias_grad'),
  activation_forward: builder('activation_forward'),
  activation_backward: builder('activation_backward'),
  activation_backward_bias: builder('activation_backward_bias'),
  softmax_forward: builder('softmax_forward'),
  softmax_backward: builder('softmax_backward'),
  log_softmax_forward: builder('log_softmax_forward'),
  log_softmax_backward: builder('log_softmax_backward'),
  dropout_forward: builder('dropout_forward'),
  dropout_backward: builder('dropout_backward'),
  dropconnect_forward: builder('dropconnect_forward'),
  dropconnect_backward_input: builder('dropconnect_backward_input'),
  dropconnect_backward_weight: builder('dropconnect_backward_weight'),
  batchnorm_forward_train: builder('batchnorm_forward_train'),
  batchnorm_forward_eval: builder('batchnorm_forward_eval'),
  batchnorm_backward: builder('batchnorm_backward'),
  batchnorm_backward_eval: builder('batchnorm_backward_eval'),
  layernorm_forward: builder('layernorm_forward'),
  layernorm_backward: builder('layernorm_backward'),
  groupnorm_forward: builder('groupnorm_forward'),
  groupnorm_backward: builder('groupnorm_backward'),
  loss: builder('loss'),
  sparse_cross_entropy: builder('sparse_cross_entropy'),
  optim_step: builder('optim_step'),
  optim_step_multi: builder('optim_step_multi'),
  clip_grad_norm: builder('clip_grad_norm'),
  clip_grad_value: builder('clip_grad_value'),
  check_finite: builder('check_finite'),
  sum_squares: builder('sum_squares'),
  gather_rows: builder('gather_rows'),
  gather_i32: builder('gather_i32'),
  fill: builder('fill'),
  copy: builder('copy'),
  halt_if_nonzero: builder('halt_if_nonzero'),
  halt_if_nonfinite: builder('halt_if_nonfinite'),
  clock_lap: builder('clock_lap'),
  thread_tag: builder('thread_tag'),
  stage_in: builder('stage_in'),
  stage_out: builder('stage_out'),
  allreduce_grads_start: builder('allreduce_grads_start'),
  allreduce_grads_finish: builder('allreduce_grads_finish'),
  allreduce_f64: builder('allreduce_f64'),
  allreduce_f32: builder('allreduce_f32'),
  broadcast_f32: builder('broadcast_f32'),
  scale: builder('scale'),
  syncbn_forward_train: builder('syncbn_forward_train'),
  syncbn_backward: builder('syncbn_backward'),
  conv2d_forward: builder('conv2d_forward'),
  conv2d_backward_data: builder('conv2d_backward_data'),
  conv2d_backward_filter: builder('conv2d_backward_filter'),
  maxpool2d_forward: builder('maxpool2d_forward'),
  maxpool2d_backward: builder('maxpool2d_backward'),
  avgpool2d_forward: builder('avgpool2d_forward'),
  avgpool2d_backward: builder('avgpool2d_backward'),
  global_avgpool2d_forward: builder('global_avgpool2d_forward'),
  global_avgpool2d_backward: builder('global_avgpool2d_backward'),
  stochpool2d_forward_train: builder('stochpool2d_forward_train'),
  stochpool2d_forward_eval: builder('stochpool2d_forward_eval'),
  stochpool2d_backward_train: builder('stochpool2d_backward_train'),
  stochpool2d_backward_eval: builder('stochpool2d_backward_eval'),
};

/** The names of every op with a builder. */
export const OP_NAMES = Object.freeze(Object.keys(op)) as readonly OpName[];

/** The native ops as synchronous functions, typed from `OpArgs`. */
export type NativeOps = { readonly [K in OpName]: (...args: OpArgs[K]) => void };
