import type { ProgramStep } from '../binding';
import { op } from '../ops';
import { activationBackward, activationForward, isReluFamily, type LayerActivationKind } from './activation';
import { Layer, type BackwardArgs, type ForwardArgs, type Param } from './base';

/**
 * A layer z = linear(x; kernel, bias) followed by an optional activation (Dense, Conv2D): 'relu' is
 * fused into the linear op's store, other kinds run as a separate step over the saved pre-activation.
 */
export abstract class ActivatedLayer extends Layer {
  protected abstract readonly kind: LayerActivationKind | null;
  abstract readonly alpha: number;
  kernel: Param | null = null;
  bias: Param | null = null;
  private pre: Float32Array | null = null;
  private dpre: Float32Array | null = null;

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
