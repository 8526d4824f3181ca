// Bit-for-bit comparison of two models' weights (getWeights() maps), naming the first difference.
import { expect } from 'vitest';

export function expectSameWeights(a: Map<string, Float32Array>, b: Map<string, Float32Array>): void {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [k, v] of a) {
    const w = b.get(k)!;
    let diff = -1;
    for (let i = 0; i < v.length && diff < 0; i++) if (!Object.is(v[i], w[i])) diff = i;
    expect(diff, `${k}: first differing element`).toBe(-1);
  }
}
