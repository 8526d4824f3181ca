// Per-layer gradient-flow records of fit({ diagnostics: true }).
import type { Layer, Param } from '../layers/base';
import { shapeSize } from '../tensor';

export interface LayerDiagnostics {
  layer: string;
  /** Root-mean over the epoch's batches of the kernel gradient's 2-norm. */
  gradNorm: number;
  /** ||delta W|| / ||W|| of the epoch's last step. */
  updateRatio: number;
  /** Fraction of units (channels of a conv layer) that output 0 for every sample (and position) of the last batch (ReLU family), else null. */
  deadFraction: number | null;
}

/**
 * Fraction of the units of `act` [rows, units, positions] that are 0 for every row and
 * position: a unit is a feature (positions = 1) or a feature map's channel (positions = H*W).
 */
function deadFraction(act: Float32Array, rows: number, units: number, positions = 1): number {
  let deadUnits = 0;
  for (let u = 0; u < units; u++) {
    let alive = false;
    for (let r = 0; r < rows && !alive; r++) {
      const base = (r * units + u) * positions;
      for (let q = 0; q < positions && !alive; q++) alive = act[base + q] > 0;
    }
    if (!alive) deadUnits++;
  }
  return deadUnits / units;
}

/**
 * One record per layer with a kernel: `gradSq` holds each parameter's summed
 * squared gradient norms over `batches` batches, `before` the weights before the
 * last step, `acts` each layer's output of the last batch of `rows` samples.
 */
export function layerDiagnostics(
  layers: readonly Layer[],
  params: readonly Param[],
  acts: readonly Float32Array[],
  rows: number,
  gradSq: Float64Array,
  batches: number,
  before: readonly Float32Array[],
): LayerDiagnostics[] {
  const out: LayerDiagnostics[] = [];
  layers.forEach((l, li) => {
    const kernelIndex = params.findIndex((p) => p.name === `${l.name}.kernel`);
    if (kernelIndex < 0) return;
    const p = params[kernelIndex];
    let dw = 0;
    let w = 0;
    const old = before[kernelIndex];
    for (let i = 0; i < p.value.length; i++) {
      const d = p.value[i] - old[i];
      dw += d * d;
      w += old[i] * old[i];
    }
    const shape = l.outputShape!;
    // Feature maps [C, H, W] (Conv2D): a channel is dead when it is 0 at every position.
    const dead = !l.hasReluOutput() ? null : shape.length === 3 ? deadFraction(acts[li], rows, shape[0], shape[1] * shape[2]) : deadFraction(acts[li], rows, shapeSize(shape));
    out.push({ layer: l.name, gradNorm: Math.sqrt(gradSq[kernelIndex] / batches), updateRatio: w > 0 ? Math.sqrt(dw / w) : 0, deadFraction: dead });
  });
  return out;
}
