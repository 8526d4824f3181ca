import type { ProgramStep } from '../binding';
import { ACTIVATION_KINDS, type ActivationKind } from '../kinds';
import { op } from '../ops';
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

/** What an activation name resolves to: an elementwise kind or a row-wise softmax. */
export type LayerActivationKind = ActivationKind | 'softmax' | 'log_softmax';
const LAYER_ACTIVATION_KINDS: readonly LayerActivationKind[] = [...ACTIVATION_KINDS, 'softmax', 'log_softmax'];

const camel = (kind: string): string => kind.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/** Native kind names, keyed by every accepted spelling: the kind, its camelCase form (lower-cased) and swish. */
const nativeKind: Record<string, LayerActivationKind> = { swish: 'silu' };
for (const k of LAYER_ACTIVATION_KINDS) {
  nativeKind[k] = k;
  nativeKind[camel(k).toLowerCase()] = k;
}

/** Resolves an activation name to its native kind; 'linear'/undefined give null. */
export function resolveActivation(name: string | undefined | null): LayerActivationKind | null {
  if (name === undefined || name === null || name === 'linear' || name === 'none') return null;
  const k = nativeKind[name.toLowerCase()];
  if (!k) {
    const names = ['linear', ...LAYER_ACTIVATION_KINDS.map(camel)];
    throw new RangeError(`unknown activation ${JSON.stringify(name)}; expected one of ${names.join(', ')}`);
  }
  return k;
}

export function isReluFamily(kind: string | null): boolean {
  return kind === 'relu';
}

/** Steps computing y = f(x) over rows x cols (softmax kinds work along the last axis). */
export function activationForward(kind: LayerActivationKind, x: Float32Array, y: Float32Array, rows: number, cols: number, alpha: number): ProgramStep {
  if (kind === 'softmax') return op.softmax_forward(x, y, rows, cols);
  if (kind === 'log_softmax') return op.log_softmax_forward(x, y, rows, cols);
  return op.activation_forward(kind, x, y, rows * cols, alpha);
}

export function activationBackward(
  kind: LayerActivationKind,
  x: Float32Array,
  y: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  rows: number,
  cols: number,
  alpha: number,
): ProgramStep {
  if (kind === 'softmax') return op.softmax_backward(y, dy, dx, rows, cols);
  if (kind === 'log_softmax') return op.log_softmax_backward(y, dy, dx, rows, cols);
  return op.activation_backward(kind, x, y, dy, dx, rows * cols, alpha);
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
  private readonly kind: LayerActivationKind;
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
    if (a.skipOutputActivation) return [op.copy(a.x, a.y, a.rows * per)];
    return [activationForward(this.kind, a.x, a.y, (a.rows * per) / cols, cols, this.alpha)];
  }

  backward(a: BackwardArgs): ProgramStep[] {
    if (!a.dx) return [];
    const per = shapeSize(this.requireBuilt().inputShape);
    const cols = this.cols();
    if (a.skipOutputActivation) return [op.copy(a.dy, a.dx, a.rows * per)];
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
