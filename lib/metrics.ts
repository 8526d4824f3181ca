// Metrics computed from a batch's outputs and targets on the main thread
// (a few thousand values per batch: cheaper than a native round trip).

export type MetricName = 'accuracy' | 'sparseAccuracy' | 'categoricalAccuracy' | 'binaryAccuracy' | 'mse' | 'mae';

export interface Metric {
  readonly name: string;
  /** Sum of the metric over the rows of a batch (the caller divides by the row count). */
  batchSum(output: Float32Array, target: Float32Array | Int32Array, rows: number, cols: number): number;
}

function argmaxRow(x: Float32Array, off: number, cols: number): number {
  let best = 0;
  let bestV = x[off];
  for (let c = 1; c < cols; c++) {
    const v = x[off + c];
    if (v > bestV) {
      bestV = v;
      best = c;
    }
  }
  return best;
}

export const sparseAccuracy: Metric = {
  name: 'accuracy',
  batchSum(out, target, rows, cols) {
    let hit = 0;
    for (let r = 0; r < rows; r++) if (argmaxRow(out, r * cols, cols) === target[r]) hit++;
    return hit;
  },
};

export const categoricalAccuracy: Metric = {
  name: 'accuracy',
  batchSum(out, target, rows, cols) {
    let hit = 0;
    for (let r = 0; r < rows; r++) {
      if (argmaxRow(out, r * cols, cols) === argmaxRow(target as Float32Array, r * cols, cols)) hit++;
    }
    return hit;
  },
};

/** The batch's sum over rows of the mean over cols of f(out, target), element by element. */
function elementMetric(name: string, f: (out: number, target: number) => number): Metric {
  return {
    name,
    batchSum(out, target, rows, cols) {
      let s = 0;
      const n = rows * cols;
      for (let i = 0; i < n; i++) s += f(out[i], target[i]);
      return s / cols;
    },
  };
}

/** Threshold 0.5 on probabilities (or 0 on logits, chosen by the model from the loss). */
export function binaryAccuracy(threshold = 0.5): Metric {
  return elementMetric('binaryAccuracy', (o, t) => ((o > threshold ? 1 : 0) === (t > 0.5 ? 1 : 0) ? 1 : 0));
}

export const meanSquaredErrorMetric: Metric = elementMetric('mse', (o, t) => (o - t) * (o - t));

export const meanAbsoluteErrorMetric: Metric = elementMetric('mae', (o, t) => Math.abs(o - t));

/**
 * Resolves a metric name. 'accuracy' picks sparse or one-hot accuracy from the
 * loss's target kind; binaryAccuracy thresholds logits at 0 when the loss takes logits.
 */
export function getMetric(name: MetricName | string, ctx: { sparseTargets: boolean; logits: boolean }): Metric {
  switch (name) {
    case 'accuracy':
    case 'acc':
      return ctx.sparseTargets ? sparseAccuracy : categoricalAccuracy;
    case 'sparseAccuracy':
    case 'sparse_categorical_accuracy':
      return sparseAccuracy;
    case 'categoricalAccuracy':
    case 'categorical_accuracy':
      return categoricalAccuracy;
    case 'binaryAccuracy':
    case 'binary_accuracy':
      return binaryAccuracy(ctx.logits ? 0 : 0.5);
    case 'mse':
      return meanSquaredErrorMetric;
    case 'mae':
      return meanAbsoluteErrorMetric;
    default:
      throw new RangeError(`unknown metric ${JSON.stringify(name)}; expected accuracy, sparseAccuracy, categoricalAccuracy, binaryAccuracy, mse or mae`);
  }
}
