// Several training steps in one native call (fit's `stepsPerCall`). Each call
// hands a worker one program that runs the training step `count` times: before
// each run, stage_in copies that step's batch rows, optimizer step counter and
// layer step keys (written here in advance, in step order, by the same
// beginStep calls the per-batch path makes) into the live buffers; after it,
// stage_out keeps the loss, the penalty sums, the outputs and the targets for
// the logs. The steps are the per-batch program's, so the weights are
// bit-identical to stepping one batch per call.
import { native, type NativeCompiledProgram, type ProgramStep } from '../binding';
import { NATIVE_NONFINITE_CODE, NonFiniteError, haltedAt, type NativeTaskError } from '../errors';
import type { Layer, Param } from '../layers/base';
import type { Metric } from '../metrics';
import { op } from '../ops';
import type { Optimizer } from '../optimizers';
import { stepPenalty } from '../regularizers';
import type { Buffers } from './program';

/** Outputs staged per chunk at most (floats): bounds the chunk for wide outputs. */
export const MAX_STAGED_OUTPUT = 1 << 22;

/** The most steps per call of stepsPerCall 'auto' (fewer when steps are slow: lib/sequential/fit-loop.ts CALL_TARGET_MS). */
export const DEFAULT_STEPS_PER_CALL = 32;

/** One completed step of a chunk: its loss (with penalties) and what the metrics need. */
export interface ChunkStep {
  loss: number;
  addMetricSums(sums: number[]): void;
}

export interface ChunkResult {
  steps: ChunkStep[];
  /** Thrown after the completed steps are logged (a non-finite gradient or loss). */
  error: Error | null;
}

export interface ChunkHost {
  layers: readonly Layer[];
  params(): Param[];
  optimizer: Optimizer;
  metrics: readonly Metric[];
  sparseTargets: boolean;
  outputSize: number;
}

/** Per-slot copies (stage_out) of a batch's outputs and, optionally, its targets; the metrics over one slot. */
class StagedOutputs {
  readonly outputs: Float32Array;
  readonly targets: Float32Array | Int32Array | null;
  private readonly outLen: number;

  constructor(private readonly b: Buffers, private readonly rows: number, private readonly outputSize: number, private readonly sparseTargets: boolean, slots: number, withTargets: boolean) {
    this.outLen = rows * outputSize;
    this.outputs = new Float32Array(slots * this.outLen);
    this.targets = !withTargets ? null : sparseTargets ? new Int32Array(slots * rows) : new Float32Array(slots * this.outLen);
  }

  steps(cursor: Int32Array): ProgramStep[] {
    const { b, rows, outLen } = this;
    const steps: ProgramStep[] = [op.stage_out(b.acts[b.acts.length - 1].subarray(0, outLen), this.outputs, cursor)];
    if (this.targets instanceof Int32Array) steps.push(op.stage_out(b.labels.subarray(0, rows), this.targets, cursor));
    else if (this.targets) steps.push(op.stage_out(b.targets.subarray(0, outLen), this.targets, cursor));
    return steps;
  }

  /** Adds each metric's sum over slot k to `sums` (needs the targets). */
  addMetricSums(metrics: readonly Metric[], k: number, sums: number[]): void {
    const { rows, outLen } = this;
    const out = this.outputs.subarray(k * outLen, (k + 1) * outLen);
    const tgt = this.sparseTargets ? this.targets!.subarray(k * rows, (k + 1) * rows) : this.targets!.subarray(k * outLen, (k + 1) * outLen);
    metrics.forEach((m, i) => (sums[i] += m.batchSum(out, tgt, rows, this.outputSize)));
  }
}

export class StepChunk {
  readonly size: number;
  private readonly program: NativeCompiledProgram;
  private readonly cursor = new Int32Array(1);
  private readonly index: Int32Array;
  private readonly hp: Float64Array;
  private readonly layerStates: { layer: number; live: Float64Array; stage: Float64Array }[] = [];
  private readonly losses: Float32Array;
  private readonly penalties: Float32Array;
  private readonly staged: StagedOutputs | null;

  /** `trainSteps`: one training step on `rows` rows of the buffers `b` (the per-batch program's steps). */
  constructor(private readonly host: ChunkHost, private readonly b: Buffers, readonly rows: number, trainSteps: ProgramStep[], steps: number) {
    const outLen = rows * host.outputSize;
    const withMetrics = host.metrics.length > 0;
    this.size = Math.max(1, withMetrics ? Math.min(steps, Math.floor(MAX_STAGED_OUTPUT / Math.max(1, outLen))) : steps);
    const K = this.size;
    const c = this.cursor;
    const hpLive = host.optimizer.hyperBuffer();
    this.index = new Int32Array(K * rows);
    this.hp = new Float64Array(K * hpLive.length);
    this.losses = new Float32Array(K);
    this.penalties = new Float32Array(K * b.penalty.length);
    const pre: ProgramStep[] = [op.stage_in(this.index, b.index.subarray(0, rows), c)];
    if (hpLive.length > 0) pre.push(op.stage_in(this.hp, hpLive, c));
    host.layers.forEach((l, i) => {
      const live = l.stepState();
      if (!live) return;
      const stage = new Float64Array(K * live.length);
      this.layerStates.push({ layer: i, live, stage });
      pre.push(op.stage_in(stage, live, c));
    });
    const post: ProgramStep[] = [op.stage_out(b.loss, this.losses, c), op.stage_out(b.penalty, this.penalties, c)];
    this.staged = withMetrics ? new StagedOutputs(b, rows, host.outputSize, host.sparseTargets, K, true) : null;
    if (this.staged) post.push(...this.staged.steps(c));
    // The per-batch loop stops on a non-finite loss after its step; so does a chunk.
    post.push(op.halt_if_nonfinite(b.loss, NON_FINITE_LOSS), op.halt_if_nonfinite(b.penalty, NON_FINITE_LOSS));
    this.program = new native.CompiledProgram([...pre, ...trainSteps, ...post], c);
  }

  /** The chunk as runEpochs takes it (`adaptive`: stepsPerCall 'auto'); `running` is set while a native call runs. */
  forFit(adaptive: boolean, running: (on: boolean) => void) {
    return {
      size: this.size,
      adaptive,
      run: async (order: Int32Array, start: number, count: number, where: (k: number) => string): Promise<ChunkResult> => {
        running(true);
        try {
          return await this.run(order, start, count, where);
        } finally {
          running(false);
        }
      },
    };
  }

  /**
   * Runs `count` (<= size) steps on the batches order[start + k * rows, ...).
   * `where(k)` names step k for errors. Never rejects for a halted step: the steps
   * before it are returned with the error.
   */
  async run(order: Int32Array, start: number, count: number, where: (k: number) => string): Promise<ChunkResult> {
    const { host, rows } = this;
    const opt = host.optimizer;
    const hpLive = opt.hyperBuffer();
    const first = opt.iterations;
    for (let k = 0; k < count; k++) {
      this.index.set(order.subarray(start + k * rows, start + (k + 1) * rows), k * rows);
      opt.beginStep();
      this.hp.set(hpLive, k * hpLive.length);
      for (const s of this.layerStates) {
        host.layers[s.layer].beginStep(s.layer, opt.iterations, 0);
        s.stage.set(s.live, k * s.live.length);
      }
    }
    let completed = count;
    let error: Error | null = null;
    try {
      await this.program.runChunk(count);
    } catch (e) {
      const failed = this.cursor[0];
      const code = (e as NativeTaskError).code;
      const flag = haltedAt(e);
      if (code === NATIVE_NONFINITE_CODE) {
        completed = failed + 1; // the step ran; its loss is reported below
      } else {
        completed = failed;
        if (flag !== null) {
          const p = host.params()[flag];
          error = new NonFiniteError(`non-finite gradient in '${p?.name ?? flag}' at ${where(failed)}; the step was not applied (try a lower learning rate or clipNorm)`);
        } else {
          error = e as Error;
        }
      }
      // Steps that never ran leave the counter (their keys are rewritten before the next run).
      opt.iterations = first + completed;
    }
    const params = host.params();
    const np = this.b.penalty.length;
    const steps: ChunkStep[] = [];
    for (let k = 0; k < completed; k++) {
      steps.push({
        loss: this.losses[k] + stepPenalty(params, this.penalties.subarray(k * np, (k + 1) * np), 0),
        addMetricSums: (sums) => this.staged?.addMetricSums(host.metrics, k, sums),
      });
    }
    return { steps, error };
  }
}

const NON_FINITE_LOSS = 'gradwell: non-finite loss';

export type StepsPerCall = number | 'auto';

/** What one call of inferBatches staged: `count` batches of `rows` samples from sample `first`; per batch its loss (with targets), outputs and targets. */
export type InferenceTake = (first: number, rows: number, count: number, st: { losses: Float32Array | null; staged: InferenceStage }) => void;

/** A call's staged outputs (`outputs`: the batches' outputs back to back) and the metrics over batch k. */
export type InferenceStage = Pick<StagedOutputs, 'outputs' | 'addMetricSums'>;

export interface InferenceChunkHost {
  buffers(rows: number): Buffers;
  /** One inference pass over `rows` rows of the buffers (gather, forward, loss when there are targets). */
  steps(b: Buffers, rows: number): ProgramStep[];
  sparseTargets: boolean;
  withTargets: boolean;
  outputSize: number;
  batchSize: number;
  /** The samples, in batch order. */
  order: Int32Array;
  /** Batches per native call; 'auto': as many as the staged outputs allow. */
  stepsPerCall: StepsPerCall;
  /** Set while a native call runs (the model refuses setWeights then). */
  running(on: boolean): void;
}

/**
 * evaluate/predict: the batches of `order`, several full batches per native call (then the last,
 * smaller batch); `take` reads each call's staged results, in order.
 */
export async function inferBatches(h: InferenceChunkHost, take: InferenceTake): Promise<void> {
  const n = h.order.length;
  const rows = Math.min(h.batchSize, n);
  if (rows === 0) return;
  const full = Math.floor(n / rows);
  const perCall = Math.min(full, h.stepsPerCall === 'auto' ? Math.max(1, Math.floor(MAX_STAGED_OUTPUT / Math.max(1, rows * h.outputSize))) : h.stepsPerCall);
  await inferCalls(h, rows, 0, full, perCall, take);
  if (n > full * rows) await inferCalls(h, n - full * rows, full * rows, 1, 1, take);
}

async function inferCalls(h: InferenceChunkHost, rows: number, first: number, batches: number, perCall: number, take: InferenceTake): Promise<void> {
  const b = h.buffers(rows);
  const cursor = new Int32Array(1);
  const index = new Int32Array(perCall * rows);
  const staged = new StagedOutputs(b, rows, h.outputSize, h.sparseTargets, perCall, h.withTargets);
  const losses = h.withTargets ? new Float32Array(perCall) : null;
  const steps = [op.stage_in(index, b.index.subarray(0, rows), cursor), ...h.steps(b, rows), ...staged.steps(cursor)];
  if (losses) steps.push(op.stage_out(b.loss, losses, cursor));
  const program = new native.CompiledProgram(steps, cursor);
  for (let b0 = 0; b0 < batches; b0 += perCall) {
    const count = Math.min(perCall, batches - b0);
    const start = first + b0 * rows;
    index.set(h.order.subarray(start, start + count * rows));
    h.running(true);
    try {
      await program.runChunk(count);
    } finally {
      h.running(false);
    }
    take(start, rows, count, { losses, staged });
  }
}
