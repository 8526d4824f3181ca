// gradwell's fork-join pool (native/core/pool.h) behind parallel_team/parallel_chunks: it really runs
// items on a second thread, an item's exception reaches the caller and the pool keeps working,
// and the probe's arguments are checked at the binding boundary. That results do not depend on
// the pool (against OpenMP teams and a pool that never spins) is test/compute-thread.test.ts.
import { spawnSync } from 'child_process';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { backend, getNumThreads, setNumThreads } from '../lib';
import { native, type ProgramStep } from '../lib/binding';
import { NATIVE_HALT_CODE } from '../lib/errors';
import { fork, op } from '../lib/ops';

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

describe("the 'fork' program step (independent branches side by side on 2 threads)", () => {
  const rand = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => ((((i + seed) * 2654435761) >>> 8) % 2001) / 1000 - 1);
  const [M, N, K] = [96, 80, 64];
  const a = rand(M * K, 1);
  const b = rand(K * N, 2);
  const c = rand(M * N, 3);
  const gemmSteps = (x: Float32Array, y: Float32Array) => [
    op.gemm(true, false, K, N, M, 1, a, K, c, N, 0, x, N), // a^T c: [K, N]
    op.gemm(false, true, M, K, N, 1, c, N, b, N, 0, y, K), // c b^T: [M, K]
  ];

  it.each([1, 2, 3])('gives the bits of the branches run in order, at %i thread(s)', async (threads) => {
    setNumThreads(threads);
    const [x0, y0] = [new Float32Array(K * N), new Float32Array(M * K)];
    const [s0, s1] = gemmSteps(x0, y0);
    await native.runAsync([s0, s1]);
    const [x1, y1] = [new Float32Array(K * N), new Float32Array(M * K)];
    const [f0, f1] = gemmSteps(x1, y1);
    await native.runAsync([fork([f0], [f1])]);
    expect(x1).toEqual(x0);
    expect(y1).toEqual(y0);
    expect(x0.some((v) => v !== 0) && y0.some((v) => v !== 0)).toBe(true);
  });

  it('runs the branches on two threads at 2 threads, and in order on one thread otherwise', async () => {
    // The caller claims any branch no helper has taken yet, so at 2 threads a run may still do both on
    // one thread: over many runs, some must have used two. At 1 and 3 threads every run uses one.
    const tags = new Float64Array(2);
    const program = new native.CompiledProgram([fork([op.thread_tag(tags, 0), ...gemmSteps(new Float32Array(K * N), new Float32Array(M * K)).slice(0, 1)], [op.thread_tag(tags, 1), ...gemmSteps(new Float32Array(K * N), new Float32Array(M * K)).slice(1)])]);
    const distinctRuns = async (threads: number) => {
      setNumThreads(threads);
      let distinct = 0;
      for (let i = 0; i < 200; i++) {
        tags.fill(0);
        await program.run();
        expect(tags[0]).toBeGreaterThan(0);
        expect(tags[1]).toBeGreaterThan(0);
        if (tags[0] !== tags[1]) distinct++;
      }
      return distinct;
    };
    expect(await distinctRuns(2)).toBeGreaterThan(0);
    expect(await distinctRuns(1)).toBe(0);
    expect(await distinctRuns(3)).toBe(0);
  });

  it("passes a branch's halt to the caller with its code and index, after the other branch ran", async () => {
    setNumThreads(2);
    const out = new Float32Array(4);
    const run = native.runAsync([fork([op.halt_if_nonzero(Float32Array.from([0, 2]), 'stop')], [op.fill(out, 7)])]);
    await expect(run).rejects.toMatchObject({ code: NATIVE_HALT_CODE, index: 1 });
    expect([...out]).toEqual([7, 7, 7, 7]);
  });

  it('checks its branches when the program is compiled', () => {
    const bad = (steps: unknown[]) => () => new native.CompiledProgram(steps as ProgramStep[]);
    expect(bad([['fork']])).toThrow(/program\[0\]: fork needs at least one branch/);
    expect(bad([['fork', 5]])).toThrow(/program\[0\]\[1\] must be an Array of \[opName, \.\.\.args\] steps, received number 5/);
    expect(bad([['fork', [], [['nope']]]])).toThrow(/program\[0\]\[2\]\[0\]: unknown op 'nope'/);
    expect(bad([['fork', [op.fill(new Float32Array(2), 1, 3)]]])).toThrow(RangeError);
  });
});
