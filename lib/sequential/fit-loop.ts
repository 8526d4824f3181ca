// The epoch loop of Sequential.fit: shuffling, batches, callbacks, logs,
// validation and diagnostics. The model hands it the programs and the step.
import type { Callback, Logs } from '../callbacks';
import { AbortError, NonFiniteError } from '../errors';
import type { Param } from '../layers/base';
import { Random } from '../random';
import { forEachBatch, type BatchPlan } from './batches';
import { layerDiagnostics, type LayerDiagnostics } from './layer-diagnostics';
import type { Layer } from '../layers/base';
import type { Buffers } from './program';
import type { ChunkResult } from './chunk';

export interface History {
  epoch: number[];
  /** Per-epoch logs: loss, each metric, valLoss and val<Metric> (when validating), lr, seconds. */
  history: Record<string, number[]>;
  /** Present when fit ran with diagnostics: one entry per epoch. */
  diagnostics?: LayerDiagnostics[][];
}

/** What the loop needs from the model. */
export interface FitHost {
  layers: readonly Layer[];
  params(): Param[];
  buffers(): Buffers;
  metricNames: readonly string[];
  /** Adds each metric's sum over the last batch (of `rows` samples) to `sums`. */
  addMetricSums(rows: number, sums: number[]): void;
  /** Distributed: sums the epoch's metric sums over the ranks, in place, before the epoch's logs. */
  reduceSums?(sums: number[]): Promise<void>;
  /** Runs one training step on a (global) batch of `rows` rows; returns its loss with the penalties. */
  step(program: BatchPlan['full'], where: string, rows: number): Promise<number>;
  /**
   * Several full batches per native call (fit's stepsPerCall): runs `count` (<= size) steps on
   * the batches of `order` from position `start`; the batch callbacks run after it, in order.
   */
  chunk?: {
    size: number;
    /** stepsPerCall 'auto': each call takes as many steps (up to size) as fit in about CALL_TARGET_MS, from the last call's pace. */
    adaptive: boolean;
    run(order: Int32Array, start: number, count: number, where: (k: number) => string): Promise<ChunkResult>;
  };
  /** Loss and metrics on the validation data, or null without validation. */
  validate(): Promise<Record<string, number> | null> | null;
  lr(): number;
  stopRequested(): boolean;
  epochDone(epoch: number): void;
  /** After each epoch's callbacks (distributed: every rank takes rank 0's stop decision and learning rate). */
  afterEpoch?(): Promise<void>;
}

export interface EpochPlan {
  plan: BatchPlan;
  trainIdx: Int32Array;
  epochs: number;
  initialEpoch: number;
  shuffle: boolean;
  seed: number;
  signal?: AbortSignal;
  callbacks: Callback[];
  diagnostics: boolean;
}

function valKey(name: string): string {
  return `val${name[0].toUpperCase()}${name.slice(1)}`;
}

/**
 * What an adaptive chunk aims at per native call: long enough that the ~0.1 ms hand-off is noise, short
 * enough that an abort, the progress bar and deferred batch callbacks keep up (a 28 ms dropout step runs
 * one step per call, a 0.6 ms MLP step 32).
 */
export const CALL_TARGET_MS = 25;

export async function runEpochs(host: FitHost, e: EpochPlan): Promise<History> {
  const { plan, callbacks } = e;
  // Steps per call of an adaptive chunk: starts at 1 (its first call measures the pace), kept across epochs.
  let perCall = host.chunk ? (host.chunk.adaptive ? 1 : host.chunk.size) : 1;
  const n = plan.n;
  const history: History = { epoch: [], history: {} };
  if (e.diagnostics) history.diagnostics = [];
  for (const cb of callbacks) await cb.onTrainBegin();
  for (let epoch = e.initialEpoch; epoch < e.initialEpoch + e.epochs && !host.stopRequested(); epoch++) {
    const t0 = performance.now();
    for (const cb of callbacks) await cb.onEpochBegin(epoch);
    const order = e.shuffle ? new Random(e.seed).fork(`epoch:${epoch}`).shuffle(e.trainIdx.slice()) : e.trainIdx;
    let lossSum = 0;
    const sums = host.metricNames.map(() => 0);
    const gradSq = new Float64Array(host.params().length);
    let batches = 0;
    let diag: LayerDiagnostics[] | null = null;
    const requireFinite = (batch: number, lossValue: number) => {
      if (!Number.isFinite(lossValue)) {
        throw new NonFiniteError(`non-finite loss (${lossValue}) at epoch ${epoch}, batch ${batch}; training stopped`);
      }
    };
    const logBatch = async (batch: number, lossValue: number, rows: number) => {
      lossSum += lossValue * rows;
      const batchLogs: Logs = { loss: lossValue, size: rows };
      for (const cb of callbacks) await cb.onBatchEnd(batch, batchLogs);
    };
    const abortCheck = (batch: number) => {
      if (e.signal?.aborted) throw new AbortError(`fit aborted at epoch ${epoch}, batch ${batch}; the model holds the weights of the last completed step`);
    };
    // Full batches in chunks of steps; the rest (the last, smaller batch) one per call below.
    let done = 0;
    const chunk = host.chunk;
    if (chunk) {
      const full = Math.floor(n / plan.rows);
      for (let b0 = 0, count = 0; b0 < full; b0 += count) {
        abortCheck(b0);
        count = Math.min(perCall, full - b0);
        const t = performance.now();
        const result = await chunk.run(order, b0 * plan.rows, count, (k) => `epoch ${epoch}, batch ${b0 + k}`);
        if (chunk.adaptive) {
          const msPerStep = (performance.now() - t) / count;
          perCall = Math.max(1, Math.min(chunk.size, Math.floor(CALL_TARGET_MS / Math.max(msPerStep, 1e-3))));
        }
        for (let k = 0; k < result.steps.length; k++) {
          for (const cb of callbacks) await cb.onBatchBegin(b0 + k);
          requireFinite(b0 + k, result.steps[k].loss);
          result.steps[k].addMetricSums(sums);
          await logBatch(b0 + k, result.steps[k].loss, plan.rows);
        }
        if (result.error) {
          for (const cb of callbacks) await cb.onBatchBegin(b0 + result.steps.length);
          throw result.error;
        }
      }
      done = full * plan.rows;
    }
    const rest: BatchPlan = { ...plan, n: n - done };
    const rest0 = done / plan.rows;
    if (rest.n > 0) await forEachBatch(rest, () => host.buffers().index, order.subarray(done), {
      before: async (b) => {
        abortCheck(rest0 + b);
        for (const cb of callbacks) await cb.onBatchBegin(rest0 + b);
      },
      run: async (program, b, start, rows) => {
        const batch = rest0 + b;
        const last = done + start + rows >= n;
        const before = e.diagnostics && last ? host.params().map((p) => p.value.slice()) : null;
        const lossValue = await host.step(program, `epoch ${epoch}, batch ${batch}`, rows);
        requireFinite(batch, lossValue);
        host.addMetricSums(rows, sums);
        if (e.diagnostics) {
          const bufs = host.buffers();
          for (let i = 0; i < gradSq.length; i++) gradSq[i] += bufs.gradSq[i];
          batches++;
          if (before) diag = layerDiagnostics(host.layers, host.params(), bufs.acts, rows, gradSq, batches, before);
        }
        await logBatch(batch, lossValue, rows);
      },
    });
    if (host.reduceSums) await host.reduceSums(sums);
    const logs: Logs = { loss: lossSum / n };
    host.metricNames.forEach((name, i) => (logs[name] = sums[i] / n));
    const v = await host.validate();
    if (v) {
      logs.valLoss = v.loss;
      host.metricNames.forEach((name) => (logs[valKey(name)] = v[name]));
    }
    logs.lr = host.lr();
    logs.seconds = (performance.now() - t0) / 1000;
    history.epoch.push(epoch);
    for (const [k, value] of Object.entries(logs)) (history.history[k] ??= []).push(value);
    if (diag) history.diagnostics!.push(diag);
    host.epochDone(epoch);
    for (const cb of callbacks) await cb.onEpochEnd(epoch, logs);
    if (host.afterEpoch) await host.afterEpoch();
  }
  for (const cb of callbacks) await cb.onTrainEnd();
  return history;
}
