// Setting a model's weights by name (Sequential.setWeights).

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
