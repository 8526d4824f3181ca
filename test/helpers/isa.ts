// Runs a block of tests once per ISA this machine supports (scalar, sse2, avx2, avx512 / neon).
import { afterAll, beforeAll, describe } from 'vitest';
import { backend, setMaxIsa } from '../../lib';

export const supportedIsas: string[] = backend().supportedIsas;

export function describeEachIsa(title: string, body: (isa: string) => void): void {
  for (const isa of supportedIsas) {
    describe(`${title} [${isa}]`, () => {
      beforeAll(() => {
        const got = setMaxIsa(isa);
        if (got !== isa) throw new Error(`setMaxIsa('${isa}') gave '${got}'`);
      });
      afterAll(() => {
        setMaxIsa(backend().detectedIsa);
      });
      body(isa);
    });
  }
}

/** A deterministic pseudo-random generator for test data (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomF32(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}
