// Smoke test of bench/mnist.mjs on a tiny synthetic IDX data set: every model trains in its own
// child process and reports the documented JSON fields; a missing data set is reported, not thrown.
// (Speed is measured by running the bench itself, never here.)
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeIdxFile } from '../lib';

const repo = path.resolve(__dirname, '..');
const bench = path.join(repo, 'bench', 'mnist.mjs');

/** Images whose class is readable from one bright 4x4 patch, so a few steps already learn something. */
function images(n: number, seed: number): { x: Uint8Array; y: Uint8Array } {
  const x = new Uint8Array(n * 784);
  const y = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const label = s % 10;
    y[i] = label;
    for (let p = 0; p < 784; p++) x[i * 784 + p] = (Math.imul(p + 31 * i, 2654435761) >>> 24) & 31;
    const r0 = 2 + 2 * label;
    for (let r = r0; r < r0 + 4; r++) for (let c = 10; c < 14; c++) x[i * 784 + r * 28 + c] = 250;
  }
  return { x, y };
}

function runBench(args: string[]): { stdout: string; records: Record<string, unknown>[] } {
  const stdout = execFileSync(process.execPath, [bench, ...args], { cwd: repo, encoding: 'utf8', timeout: 60_000 });
  const records = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stdout, records };
}

describe('bench/mnist.mjs', () => {
  let dir = '';
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradwell-bench-mnist-'));
    const train = images(384, 1);
    const test = images(200, 2);
    await writeIdxFile(path.join(dir, 'train-images-idx3-ubyte.gz'), train.x, [384, 28, 28]);
    await writeIdxFile(path.join(dir, 'train-labels-idx1-ubyte.gz'), train.y, [384]);
    await writeIdxFile(path.join(dir, 't10k-images-idx3-ubyte'), test.x, [200, 28, 28]);
    await writeIdxFile(path.join(dir, 't10k-labels-idx1-ubyte'), test.y, [200]);
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('trains each model on a few batches and prints one JSON object per line with the documented fields', () => {
    const { records } = runBench(['--data-dir', dir, '--limit', '3', '--epochs', '2', '--threads', '1', '--infer-passes', '1', '--json']);
    const train = records.filter((r) => r.task === 'train');
    expect(train.map((r) => r.model)).toEqual(['small', 'dropout', 'bn']);
    for (const r of records) {
      expect(r.framework).toBe('gradwell');
      expect(r.threads).toBe(1);
      for (const key of ['epochSeconds', 'samplesPerSec', 'testAccuracy', 'peakRssMiB']) {
        expect(typeof r[key], `${r.model} ${r.task} ${key}`).toBe('number');
        expect(Number.isFinite(r[key] as number)).toBe(true);
      }
      expect(r.epochSeconds as number).toBeGreaterThan(0);
      expect(r.peakRssMiB as number).toBeGreaterThan(10);
      expect(r.testAccuracy as number).toBeGreaterThanOrEqual(0);
      expect(r.testAccuracy as number).toBeLessThanOrEqual(1);
    }
    for (const r of train) {
      // --limit 3: the first 384 samples, two epochs; samples/s is that epoch size over the best epoch's time.
      expect(r.samplesPerEpoch).toBe(384);
      expect(r.epochSecondsAll as number[]).toHaveLength(2);
      expect(r.samplesPerSec as number).toBeCloseTo(384 / (r.epochSeconds as number), 6);
    }
    // The small model learns the patch in 6 Adam steps: far above chance (10%).
    expect(train[0].testAccuracy as number).toBeGreaterThan(0.3);
    const infer = records.filter((r) => r.task === 'inference');
    expect(infer).toHaveLength(1);
    expect(infer[0].model).toBe('small');
    expect(infer[0].batch).toBe(1000);
    expect(infer[0].samplesPerSec as number).toBeCloseTo(200 / (infer[0].epochSeconds as number), 6);
  }, 60_000);

  it('--model cnn trains the issue\'s CNN and reports inference and the fraction of peak FLOP/s', () => {
    const { records } = runBench(['--data-dir', dir, '--model', 'cnn', '--limit', '1', '--epochs', '1', '--threads', '1', '--infer-passes', '1', '--json']);
    const train = records.find((r) => r.task === 'train')!;
    const infer = records.find((r) => r.task === 'inference')!;
    expect(train.model).toBe('cnn');
    expect(train.samplesPerEpoch).toBe(128);
    expect(infer.batch).toBe(1000);
    for (const r of [train, infer]) {
      expect(typeof r.gflops === 'number' || r.gflops === undefined).toBe(true); // undefined when cc cannot build the peak loop
      if (r.peakFraction !== undefined) {
        expect(r.peakFraction as number).toBeGreaterThan(0);
        expect(r.peakFraction as number).toBeLessThan(1);
        // gflops = samples/s x FLOPs per sample (65.1 M training, 22.1 M inference, from the layer shapes)
        expect((r.gflops as number) / (r.samplesPerSec as number)).toBeCloseTo(r.task === 'train' ? 0.0651 : 0.0221, 3);
      }
    }
  }, 120_000);

  it('--threads 2 adds a 1-thread run of small and its scaling records; small rows carry the fraction of peak', () => {
    const { records } = runBench(['--data-dir', dir, '--model', 'small', '--limit', '1', '--epochs', '1', '--threads', '2', '--infer-passes', '1', '--json']);
    const rate = (task: string, threads: number) => records.find((r) => r.task === task && r.threads === threads)!.samplesPerSec as number;
    for (const task of ['train', 'inference']) {
      const s = records.find((r) => r.task === `${task}-scaling`)!;
      expect(s.model).toBe('small');
      expect(s.threads).toBe(2);
      expect(s.scaling as number).toBeCloseTo(rate(task, 2) / rate(task, 1), 9);
    }
    for (const r of records.filter((r) => r.task === 'train' || r.task === 'inference')) {
      if (r.peakFraction === undefined) continue; // cc could not build the peak loop
      // gflops = samples/s x FLOPs per sample (1.01 M training, 0.47 M inference for 784-256-128-10)
      expect((r.gflops as number) / (r.samplesPerSec as number)).toBeCloseTo(r.task === 'train' ? 0.001007 : 0.00047, 5);
    }
  }, 120_000);

  it('says so when the data set is missing, without failing', () => {
    const missing = path.join(dir, 'no-such-dir');
    const { records } = runBench(['--data-dir', missing, '--json']);
    expect(records).toHaveLength(1);
    expect(String(records[0].skipped)).toContain('Fashion-MNIST not found');
    expect(String(records[0].skipped)).toContain('dataset-fashion-mnist');
    const { stdout } = runBench(['--data-dir', missing]);
    expect(stdout).toContain('Skipped');
  });

  it('rejects an unknown model name', () => {
    expect(() => execFileSync(process.execPath, [bench, '--model', 'huge'], { cwd: repo, encoding: 'utf8', stdio: 'pipe' })).toThrow(/unknown --model 'huge'/);
  });
});
