// gradwell's fork-join pool (native/core/pool.h) behind parallel_team/parallel_chunks: it really runs
// items on a second thread, an item's exception reaches the caller and the pool keeps working,
// and the probe's arguments are checked at the binding boundary. That results do not depend on
// the pool (against OpenMP teams and a pool that never spins) is test/compute-thread.test.ts.
import { spawnSync } from 'child_process';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { backend, getNumThreads, setNumThreads } from '../lib';
import { native } from '../lib/binding';

const before = getNumThreads();
afterAll(() => setNumThreads(before));

describe('the fork-join pool', () => {
  it('is the default, and runs an item on a second thread while item 0 waits for it', () => {
    expect(backend().threading).toBe('pool');
    setNumThreads(2);
    for (let r = 0; r < 20; r++) expect(native.poolProbe(2, -1), `round ${r}`).toBe(2);
    setNumThreads(4);
    expect(native.poolProbe(4, -1)).toBeGreaterThanOrEqual(2);
  });

  it("passes an item's exception to the caller after the job ends, and keeps working", () => {
    setNumThreads(2);
    for (const at of [0, 1]) expect(() => native.poolProbe(2, at)).toThrow(`poolProbe: item ${at} threw`);
    expect(native.poolProbe(2, -1)).toBe(2);
  });

  it('checks its arguments', () => {
    setNumThreads(2);
    expect(() => native.poolProbe(3, -1)).toThrow(RangeError);
    expect(() => native.poolProbe(1, -1)).toThrow(/team must be an integer from 2 to 2, received 1/);
    expect(() => native.poolProbe(2, 2)).toThrow(/throwAt must be an integer from -1 to 1/);
    expect(() => native.poolProbe(2, 0.5)).toThrow(RangeError);
    expect(() => (native.poolProbe as unknown as (a: unknown, b: unknown) => number)('2', -1)).toThrow(TypeError);
  });

  it('with GRADWELL_THREADING=openmp runs the same probe on OpenMP teams', () => {
    const lib = path.resolve(__dirname, '..', 'dist', 'binding.js');
    const script = `const { native } = require(${JSON.stringify(lib)}); native.setNumThreads(2);
      process.stdout.write(JSON.stringify([native.backend().threading, native.poolProbe(2, -1)]));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, GRADWELL_THREADING: 'openmp' } });
    expect(r.status, r.stderr).toBe(0);
    const [threading, threads] = JSON.parse(r.stdout) as [string, number];
    expect(threading).toBe(backend().openmp ? 'openmp' : 'serial');
    if (backend().openmp) expect(threads).toBe(2);
  });
});
