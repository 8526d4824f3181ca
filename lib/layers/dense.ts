import type { ProgramStep } from '../binding';
import { fork, op } from '../ops';
import { checkNumber } from '../errors';
import { getInitializer } from '../initializers';
import type { Random } from '../random';
import type { ActivationName } from './activation';
import { ActivatedLayer, type ActivatedLayerOptions, type InitializerSpec } from './activated';

export type { InitializerSpec } from './activated';
import type { BackwardArgs, ForwardArgs } from './base';

export interface DenseOptions extends ActivatedLayerOptions {
  /** Output features. */
  units: number;
  /** Applied after the affine map; 'relu' is fused into the GEMM epilogue. Default: none (linear). */
  activation?: ActivationName | string;
  /**
   * Default: 'heNormal' for the ReLU family (keeps activation variance through
   * depth, He et al. 2015), 'glorotUniform' otherwise (Glorot & Bengio 2010).
   */
  kernelInitializer?: InitializerSpec;
  /**
   * DropConnect rate in [0, 1) (Wan et al. 2013): in training each weight of
   * the kernel is dropped with this probability (a fresh mask every step, the
   * same for the whole batch) and kept weights are scaled by 1/(1-rate), so
   * inference uses the kernel as it is: the expected weights (the paper's mean
   * approximation). The mask of weight (i, j) is a pure function of (seed,
   * layer, step, i*units + j), identical for any thread count and ISA.
   * Default 0 (off). The bias is never dropped.
   */
  dropConnect?: number;
}

/**
 * A fully connected layer, y = act(x W + b), with the kernel W stored as
 * [inFeatures, units] (PyTorch's `weight` transposed).
 */
/**
 * Multiply-adds per backward GEMM for which Dense forks its weight and input gradients: from 2^18 (below
 * it a GEMM runs on one thread anyway, native/kernels/gemm_blocked_inl.h) to 2^26 (bn's 512x512 at batch
 * 128, not dropout's 2048x2048).
 */
const FORK_MIN_MACS = 2 ** 18;
const FORK_MAX_MACS = 2 ** 26;

export class Dense extends ActivatedLayer {
  readonly className = 'Dense';
  readonly units: number;
  /** DropConnect rate (0: off). */
  readonly dropConnect: number;
  /** [seed, stream, step] of the DropConnect mask: the model sets the step before each training step. */
  readonly rngState = new Float64Array(3);
  /**
   * Backward sums the bias gradient in the activation's gradient pass (activation_backward_bias) rather than
   * in the weight-gradient GEMM (weight_grad); the results are bit-identical. Off only to compare the two (bench/mlp-ab.mjs).
   * @internal
   */
  fuseBiasGrad = true;
  /**
   * A ReLU Dense under a Dense leaves its ReLU backward to the layer above, which applies it in the store of
   * its input-gradient GEMM (input_grad's mask), and sums its bias in its weight-gradient GEMM: no pass of
   * its own over the gradient. Bit-identical; off only to compare (bench/mlp-ab.mjs).
   * @internal
   */
  fuseReluGrad = true;
  private inFeatures = 0;
  /** Pre-activation and its gradient, [maxRows, units], when an activation is not fused. */

  constructor(opts: DenseOptions) {
    super(opts, 'Dense: expected an options object such as { units: 128 }');
    this.units = checkNumber('Dense', 'units', opts.units, { min: 1, integer: true });
    this.dropConnect = opts.dropConnect === undefined ? 0 : checkNumber('Dense', 'dropConnect', opts.dropConnect, { min: 0, max: 1, maxExclusive: true });
  }

  /** The DropConnect mask's stream is the layer index, its step the training step. */
  override stepState(): Float64Array {
    return this.rngState;
  }

  override beginStep(layerIndex: number, step: number): void {
    this.rngState[1] = layerIndex;
    this.rngState[2] = step;
  }

  /** Without DropConnect, the input gradient is one GEMM (input_grad), which can take the ReLU mask. */
  override masksInputGrad(): boolean {
    return this.dropConnect === 0;
  }

  override reluGradByLayerAbove(): boolean {
    return this.fuseReluGrad && this.fusedRelu() && this.dropConnect === 0;
  }

  /** Without DropConnect, the first Dense reads a uint8 batch where it lies (linear_forward_u8, weight_grad_u8). */
  override acceptsGatheredInput(): boolean {
    return this.dropConnect === 0;
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
    // 2^31 keeps the seed exact in a double (as Dropout).
    if (this.dropConnect > 0) this.rngState[0] = rng.fork('dropConnect').int(0x7fffffff);
  }

  override allocate(maxRows: number): void {
    this.allocateActivation(maxRows * this.units);
  }

  forward(a: ForwardArgs): ProgramStep[] {
    const k = this.kernel!;
    const b = this.bias ? this.bias.value : null;
    const n = this.inFeatures;
    // y = act(x W + b); in training with DropConnect, W is the masked kernel (the mask made inside the GEMM).
    const linear = (y: Float32Array, relu: boolean): ProgramStep => {
      const act = relu ? 'relu' : 'none';
      const g = a.gathered;
      if (g) return op.linear_forward_u8(g.src, g.index, g.scale, k.value, b, y, a.rows, n, this.units, act);
      return a.training && this.dropConnect > 0
        ? op.dropconnect_forward(a.x, k.value, b, y, a.rows, n, this.units, act, this.dropConnect, this.rngState)
        : op.linear_forward(a.x, k.value, b, y, a.rows, n, this.units, act);
    };
    return this.forwardActivated(a, this.units, linear);
  }

  backward(a: BackwardArgs): ProgramStep[] {
    const steps: ProgramStep[] = [];
    const n = this.inFeatures;
    const m = this.units;
    // The gradient with respect to the pre-activation: dy itself when the layer above applied the ReLU's
    // backward, else from an activation pass, with the bias gradient in the same pass when it can.
    const { g, biasDone } = a.dyIsPreActivation
      ? { g: a.dy, biasDone: false }
      : this.bias && this.fuseBiasGrad
        ? this.activationGradWithBias(a, m, steps, this.bias.grad)
        : { g: this.activationGrad(a, m, steps), biasDone: false };
    if (this.dropConnect > 0) {
      // W' = M∘W/(1-p): dW = M∘(x^T g)/(1-p) ; db = column sums of g ; dx = g W'^T (the forward's mask, regenerated)
      const hp = this.rngState;
      steps.push(op.dropconnect_backward_weight(a.x, g, this.kernel!.grad, a.rows, n, m, this.dropConnect, hp));
      if (this.bias && !biasDone) steps.push(op.bias_grad(g, this.bias.grad, a.rows, m));
      if (a.dx) steps.push(op.dropconnect_backward_input(g, this.kernel!.value, a.dx, a.rows, n, m, this.dropConnect, hp));
      return steps;
    }
    // dW[n,m] = x^T g with db = column sums of g summed from its packed panels; dx[rows,n] = g W^T, with the
    // ReLU backward of the layer below in its store. The two GEMMs are independent: for small ones a fork
    // runs them side by side on 2 threads, which hands less data between the cores than splitting each
    // (bench/RESULTS.md: small +4%, bn +2%; 2048-wide layers 1.5% slower, so not those).
    const db = this.bias && !biasDone ? this.bias.grad : null;
    const gx = a.gathered;
    const weight = gx
      ? op.weight_grad_u8(gx.src, gx.index, gx.scale, g, this.kernel!.grad, db, a.rows, n, m)
      : op.weight_grad(a.x, g, this.kernel!.grad, db, a.rows, n, m);
    if (!a.dx) return [...steps, weight];
    const input = op.input_grad(g, this.kernel!.value, a.dx, a.dxReluMask ?? null, a.rows, n, m);
    const macs = a.rows * n * m;
    if (macs >= FORK_MIN_MACS && macs <= FORK_MAX_MACS) steps.push(fork([weight], [input]));
    else steps.push(weight, input);
    return steps;
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
      ...(this.dropConnect > 0 ? { dropConnect: this.dropConnect } : {}),
    };
  }
}
