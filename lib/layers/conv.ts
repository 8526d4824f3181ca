import type { ProgramStep } from '../binding';
import { checkNumber } from '../errors';
import { getInitializer } from '../initializers';
import type { Random } from '../random';
import { formatShape } from '../tensor';
import type { ActivationName } from './activation';
import { ActivatedLayer, type ActivatedLayerOptions, type InitializerSpec } from './activated';
import type { BackwardArgs, ForwardArgs } from './base';
import { convSteps, type ConvGeometry } from './conv-steps';
import { mapShape, outputSize, pairOption, paddingOption, resolvePadding, type Padding, type PaddingSpec } from './spatial';

export interface Conv2DOptions extends ActivatedLayerOptions {
  /** Output channels. */
  filters: number;
  /** kh = kw = n, or [kh, kw]. */
  kernelSize: number | [number, number];
  /** Default 1. */
  strides?: number | [number, number];
  /** 'valid' (default, none), 'same' (output size = input size; strides 1, odd kernel), n or [ph, pw] zeros on each side. */
  padding?: PaddingSpec;
  /** Default 1. */
  dilation?: number | [number, number];
  /** Channel groups: `groups = channels` is a depthwise convolution. Both channel counts must be multiples. Default 1. */
  groups?: number;
  /** Applied after the convolution; 'relu' is fused into the kernel. Default: none (linear). */
  activation?: ActivationName | string;
  /**
   * Default: 'heNormal' for the ReLU family, 'glorotUniform' otherwise (as Dense), with a
   * conv kernel's fans: fanIn = in/groups x kh x kw, fanOut = filters x kh x kw (PyTorch's).
   */
  kernelInitializer?: InitializerSpec;
}

/**
 * 2-D convolution (cross-correlation, as PyTorch's nn.Conv2d) over NCHW samples
 * [C, H, W]. The kernel is [filters, C/groups, kh, kw] (PyTorch's OIHW `weight`, so a
 * torch state_dict maps one to one), the bias [filters]. Output [filters, OH, OW] with
 * OH = floor((H + 2 ph - dh (kh - 1) - 1) / sh) + 1.
 */
export class Conv2D extends ActivatedLayer {
  readonly className = 'Conv2D';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilation: [number, number];
  readonly groups: number;
  private geometry: ConvGeometry | null = null;

  constructor(opts: Conv2DOptions) {
    super(opts, 'Conv2D: expected an options object such as { filters: 32, kernelSize: 3 }');
    const where = `Conv2D${opts.name ? ` '${opts.name}'` : ''}`;
    this.filters = checkNumber(where, 'filters', opts.filters, { min: 1, integer: true });
    this.kernelSize = pairOption(where, 'kernelSize', opts.kernelSize, 1);
    this.strides = pairOption(where, 'strides', opts.strides ?? 1, 1);
    this.dilation = pairOption(where, 'dilation', opts.dilation ?? 1, 1);
    this.padding = paddingOption(where, opts.padding);
    this.groups = checkNumber(where, 'groups', opts.groups ?? 1, { min: 1, integer: true });
    if (this.filters % this.groups !== 0) throw new RangeError(`${where}: filters = ${this.filters} is not divisible by groups = ${this.groups}`);
    if (this.kind === 'softmax' || this.kind === 'log_softmax') {
      throw new RangeError(`${where}: activation '${opts.activation}' works along one axis; apply it after Flatten`);
    }
  }

  private where(): string {
    return `Conv2D '${this.name}'`;
  }

  /** The geometry for a per-sample input shape, checked (channels vs groups, kernel vs padded input). */
  private geometryFor(inputShape: number[]): ConvGeometry {
    const where = this.where();
    const { c, h, w } = mapShape(where, inputShape);
    if (c % this.groups !== 0) {
      throw new RangeError(`${where}: the input's ${c} channels (shape ${formatShape(inputShape)}) are not divisible by groups = ${this.groups}`);
    }
    const pad = resolvePadding(where, this.padding, this.kernelSize, this.dilation, this.strides);
    const [oh, ow] = outputSize(where, inputShape, this.kernelSize, this.strides, pad, this.dilation);
    return { c, h, w, k: this.filters, kh: this.kernelSize[0], kw: this.kernelSize[1], sh: this.strides[0], sw: this.strides[1], ph: pad[0], pw: pad[1], dh: this.dilation[0], dw: this.dilation[1], groups: this.groups, oh, ow };
  }

  computeOutputShape(inputShape: number[]): number[] {
    const g = this.geometryFor(inputShape);
    return [g.k, g.oh, g.ow];
  }

  /** Weights of the kernel: filters x C/groups x kh x kw (for size checks before allocating). */
  kernelSizeFor(inputShape: number[]): number {
    const { c } = mapShape(this.where(), inputShape);
    return this.filters * (c / this.groups) * this.kernelSize[0] * this.kernelSize[1];
  }

  protected override createWeights(inputShape: number[], rng: Random): void {
    const g = this.geometryFor(inputShape);
    this.geometry = g;
    const cg = g.c / g.groups;
    const kshape = [g.k, cg, g.kh, g.kw];
    // The initializers take Keras' channels-last fans ([...receptive, in, out]); the values are
    // i.i.d., so drawing them for [kh, kw, C/g, filters] gives the OIHW kernel the conv fans.
    const values = getInitializer(this.kernelInitializerSpec).init([g.kh, g.kw, cg, g.k], rng.fork('kernel'));
    this.kernel = this.makeParam('kernel', kshape, values, this.kernelRegularizer);
    this.bias = this.useBias ? this.makeParam('bias', [g.k], getInitializer(this.biasInitializerSpec).init([g.k], rng.fork('bias')), this.biasRegularizer) : null;
  }

  override allocate(maxRows: number): void {
    const g = this.geometry!;
    const n = maxRows * g.k * g.oh * g.ow;
    this.allocateActivation(n);
  }

  private outPerSample(): number {
    const g = this.geometry!;
    return g.k * g.oh * g.ow;
  }

  forward(a: ForwardArgs): ProgramStep[] {
    const g = this.geometry!;
    const s = convSteps(g, a.rows);
    const k = this.kernel!.value;
    const b = this.bias ? this.bias.value : null;
    return this.forwardActivated(a, this.outPerSample(), (y, relu) => s.forward(a.x, k, b, y, relu));
  }

  backward(a: BackwardArgs): ProgramStep[] {
    const g = this.geometry!;
    const s = convSteps(g, a.rows);
    const steps: ProgramStep[] = [];
    const dz = this.activationGrad(a, this.outPerSample(), steps);
    steps.push(s.backwardFilter(a.x, dz, this.kernel!.grad, this.bias ? this.bias.grad : null));
    if (a.dx) steps.push(s.backwardData(dz, this.kernel!.value, a.dx));
    return steps;
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: Array.isArray(this.padding) ? [...this.padding] : this.padding,
      dilation: [...this.dilation],
      groups: this.groups,
      useBias: this.useBias,
      activation: this.activation ?? 'linear',
      alpha: this.alpha,
      kernelRegularizer: this.kernelRegularizer?.getConfig() ?? null,
      biasRegularizer: this.biasRegularizer?.getConfig() ?? null,
    };
  }
}
