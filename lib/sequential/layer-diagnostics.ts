// Per-layer gradient-flow records of fit({ diagnostics: true }).
import type { Layer, Param } from '../layers/base';
import { shapeSize } from '../tensor';

export interface LayerDiagnostics {
  layer: string;
  /** Root-mean over the epoch's batches of the kernel gradient's 2-norm. */
  gradNorm: number;
  /** ||delta W|| / ||W|| of the epoch's last step. */
  updateRatio: number;
  /** Fraction of units that output 0 for every sample of the last batch (ReLU family), else null. */
  deadFraction: number | null;
}

/** Fraction of the units of `act` [rows, units] that are 0 for every row. */
function deadFraction(act: Float32Array, rows: number, units: number): number {
  let deadUnits = 0;
  for (let u = 0; u < units; u++) {
    let alive = false;
    for (let r = 0; r < rows && !alive; r++) alive = act[r * units + u] > 0;
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
    const dead = l.hasReluOutput() ? deadFraction(acts[li], rows, shapeSize(l.outputShape!)) : null;
    out.push({ layer: l.name, gradNorm: Math.sqrt(gradSq[kernelIndex] / batches), updateRatio: w > 0 ? Math.sqrt(dw / w) : 0, deadFraction: dead });
  });
  return out;
}
