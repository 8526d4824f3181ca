// Buffer planning and program building for Sequential: the activations and
// gradients between layers, and the native programs of a training step and of
// an inference pass (steps from lib/ops.ts builders and the layers' own steps).
import { native, type NativeCompiledProgram, type ProgramStep } from '../binding';
import type { GatheredInput, Layer, Param } from '../layers/base';
import type { Loss } from '../losses';
import type { Metric } from '../metrics';
import { op } from '../ops';
import type { Optimizer } from '../optimizers';
import { l2Weights } from '../regularizers';
import { shapeSize } from '../tensor';
import type { DataSource, TargetSource } from './inputs';
import { bucketOf, lossSteps, type DistProgram } from '../distributed/fit';

export interface Buffers {
  maxRows: number;
  input: Float32Array;
  acts: Float32Array[];
  grads: (Float32Array | null)[];
  labels: Int32Array;
  targets: Float32Array;
  index: Int32Array;
  loss: Float32Array;
  penalty: Float32Array;
  clipNorm: Float32Array;
  finite: Float32Array;
  gradSq: Float32Array;
}

/** What a training program does after the backward pass. */
export interface UpdateSettings {
  optimizer: Optimizer;
  checkFinite: boolean;
  clipNorm?: number;
  clipValue?: number;
}

/** The part of a model the programs are built from. */
export interface Net {
  layers: readonly Layer[];
  inputShape: number[];
  outputShape: number[];
  params(): Param[];
}

/**
 * Buffers for batches of up to maxRows samples; layers allocate their own scratch too, for
 * max(maxRows, layerRows) samples (their scratch serves the training and the inference buffers).
 * Inference buffers (`training: false`) have no gradients, and the activations alternate between
 * two buffers: in a forward pass a layer only reads its input, so layer i + 2 may overwrite what
 * layer i wrote (an MLP or CNN at batch 1000 keeps two maps resident instead of one per layer).
 */
export function allocateBuffers(net: Net, maxRows: number, opts: { training?: boolean; layerRows?: number } = {}): Buffers {
  const training = opts.training ?? true;
  const input = new Float32Array(maxRows * shapeSize(net.inputShape));
  const acts: Float32Array[] = [];
  const grads: (Float32Array | null)[] = [];
  let prev: Float32Array = input;
  let prevGrad: Float32Array | null = null;
  const largest = Math.max(0, ...net.layers.filter((l) => !l.aliasesInput).map((l) => shapeSize(l.outputShape!)));
  const pingPong = training ? [] : [new Float32Array(maxRows * largest), new Float32Array(maxRows * largest)];
  let turn = 0;
  for (const l of net.layers) {
    l.allocate(Math.max(maxRows, opts.layerRows ?? 0));
    if (l.aliasesInput) {
      acts.push(prev);
      grads.push(prevGrad);
    } else if (!training) {
      const a = pingPong[turn].subarray(0, maxRows * shapeSize(l.outputShape!));
      turn ^= 1;
      acts.push(a);
      grads.push(null);
      prev = a;
    } else {
      const a = new Float32Array(maxRows * shapeSize(l.outputShape!));
      acts.push(a);
      grads.push(new Float32Array(a.length));
      prev = a;
      prevGrad = grads[grads.length - 1];
    }
  }
  const nParams = Math.max(1, net.params().length);
  return {
    maxRows,
    input,
    acts,
    grads,
    labels: new Int32Array(maxRows),
    targets: new Float32Array(maxRows * shapeSize(net.outputShape)),
    index: new Int32Array(maxRows),
    loss: new Float32Array(1),
    penalty: new Float32Array(nParams),
    clipNorm: new Float32Array(1),
    finite: new Float32Array(nParams),
    gradSq: new Float32Array(nParams),
  };
}

/** The batch as rows of the uint8 source, when the first layer reads it there; else the batch is gathered into b.input. */
function gatheredInput(net: Net, b: Buffers, src: DataSource): GatheredInput | undefined {
  const first = net.layers[0];
  if (!(src.data instanceof Uint8Array) || !first || !first.acceptsGatheredInput()) return undefined;
  return { src: src.data, index: b.index, scale: src.scale };
}

function gatherSteps(net: Net, b: Buffers, src: DataSource, tgt: TargetSource | null, rows: number): ProgramStep[] {
  // The index buffer still holds the last batch of whatever ran before (a larger
  // training set, say); compiling checks it against this source, so start from
  // row 0, valid for any non-empty source. Each run sets the real indices.
  b.index.fill(0);
  const steps: ProgramStep[] = gatheredInput(net, b, src) ? [] : [op.gather_rows(src.data, b.index, rows, src.sampleSize, b.input, src.scale)];
  if (tgt) {
    if (tgt.data instanceof Int32Array) steps.push(op.gather_i32(tgt.data, b.index, rows, b.labels));
    else steps.push(op.gather_rows(tgt.data, b.index, rows, shapeSize(net.outputShape), b.targets));
  }
  return steps;
}

function forwardSteps(net: Net, b: Buffers, src: DataSource, rows: number, training: boolean, skipLast: boolean, syncStats = false): ProgramStep[] {
  const steps: ProgramStep[] = [];
  const gathered = gatheredInput(net, b, src);
  let x = b.input;
  net.layers.forEach((l, i) => {
    const isLast = i === net.layers.length - 1;
    steps.push(...l.forward({ x, gathered: i === 0 ? gathered : undefined, y: b.acts[i], rows, training, skipOutputActivation: isLast && skipLast, syncStats }));
    x = b.acts[i];
  });
  return steps;
}

function lossStep(net: Net, loss: Loss, b: Buffers, rows: number, withGrad: boolean): ProgramStep {
  const last = net.layers.length - 1;
  return loss.step({
    output: b.acts[last],
    target: loss.sparseTargets ? b.labels : b.targets,
    dOutput: withGrad ? b.grads[last] : null,
    value: b.loss,
    rows,
    cols: shapeSize(net.outputShape),
  });
}

/** Whether layer i's ReLU backward is applied by layer i + 1, in the store of its input-gradient GEMM. */
function reluGradAbove(net: Net, i: number): boolean {
  const below = net.layers[i];
  const above = net.layers[i + 1];
  return !!below && !!above && !above.aliasesInput && above.masksInputGrad() && below.reluGradByLayerAbove();
}

function backwardSteps(net: Net, b: Buffers, src: DataSource, rows: number, fused: boolean, dist?: DistProgram, firstBucket = 0): ProgramStep[] {
  const steps: ProgramStep[] = [];
  const gathered = gatheredInput(net, b, src);
  let buckets = firstBucket;
  for (let i = net.layers.length - 1; i >= 0; i--) {
    const l = net.layers[i];
    const x = i === 0 ? b.input : b.acts[i - 1];
    const dx = i === 0 ? null : b.grads[i - 1];
    const skipOutputActivation = i === net.layers.length - 1 && fused;
    const syncStats = dist?.syncBatchNorm ?? false;
    const maskDx = reluGradAbove(net, i - 1);
    steps.push(
      ...l.backward({
        x,
        gathered: i === 0 ? gathered : undefined,
        y: b.acts[i],
        dy: b.grads[i]!,
        dx: l.aliasesInput ? null : dx,
        dxReluMask: maskDx ? b.acts[i - 1] : undefined,
        dyIsPreActivation: reluGradAbove(net, i),
        rows,
        skipOutputActivation,
        syncStats,
      }),
    );
    // Distributed: this layer's gradients are final; sum them over the ranks while backward goes on.
    const bucket = dist ? bucketOf(dist.arena, l) : null;
    if (dist && bucket) steps.push(op.allreduce_grads_start(dist.arena, bucket.offset, bucket.count, dist.tickets, buckets++));
  }
  if (dist) steps.push(op.allreduce_grads_finish(dist.tickets, buckets));
  return steps;
}

/** Penalty sums, diagnostics, the non-finite guard, clipping and the optimizer's fused steps. */
function updateSteps(net: Net, b: Buffers, u: UpdateSettings, diagnostics: boolean): ProgramStep[] {
  const params = net.params();
  if (params.length === 0) return [];
  const steps: ProgramStep[] = [];
  const grads = params.map((p) => p.grad);
  const regularized = l2Weights(params);
  if (regularized.length > 0) steps.push(op.sum_squares(regularized.map((p) => p.value), b.penalty));
  if (diagnostics) steps.push(op.sum_squares(grads, b.gradSq));
  if (u.checkFinite) {
    steps.push(op.check_finite(grads, b.finite));
    steps.push(op.halt_if_nonzero(b.finite, NON_FINITE_HALT));
  }
  if (u.clipNorm !== undefined) steps.push(op.clip_grad_norm(grads, u.clipNorm, b.clipNorm));
  if (u.clipValue !== undefined) steps.push(op.clip_grad_value(grads, u.clipValue));
  steps.push(...u.optimizer.steps());
  return steps;
}

/** The message of the halt step of the non-finite guard. */
export const NON_FINITE_HALT = 'gradwell: non-finite gradient';

/** One training step: gather the batch, forward, loss, backward, update. `fused`: the loss takes the logits. */
export function trainProgram(...args: Parameters<typeof trainSteps>): NativeCompiledProgram {
  return new native.CompiledProgram(trainSteps(...args));
}

/** The steps of trainProgram (distributed: with the loss-gradient scaling and the per-layer allreduce steps). */
export function trainSteps(
  net: Net,
  b: Buffers,
  loss: Loss,
  update: UpdateSettings,
  src: DataSource,
  tgt: TargetSource,
  rows: number,
  fused: boolean,
  diagnostics: boolean,
  dist?: DistProgram,
): ProgramStep[] {
  const last = net.layers.length - 1;
  const [distLoss, buckets] = dist ? lossSteps(dist, b.loss, b.grads[last]!, rows, shapeSize(net.outputShape)) : [[], 0];
  const steps: ProgramStep[] = [
    ...gatherSteps(net, b, src, tgt, rows),
    ...forwardSteps(net, b, src, rows, true, fused, dist?.syncBatchNorm ?? false),
    lossStep(net, loss, b, rows, true),
    ...distLoss,
    ...backwardSteps(net, b, src, rows, fused, dist, buckets),
    ...updateSteps(net, b, update, diagnostics),
  ];
  return steps;
}

/** The steps of an inference pass over one batch, with the loss when targets are given. `logits`: stop before the output activation. */
export function evalSteps(
  net: Net,
  b: Buffers,
  loss: Loss | null,
  src: DataSource,
  tgt: TargetSource | null,
  rows: number,
  logits: boolean,
): ProgramStep[] {
  const steps = [...gatherSteps(net, b, src, tgt, rows), ...forwardSteps(net, b, src, rows, false, logits)];
  if (tgt && loss) steps.push(lossStep(net, loss, b, rows, false));
  return steps;
}

/** Adds each metric's sum over the first `rows` outputs `out` (the last layer's activations) to sums. */
export function addMetricSums(metrics: readonly Metric[], out: Float32Array, b: Buffers, sparseTargets: boolean, cols: number, rows: number, sums: number[]): void {
  const target = sparseTargets ? b.labels : b.targets;
  metrics.forEach((m, i) => {
    sums[i] += m.batchSum(out, target, rows, cols);
  });
}
