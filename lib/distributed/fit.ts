// What Sequential.fit does differently on several ranks (docs/distributed.md):
// every rank takes its contiguous share of the same global batch, the loss
// gradient is scaled by share/global so the parameter gradients are partial
// sums of the one-process gradient, each layer's gradients are summed over the
// ranks (allreduce_grads_start, queued as soon as that layer's backward has
// run, so the bytes move while backward goes on; allreduce_grads_finish before
// the optimizer step), and the identical optimizer step runs everywhere.
import type { Layer, Param } from '../layers/base';
import type { Optimizer } from '../optimizers';
import { op } from '../ops';
import type { ProgramStep } from '../ops';
import type { World } from './world';

export type { World } from './world';

/** The contiguous share of a global batch of `rows` rows that rank `rank` of `size` takes. */
export function shareOf(rows: number, rank: number, size: number): { offset: number; count: number } {
  const base = Math.floor(rows / size);
  const extra = rows % size;
  return { offset: rank * base + Math.min(rank, extra), count: base + (rank < extra ? 1 : 0) };
}

/**
 * Makes every parameter's gradient a view of one contiguous buffer, in layer
 * order (so each layer's gradients are one range: its allreduce bucket), and
 * returns the buffer. Layers read `param.grad` when they emit their steps.
 */
export function packGradients(params: Param[]): Float32Array {
  const total = params.reduce((n, p) => n + p.grad.length, 0);
  const arena = new Float32Array(Math.max(1, total));
  let offset = 0;
  for (const p of params) {
    arena.set(p.grad, offset);
    p.grad = arena.subarray(offset, offset + p.grad.length);
    offset += p.grad.length;
  }
  return arena;
}

/** The arena range holding `params`' gradients, or null without params; throws when they are not one range of it. */
export function bucketOf(arena: Float32Array, layer: Layer): { offset: number; count: number } | null {
  const params = layer.params();
  if (params.length === 0) return null;
  let offset = -1;
  let count = 0;
  for (const p of params) {
    const at = (p.grad.byteOffset - arena.byteOffset) / 4;
    if (p.grad.buffer !== arena.buffer || (offset >= 0 && at !== offset + count)) {
      throw new Error(`distributed fit: the gradient of '${p.name}' is not in the model's gradient buffer (a layer must not replace param.grad)`);
    }
    if (offset < 0) offset = at;
    count += p.grad.length;
  }
  return { offset, count };
}

/** What a distributed training program adds to the one-process program. */
export interface DistProgram {
  /** Rows of the global batch (this rank's program runs its share). */
  globalRows: number;
  arena: Float32Array;
  /** Allreduce tickets, one per bucket (written by the start ops, read by the finish op). */
  tickets: Float64Array;
  syncBatchNorm: boolean;
  /** [loss]: this rank's part of the batch's mean loss, summed over the ranks in the program (bucket 0). */
  stats?: Float32Array;
}

/**
 * After the loss: the loss gradient scaled so this rank's mean over its rows becomes its part of the
 * global mean, and (with `stats`) the same part of the loss value queued for the sum over ranks.
 * Returns the steps and the number of buckets they started.
 */
export function lossSteps(d: DistProgram, loss: Float32Array, dOutput: Float32Array, rows: number, outSize: number): [ProgramStep[], number] {
  const share = rows / d.globalRows;
  const steps: ProgramStep[] = [op.scale(dOutput, share, rows * outSize)];
  if (!d.stats) return [steps, 0];
  steps.push(op.copy(loss, d.stats, 1), op.scale(d.stats, share, 1), op.allreduce_grads_start(d.stats, 0, 1, d.tickets, 0));
  return [steps, 1];
}

/** Settings and collectives of one distributed fit. */
export class DistributedFit {
  constructor(
    readonly world: World,
    readonly syncBatchNorm: boolean,
  ) {}

  /** The batch's loss summed over the ranks by the last training program (see lossSteps). */
  readonly stats = new Float32Array(1);

  get rank(): number {
    return this.world.rank;
  }

  /** The distributed part of a training program for global batches of `rows` rows. */
  program(rows: number, arena: Float32Array, layers: number): DistProgram {
    return { globalRows: rows, arena, tickets: new Float64Array(layers + 1), syncBatchNorm: this.syncBatchNorm, stats: this.stats };
  }

  share(rows: number): { offset: number; count: number } {
    return shareOf(rows, this.world.rank, this.world.size);
  }

  /** Every rank needs at least one row of every batch (the last, smaller one too). */
  checkBatches(n: number, batchSize: number): void {
    const size = this.world.size;
    const rows = Math.min(batchSize, n);
    const tail = n % rows;
    if (rows < size || (tail > 0 && tail < size)) {
      throw new RangeError(
        `fit: with distributed training on ${size} ranks every batch needs at least ${size} samples (one per rank); ` +
          `batchSize is ${batchSize} and the last batch holds ${tail > 0 ? tail : rows} of ${n} samples: ` +
          'choose another batchSize or set dropRemainder',
      );
    }
  }

  /** This rank's contiguous part of a sample list (validation is sharded). */
  shard(idx: Int32Array): Int32Array {
    const { offset, count } = this.share(idx.length);
    return idx.subarray(offset, offset + count);
  }

  /** Rank 0's weights, state buffers and optimizer state on every rank (at the start of fit). */
  async broadcastModel(params: Param[], layers: readonly Layer[], optimizer: Optimizer): Promise<void> {
    const state = [...optimizer.stateTensors().values()];
    const buffers = [...params.map((p) => p.value), ...layers.flatMap((l) => [...l.stateBuffers().values()]), ...state];
    await this.world.broadcast(buffers, 0);
  }

  /** Rank 0's state buffers (BatchNorm running statistics) on every rank. */
  async syncState(layers: readonly Layer[]): Promise<void> {
    await this.world.broadcast(layers.flatMap((l) => [...l.stateBuffers().values()]), 0);
  }

  /** Sums `values` over the ranks, in place. */
  async sum(values: Float64Array): Promise<void> {
    await this.world.allreduce(values);
  }

  /** The sums over the ranks of a plain array. */
  async summed(values: number[]): Promise<number[]> {
    const v = Float64Array.from(values);
    await this.world.allreduce(v);
    return Array.from(v);
  }

  /** The same, in place (the epoch's metric sums). */
  async sumInPlace(values: number[]): Promise<void> {
    (await this.summed(values)).forEach((x, i) => (values[i] = x));
  }

  /** Rank 0's stop decision and learning rate on every rank (after each epoch's callbacks). */
  async agree(model: { stopTraining: boolean }, optimizer: Optimizer): Promise<void> {
    const v = this.world.rank === 0 ? Float64Array.of(model.stopTraining ? 1 : 0, optimizer.lr) : new Float64Array(2);
    await this.world.allreduce(v);
    model.stopTraining = v[0] !== 0;
    optimizer.lr = v[1];
  }
}
