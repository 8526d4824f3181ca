import type { ProgramStep } from '../binding';
import { op } from '../ops';
import { checkNumber } from '../errors';
import type { Random } from '../random';
import { shapeSize } from '../tensor';
import { Layer, type BackwardArgs, type ForwardArgs } from './base';

/**
 * Inverted dropout (Srivastava et al. 2014): in training each unit is zeroed
 * with probability `rate` and survivors are scaled by 1/(1-rate), so inference
 * is the identity. The mask is a pure function of (seed, layer stream, step,
 * element), identical for any thread count; backward regenerates it.
 */
export class Dropout extends Layer {
  readonly className = 'Dropout';
  readonly rate: number;
  /**
   * [seed, stream, step, offset]: the model sets the step before each training
   * step; offset is the element index of this process's first row in the
   * global batch (distributed training), so every rank draws one process's masks.
   */
  readonly rngState = new Float64Array(4);

  constructor(rate: number, opts: { name?: string; inputShape?: number[] } = {}) {
    super(opts);
    this.rate = checkNumber('Dropout', 'rate', rate, { min: 0, max: 1, maxExclusive: true });
  }

  computeOutputShape(inputShape: number[]): number[] {
    return [...inputShape];
  }

  protected override createWeights(_inputShape: number[], rng: Random): void {
    // 2^31 keeps the seed exact in a double and in the native uint64 key.
    this.rngState[0] = rng.int(0x7fffffff);
  }

  /** The mask's stream is the layer index, its step the training step, its offset the rank's first global row. */
  override stepState(): Float64Array {
    return this.rngState;
  }

  override beginStep(layerIndex: number, step: number, rowOffset = 0): void {
    this.rngState[1] = layerIndex;
    this.rngState[2] = step;
    this.rngState[3] = rowOffset === 0 ? 0 : rowOffset * shapeSize(this.requireBuilt().inputShape);
  }

  /** Same as beginStep (kept for callers of earlier versions). */
  setStep(stream: number, step: number): void {
    this.beginStep(stream, step);
  }

  forward(a: ForwardArgs): ProgramStep[] {
    const n = a.rows * shapeSize(this.requireBuilt().inputShape);
    if (!a.training || this.rate === 0) return [op.copy(a.x, a.y, n)];
    return [op.dropout_forward(a.x, a.y, n, this.rate, this.rngState)];
  }

  backward(a: BackwardArgs): ProgramStep[] {
    if (!a.dx) return [];
    const n = a.rows * shapeSize(this.requireBuilt().inputShape);
    if (this.rate === 0) return [op.copy(a.dy, a.dx, n)];
    return [op.dropout_backward(a.dy, a.dx, n, this.rate, this.rngState)];
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, rate: this.rate };
  }
}
