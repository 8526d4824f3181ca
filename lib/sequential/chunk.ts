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
const MAX_STAGED_OUTPUT = 1 << 22;

/** The default chunk: long enough to amortize the hand-off, short enough that an abort or a batch callback waits little. */
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

export class StepChunk {
  readonly size: number;
  private readonly program: NativeCompiledProgram;
  private readonly cursor = new Int32Array(1);
  private readonly index: Int32Array;
  private readonly hp: Float64Array;
  private readonly layerStates: { layer: number; live: Float64Array; stage: Float64Array }[] = [];
  private readonly losses: Float32Array;
  private readonly penalties: Float32Array;
  private readonly outputs: Float32Array | null;
  private readonly targets: Float32Array | Int32Array | null;

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
    if (withMetrics) {
      const last = b.acts[b.acts.length - 1];
      this.outputs = new Float32Array(K * outLen);
      post.push(op.stage_out(last.subarray(0, outLen), this.outputs, c));
      if (host.sparseTargets) {
        this.targets = new Int32Array(K * rows);
        post.push(op.stage_out(b.labels.subarray(0, rows), this.targets, c));
      } else {
        this.targets = new Float32Array(K * outLen);
        post.push(op.stage_out(b.targets.subarray(0, outLen), this.targets, c));
      }
    } else {
      this.outputs = null;
      this.targets = null;
    }
    // The per-batch loop stops on a non-finite loss after its step; so does a chunk.
    post.push(op.halt_if_nonfinite(b.loss, NON_FINITE_LOSS), op.halt_if_nonfinite(b.penalty, NON_FINITE_LOSS));
    this.program = new native.CompiledProgram([...pre, ...trainSteps, ...post], c);
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
    const outLen = rows * host.outputSize;
    const steps: ChunkStep[] = [];
    for (let k = 0; k < completed; k++) {
      const loss = this.losses[k] + stepPenalty(params, this.penalties.subarray(k * np, (k + 1) * np), 0);
      steps.push({
        loss,
        addMetricSums: (sums) => {
          if (!this.outputs || !this.targets) return;
          const out = this.outputs.subarray(k * outLen, (k + 1) * outLen);
          const tgt = host.sparseTargets ? this.targets.subarray(k * rows, (k + 1) * rows) : this.targets.subarray(k * outLen, (k + 1) * outLen);
          host.metrics.forEach((m, i) => (sums[i] += m.batchSum(out, tgt, rows, host.outputSize)));
        },
      });
    }
    return { steps, error };
  }
}

const NON_FINITE_LOSS = 'gradwell: non-finite loss';
