// Concurrency: fit in several worker threads at once (the addon loaded in each
// worker), a worker terminated mid-fit, fit aborted at random batches, and
// predict during fit. Worker tests need dist/ (npm test builds it first).
import * as path from 'path';
import { Worker } from 'worker_threads';
import { describe, expect, it } from 'vitest';
import { Adam, Dense, Sequential, Tensor } from '../lib';
import { blobs } from './helpers/data';
import { rng } from './helpers/isa';

const workerFile = path.join(__dirname, 'fixtures', 'fit-worker.cjs');

type Msg = { done?: boolean; error?: string; loss?: number[] | number; accuracy?: number[]; epoch?: number };

function fitInWorker(seed: number, epochs: number, n = 240): { worker: Worker; result: Promise<{ msgs: Msg[]; exitCode: number }> } {
  const worker = new Worker(workerFile, { workerData: { seed, epochs, n } });
  const msgs: Msg[] = [];
  const result = new Promise<{ msgs: Msg[]; exitCode: number }>((resolve, reject) => {
    worker.on('message', (m: Msg) => {
      msgs.push(m);
      if (m.done || m.error) void worker.terminate();
    });
    worker.on('error', reject);
    worker.on('exit', (exitCode) => resolve({ msgs, exitCode }));
  });
  return { worker, result };
}

describe('fit in worker threads', () => {
  it('three workers train at once, each loading the addon; all learn and exit cleanly', async () => {
    const runs = [11, 12, 13].map((seed) => fitInWorker(seed, 6).result);
    const results = await Promise.all(runs);
    for (const { msgs } of results) {
      const done = msgs.find((m) => m.done || m.error)!;
      expect(done.error).toBeUndefined();
      const loss = done.loss as number[];
      expect(loss).toHaveLength(6);
      expect(loss.every(Number.isFinite)).toBe(true);
      expect(loss[5]).toBeLessThan(loss[0]);
      expect(done.accuracy![5]).toBeGreaterThan(0.9);
    }
    // Same seed in two workers: the same numbers (per-env state does not leak between workers).
    const [a, b] = await Promise.all([fitInWorker(21, 3).result, fitInWorker(21, 3).result]);
    expect(a.msgs.find((m) => m.done)!.loss).toEqual(b.msgs.find((m) => m.done)!.loss);
  });

  it('workers terminated in the middle of fit (native work in flight) do not crash the process', async () => {
    const r = rng(3);
    for (let k = 0; k < 12; k++) {
      const { worker, result } = fitInWorker(30 + k, 1000, 2000);
      // Let it get into training, then pull the rug at a random moment.
      await new Promise((res) => setTimeout(res, 50 + Math.floor(r() * 250)));
      await worker.terminate();
      const { msgs } = await result;
      expect(msgs.every((m) => !m.error)).toBe(true);
    }
    // The main thread's addon still works after all those environments went away.
    const m = new Sequential([new Dense({ units: 3, inputShape: [4] })], { seed: 1 });
    const out = await m.predict(new Tensor(new Float32Array(8), [2, 4]));
    expect(out.shape).toEqual([2, 3]);
  });
});

describe('aborting fit', () => {
  it('aborts at random batches 40 times; the model stays finite, consistent and trainable', async () => {
    const { x, y } = blobs(256, 8, 3, 5);
    const m = new Sequential([new Dense({ units: 32, activation: 'relu', inputShape: [8] }), new Dense({ units: 3 })], { seed: 9 });
    m.compile({ optimizer: new Adam({ lr: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const r = rng(17);
    let aborted = 0;
    for (let k = 0; k < 40; k++) {
      const ac = new AbortController();
      const stopAt = Math.floor(r() * 40);
      let batches = 0;
      const before = m.optimizer.iterations;
      try {
        await m.fit(x, y, {
          epochs: 3,
          batchSize: 16,
          signal: ac.signal,
          callbacks: [{ onBatchEnd: () => { if (++batches === stopAt) ac.abort(); } }],
        });
      } catch (e) {
        expect((e as Error).name).toBe('AbortError');
        aborted++;
      }
      // Each completed step counted once; the weights are those of the last completed step.
      expect(m.optimizer.iterations - before).toBe(Math.min(batches, 48));
      for (const [name, w] of m.getWeights()) expect(w.every(Number.isFinite), name).toBe(true);
    }
    expect(aborted).toBeGreaterThan(30);
    // Still trainable and usable: a full fit converges and predict works.
    const h = await m.fit(x, y, { epochs: 5, batchSize: 16 });
    expect(h.history.accuracy[4]).toBeGreaterThan(0.9);
    const p = await m.predict(x);
    expect(p.shape).toEqual([256, 3]);
  });

  it('predict while fit runs on the same model rejects with "busy with fit"; after fit it works', async () => {
    const { x, y } = blobs(128, 8, 3, 6);
    const m = new Sequential([new Dense({ units: 8, inputShape: [8] }), new Dense({ units: 3 })], { seed: 2 });
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const fit = m.fit(x, y, { epochs: 2, batchSize: 8 });
    await expect(m.predict(x)).rejects.toThrow(/predict: the model is busy with fit/);
    await expect(m.fit(x, y, { epochs: 1 })).rejects.toThrow(/busy with fit/);
    await fit;
    expect((await m.predict(x)).shape).toEqual([128, 3]);
  });
});
