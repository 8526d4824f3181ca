// Every experiment script (bench/experiments) in its tiny mode: it must run, write its figures and
// its Markdown table, and its numbers must show the effect it is about where that is robust even at
// tiny sizes. The scripts use the compiled library (dist/; `npm test` builds it first).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { parsePng, parseSvg } from './helpers/images';

const root = path.resolve(__dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gradwell-experiments-'));

interface Result {
  summary: any;
  files: string[];
}

async function runExperiment(name: string, formats: string[] = ['svg']): Promise<Result> {
  const mod = await import(path.join(root, 'bench', 'experiments', `${name}.mjs`));
  const out = path.join(tmp, name);
  const result: Result = await mod.run({ tiny: true, out, formats });
  // Files: every figure in every format, plus results.md with at least one table.
  expect(result.files.every((f) => f.startsWith(out))).toBe(true);
  const figures = result.files.filter((f) => !f.endsWith('.md'));
  expect(figures.length).toBeGreaterThan(0);
  for (const f of figures) {
    expect(fs.existsSync(f)).toBe(true);
    if (f.endsWith('.svg')) expect(parseSvg(fs.readFileSync(f, 'utf8')).elements).toBeGreaterThan(20);
    else {
      const png = parsePng(fs.readFileSync(f));
      expect(png.width).toBeGreaterThan(300);
      expect(png.inkFraction).toBeGreaterThan(0.01);
    }
  }
  for (const fmt of formats) expect(figures.some((f) => f.endsWith(`.${fmt}`))).toBe(true);
  const md = fs.readFileSync(path.join(out, 'results.md'), 'utf8');
  expect(md).toMatch(/^# /);
  expect(md).toMatch(/\n\| --- \|/);
  for (const f of figures) expect(md).toContain(path.basename(f));
  return result;
}

const isError = (v: number) => v >= 0 && v <= 1;

describe('experiments (tiny mode)', () => {
  it('(a) vanishing gradients: the sigmoid stack\'s first layer gets a far smaller gradient than its last', async () => {
    const { summary } = await runExperiment('vanishing-gradients');
    expect(summary.sigmoid.firstOverLastHidden).toBeLessThan(1e-2);
    expect(summary.sigmoid.vanishing).toContain('hidden_1');
    expect(summary.relu.firstOverLastHidden).toBeGreaterThan(0.1);
    expect(summary.relu.vanishing).toEqual([]);
  });

  it('(b) dropout rate: one test error per rate; heavy dropout raises the training error', async () => {
    const { summary } = await runExperiment('dropout-rate');
    expect(summary.rows.map((r: { p: number }) => r.p)).toEqual([0, 0.5, 0.8]);
    for (const r of summary.rows) expect(isError(r.testError) && isError(r.trainError)).toBe(true);
    expect(summary.rows[2].trainError).toBeGreaterThan(summary.rows[0].trainError);
  });

  it('(c) training-set size: errors for each size with and without dropout', async () => {
    const { summary } = await runExperiment('training-size');
    expect(summary.rows.map((r: { size: number }) => r.size)).toEqual([100, 300]);
    for (const r of summary.rows) expect(isError(r.plain) && isError(r.dropout)).toBe(true);
    // Same number of steps at each size: the 100-sample run takes three times the epochs.
    expect(summary.rows[0].epochs).toBeGreaterThan(summary.rows[1].epochs);
  });

  it('(d) batch norm: identical start, then batch norm learns faster', async () => {
    const { summary } = await runExperiment('batch-norm');
    expect(summary.bn.steps).toEqual(summary.plain.steps);
    expect(summary.bn.steps[0]).toBe(0);
    // Before training, batch norm with fresh running statistics (mean 0, variance 1) is the identity.
    expect(summary.bn.accuracy[0]).toBe(summary.plain.accuracy[0]);
    expect(summary.bn.finalAccuracy).toBeGreaterThan(summary.plain.finalAccuracy);
  });

  it('(e) L2: stronger penalties give smaller weights (also writes PNG)', async () => {
    const { summary } = await runExperiment('l2-boundaries', ['svg', 'png']);
    const norms = summary.rows.map((r: { kernelNorm: number }) => r.kernelNorm);
    expect(summary.rows.map((r: { l2: number }) => r.l2)).toEqual([0, 0.001, 0.01, 0.1]);
    for (let i = 1; i < norms.length; i++) expect(norms[i]).toBeLessThan(norms[i - 1]);
  });

  it('(f) early stopping: the marked epoch is the validation-loss minimum of a 6:2:2 split', async () => {
    const { summary } = await runExperiment('early-stopping');
    expect(summary.sizes).toEqual({ train: 300, val: 100, test: 100 });
    expect(summary.bestEpoch).toBeGreaterThanOrEqual(1);
    expect(summary.bestEpoch).toBeLessThanOrEqual(summary.epochs);
    expect(summary.valLoss).toHaveLength(summary.epochs);
    expect(summary.minValLoss).toBe(Math.min(...summary.valLoss));
    expect(summary.valLoss[summary.bestEpoch - 1]).toBe(summary.minValLoss);
    expect(summary.stopEpoch).toBeGreaterThanOrEqual(summary.bestEpoch);
    expect(isError(summary.testErrorAtBest)).toBe(true);
  });

  it('(g) norms against batch size: every norm at every batch size', async () => {
    const { summary } = await runExperiment('norms-batch-size');
    expect(summary.batchSizes).toEqual([2, 4, 16, 64]);
    expect(Object.keys(summary.results)).toEqual(['none', 'batch norm', 'group norm (8 groups)', 'layer norm']);
    for (const rows of Object.values(summary.results) as { batchSize: number; testError: number }[][]) {
      expect(rows.map((r) => r.batchSize)).toEqual([2, 4, 16, 64]);
      for (const r of rows) expect(isError(r.testError)).toBe(true);
    }
    expect(Object.keys(summary.cnnResults)).toEqual(['none', 'batch norm', 'group norm (4 groups)']);
    for (const rows of Object.values(summary.cnnResults) as { batchSize: number; testError: number }[][]) {
      expect(rows.map((r) => r.batchSize)).toEqual([2, 4, 16, 64]);
      for (const r of rows) expect(isError(r.testError)).toBe(true);
    }
  });

  it('options: --steps and --sizes reach training-size (and change its run); bad values and misplaced options are RangeErrors', async () => {
    const common = await import(path.join(root, 'bench', 'experiments', 'common.mjs'));
    const opts = common.parseArgs(['--tiny', '--steps', '7', '--sizes', '50,120', '--svg-only']);
    expect(opts).toMatchObject({ tiny: true, steps: 7, sizes: [50, 120], formats: ['svg'] });
    const mod = await import(path.join(root, 'bench', 'experiments', 'training-size.mjs'));
    const { summary } = await mod.run({ ...opts, out: path.join(tmp, 'training-size-options') });
    expect(summary.rows.map((r: { size: number }) => r.size)).toEqual([50, 120]);
    // epochs = round(steps x batch 64 / size)
    expect(summary.rows.map((r: { epochs: number }) => r.epochs)).toEqual([Math.round((7 * 64) / 50), Math.round((7 * 64) / 120)]);
    expect(() => common.parseArgs(['--steps', '0'])).toThrow(/--steps must be a positive integer, received '0'/);
    expect(() => common.parseArgs(['--sizes', '100,x'])).toThrow(/--sizes must be a positive integer, received 'x'/);
    expect(() => common.parseArgs(['--bogus'])).toThrow(/bogus/);
    const reg = await import(path.join(root, 'bench', 'experiments', 'regularizers.mjs'));
    await expect(reg.run({ tiny: true, steps: 5 })).rejects.toThrow(/apply to training-size only/);
    await expect(mod.run({ tiny: true, only: ['x'] })).rejects.toThrow(/--only picks experiments for run-all/);
  });

  it('(i) regularizers: every regularizer on one budget; L2 shrinks the kernels\' L2 norm and L1 their mean |w|', async () => {
    const { summary } = await runExperiment('regularizers');
    expect(summary.rows.map((r: { key: string }) => r.key)).toEqual(['none', 'l2', 'l1', 'dropout', 'dropconnect']);
    for (const r of summary.rows) expect(isError(r.testError) && isError(r.trainError)).toBe(true);
    const row = (k: string) => summary.rows.find((r: { key: string }) => r.key === k);
    expect(row('l2').l2Norm).toBeLessThan(row('none').l2Norm);
    expect(row('l1').meanAbs).toBeLessThan(row('none').meanAbs);
    // Dropping units or weights in training costs training accuracy at this budget.
    expect(row('dropout').trainError).toBeGreaterThan(row('none').trainError);
    expect(row('dropconnect').trainError).toBeGreaterThan(row('none').trainError);
    // The CNN study: every pooling variant learns (well under the 90% error of chance); stochastic
    // pooling and dropout cost training accuracy against plain max pooling at this budget.
    expect(summary.cnnRows.map((r: { key: string }) => r.key)).toEqual(['maxpool', 'maxpool-dropout', 'stochastic']);
    const cnnRow = (k: string) => summary.cnnRows.find((r: { key: string }) => r.key === k);
    for (const r of summary.cnnRows) expect(isError(r.testError) && r.testError < 0.6).toBe(true);
    expect(cnnRow('stochastic').trainError).toBeGreaterThan(cnnRow('maxpool').trainError);
    expect(cnnRow('maxpool-dropout').trainError).toBeGreaterThan(cnnRow('maxpool').trainError);
  });

  it('(h) optimizers: every optimizer lowers the loss; the adaptive ones beat plain SGD', async () => {
    const { summary } = await runExperiment('optimizers');
    expect(summary.runs).toHaveLength(7);
    const last = (r: { epochLoss: number[] }) => r.epochLoss[r.epochLoss.length - 1];
    for (const r of summary.runs) expect(last(r)).toBeLessThan(r.epochLoss[0]);
    const sgd = summary.runs.find((r: { label: string }) => r.label.startsWith("SGD ("));
    for (const name of ['Adagrad', 'RMSProp', 'Adam (']) {
      expect(last(summary.runs.find((r: { label: string }) => r.label.startsWith(name)))).toBeLessThan(last(sgd));
    }
  });
});
