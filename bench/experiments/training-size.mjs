// (c) Training-set size with and without dropout: test error of the same network trained on
// growing subsets, with p = 0 and p = 0.5. Dropout helps less (or hurts) on very small sets and
// more as data grows (Srivastava et al. 2014, section 7.4).
import { gw, settings, figure, mdTable, writeReport, imageData, inputs, testError, dropoutMlp, mainIfScript } from './common.mjs';

export const name = 'training-size';

export async function run(opts = {}) {
  const { mode, out, formats, pick } = settings({ ...opts, name });
  const cfg = pick({
    tiny: { width: 32, sizes: [100, 300], nTest: 200, steps: 20, fashion: false },
    quick: { width: 256, sizes: [100, 250, 500, 1000, 2000, 4000], nTest: 1000, steps: 400, fashion: false },
    full: { width: 1024, sizes: [100, 500, 1000, 5000, 10000, 50000], nTest: 10000, steps: 3000, fashion: true },
  });
  const { train, test, source } = await imageData({ nTrain: Math.max(...cfg.sizes), nTest: cfg.nTest, fashion: cfg.fashion });
  const batchSize = 64;
  const rows = [];
  for (const size of cfg.sizes.filter((s) => s <= train.n)) {
    const subset = gw.datasets.selectSamples(train, Int32Array.from({ length: size }, (_, i) => i));
    // The same number of optimizer steps at every size, so small sets are not under-trained.
    const epochs = Math.max(1, Math.round((cfg.steps * batchSize) / size));
    const row = { size, epochs };
    for (const p of [0, 0.5]) {
      const m = dropoutMlp({ widths: [cfg.width, cfg.width], p });
      m.compile({ optimizer: new gw.Adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      await m.fit(inputs(subset), subset.y, { epochs, batchSize, seed: 3 });
      row[p === 0 ? 'plain' : 'dropout'] = await testError(m, test);
    }
    rows.push(row);
  }
  const files = await figure(
    'plotLines',
    {
      title: `Test error against training-set size (784-${cfg.width}x2-10, ${source})`,
      xLabel: 'training samples',
      yLabel: 'test error',
      logX: true,
      series: [
        { name: 'no dropout', x: rows.map((r) => r.size), y: rows.map((r) => r.plain) },
        { name: 'dropout p = 0.5', x: rows.map((r) => r.size), y: rows.map((r) => r.dropout) },
      ],
    },
    out,
    'test-error-vs-size',
    formats,
  );
  files.push(
    writeReport(out, {
      title: 'Training-set size with and without dropout',
      setup: `Mode ${mode}. 784-${cfg.width}-${cfg.width}-10 ReLU, Adam lr 1e-3, batch ${batchSize}, about ${cfg.steps} steps per run (epochs = steps x batch / size); test on ${test.n} ${source}.`,
      tables: [{ title: 'Results', markdown: mdTable(['training samples', 'epochs', 'test error, no dropout', 'test error, p = 0.5'], rows.map((r) => [r.size, r.epochs, `${(100 * r.plain).toFixed(2)}%`, `${(100 * r.dropout).toFixed(2)}%`])) }],
      figures: files,
    }),
  );
  return { summary: { rows, source }, files };
}

await mainIfScript(import.meta.url, run);
