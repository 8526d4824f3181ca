// Losses by name or object. Each is computed natively (value and gradient in
// one pass, mean reduction as in torch.nn); cross-entropies take logits and
// fuse the softmax.
import type { ProgramStep } from './binding';
import type { LossKind } from './kinds';
import { op } from './ops';
import { checkNumber } from './errors';

export type LossName =
  | 'mse'
  | 'meanSquaredError'
  | 'mae'
  | 'meanAbsoluteError'
  | 'huber'
  | 'binaryCrossentropy'
  | 'binaryCrossentropyFromLogits'
  | 'categoricalCrossentropy'
  | 'sparseCategoricalCrossentropy';

export interface LossBuffers {
  output: Float32Array;
  target: Float32Array | Int32Array;
  /** d loss / d output, or null when only the value is wanted. */
  dOutput: Float32Array | null;
  value: Float32Array;
  rows: number;
  cols: number;
}

export abstract class Loss {
  abstract readonly name: string;
  /** Targets are integer class labels (one per row) rather than a [rows, cols] tensor. */
  readonly sparseTargets: boolean = false;
  /** The loss expects logits, so a final softmax (or sigmoid) can be fused into it. */
  readonly takesLogits: 'softmax' | 'sigmoid' | null = null;
  abstract step(b: LossBuffers): ProgramStep;
  getConfig(): { name: string; config: Record<string, number> } {
    return { name: this.name, config: {} };
  }
}

class ElementwiseLoss extends Loss {
  constructor(readonly name: string, private readonly kind: LossKind, private readonly param?: number) {
    super();
  }
  step(b: LossBuffers): ProgramStep {
    const target = b.target as Float32Array; // dense targets: the model gives an Int32Array to sparse losses only
    if (this.param === undefined) return op.loss(this.kind, b.output, target, b.dOutput, b.value, b.rows, b.cols);
    return op.loss(this.kind, b.output, target, b.dOutput, b.value, b.rows, b.cols, this.param);
  }
}

export class MeanSquaredError extends ElementwiseLoss {
  constructor() {
    super('mse', 'mse');
  }
}

export class MeanAbsoluteError extends ElementwiseLoss {
  constructor() {
    super('mae', 'mae');
  }
}

export class Huber extends ElementwiseLoss {
  readonly delta: number;
  constructor(opts: { delta?: number } = {}) {
    const delta = checkNumber('Huber', 'delta', opts.delta ?? 1, { min: 0, minExclusive: true });
    super('huber', 'huber', delta);
    this.delta = delta;
  }
  override getConfig() {
    return { name: this.name, config: { delta: this.delta } };
  }
}

/** Binary cross-entropy on probabilities in [0, 1] (each log clamped at -100 as in torch). */
export class BinaryCrossentropy extends ElementwiseLoss {
  constructor() {
    super('binaryCrossentropy', 'bce');
  }
}

/** Binary cross-entropy on logits (a fused, stable sigmoid). */
export class BinaryCrossentropyFromLogits extends ElementwiseLoss {
  override readonly takesLogits = 'sigmoid' as const;
  constructor() {
    super('binaryCrossentropyFromLogits', 'bce_logits');
  }
}

/** Softmax cross-entropy from logits with one-hot (or probability) targets [rows, classes]. */
export class CategoricalCrossentropy extends ElementwiseLoss {
  override readonly takesLogits = 'softmax' as const;
  constructor() {
    super('categoricalCrossentropy', 'cce');
  }
}

/** Softmax cross-entropy from logits with integer class labels; optional label smoothing. */
export class SparseCategoricalCrossentropy extends Loss {
  readonly name = 'sparseCategoricalCrossentropy';
  override readonly sparseTargets = true;
  override readonly takesLogits = 'softmax' as const;
  readonly labelSmoothing: number;
  constructor(opts: { labelSmoothing?: number } = {}) {
    super();
    this.labelSmoothing = checkNumber('SparseCategoricalCrossentropy', 'labelSmoothing', opts.labelSmoothing ?? 0, { min: 0, max: 1 });
  }
  step(b: LossBuffers): ProgramStep {
    return op.sparse_cross_entropy(b.output, b.target as Int32Array, b.dOutput, b.value, b.rows, b.cols, this.labelSmoothing);
  }
  override getConfig() {
    return { name: this.name, config: { labelSmoothing: this.labelSmoothing } };
  }
}

const registry: Record<string, (cfg: Record<string, number>) => Loss> = {
  mse: () => new MeanSquaredError(),
  meansquarederror: () => new MeanSquaredError(),
  mean_squared_error: () => new MeanSquaredError(),
  mae: () => new MeanAbsoluteError(),
  l1: () => new MeanAbsoluteError(),
  meanabsoluteerror: () => new MeanAbsoluteError(),
  mean_absolute_error: () => new MeanAbsoluteError(),
  huber: (c) => new Huber(c),
  binarycrossentropy: () => new BinaryCrossentropy(),
  binary_crossentropy: () => new BinaryCrossentropy(),
  bce: () => new BinaryCrossentropy(),
  binarycrossentropyfromlogits: () => new BinaryCrossentropyFromLogits(),
  bce_with_logits: () => new BinaryCrossentropyFromLogits(),
  categoricalcrossentropy: () => new CategoricalCrossentropy(),
  categorical_crossentropy: () => new CategoricalCrossentropy(),
  sparsecategoricalcrossentropy: (c) => new SparseCategoricalCrossentropy(c),
  sparse_categorical_crossentropy: (c) => new SparseCategoricalCrossentropy(c),
};

export function getLoss(spec: Loss | LossName | string, config: Record<string, number> = {}): Loss {
  if (spec instanceof Loss) return spec;
  const make = typeof spec === 'string' ? registry[spec.toLowerCase()] : undefined;
  if (!make) {
    throw new RangeError(
      `unknown loss ${JSON.stringify(spec)}; expected one of mse, mae, huber, binaryCrossentropy, binaryCrossentropyFromLogits, categoricalCrossentropy, sparseCategoricalCrossentropy or a Loss`,
    );
  }
  return make(config);
}
