import type { ProgramStep } from '../binding';
import { checkNumber } from '../errors';
import { op } from '../ops';
import type { Random } from '../random';
import { Layer, type BackwardArgs, type ForwardArgs } from './base';
import { mapShape } from './spatial';

/**
 * Spatial dropout (Tompson et al. 2015; torch's Dropout2d, Keras' SpatialDropout2D) on [C, H, W]
 * samples: in training each whole channel of each sample is zeroed with probability `rate`, the kept
 * ones scaled by 1/(1-rate); inference is the identity. The keep decision of (sample n, channel c) is
 * dropout's keep bit of element n*C + c for (seed, layer, step), so it does not depend on threads.
 * The mask is applied as a depthwise 1x1 convolution of the batch seen as one sample of N*C channels.
 */
export class SpatialDropout2D extends Layer {
  readonly className = 'SpatialDropout2D';
  readonly rate: number;
  /** [seed, stream, step]: the model sets the step before each training step. */
  readonly rngState = new Float64Array(3);
  private ones = new Float32Array(0);
  private mask = new Float32Array(0);

  constructor(rate: number, opts: { name?: string; inputShape?: number[] } = {}) {
    super(opts);
    this.rate = checkNumber('SpatialDropout2D', 'rate', rate, { min: 0, max: 1, maxExclusive: true });
  }

  computeOutputShape(inputShape: number[]): number[] {
    mapShape(`SpatialDropout2D '${this.name}'`, inputShape);
    return [...inputShape];
  }

  protected override createWeights(_inputShape: number[], rng: Random): void {
    this.rngState[0] = rng.int(0x7fffffff);
  }

  override stepState(): Float64Array {
    return this.rngState;
  }

  override beginStep(layerIndex: number, step: number): void {
    this.rngState[1] = layerIndex;
    this.rngState[2] = step;
  }

  override allocate(maxRows: number): void {
    const c = this.requireBuilt().inputShape[0];
    this.ones = new Float32Array(maxRows * c).fill(1);
    this.mask = new Float32Array(maxRows * c);
  }

  /** y = mask[n, c] * x[n, c, :, :] as a depthwise 1x1 convolution over N*C planes. */
  private scale(x: Float32Array, y: Float32Array, rows: number): ProgramStep {
    const [c, h, w] = this.requireBuilt().inputShape;
    const planes = rows * c;
    return op.conv2d_forward(x, this.mask, null, y, 1, planes, h, w, planes, 1, 1, 1, 1, 0, 0, 1, 1, planes);
  }

  forward(a: ForwardArgs): ProgramStep[] {
    const n = a.rows * this.requireBuilt().inputShape.reduce((p, d) => p * d, 1);
    if (!a.training || this.rate === 0) return [op.copy(a.x, a.y, n)];
    const planes = a.rows * this.requireBuilt().inputShape[0];
    return [op.dropout_forward(this.ones, this.mask, planes, this.rate, this.rngState), this.scale(a.x, a.y, a.rows)];
  }

  backward(a: BackwardArgs): ProgramStep[] {
    if (!a.dx) return [];
    const n = a.rows * this.requireBuilt().inputShape.reduce((p, d) => p * d, 1);
    if (this.rate === 0) return [op.copy(a.dy, a.dx, n)];
    return [this.scale(a.dy, a.dx, a.rows)]; // the forward's mask, still in this.mask
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, rate: this.rate };
  }
}
