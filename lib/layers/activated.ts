import type { ProgramStep } from '../binding';
import type { Initializer, InitializerConfig } from '../initializers';
import { op } from '../ops';
import { getRegularizer, type Regularizer, type RegularizerSpec } from '../regularizers';
import { activationBackward, activationForward, defaultAlpha, isReluFamily, resolveActivation, type ActivationName, type LayerActivationKind } from './activation';
import { Layer, type BackwardArgs, type ForwardArgs, type Param } from './base';

export type InitializerSpec = string | InitializerConfig | Initializer;

/** The options Dense and Conv2D share. */
export interface ActivatedLayerOptions {
  /** Applied after the linear map; 'relu' is fused into it. Default: none (linear). */
  activation?: ActivationName | string;
  /** Slope of leakyRelu / alpha of elu. */
  alpha?: number;
  useBias?: boolean;
  /** Default: 'heNormal' for the ReLU family, 'glorotUniform' otherwise. */
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
 * A layer z = linear(x; kernel, bias) followed by an optional activation (Dense, Conv2D): 'relu' is
 * fused into the linear op's store, other kinds run as a separate step over the saved pre-activation.
 */
export abstract class ActivatedLayer extends Layer {
  readonly activation: string | null;
  readonly alpha: number;
  readonly useBias: boolean;
  readonly kernelInitializerSpec: InitializerSpec;
  readonly biasInitializerSpec: InitializerSpec;
  readonly kernelRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  protected readonly kind: LayerActivationKind | null;
  kernel: Param | null = null;
  bias: Param | null = null;
  private pre: Float32Array | null = null;
  private dpre: Float32Array | null = null;

  /** `usage`: the TypeError's message when opts is not an object. */
  constructor(opts: ActivatedLayerOptions, usage: string) {
    super(opts);
    if (opts === null || typeof opts !== 'object') throw new TypeError(usage);
    this.kind = resolveActivation(opts.activation);
    this.activation = opts.activation && this.kind ? opts.activation : null;
    this.alpha = opts.alpha ?? defaultAlpha(this.kind);
    this.useBias = opts.useBias ?? true;
    this.kernelInitializerSpec = opts.kernelInitializer ?? (isReluFamily(this.kind) || this.kind === 'leaky_relu' || this.kind === 'elu' ? 'heNormal' : 'glorotUniform');
    this.biasInitializerSpec = opts.biasInitializer ?? 'zeros';
    this.kernelRegularizer = getRegularizer(opts.kernelRegularizer);
    this.biasRegularizer = getRegularizer(opts.biasRegularizer);
  }

  override params(): Param[] {
    const out: Param[] = [];
    if (this.kernel) out.push(this.kernel);
    if (this.bias) out.push(this.bias);
    return out;
  }

  protected fusedRelu(): boolean {
    return this.kind === 'relu';
  }

  /** The activation's buffers for n output values. */
  protected allocateActivation(n: number): void {
    this.pre = this.kind && !this.fusedRelu() ? new Float32Array(n) : null;
    this.dpre = this.kind ? new Float32Array(n) : null;
  }

  /** The forward steps; linear(y, relu) writes x's linear map to y, relu fused when asked. */
  protected forwardActivated(a: ForwardArgs, perSample: number, linear: (y: Float32Array, relu: boolean) => ProgramStep): ProgramStep[] {
    if (!this.kind) return [linear(a.y, false)];
    if (this.fusedRelu()) return [linear(a.y, !a.skipOutputActivation)];
    if (a.skipOutputActivation) return [linear(a.y, false)];
    return [linear(this.pre!, false), activationForward(this.kind, this.pre!, a.y, a.rows, perSample, this.alpha)];
  }

  /** Pushes the activation's backward step (if any) and returns the gradient with respect to the pre-activation. */
  protected activationGrad(a: BackwardArgs, perSample: number, steps: ProgramStep[]): Float32Array {
    if (!this.kind || a.skipOutputActivation) return a.dy;
    const x = this.fusedRelu() ? a.y : this.pre!;
    steps.push(activationBackward(this.kind, x, a.y, a.dy, this.dpre!, a.rows, perSample, this.alpha));
    return this.dpre!;
  }

  /**
   * activationGrad for a [rows, perSample] output whose bias gradient is its column sums: the activation's
   * gradient and those sums in one pass (activation_backward_bias, bit-identical to the two passes) where the
   * kind allows; biasDone says whether biasGrad was written.
   */
  protected activationGradWithBias(a: BackwardArgs, perSample: number, steps: ProgramStep[], biasGrad: Float32Array): { g: Float32Array; biasDone: boolean } {
    if (!this.kind || a.skipOutputActivation || this.kind === 'softmax' || this.kind === 'log_softmax') {
      return { g: this.activationGrad(a, perSample, steps), biasDone: false };
    }
    const x = this.fusedRelu() ? a.y : this.pre!;
    steps.push(op.activation_backward_bias(this.kind, x, a.y, a.dy, this.dpre!, biasGrad, a.rows, perSample, this.alpha));
    return { g: this.dpre!, biasDone: true };
  }

  override outputActivation(): string | null {
    return this.kind;
  }

  override hasReluOutput(): boolean {
    return isReluFamily(this.kind);
  }
}
