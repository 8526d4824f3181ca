// The one loop over batches shared by fit, evaluate and predict: a program
// compiled for full batches, a second one for the smaller last batch, and the
// batch rows written into the index buffer both programs gather with.
import type { NativeCompiledProgram } from '../binding';

export interface BatchPlan {
  /** Samples covered (n). */
  n: number;
  /** Rows of a full batch. */
  rows: number;
  full: NativeCompiledProgram;
  /** The program of the last, smaller batch (null when batches divide n). */
  tail: NativeCompiledProgram | null;
  /** Distributed training: the part of a batch of `rows` rows this process runs (default: all of it). */
  share?: (rows: number) => { offset: number; count: number };
}

/** Compiles the full-batch and last-batch programs for n samples in batches of batchSize (n > 0). */
export function planBatches(
  n: number,
  batchSize: number,
  compile: (rows: number) => NativeCompiledProgram,
  share?: BatchPlan['share'],
): BatchPlan {
  const rows = Math.min(batchSize, n);
  const full = compile(rows);
  const tailRows = n % rows;
  return { n, rows, full, tail: tailRows > 0 ? compile(tailRows) : null, share };
}

export interface BatchHooks {
  /** Before batch `batch` (rows [start, start + rows)) is written to the index. */
  before?(batch: number, start: number, rows: number): void | Promise<void>;
  /** Runs `program` on the batch just written to the index. */
  run(program: NativeCompiledProgram, batch: number, start: number, rows: number): Promise<void>;
}

/** Runs every batch of `plan` in order; `order` (optional) maps positions to sample indices. */
export async function forEachBatch(plan: BatchPlan, index: () => Int32Array, order: Int32Array | null, hooks: BatchHooks): Promise<void> {
  for (let start = 0, batch = 0; start < plan.n; start += plan.rows, batch++) {
    const rows = Math.min(plan.rows, plan.n - start);
    if (hooks.before) await hooks.before(batch, start, rows);
    const idx = index();
    const part = plan.share ? plan.share(rows) : { offset: 0, count: rows };
    const first = start + part.offset;
    if (order) idx.set(order.subarray(first, first + part.count));
    else for (let i = 0; i < part.count; i++) idx[i] = first + i;
    await hooks.run(rows === plan.rows ? plan.full : plan.tail!, batch, start, rows);
  }
}
