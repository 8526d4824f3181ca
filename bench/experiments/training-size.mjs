// (c) Training-set size with and without dropout: test error of the same network trained on
// growing subsets, with p = 0 and p = 0.5. Dropout helps less (or hurts) on very small sets and
// more as data grows (Srivastava et al. 2014, section 7.4, figure 10). Full mode: the lecture's
// 784-1024-1024-2048-10 at its sizes (100 ... 50,000), printing its estimated time first and
// showing a progress bar; quick/tiny: 784-H-H-10 with smaller H.
import { gw, settings, figure, mdTable, writeReport, imageData, inputs, testError, dropoutMlp, mainIfScript, secondsPerStep, startProgress } from './common.mjs';

export const name = 'training-size';

export async function run(opts = {}) {
  const { mode, out, formats, pick } = settings({ ...opts, name });
  const cfg = pick({
    tiny: { widths: [32, 32], sizes: [100, 300], nTest: 200, steps: 20, fashion: false },
    quick: { widths: [256, 256], sizes: [100, 250, 500, 1000, 2000, 4000], nTest: 1000, steps: 400, fashion: false },
    full: { widths: [1024, 1024, 2048], sizes: [100, 500, 1000, 5000, 10000, 50000], nTest: 10000, steps: 3000, fashion: true },
  });
  // --steps / --sizes: a longer budget or other sizes than the mode's.
  if (opts.steps) cfg.steps = opts.steps;
  if (opts.sizes) cfg.sizes = opts.sizes;
  const arch = `784-${cfg.widths.join('-')}-10`;
  const { train, test, source } = await imageData({ nTrain: Math.max(...cfg.sizes), nTest: cfg.nTest, fashion: cfg.fashion });
  const batchSize = 64;
  const sizes = cfg.sizes.filter((s) => s <= train.n);
  const runs = sizes.map((size) => Math.max(1, Math.round((cfg.steps * batchSize) / size)));
  const totalSteps = 2 * sizes.reduce((t, size, i) => t + runs[i] * Math.ceil(size / batchSize), 0);
  const showProgress = mode !== 'tiny';
  const compile = (m) => m.compile({ optimizer: new gw.Adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const perStep = showProgress ? await secondsPerStep(() => dropoutMlp({ widths: cfg.widths, p: 0.5 }), train, { batchSize, compile }) : 0;
  const progress = startProgress({
    title: name, enabled: showProgress, totalSteps,
    estimateSeconds: perStep * (totalSteps + (2 * sizes.length * test.n) / batchSize / 3),
    detail: `${sizes.length} sizes x 2 runs of ${arch}, ${(perStep * 1000).toFixed(0)} ms/step measured`,
  });
  const t0 = performance.now();
  const rows = [];
  for (const size of sizes) {
    const subset = gw.datasets.selectSamples(train, Int32Array.from({ length: size }, (_, i) => i));
    // The same number of optimizer steps at every size, so small sets are not under-trained.
    const epochs = Math.max(1, Math.round((cfg.steps * batchSize) / size));
    const row = { size, epochs };
    for (const p of [0, 0.5]) {
      progress.set(`${size} samples, p = ${p}`);
      const m = dropoutMlp({ widths: cfg.widths, p });
      compile(m);
      await m.fit(inputs(subset), subset.y, { epochs, batchSize, seed: 3, callbacks: [progress.callback()] });
      row[p === 0 ? 'plain' : 'dropout'] = await testError(m, test);
    }
    rows.push(row);
  }
  progress.stop();
  const seconds = (performance.now() - t0) / 1000;
  const files = await figure(
    'plotLines',
    {
      title: `Test error against training-set size (${arch}, ${source})`,
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
      setup: `Mode ${mode}. ${arch} ReLU, Dropout(0.5) after each hidden layer in the dropout runs, Adam lr 1e-3, batch ${batchSize}, about ${cfg.steps} steps per run (epochs = steps x batch / size); test on ${test.n} ${source}. ${new Date().toISOString().slice(0, 10)}, ${gw.backend().isa}, ${gw.getNumThreads()} threads, ${seconds.toFixed(0)} s of training and testing.`,
      tables: [{ title: 'Results', markdown: mdTable(['training samples', 'epochs', 'test error, no dropout', 'test error, p = 0.5'], rows.map((r) => [r.size, r.epochs, `${(100 * r.plain).toFixed(2)}%`, `${(100 * r.dropout).toFixed(2)}%`])) }],
      figures: files,
    }),
  );
  return { summary: { rows, source, seconds, arch }, files };
}

await mainIfScript(import.meta.url, run);
