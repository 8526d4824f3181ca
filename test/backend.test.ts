import { spawnSync } from 'child_process';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { backend, getNumThreads, setMaxIsa, setNumThreads } from '../lib';
import { acceptedIsaNames, envWarnings } from '../lib/binding';

describe('backend', () => {
  it('reports the ISA, threads, OpenMP and version', () => {
    const b = backend();
    expect(b.supportedIsas[0]).toBe('scalar');
    expect(b.supportedIsas).toContain(b.isa);
    expect(b.threads).toBeGreaterThanOrEqual(1);
    expect(typeof b.openmp).toBe('boolean');
    expect(b.version).toBe(require('../package.json').version);
  });

  it('caps the ISA and restores it', () => {
    const b = backend();
    expect(setMaxIsa('scalar')).toBe('scalar');
    expect(backend().isa).toBe('scalar');
    expect(setMaxIsa(b.detectedIsa)).toBe(b.detectedIsa);
    expect(() => setMaxIsa('mmx')).toThrow(RangeError);
    expect(() => setMaxIsa('mmx')).toThrow(/unknown ISA 'mmx'/);
  });

  it('sets the thread count and rejects bad counts', () => {
    const before = getNumThreads();
    setNumThreads(1);
    expect(getNumThreads()).toBe(1);
    setNumThreads(before);
    expect(getNumThreads()).toBe(before);
    expect(() => setNumThreads(0)).toThrow(RangeError);
    expect(() => setNumThreads(1.5)).toThrow(/positive integer/);
  });
});

describe('environment variables are validated at load', () => {
  it('envWarnings names the variable, the value and the accepted values', () => {
    expect(envWarnings({ GRADWELL_MAX_ISA: 'avx3' }, 'x64')).toEqual([
      'gradwell: GRADWELL_MAX_ISA="avx3" is not an instruction set name and is ignored (no cap); accepted on x64: scalar, baseline, sse2, avx2, avx512',
    ]);
    expect(envWarnings({ GRADWELL_MAX_ISA: 'avx2' }, 'arm64')[0]).toMatch(/GRADWELL_MAX_ISA="avx2" .*accepted on arm64: scalar, baseline, neon$/);
    for (const bad of ['two', '0', '-1', '1025', '2.5', '', '1e3']) {
      expect(envWarnings({ GRADWELL_NUM_THREADS: bad }), bad).toEqual([
        `gradwell: GRADWELL_NUM_THREADS=${JSON.stringify(bad)} is ignored (using the machine's cores); accepted: an integer from 1 to 1024`,
      ]);
    }
    // What the native core accepts gives no warning.
    for (const isa of acceptedIsaNames('x64')) expect(envWarnings({ GRADWELL_MAX_ISA: isa }, 'x64')).toEqual([]);
    for (const n of ['1', '2', '16', '1024', ' 3', '+4']) expect(envWarnings({ GRADWELL_NUM_THREADS: n }), n).toEqual([]);
    expect(envWarnings({ GRADWELL_THREADING: 'omp' })).toEqual([
      'gradwell: GRADWELL_THREADING="omp" is ignored (using the pool); accepted: pool, openmp',
    ]);
    for (const bad of ['fast', '-1', '100001', '2.5', '']) {
      expect(envWarnings({ GRADWELL_SPIN_US: bad }), bad).toEqual([
        `gradwell: GRADWELL_SPIN_US=${JSON.stringify(bad)} is ignored (using 10); accepted: an integer from 0 to 100000 (microseconds)`,
      ]);
    }
    for (const v of ['pool', 'openmp']) expect(envWarnings({ GRADWELL_THREADING: v })).toEqual([]);
    // strtol reads a sign: -0 is 0, which the native core takes.
    for (const v of ['0', '10', '100000', '-0', '+7']) expect(envWarnings({ GRADWELL_SPIN_US: v }), v).toEqual([]);
    expect(envWarnings({ GRADWELL_MAX_ISA: '' })).toEqual([]);
    expect(envWarnings({})).toEqual([]);
  });

  it('a process with bad values warns once per variable on require, and still works with the defaults', () => {
    const lib = path.resolve(__dirname, '..', 'dist', 'index.js');
    const script = `const g = require(${JSON.stringify(lib)}); const b = g.backend(); console.log(JSON.stringify([b.isa, b.detectedIsa, b.threads]));`;
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, ...env } });
    const bad = run({ GRADWELL_MAX_ISA: 'avx3', GRADWELL_NUM_THREADS: 'two' });
    expect(bad.status).toBe(0);
    expect(bad.stderr.match(/GradwellWarning: gradwell: GRADWELL_MAX_ISA="avx3" is not an instruction set name/g)).toHaveLength(1);
    expect(bad.stderr.match(/GradwellWarning: gradwell: GRADWELL_NUM_THREADS="two" is ignored/g)).toHaveLength(1);
    const [isa, detected] = JSON.parse(bad.stdout) as [string, string, number];
    expect(isa).toBe(detected);
    const good = run({ GRADWELL_MAX_ISA: 'scalar', GRADWELL_NUM_THREADS: '1' });
    expect(good.status).toBe(0);
    expect(good.stderr).not.toMatch(/GradwellWarning/);
    expect(JSON.parse(good.stdout)).toEqual(['scalar', detected, 1]);
  });
});
