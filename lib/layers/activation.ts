import type { ProgramStep } from '../binding';
import { Layer, type BackwardArgs, type ForwardArgs } from './base';
import { shapeSize } from '../tensor';

export type ActivationName =
  | 'linear'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leakyRelu'
  | 'elu'
  | 'selu'
  | 'gelu'
  | 'geluTanh'
  | 'silu'
  | 'swish'
  | 'softplus'
  | 'softmax'
  | 'logSoftmax';

/** Native kind names, keyed by every accepted spelling. */
const nativeKind: Record<string, string> = {
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  relu: 'relu',
  leakyrelu: 'leaky_relu',
  leaky_relu: 'leaky_relu',
  elu: 'elu',
  selu: 'selu',
  gelu: 'gelu',
  gelutanh: 'gelu_tanh',
  gelu_tanh: 'gelu_tanh',
  silu: 'silu',
  swish: 'silu',
  softplus: 'softplus',
  softmax: 'softmax',
  logsoftmax: 'log_softmax',
  log_softmax: 'log_softmax',
};

/** Resolves an activation name to its native kind; 'linear'/undefined give null. */
export function resolveActivation(name: string | undefined | null): string | null {
  if (name === undefined || name === null || name === 'linear' || name === 'none') return null;
  const k = nativeKind[name.toLowerCase()];
  if (!k) {
    throw new RangeError(
      `unknown activation ${JSON.stringify(name)}; expected one of linear, sigmoid, tanh, relu, leakyRelu, elu, selu, gelu, geluTanh, silu, softplus, softmax, logSoftmax`,
    );
  }
  return k;
}

export function isReluFamily(kind: string | null): boolean {
  return kind === 'relu';
}

/** Steps computing y = f(x) over rows x cols (softmax kinds work along the last axis). */
export function activationForward(kind: string, x: Float32Array, y: Float32Array, rows: number, cols: number, alpha: number): ProgramStep {
  if (kind === 'softmax') return ['softmax_forward', x, y, rows, cols];
  if (kind === 'log_softmax') return ['log_softmax_forward', x, y, rows, cols];
  return ['activation_forward', kind, x, y, rows * cols, alpha];
}

export function activationBackward(
  kind: string,
  x: Float32Array,
  y: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  rows: number,
  cols: number,
  alpha: number,
): ProgramStep {
  if (kind === 'softmax') return ['softmax_backward', y, dy, dx, rows, cols];
  if (kind === 'log_softmax') return ['log_softmax_backward', y, dy, dx, rows, cols];
  return ['activation_backward', kind, x, y, dy, dx, rows * cols, alpha];
}

export function defaultAlpha(kind: string | null): number {
  return kind === 'leaky_relu' ? 0.01 : 1;
}

export interface ActivationOptions {
  /** Slope of leakyRelu (default 0.01) or alpha of elu (default 1). */
  alpha?: number;
  name?: string;
  inputShape?: number[];
}

/** An elementwise activation (softmax and logSoftmax along the last axis). */
export class Activation extends Layer {
  readonly className = 'Activation';
  readonly activation: string;
  private readonly kind: string;
  readonly alpha: number;

  constructor(activation: ActivationName | string, opts: ActivationOptions = {}) {
    super(opts);
    const kind = resolveActivation(activation);
    if (!kind) throw new RangeError(`Activation: 'linear' is the identity; leave the layer out`);
    this.activation = activation;
    this.kind = kind;
    this.alpha = opts.alpha ?? defaultAlpha(kind);
  }

  computeOutputShape(inputShape: number[]): number[] {
    return [...inputShape];
  }

  private cols(): number {
    const { inputShape } = this.requireBuilt();
    return inputShape[inputShape.length - 1] ?? 1;
  }

  forward(a: ForwardArgs): ProgramStep[] {
    const per = shapeSize(this.requireBuilt().inputShape);
    const cols = this.cols();
    if (a.skipOutputActivation) return [['copy', a.x, a.y, a.rows * per]];
    return [activationForward(this.kind, a.x, a.y, (a.rows * per) / cols, cols, this.alpha)];
  }

  backward(a: BackwardArgs): ProgramStep[] {
    if (!a.dx) return [];
    const per = shapeSize(this.requireBuilt().inputShape);
    const cols = this.cols();
    if (a.skipOutputActivation) return [['copy', a.dy, a.dx, a.rows * per]];
    return [activationBackward(this.kind, a.x, a.y, a.dy, a.dx, (a.rows * per) / cols, cols, this.alpha)];
  }

  override outputActivation(): string | null {
    return this.kind;
  }

  override hasReluOutput(): boolean {
    return isReluFamily(this.kind);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, activation: this.activation, alpha: this.alpha };
  }
}
