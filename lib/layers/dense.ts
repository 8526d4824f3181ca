import type { ProgramStep } from '../binding';
import { op } from '../ops';
import { checkNumber } from '../errors';
import { getInitializer, type Initializer, type InitializerConfig } from '../initializers';

export type InitializerSpec = string | InitializerConfig | Initializer;
import type { Random } from '../random';
import { getRegularizer, type Regularizer, type RegularizerSpec } from '../regularizers';
import { activationBackward, activationForward, defaultAlpha, isReluFamily, resolveActivation, type ActivationName, type LayerActivationKind } from './activation';
import { Layer, type BackwardArgs, type ForwardArgs, type Param } from './base';

export interface DenseOptions {
  /** Output features. */
  units: number;
  /** Applied after the affine map; 'relu' is fused into the GEMM epilogue. Default: none (linear). */
  activation?: ActivationName | string;
  /** Slope of leakyRelu / alpha of elu. */
  alpha?: number;
  useBias?: boolean;
  /**
   * Default: 'heNormal' for the ReLU family (keeps activation variance through
   * depth, He et al. 2015), 'glorotUniform' otherwise (Glorot & Bengio 2010).
   */
  kernelInitializer?: InitializerSpec;
  /** Default: zeros. */
  biasInitializer?: InitializerSpec;
  kernelRegularizer?: RegularizerSpec;
  biasRegularizer?: RegularizerSpec;
  /** Per-sample input shape, for the first layer of a model. */
  inputShape?: number[];
  name?: string;
}

/**
 * A fully connected layer, y = act(x W + b), with the kernel W stored as
 * [inFeatures, units] (PyTorch's `weight` transposed).
 */
export class Dense extends Layer {
  readonly className = 'Dense';
  readonly units: number;
  readonly activation: string | null;
  readonly alpha: number;
  readonly useBias: boolean;
  readonly kernelInitializerSpec: InitializerSpec;
  readonly biasInitializerSpec: InitializerSpec;
  readonly kernelRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  private readonly kind: LayerActivationKind | null;
  private inFeatures = 0;
  kernel: Param | null = null;
  bias: Param | null = null;
  /** Pre-activation and its gradient, [maxRows, units], when an activation is not fused. */
  private pre: Float32Array | null = null;
  private dpre: Float32Array | null = null;

  constructor(opts: DenseOptions) {
    super(opts);
    if (opts === null || typeof opts !== 'object') throw new TypeError('Dense: expected an options object such as { units: 128 }');
    this.units = checkNumber('Dense', 'units', opts.units, { min: 1, integer: true });
    this.kind = resolveActivation(opts.activation);
    this.activation = opts.activation && this.kind ? opts.activation : null;
    this.alpha = opts.alpha ?? defaultAlpha(this.kind);
    this.useBias = opts.useBias ?? true;
    this.kernelInitializerSpec = opts.kernelInitializer ?? (isReluFamily(this.kind) || this.kind === 'leaky_relu' || this.kind === 'elu' ? 'heNormal' : 'glorotUniform');
    this.biasInitializerSpec = opts.biasInitializer ?? 'zeros';
    this.kernelRegularizer = getRegularizer(opts.kernelRegularizer);
    this.biasRegularizer = getRegularizer(opts.biasRegularizer);
  }

  computeOutputShape(inputShape: number[]): number[] {
    if (inputShape.length !== 1) {
      throw new RangeError(`Dense '${this.name}': expected a flat input of shape [features] but received [${inputShape}]; add a Flatten layer first`);
    }
    return [this.units];
  }

  protected override createWeights(inputShape: number[], rng: Random): void {
    this.inFeatures = inputShape[0];
    const kshape = [this.inFeatures, this.units];
    this.kernel = this.makeParam('kernel', kshape, getInitializer(this.kernelInitializerSpec).init(kshape, rng.fork('kernel')), this.kernelRegularizer);
    this.bias = this.useBias
      ? this.makeParam('bias', [this.units], getInitializer(this.biasInitializerSpec).init([this.units], rng.fork('bias')), this.biasRegularizer)
      : null;
  }

  override params(): Param[] {
    const out: Param[] = [];
    if (this.kernel) out.push(this.kernel);
    if (this.bias) out.push(this.bias);
    return out;
  }

  private fusedRelu(): boolean {
    return this.kind === 'relu';
  }

  override allocate(maxRows: number): void {
    if (this.kind && !this.fusedRelu()) {
      this.pre = new Float32Array(maxRows * this.units);
    }
    this.dpre = this.kind ? new Float32Array(maxRows * this.units) : null;
  }

  forward(a: ForwardArgs): ProgramStep[] {
    const k = this.kernel!;
    const b = this.bias ? this.bias.value : null;
    const n = this.inFeatures;
    if (!this.kind) return [op.linear_forward(a.x, k.value, b, a.y, a.rows, n, this.units, 'none')];
    if (this.fusedRelu()) {
      return [op.linear_forward(a.x, k.value, b, a.y, a.rows, n, this.units, a.skipOutputActivation ? 'none' : 'relu')];
    }
    if (a.skipOutputActivation) return [op.linear_forward(a.x, k.value, b, a.y, a.rows, n, this.units, 'none')];
    return [
      op.linear_forward(a.x, k.value, b, this.pre!, a.rows, n, this.units, 'none'),
      activationForward(this.kind, this.pre!, a.y, a.rows, this.units, this.alpha),
    ];
  }

  backward(a: BackwardArgs): ProgramStep[] {
    const steps: ProgramStep[] = [];
    const n = this.inFeatures;
    const m = this.units;
    let g = a.dy; // gradient with respect to the pre-activation
    if (this.kind && !a.skipOutputActivation) {
      const x = this.fusedRelu() ? a.y : this.pre!;
      steps.push(activationBackward(this.kind, x, a.y, a.dy, this.dpre!, a.rows, m, this.alpha));
      g = this.dpre!;
    }
    // dW[n,m] = x^T g ; db = column sums of g ; dx[rows,n] = g W^T
    steps.push(op.gemm(true, false, n, m, a.rows, 1, a.x, n, g, m, 0, this.kernel!.grad, m));
    if (this.bias) steps.push(op.bias_grad(g, this.bias.grad, a.rows, m));
    if (a.dx) steps.push(op.gemm(false, true, a.rows, n, m, 1, g, m, this.kernel!.value, m, 0, a.dx, n));
    return steps;
  }

  override outputActivation(): string | null {
    return this.kind;
  }

  override hasReluOutput(): boolean {
    return isReluFamily(this.kind);
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      units: this.units,
      activation: this.activation ?? 'linear',
      alpha: this.alpha,
      useBias: this.useBias,
      kernelRegularizer: this.kernelRegularizer?.getConfig() ?? null,
      biasRegularizer: this.biasRegularizer?.getConfig() ?? null,
    };
  }
}
