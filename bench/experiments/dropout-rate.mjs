// (b) Dropout rate: test error of a 784-H-H-H-10 ReLU network against the dropout rate p applied
// after every hidden layer (Srivastava et al. 2014 used H = 2048 on MNIST). Full mode: H = 2048 on
// Fashion-MNIST (when installed) or the embedded MNIST digits; quick/tiny: smaller H and subsets.
import { gw, settings, figure, mdTable, writeReport, imageData, inputs, testError, dropoutMlp, mainIfScript } from './common.mjs';

export const name = 'dropout-rate';

export async function run(opts = {}) {
  const { mode, out, formats, pick } = settings({ ...opts, name });
  const cfg = pick({
    tiny: { width: 32, nTrain: 300, nTest: 200, epochs: 12, rates: [0, 0.5, 0.8], fashion: false },
    quick: { width: 256, nTrain: 3000, nTest: 1000, epochs: 8, rates: [0, 0.2, 0.4, 0.5, 0.6, 0.8], fashion: false },
    full: { width: 2048, nTrain: 60000, nTest: 10000, epochs: 10, rates: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], fashion: true },
  });
  const { train, test, source } = await imageData(cfg);
  const rows = [];
  for (const p of cfg.rates) {
    const m = dropoutMlp({ widths: [cfg.width, cfg.width, cfg.width], p });
    m.compile({ optimizer: new gw.Adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const h = await m.fit(inputs(train), train.y, { epochs: cfg.epochs, batchSize: 128, seed: 2 });
    const trainErr = 1 - h.history.accuracy[h.history.accuracy.length - 1];
    rows.push({ p, testError: await testError(m, test), trainError: trainErr });
  }
  const files = await figure(
    'plotLines',
    {
      title: `Test error against dropout rate (784-${cfg.width}x3-10, ${source})`,
      xLabel: 'dropout rate p (after every hidden layer)',
      yLabel: 'error',
      series: [
        { name: 'test error', x: rows.map((r) => r.p), y: rows.map((r) => r.testError) },
        { name: 'training error (last epoch, with dropout)', x: rows.map((r) => r.p), y: rows.map((r) => r.trainError) },
      ],
    },
    out,
    'test-error-vs-p',
    formats,
  );
  const best = rows.reduce((a, b) => (b.testError < a.testError ? b : a));
  files.push(
    writeReport(out, {
      title: 'Dropout rate against test error',
      setup: `Mode ${mode}. 784-${cfg.width}-${cfg.width}-${cfg.width}-10 ReLU, Dropout(p) after each hidden layer, Adam lr 1e-3, batch 128, ${cfg.epochs} epochs on ${train.n} ${source}; test on ${test.n}.`,
      tables: [{ title: 'Results', markdown: mdTable(['p', 'test error', 'training error (last epoch)'], rows.map((r) => [r.p, `${(100 * r.testError).toFixed(2)}%`, `${(100 * r.trainError).toFixed(2)}%`])) }],
      notes: `Lowest test error at p = ${best.p}.`,
      figures: files,
    }),
  );
  return { summary: { rows, bestP: best.p, source }, files };
}

await mainIfScript(import.meta.url, run);
