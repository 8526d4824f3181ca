// The one compute thread (native/binding/compute_thread.h): every program of the process runs on
// it, so results must not depend on the thread count, on programs of several models interleaving
// on it, or on the GRADWELL_COMPUTE_THREAD=0 switch (programs on the libuv pool threads, as before);
// errors keep their code and index across the hand-off; libgomp's wait policy default is set only
// while the addon loads.
import { spawnSync } from 'child_process';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { Adam, Dense, NonFiniteError, SGD, Sequential, backend, getNumThreads, kernels, setNumThreads } from '../lib';
import { native, withOmpWaitDefault } from '../lib/binding';
import { op } from '../lib/ops';
import { NATIVE_HALT_CODE } from '../lib/errors';
import { expectSameWeights } from './helpers/weights';

// Large enough that the GEMMs, the optimizer and the gather split into several parallel chunks.
const N = 384;
const data = new Uint8Array(N * 784).map((_, i) => ((i * 2654435761) >>> 24) & 0xff);
const labels = Int32Array.from({ length: N }, (_, i) => (i * 7) % 10);
const x = { data, shape: [N, 784], scale: 1 / 255 };

function small(seed: number): Sequential {
  const m = new Sequential([new Dense({ units: 256, activation: 'relu', inputShape: [784] }), new Dense({ units: 128, activation: 'relu' }), new Dense({ units: 10 })], { seed });
  m.compile({ optimizer: new Adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

async function train(threads: number, seed = 5): Promise<Map<string, Float32Array>> {
  const before = getNumThreads();
  setNumThreads(threads);
  try {
    const m = small(seed);
    await m.fit(x, labels, { epochs: 2, batchSize: 128, seed: 3 });
    return m.getWeights();
  } finally {
    setNumThreads(before);
  }
}

describe('the compute thread', () => {
  it('is on by default', () => {
    expect(backend().computeThread).toBe(true);
  });

  it('gives bit-identical weights for 1 and 2 threads (784-256-128-10, Adam, 6 steps)', async () => {
    const one = await train(1);
    const two = await train(2);
    expectSameWeights(one, two);
    // And the run changed the weights (the comparison is not between two initial states).
    const initial = small(5);
    initial.build();
    expect(initial.getWeights().get('dense_1.kernel')).not.toEqual(one.get('dense_1.kernel'));
  });

  it('runs the programs of several models queued at once in turn, each as if alone', async () => {
    const alone = [await train(2, 11), await train(2, 12)];
    const [a, b] = [small(11), small(12)];
    const c = small(13);
    // Two fits and a predict in flight together: their programs interleave on the one thread.
    await Promise.all([
      a.fit(x, labels, { epochs: 2, batchSize: 128, seed: 3 }),
      b.fit(x, labels, { epochs: 2, batchSize: 128, seed: 3 }),
      c.predict(x, { batchSize: 100 }),
    ]);
    expectSameWeights(alone[0], a.getWeights());
    expectSameWeights(alone[1], b.getWeights());
  });

  it('gives kernels called on the main thread while a fit runs the same results (the pool is busy: they run inline)', async () => {
    setNumThreads(2);
    const [M, N2, K] = [96, 160, 300];
    const a = Float32Array.from({ length: M * K }, (_, i) => ((i * 37) % 101) / 50 - 1);
    const b = Float32Array.from({ length: K * N2 }, (_, i) => ((i * 53) % 97) / 48 - 1);
    const expected = new Float32Array(M * N2);
    kernels.gemm(false, false, M, N2, K, 1, a, K, b, N2, 0, expected, N2);
    const alone = await train(2, 21);
    const m = small(21);
    let calls = 0;
    let running = true;
    const fit = m.fit(x, labels, { epochs: 2, batchSize: 128, seed: 3 }).finally(() => (running = false));
    while (running) {
      const c = new Float32Array(M * N2);
      kernels.gemm(false, false, M, N2, K, 1, a, K, b, N2, 0, c, N2);
      expect(Buffer.from(c.buffer).equals(Buffer.from(expected.buffer)), `call ${calls}`).toBe(true);
      calls++;
      await new Promise((r) => setImmediate(r));
    }
    await fit;
    expect(calls).toBeGreaterThan(0);
    expectSameWeights(alone, m.getWeights());
  });

  it('passes a CodedError (code and index) and plain errors back through the hand-off', async () => {
    const flags = new Float32Array(3);
    flags[2] = 1;
    const err = await native.runAsync([op.halt_if_nonzero(flags, 'stop here')]).catch((e: unknown) => e as Error & { code?: string; index?: number });
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain('stop here');
    expect(err.code).toBe(NATIVE_HALT_CODE);
    expect(err.index).toBe(2);
    // The training path: a non-finite gradient names its parameter and the step is not applied.
    const m = new Sequential([new Dense({ units: 4, inputShape: [3] }), new Dense({ units: 2 })], { seed: 1 });
    m.compile({ optimizer: new SGD({ lr: 0.1 }), loss: 'mse' });
    const bad = { data: new Float32Array([1, 2, Number.POSITIVE_INFINITY, 0, 1, 2]), shape: [2, 3] };
    await expect(m.fit(bad, new Float32Array(4), { epochs: 1, batchSize: 2 })).rejects.toThrow(NonFiniteError);
    // The thread is still usable afterwards.
    await expect(native.runAsync([])).resolves.toBeUndefined();
  });

  // The other runtimes of the same kernels: programs on the libuv pool threads, OpenMP teams
  // instead of gradwell's pool, a pool whose helpers never spin (they sleep after every job).
  it.each([
    ['programs on the libuv pool threads', { GRADWELL_COMPUTE_THREAD: '0' }, { computeThread: false, threading: 'pool' }],
    ['OpenMP teams (GRADWELL_THREADING=openmp)', { GRADWELL_THREADING: 'openmp' }, { computeThread: true, threading: 'openmp' }],
    ['a pool that does not spin (GRADWELL_SPIN_US=0)', { GRADWELL_SPIN_US: '0' }, { computeThread: true, threading: 'pool' }],
  ])('gives the same weights with %s', (_what, env, expected) => {
    const script = `
      const gw = require(${JSON.stringify(path.resolve(__dirname, '..', 'dist'))});
      const N = ${N};
      const data = new Uint8Array(N * 784).map((_, i) => ((i * 2654435761) >>> 24) & 0xff);
      const labels = Int32Array.from({ length: N }, (_, i) => (i * 7) % 10);
      gw.setNumThreads(2);
      const m = new gw.Sequential([new gw.Dense({ units: 256, activation: 'relu', inputShape: [784] }), new gw.Dense({ units: 128, activation: 'relu' }), new gw.Dense({ units: 10 })], { seed: 5 });
      m.compile({ optimizer: new gw.Adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      m.fit({ data, shape: [N, 784], scale: 1 / 255 }, labels, { epochs: 2, batchSize: 128, seed: 3 }).then(() => {
        const out = {};
        for (const [k, v] of m.getWeights()) out[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
        process.stdout.write(JSON.stringify({ computeThread: gw.backend().computeThread, threading: gw.backend().threading, weights: out }));
      });`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 64 << 20 });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { computeThread: boolean; threading: string; weights: Record<string, string> };
    expect({ computeThread: got.computeThread, threading: got.threading }).toEqual(expected);
    return train(2).then((mine) => {
      const theirs = new Map(Object.entries(got.weights).map(([k, b64]) => {
        const buf = Buffer.from(b64, 'base64');
        return [k, new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4)] as [string, Float32Array];
      }));
      expectSameWeights(mine, theirs);
    });
  });
});

describe('the OpenMP wait policy default', () => {
  it('is PASSIVE while the addon loads, then removed; a policy the environment chose is kept', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(withOmpWaitDefault(() => env.OMP_WAIT_POLICY, env)).toBe('PASSIVE');
    expect('OMP_WAIT_POLICY' in env).toBe(false);
    const chosen: NodeJS.ProcessEnv = { OMP_WAIT_POLICY: 'ACTIVE' };
    expect(withOmpWaitDefault(() => chosen.OMP_WAIT_POLICY, chosen)).toBe('ACTIVE');
    expect(chosen.OMP_WAIT_POLICY).toBe('ACTIVE');
    const spin: NodeJS.ProcessEnv = { GOMP_SPINCOUNT: '1000' };
    expect(withOmpWaitDefault(() => spin.OMP_WAIT_POLICY, spin)).toBeUndefined();
    // Also when loading throws.
    expect(() => withOmpWaitDefault(() => { throw new Error('no binary'); }, env)).toThrow('no binary');
    expect('OMP_WAIT_POLICY' in env).toBe(false);
  });

  it('is not inherited by child processes', () => {
    const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.env.OMP_WAIT_POLICY))'], { encoding: 'utf8' });
    expect(r.stdout).toBe(String(process.env.OMP_WAIT_POLICY));
  });
});
