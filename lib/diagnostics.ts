// Reading gradient-flow records (fit({ diagnostics: true })): which layers'
// gradients vanish or explode, and how many ReLU units have died.
import type { History, LayerDiagnostics } from './model';

export interface Diagnosis {
  /** Layers whose gradient norm is below `vanishRatio` times the largest layer's. */
  vanishing: string[];
  /** Layers whose gradient norm exceeds `explodeNorm` or is not finite. */
  exploding: string[];
  /** ReLU-family layers with at least `deadThreshold` of their units dead. */
  dead: { layer: string; fraction: number }[];
  /** The records the verdict is based on (the last epoch's, unless `epoch` is given). */
  layers: LayerDiagnostics[];
  /** Largest over smallest gradient norm across layers. */
  spread: number;
  /** A few human-readable lines. */
  report: string;
}

export interface DiagnoseOptions {
  /** Which epoch's records to read (index into history.diagnostics). Default: the last. */
  epoch?: number;
  vanishRatio?: number;
  explodeNorm?: number;
  deadThreshold?: number;
}

export function diagnose(history: History, opts: DiagnoseOptions = {}): Diagnosis {
  const records = history?.diagnostics;
  if (!records || records.length === 0) {
    throw new RangeError('diagnose: the history has no gradient records; train with fit(x, y, { diagnostics: true })');
  }
  const epoch = opts.epoch ?? records.length - 1;
  const layers = records[epoch];
  if (!layers) throw new RangeError(`diagnose: no records for epoch index ${epoch} (have ${records.length})`);
  const vanishRatio = opts.vanishRatio ?? 1e-2;
  const explodeNorm = opts.explodeNorm ?? 1e3;
  const deadThreshold = opts.deadThreshold ?? 0.5;
  const norms = layers.map((l) => l.gradNorm).filter((g) => Number.isFinite(g));
  const max = Math.max(...norms, 0);
  const min = Math.min(...norms.filter((g) => g > 0), Infinity);
  const vanishing = layers.filter((l) => Number.isFinite(l.gradNorm) && l.gradNorm < vanishRatio * max).map((l) => l.layer);
  const exploding = layers.filter((l) => !Number.isFinite(l.gradNorm) || l.gradNorm > explodeNorm).map((l) => l.layer);
  const dead = layers
    .filter((l) => l.deadFraction !== null && l.deadFraction >= deadThreshold)
    .map((l) => ({ layer: l.layer, fraction: l.deadFraction as number }));
  const lines = layers.map(
    (l) =>
      `${l.layer.padEnd(14)} grad norm ${l.gradNorm.toExponential(2)}  update/weight ${l.updateRatio.toExponential(2)}` +
      (l.deadFraction === null ? '' : `  dead ${(100 * l.deadFraction).toFixed(1)}%`),
  );
  if (vanishing.length) lines.push(`vanishing gradients in: ${vanishing.join(', ')} (below ${vanishRatio} x the largest layer's norm)`);
  if (exploding.length) lines.push(`exploding gradients in: ${exploding.join(', ')} (norm above ${explodeNorm})`);
  if (dead.length) lines.push(`dead ReLU units: ${dead.map((d) => `${d.layer} ${(100 * d.fraction).toFixed(0)}%`).join(', ')}`);
  if (!vanishing.length && !exploding.length && !dead.length) lines.push('gradient flow looks healthy');
  return { vanishing, exploding, dead, layers, spread: max / min, report: lines.join('\n') };
}
