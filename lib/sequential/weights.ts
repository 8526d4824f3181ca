// Setting a model's weights by name (Sequential.setWeights).
import type { Layer } from '../layers/base';

/** Copies each entry into the buffer of that name; checks every name and size before writing any. */
export function assignWeights(
  targets: Map<string, Float32Array>,
  weights: Map<string, ArrayLike<number>> | Record<string, ArrayLike<number>>,
): void {
  const entries = weights instanceof Map ? [...weights.entries()] : Object.entries(weights);
  for (const [name, values] of entries) {
    const t = targets.get(name);
    if (!t) throw new RangeError(`setWeights: no weight named '${name}' (known: ${[...targets.keys()].join(', ')})`);
    if (values.length !== t.length) throw new RangeError(`setWeights: '${name}' has ${t.length} values, received ${values.length}`);
  }
  for (const [name, values] of entries) targets.get(name)!.set(values);
}

/** Every weight and state buffer of the layers by name (`dense_1.kernel`, `batchnorm_1.running_mean`). */
export function weightBuffers(layers: readonly Layer[]): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const l of layers) {
    for (const p of l.params()) out.set(p.name, p.value);
    for (const [k, v] of l.stateBuffers()) out.set(k, v);
  }
  return out;
}
