// Weight penalties. Keras semantics: L2(l) adds l * sum(w^2) to the loss and
// 2*l*w to the gradient; L1(l) adds l * sum(|w|) and l*sign(w). The gradient
// terms are applied inside the fused optimizer pass (coupled, like torch's
// weight_decay = 2*l); the penalty is added to the reported loss.
import { checkNumber } from './errors';

export class Regularizer {
  readonly l1: number;
  readonly l2: number;
  constructor(opts: { l1?: number; l2?: number }) {
    this.l1 = checkNumber('Regularizer', 'l1', opts.l1 ?? 0, { min: 0 });
    this.l2 = checkNumber('Regularizer', 'l2', opts.l2 ?? 0, { min: 0 });
  }
  /** The penalty for a weight buffer (evaluated on the main thread only for L1). */
  penalty(w: Float32Array, sumSquares?: number): number {
    let p = 0;
    if (this.l2 > 0) {
      let s = sumSquares;
      if (s === undefined) {
        s = 0;
        for (let i = 0; i < w.length; i++) s += w[i] * w[i];
      }
      p += this.l2 * s;
    }
    if (this.l1 > 0) {
      let s = 0;
      for (let i = 0; i < w.length; i++) s += Math.abs(w[i]);
      p += this.l1 * s;
    }
    return p;
  }
  getConfig(): { l1: number; l2: number } {
    return { l1: this.l1, l2: this.l2 };
  }
}

export const regularizers = {
  l1: (l = 0.01) => new Regularizer({ l1: l }),
  l2: (l = 0.01) => new Regularizer({ l2: l }),
  l1l2: (opts: { l1?: number; l2?: number } = { l1: 0.01, l2: 0.01 }) => new Regularizer(opts),
};

export type RegularizerSpec = Regularizer | { l1?: number; l2?: number } | null | undefined;

export function getRegularizer(spec: RegularizerSpec): Regularizer | null {
  if (spec === null || spec === undefined) return null;
  if (spec instanceof Regularizer) return spec;
  if (typeof spec === 'object') return new Regularizer(spec);
  throw new TypeError(`expected a Regularizer or { l1, l2 } but received ${String(spec)}`);
}

/** A weight with its regularizer, as the model's penalties see it. */
export interface Penalized {
  value: Float32Array;
  regularizer: Regularizer | null;
}

/** The weights with an L2 term, in order: a training step sums their squares natively, one slot each. */
export function l2Weights<P extends Penalized>(params: readonly P[]): P[] {
  return params.filter((p) => p.regularizer !== null && p.regularizer.l2 > 0);
}

/** The L1 part of the penalty of the current weights (computed on the main thread: L1 is rare). */
export function l1Penalty(params: readonly Penalized[]): number {
  let p = 0;
  for (const param of params) {
    const r = param.regularizer;
    if (r && r.l1 > 0) p += new Regularizer({ l1: r.l1 }).penalty(param.value);
  }
  return p;
}

/** The penalty of the weights before a step: L2 from `sumSquares` (one per l2Weights entry, in order) plus `l1`. */
export function stepPenalty(params: readonly Penalized[], sumSquares: Float32Array, l1: number): number {
  let p = l1;
  let k = 0;
  for (const param of params) {
    const r = param.regularizer;
    if (r && r.l2 > 0) p += r.l2 * sumSquares[k++];
  }
  return p;
}

/** The whole penalty of the current weights. */
export function totalPenalty(params: readonly Penalized[]): number {
  let p = 0;
  for (const param of params) if (param.regularizer) p += param.regularizer.penalty(param.value);
  return p;
}
