// The golden fixtures: the directory the tests read (GRADWELL_GOLDEN_DIR, else the repository's
// test/fixtures/golden written by scripts/golden/generate.py) and the format of every file in it.
import * as fs from 'fs';
import * as path from 'path';
import { afterEach, describe, expect, it } from 'vitest';
import { goldenDir, loadGolden, REPO_GOLDEN_DIR, type GoldenTensor } from './helpers/golden';

// Every file a test loads today, plus conv.json (for the convolution layers).
const FILES = ['activations.json', 'gemm.json', 'losses.json', 'norms.json', 'optimizers.json', 'mlp.json', 'schedules.json', 'conv.json'];

describe('golden directory', () => {
  const saved = process.env.GRADWELL_GOLDEN_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.GRADWELL_GOLDEN_DIR;
    else process.env.GRADWELL_GOLDEN_DIR = saved;
  });

  it('is the repository copy without GRADWELL_GOLDEN_DIR (or with it empty)', () => {
    delete process.env.GRADWELL_GOLDEN_DIR;
    expect(goldenDir()).toBe(path.resolve(__dirname, 'fixtures', 'golden'));
    process.env.GRADWELL_GOLDEN_DIR = '';
    expect(goldenDir()).toBe(REPO_GOLDEN_DIR);
  });

  it('is GRADWELL_GOLDEN_DIR when set, resolved from the working directory', () => {
    process.env.GRADWELL_GOLDEN_DIR = 'some/other/golden';
    expect(goldenDir()).toBe(path.resolve('some/other/golden'));
  });

  it('names the missing file and the variable when a file is absent', () => {
    process.env.GRADWELL_GOLDEN_DIR = path.join(REPO_GOLDEN_DIR, 'no-such-dir');
    expect(() => loadGolden('gemm.json')).toThrow(/gemm\.json does not exist .*GRADWELL_GOLDEN_DIR/);
  });

  it('the repository holds every file and the generator that writes them', () => {
    for (const f of FILES) expect(fs.existsSync(path.join(REPO_GOLDEN_DIR, f)), f).toBe(true);
    expect(fs.existsSync(path.join(__dirname, '..', 'scripts', 'golden', 'generate.py'))).toBe(true);
  });
});

function checkTensor(t: GoldenTensor, label: string): void {
  expect(Array.isArray(t.shape), `${label}: shape`).toBe(true);
  const n = t.shape.reduce((a, b) => a * b, 1);
  expect(t.data.length, `${label}: ${t.data.length} values for shape [${t.shape}]`).toBe(n);
  for (const v of t.data) {
    if (!Number.isFinite(v)) throw new Error(`${label}: non-finite value ${v}`);
    if (t.dtype === 'int' && !Number.isInteger(v)) throw new Error(`${label}: int tensor holds ${v}`);
    if (t.dtype === undefined && !Number.isFinite(Math.fround(v))) throw new Error(`${label}: ${v} is outside the float32 range`);
  }
  if (t.dtype !== undefined && t.dtype !== 'int' && t.dtype !== 'float64') throw new Error(`${label}: unknown dtype ${t.dtype}`);
}

describe(`golden files in ${path.relative(process.cwd(), goldenDir()) || '.'}`, () => {
  for (const f of FILES) {
    const p = path.join(goldenDir(), f);
    // conv.json is only required of the repository copy (other directories may predate it).
    if (!fs.existsSync(p) && goldenDir() !== REPO_GOLDEN_DIR && f === 'conv.json') continue;
    it(`${f}: every tensor matches its shape, values finite (float32 in range), tolerances are set`, () => {
      const g = loadGolden(f);
      expect(typeof g.generator).toBe('string');
      const names = new Set<string>();
      for (const c of g.cases) {
        expect(names.has(c.name), `${f}: duplicate case ${c.name}`).toBe(false);
        names.add(c.name);
        expect(typeof c.op).toBe('string');
        expect(c.tolerance.rtol).toBeGreaterThan(0);
        expect(c.tolerance.atol).toBeGreaterThan(0);
        for (const [k, t] of Object.entries(c.inputs)) checkTensor(t, `${f} ${c.name} inputs.${k}`);
        expect(Object.keys(c.expected).length, `${f} ${c.name}: expected`).toBeGreaterThan(0);
        for (const [k, t] of Object.entries(c.expected)) checkTensor(t, `${f} ${c.name} expected.${k}`);
      }
    });
  }
});
