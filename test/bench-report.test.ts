// bench/lib/report.mjs, the report loop of bench:kernels: benchmark.js statistics in every row.
import * as path from 'path';
import { pathToFileURL } from 'url';
import { describe, expect, it } from 'vitest';

describe('bench:kernels report', () => {
  it('runFamily gives one row per case with GB/s, the copy baseline, mean time, margin of error and samples', async () => {
    const report = await import(pathToFileURL(path.join(__dirname, '..', 'bench', 'lib', 'report.mjs')).href);
    const a = new Float32Array(1 << 14).fill(1);
    let calls = 0;
    const log = console.log;
    const lines: string[] = [];
    console.log = (s: string) => lines.push(s);
    let rows: Record<string, unknown>[];
    try {
      rows = await report.runFamily({
        bench: 'test',
        shape: [1 << 14],
        cases: [{ kernel: 'sum', bytes: a.byteLength, fn: () => { calls++; let s = 0; for (let i = 0; i < a.length; i++) s += a[i]; return s; } }],
        threads: 1,
        json: true,
        options: { maxTime: 0.05, minSamples: 5 },
      });
    } finally {
      console.log = log;
    }
    expect(rows).toHaveLength(1);
    expect(lines.map((l) => JSON.parse(l))).toEqual(rows);
    const r = rows[0] as Record<string, number | string | number[]>;
    expect(Object.keys(r)).toEqual(['bench', 'kernel', 'threads', 'isa', 'shape', 'bytes', 'gbps', 'copyGbps', 'timeVsCopy', 'us', 'rme', 'samples', 'copyRme', 'cpuUs']);
    expect(r.threads).toBe(1);
    expect(r.samples as number).toBeGreaterThanOrEqual(5);
    for (const k of ['gbps', 'copyGbps', 'timeVsCopy', 'us', 'rme', 'copyRme']) expect(Number.isFinite(r[k]) && (r[k] as number) > 0, k).toBe(true);
    // gbps is bytes over the mean time per call
    expect(Math.abs((r.gbps as number) - (a.byteLength / ((r.us as number) * 1e-6)) / 1e9)).toBeLessThan(0.02 * (r.gbps as number) + 0.01);
    expect(calls).toBeGreaterThan(5);
  });
});
