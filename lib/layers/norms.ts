import type { ProgramStep } from '../binding';
import { op } from '../ops';
import { checkNumber } from '../errors';
import type { Random } from '../random';
import { Layer, type BackwardArgs, type ForwardArgs, type Param } from './base';

interface NormOptions {
  eps?: number;
  /** Learnable per-channel scale (gamma) and shift (beta). Default true. */
  affine?: boolean;
  name?: string;
  inputShape?: number[];
}

/**
 * Channel count and trailing length of a per-sample shape [C], [C, L] or a feature
 * map [C, H, W] (L = H*W): channels first, as PyTorch's BatchNorm1d/2d, GroupNorm, InstanceNorm2d.
 */
function channels(where: string, shape: number[]): { c: number; l: number } {
  if (shape.length >= 1 && shape.length <= 3) return { c: shape[0], l: shape.slice(1).reduce((a, b) => a * b, 1) };
  throw new RangeError(`${where}: expected a per-sample shape [C], [C, L] or [C, H, W] but received [${shape}]`);
}

abstract class AffineNorm extends Layer {
  readonly eps: number;
  readonly affine: boolean;
  gamma: Param | null = null;
  beta: Param | null = null;
  /** Without affine the kernels still take gamma = 1, beta = 0; their grads go to scratch. */
  protected gammaValue: Float32Array = new Float32Array(0);
  protected betaValue: Float32Array = new Float32Array(0);
  /** Gradient scratch without affine (the param's own grad otherwise, read when steps are emitted). */
  private scratchGammaGrad: Float32Array = new Float32Array(0);
  private scratchBetaGrad: Float32Array = new Float32Array(0);
  protected get gammaGrad(): Float32Array {
    return this.gamma ? this.gamma.grad : this.scratchGammaGrad;
  }
  protected get betaGrad(): Float32Array {
    return this.beta ? this.beta.grad : this.scratchBetaGrad;
  }
  protected dxScratch: Float32Array = new Float32Array(0);

  constructor(opts: NormOptions) {
    super(opts);
    this.eps = checkNumber(this.constructor.name, 'eps', opts.eps ?? 1e-5, { min: 0, minExclusive: true });
    this.affine = opts.affine ?? true;
  }

  computeOutputShape(inputShape: number[]): number[] {
    channels(this.where(), inputShape);
    return [...inputShape];
  }

  /** The layer's class and name, for messages. */
  protected where(): string {
    return `${this.className} '${this.name}'`;
  }

  /** Size of gamma/beta. */
  protected abstract affineSize(inputShape: number[]): number;

  protected override createWeights(inputShape: number[], _rng: Random): void {
    const n = this.affineSize(inputShape);
    this.gammaValue = new Float32Array(n).fill(1);
    this.betaValue = new Float32Array(n);
    if (this.affine) {
      this.gamma = this.makeParam('gamma', [n], this.gammaValue, null);
      this.beta = this.makeParam('beta', [n], this.betaValue, null);
    } else {
      this.scratchGammaGrad = new Float32Array(n);
      this.scratchBetaGrad = new Float32Array(n);
    }
  }

  override params(): Param[] {
    return this.gamma && this.beta ? [this.gamma, this.beta] : [];
  }

  protected dxOrScratch(dx: Float32Array | null): Float32Array {
    return dx ?? this.dxScratch;
  }
}

export interface BatchNormOptions extends NormOptions {
  /** Weight of the new batch statistic in the running average (PyTorch convention). Default 0.1. */
  momentum?: number;
}

/**
 * Batch normalization (Ioffe & Szegedy 2015) over the batch (and L) per channel.
 * Training normalizes with the biased batch variance and updates running
 * statistics with the unbiased one; inference uses the running statistics.
 */
export class BatchNorm extends AffineNorm {
  readonly className = 'BatchNorm';
  readonly momentum: number;
  runningMean = new Float32Array(0);
  runningVar = new Float32Array(0);
  private saveMean = new Float32Array(0);
  private saveInvStd = new Float32Array(0);

  constructor(opts: BatchNormOptions = {}) {
    super(opts);
    this.momentum = checkNumber('BatchNorm', 'momentum', opts.momentum ?? 0.1, { min: 0, max: 1 });
  }

  protected affineSize(inputShape: number[]): number {
    return channels(this.where(), inputShape).c;
  }

  protected override createWeights(inputShape: number[], rng: Random): void {
    super.createWeights(inputShape, rng);
    const { c } = channels(this.where(), inputShape);
    this.runningMean = new Float32Array(c);
    this.runningVar = new Float32Array(c).fill(1);
    this.saveMean = new Float32Array(c);
    this.saveInvStd = new Float32Array(c);
  }

  override stateBuffers(): Map<string, Float32Array> {
    return new Map([
      [`${this.name}.running_mean`, this.runningMean],
      [`${this.name}.running_var`, this.runningVar],
    ]);
  }

  override allocate(maxRows: number): void {
    const { c, l } = channels(this.where(), this.requireBuilt().inputShape);
    this.dxScratch = new Float32Array(maxRows * c * l);
  }

  forward(a: ForwardArgs): ProgramStep[] {
    const { c, l } = channels(this.where(), this.requireBuilt().inputShape);
    if (a.training && a.syncStats) {
      return [op.syncbn_forward_train(a.x, a.y, this.gammaValue, this.betaValue, this.runningMean, this.runningVar, this.saveMean, this.saveInvStd, a.rows, c, l, this.momentum, this.eps)];
    }
    if (a.training) {
      return [op.batchnorm_forward_train(a.x, a.y, this.gammaValue, this.betaValue, this.runningMean, this.runningVar, this.saveMean, this.saveInvStd, a.rows, c, l, this.momentum, this.eps)];
    }
    return [op.batchnorm_forward_eval(a.x, a.y, this.gammaValue, this.betaValue, this.runningMean, this.runningVar, a.rows, c, l, this.eps)];
  }

  backward(a: BackwardArgs): ProgramStep[] {
    const { c, l } = channels(this.where(), this.requireBuilt().inputShape);
    if (a.syncStats) {
      return [op.syncbn_backward(a.x, a.dy, this.dxOrScratch(a.dx), this.gammaValue, this.gammaGrad, this.betaGrad, this.saveMean, this.saveInvStd, a.rows, c, l)];
    }
    return [op.batchnorm_backward(a.x, a.dy, this.dxOrScratch(a.dx), this.gammaValue, this.gammaGrad, this.betaGrad, this.saveMean, this.saveInvStd, a.rows, c, l)];
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, momentum: this.momentum, eps: this.eps, affine: this.affine };
  }
}

/**
 * Layer normalization (Ba et al. 2016). On [features] and [C, L] samples: over the
 * last axis, with gamma/beta per feature of that axis (torch.nn.LayerNorm(L)). On
 * feature maps [C, H, W]: over the whole sample (C x H x W) with gamma/beta per
 * channel, as in Wu & He's group-norm paper (= GroupNorm with one group; torch:
 * nn.GroupNorm(1, C)).
 */
export class LayerNorm extends AffineNorm {
  readonly className = 'LayerNorm';
  private saveMean = new Float32Array(0);
  private saveInvStd = new Float32Array(0);

  constructor(opts: NormOptions = {}) {
    super(opts);
  }

  private onMaps(shape: number[] = this.requireBuilt().inputShape): boolean {
    return shape.length === 3;
  }

  override computeOutputShape(inputShape: number[]): number[] {
    if (inputShape.length < 1 || inputShape.length > 3) {
      throw new RangeError(`LayerNorm '${this.name}': expected a per-sample shape [features], [C, L] or [C, H, W] but received [${inputShape}]`);
    }
    return [...inputShape];
  }

  protected affineSize(inputShape: number[]): number {
    return this.onMaps(inputShape) ? inputShape[0] : inputShape[inputShape.length - 1];
  }

  private rowsPerSample(): number {
    const s = this.requireBuilt().inputShape;
    return s.slice(0, -1).reduce((a, b) => a * b, 1);
  }

  override allocate(maxRows: number): void {
    const s = this.requireBuilt().inputShape;
    const rows = this.onMaps() ? maxRows : maxRows * this.rowsPerSample();
    this.saveMean = new Float32Array(rows);
    this.saveInvStd = new Float32Array(rows);
    this.dxScratch = new Float32Array(maxRows * s.reduce((a, b) => a * b, 1));
  }

  forward(a: ForwardArgs): ProgramStep[] {
    const s = this.requireBuilt().inputShape;
    if (this.onMaps()) {
      const { c, l } = channels(this.where(), s);
      return [op.groupnorm_forward(a.x, a.y, this.gammaValue, this.betaValue, this.saveMean, this.saveInvStd, a.rows, c, l, 1, this.eps)];
    }
    return [op.layernorm_forward(a.x, a.y, this.gammaValue, this.betaValue, this.saveMean, this.saveInvStd, a.rows * this.rowsPerSample(), s[s.length - 1], this.eps)];
  }

  backward(a: BackwardArgs): ProgramStep[] {
    const s = this.requireBuilt().inputShape;
    if (this.onMaps()) {
      const { c, l } = channels(this.where(), s);
      return [op.groupnorm_backward(a.x, a.dy, this.dxOrScratch(a.dx), this.gammaValue, this.gammaGrad, this.betaGrad, this.saveMean, this.saveInvStd, a.rows, c, l, 1)];
    }
    return [op.layernorm_backward(a.x, a.dy, this.dxOrScratch(a.dx), this.gammaValue, this.gammaGrad, this.betaGrad, this.saveMean, this.saveInvStd, a.rows * this.rowsPerSample(), s[s.length - 1])];
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, eps: this.eps, affine: this.affine };
  }
}

export interface GroupNormOptions extends NormOptions {
  groups: number;
}

/** Group normalization (Wu & He 2018): statistics per sample over C/G channels (and L). */
export class GroupNorm extends AffineNorm {
  readonly className: string = 'GroupNorm';
  readonly groups: number;
  private saveMean = new Float32Array(0);
  private saveInvStd = new Float32Array(0);

  constructor(opts: GroupNormOptions) {
    super(opts);
    this.groups = checkNumber(this.constructor.name, 'groups', opts.groups, { min: 1, integer: true });
  }

  protected affineSize(inputShape: number[]): number {
    return channels(this.where(), inputShape).c;
  }

  protected groupCount(c: number): number {
    return this.groups;
  }

  override computeOutputShape(inputShape: number[]): number[] {
    const { c } = channels(this.where(), inputShape);
    const g = this.groupCount(c);
    if (c % g !== 0) throw new RangeError(`${this.where()}: groups = ${g} does not divide the ${c} channels of the input shape [${inputShape}]`);
    return [...inputShape];
  }

  override allocate(maxRows: number): void {
    const { c, l } = channels(this.where(), this.requireBuilt().inputShape);
    const g = this.groupCount(c);
    this.saveMean = new Float32Array(maxRows * g);
    this.saveInvStd = new Float32Array(maxRows * g);
    this.dxScratch = new Float32Array(maxRows * c * l);
  }

  forward(a: ForwardArgs): ProgramStep[] {
    const { c, l } = channels(this.where(), this.requireBuilt().inputShape);
    return [op.groupnorm_forward(a.x, a.y, this.gammaValue, this.betaValue, this.saveMean, this.saveInvStd, a.rows, c, l, this.groupCount(c), this.eps)];
  }

  backward(a: BackwardArgs): ProgramStep[] {
    const { c, l } = channels(this.where(), this.requireBuilt().inputShape);
    return [op.groupnorm_backward(a.x, a.dy, this.dxOrScratch(a.dx), this.gammaValue, this.gammaGrad, this.betaGrad, this.saveMean, this.saveInvStd, a.rows, c, l, this.groupCount(c))];
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, groups: this.groups, eps: this.eps, affine: this.affine };
  }
}

/** Instance normalization (Ulyanov et al. 2016): per sample and channel over L; group norm with G = C. */
export class InstanceNorm extends GroupNorm {
  override readonly className = 'InstanceNorm';
  constructor(opts: NormOptions = {}) {
    super({ ...opts, groups: 1 });
  }
  protected override groupCount(c: number): number {
    return c;
  }
  override getConfig(): Record<string, unknown> {
    return { name: this.name, eps: this.eps, affine: this.affine };
  }
}
