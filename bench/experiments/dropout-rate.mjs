// (b) Dropout rate: test error of a 784-H-H-H-10 ReLU network against the dropout rate p applied
// after every hidden layer (Srivastava et al. 2014, figure 9a: H = 2048 on MNIST, retention
// probability 1 - p from 0.1 to 1.0). Full mode: the lecture's 784-2048-2048-2048-10, retention
// 0.1, 0.2, ..., 1.0, the same number of steps (10 epochs of 60,000) per rate, on Fashion-MNIST
// (when installed) or the embedded MNIST digits; it prints its estimated time first and shows a
// progress bar. quick/tiny: smaller H and subsets.
import { gw, settings, figure, mdTable, writeReport, imageData, inputs, testError, dropoutMlp, mainIfScript, secondsPerStep, startProgress } from './common.mjs';

export const name = 'dropout-rate';

export async function run(opts = {}) {
  const { mode, out, formats, pick } = settings({ ...opts, name });
  const cfg = pick({
    tiny: { width: 32, nTrain: 300, nTest: 200, epochs: 12, rates: [0, 0.5, 0.8], fashion: false },
    quick: { width: 256, nTrain: 3000, nTest: 1000, epochs: 8, rates: [0, 0.2, 0.4, 0.5, 0.6, 0.8], fashion: false },
    // Retention 1 - p = 0.1, 0.2, ..., 1.0 (p = 0.9 ... 0).
    full: { width: 2048, nTrain: 60000, nTest: 10000, epochs: 10, rates: [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0], fashion: true },
  });
  const { train, test, source } = await imageData(cfg);
  const batchSize = 128;
  const make = (p) => dropoutMlp({ widths: [cfg.width, cfg.width, cfg.width], p });
  const compile = (m) => m.compile({ optimizer: new gw.Adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  // Every rate trains the same number of steps: the same epochs over the same samples.
  const stepsPerRate = cfg.epochs * Math.ceil(train.n / batchSize);
  const showProgress = mode !== 'tiny';
  const perStep = showProgress ? await secondsPerStep(() => make(0.5), train, { batchSize, compile }) : 0;
  const progress = startProgress({
    title: name, enabled: showProgress, totalSteps: stepsPerRate * cfg.rates.length,
    estimateSeconds: perStep * (stepsPerRate + (test.n + train.n) / batchSize / 3) * cfg.rates.length,
    detail: `${cfg.rates.length} rates x ${stepsPerRate} steps of 784-${cfg.width}x3-10, ${(perStep * 1000).toFixed(0)} ms/step measured`,
  });
  const rows = [];
  const t0 = performance.now();
  for (const p of cfg.rates) {
    progress.set(`p = ${p}`);
    const m = make(p);
    compile(m);
    const h = await m.fit(inputs(train), train.y, { epochs: cfg.epochs, batchSize, seed: 2, callbacks: [progress.callback()] });
    const trainErr = 1 - h.history.accuracy[h.history.accuracy.length - 1];
    rows.push({ p, retain: Math.round((1 - p) * 10) / 10, testError: await testError(m, test), trainError: trainErr });
  }
  progress.stop();
  const seconds = (performance.now() - t0) / 1000;
  const files = await figure(
    'plotLines',
    {
      title: `Test error against retention probability (784-${cfg.width}x3-10, ${source})`,
      xLabel: 'retention probability 1 - p (after every hidden layer)',
      yLabel: 'error',
      series: [
        { name: 'test error', x: rows.map((r) => r.retain), y: rows.map((r) => r.testError) },
        { name: 'training error (last epoch, with dropout)', x: rows.map((r) => r.retain), y: rows.map((r) => r.trainError) },
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
      setup: `Mode ${mode}. 784-${cfg.width}-${cfg.width}-${cfg.width}-10 ReLU, Dropout(p) after each hidden layer, Adam lr 1e-3, batch ${batchSize}, ${cfg.epochs} epochs (${stepsPerRate} steps per rate) on ${train.n} ${source}; test on ${test.n}. ${new Date().toISOString().slice(0, 10)}, ${gw.backend().isa}, ${gw.getNumThreads()} threads, ${seconds.toFixed(0)} s of training and testing.`,
      tables: [{ title: 'Results', markdown: mdTable(['dropout rate p', 'retention 1 - p', 'test error', 'training error (last epoch)'], rows.map((r) => [r.p, r.retain, `${(100 * r.testError).toFixed(2)}%`, `${(100 * r.trainError).toFixed(2)}%`])) }],
      notes: `Lowest test error at p = ${best.p} (retention ${best.retain}).`,
      figures: files,
    }),
  );
  return { summary: { rows, bestP: best.p, source, seconds }, files };
}

await mainIfScript(import.meta.url, run);
