// The options of Sequential.compile and Sequential.fit.
import type { CallbackHooks, Callback } from '../callbacks';
import type { Dataset } from '../data/dataset';
import type { Loss, LossName } from '../losses';
import type { Metric, MetricName } from '../metrics';
import type { Optimizer, OptimizerName } from '../optimizers';
import type { Inputs, Targets } from './inputs';
import type { World } from '../distributed/world';
import { checkNumber } from '../errors';
import type { StepsPerCall } from './chunk';

export interface CompileOptions {
  optimizer: Optimizer | OptimizerName;
  loss: Loss | LossName;
  metrics?: (MetricName | string)[];
  /** Clip the global gradient norm to this value before each step. */
  clipNorm?: number;
  /** Clip every gradient element to [-clipValue, clipValue]. */
  clipValue?: number;
  /** Stop with a NonFiniteError naming the parameter when a gradient holds NaN/Inf. Default true. */
  checkFinite?: boolean;
}

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  /** Held-out data evaluated after each epoch: [x, y] or a Dataset. */
  validationData?: [Inputs, Targets] | Dataset;
  /**
   * Fraction of the samples held out for validation: the LAST ones, taken before any shuffling
   * (as Keras does). Data in a meaningful order (sorted by class, by time, along a curve) gives a
   * validation set unlike the training set; shuffle first, or split with `trainValTestSplit`
   * (seeded, stratified) and pass `validationData`. `spirals`/`moons` are shuffled by default.
   */
  validationSplit?: number;
  callbacks?: (Callback | CallbackHooks)[];
  signal?: AbortSignal;
  /** Seeds the shuffling; the same seed gives bit-identical training. Default: the model's seed. */
  seed?: number;
  /** 0 silent, 1 a progress bar and a line per epoch. Default 0. */
  verbose?: 0 | 1;
  /** Epoch to start from (to resume a saved model). Default: the epochs the model has trained. */
  initialEpoch?: number;
  /**
   * Leave out the last, smaller batch of each epoch (a different remainder each
   * epoch when shuffling). Needed by BatchNorm when that batch would hold one sample.
   */
  dropRemainder?: boolean;
  /**
   * Training steps per native call: the full batches run in chunks of this many steps, each chunk
   * one call on a worker thread (the last, smaller batch runs alone). The weights are bit-identical
   * for any value. Batch callbacks run after their chunk, in order, with each batch's logs, so they
   * see the weights at the chunk's end. 'auto' (default): when every callback's batch hooks may wait
   * (batchHooksDeferrable(): no batch hooks, or the progress bar), as many steps as take about 25 ms,
   * up to 32, from the pace of the previous call; else 1. Always 1 with diagnostics, distributed
   * training or an L1 regularizer.
   */
  stepsPerCall?: StepsPerCall;
  /** Record per-layer gradient norms, update ratios and dead-unit fractions each epoch. */
  diagnostics?: boolean;
  /**
   * Data-parallel training over MPI (`distributed.init()`): `batchSize` is the
   * global batch, each rank trains on its contiguous share, gradients are summed
   * across ranks before the (identical) optimizer step; only rank 0 prints and
   * writes files. A size-1 world trains as without it. See docs/distributed.md.
   */
  distributed?: World;
  /** With `distributed`: BatchNorm normalizes with the statistics of the whole global batch. Default false (per rank, as PyTorch DDP). */
  syncBatchNorm?: boolean;
}

/** What compile() settles: the optimizer, loss and metrics objects and the step options. */
export interface Compiled {
  optimizer: Optimizer;
  loss: Loss;
  metrics: Metric[];
  metricNames: string[];
  clipNorm?: number;
  clipValue?: number;
  checkFinite: boolean;
  options: CompileOptions;
}

/** The compile settings as saved with the model. */
export function compileConfigOf(c: Compiled) {
  return {
    optimizer: c.optimizer.getConfig(),
    loss: c.loss.getConfig(),
    metrics: c.options.metrics ?? [],
    clipNorm: c.clipNorm,
    clipValue: c.clipValue,
    checkFinite: c.checkFinite,
  };
}

/** Options of evaluate and predict. */
export interface InferenceOptions {
  batchSize?: number;
  /** Batches per native call: 'auto' (default) as many as fit in the staged outputs (4M floats), 1 one per call. Results are identical for any value. */
  stepsPerCall?: StepsPerCall;
}

/** A stepsPerCall option: 'auto' or an integer >= 1 (RangeError/TypeError naming `where`). */
export function stepsPerCallOption(where: string, v: StepsPerCall | undefined): StepsPerCall {
  if (v === undefined || v === 'auto') return 'auto';
  return checkNumber(where, 'stepsPerCall', v, { min: 1, integer: true });
}
