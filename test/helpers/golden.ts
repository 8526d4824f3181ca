// Reads the PyTorch golden fixtures and compares results with the allclose rule of their
// README. The directory is GRADWELL_GOLDEN_DIR when set (e.g. ../shared/golden, or any other
// directory in the same format), else the repository's own test/fixtures/golden, written by
// scripts/golden/generate.py.
import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'vitest';

export interface GoldenTensor {
  shape: number[];
  data: number[];
  dtype?: 'int' | 'float64';
}

export interface GoldenCase {
  name: string;
  op: string;
  attrs: Record<string, unknown>;
  inputs: Record<string, GoldenTensor>;
  expected: Record<string, GoldenTensor>;
  tolerance: { rtol: number; atol: number };
}

export interface GoldenFile {
  generator: string;
  semantics?: string;
  cases: GoldenCase[];
}

/** The repository's fixtures (scripts/golden/generate.py writes them). */
export const REPO_GOLDEN_DIR = path.resolve(__dirname, '..', 'fixtures', 'golden');

/** GRADWELL_GOLDEN_DIR when set and non-empty, else the repository's fixtures. */
export function goldenDir(): string {
  const env = process.env.GRADWELL_GOLDEN_DIR;
  return env !== undefined && env !== '' ? path.resolve(env) : REPO_GOLDEN_DIR;
}

export function loadGolden(file: string): GoldenFile {
  const dir = goldenDir();
  const p = path.join(dir, file);
  if (!fs.existsSync(p)) {
    throw new Error(
      `golden fixture ${p} does not exist (golden dir ${dir}` +
        (process.env.GRADWELL_GOLDEN_DIR ? ', from GRADWELL_GOLDEN_DIR' : '') +
        '; regenerate the repository copy with /usr/bin/python3 scripts/golden/generate.py)',
    );
  }
  const parsed = JSON.parse(fs.readFileSync(p, 'utf8')) as GoldenFile;
  if (!Array.isArray(parsed.cases) || parsed.cases.length === 0) throw new Error(`${p}: no cases`);
  return parsed;
}

export function f32(t: GoldenTensor): Float32Array {
  return Float32Array.from(t.data);
}

export function i32(t: GoldenTensor): Int32Array {
  return Int32Array.from(t.data);
}

/** numpy allclose, elementwise, with a message that names the first bad index. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: { rtol: number; atol: number },
  label: string,
): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const limit = tol.atol + tol.rtol * Math.abs(e);
    const err = Math.abs(a - e);
    if (!(err <= limit)) {
      const excess = Number.isNaN(err) ? Infinity : err - limit;
      if (worst < 0 || excess > worstExcess) {
        worst = i;
        worstExcess = excess;
      }
    }
  }
  if (worst >= 0) {
    throw new Error(
      `${label}: mismatch at index ${worst}: actual ${actual[worst]}, expected ${expected[worst]} ` +
        `(rtol ${tol.rtol}, atol ${tol.atol})`,
    );
  }
}

/**
 * Gives every case of a golden file to the handler for its op; a case whose
 * op (or variant) no handler recognises fails, as the fixtures' README asks.
 */
export function caseHandler(
  handlers: Record<string, (c: GoldenCase) => void>,
): (c: GoldenCase) => void {
  return (c) => {
    const h = handlers[c.op];
    if (!h) throw new Error(`golden case '${c.name}': unrecognised op '${c.op}'`);
    h(c);
  };
}
