// (i) Regularizers side by side: one problem, one budget, five ways to regularize the same
// 784-H-H-10 ReLU network: none, L2 on the kernels, L1 on the kernels, dropout after each hidden
// layer (Srivastava et al. 2014) and DropConnect on the hidden layers' weights (Wan et al. 2013).
// Every run has the same seed, initial weights, optimizer, batch order and number of steps; the
// table gives test and training error and the size of the learned weights. Full mode
// (784-1024-1024-10 on 60,000 Fashion-MNIST or MNIST-digit images) prints its estimated time first
// and shows a progress bar.
import { gw, settings, figure, mdTable, writeReport, imageData, inputs, testError, mainIfScript, secondsPerStep, startProgress, pct } from './common.mjs';

export const name = 'regularizers';

const L2 = 1e-4; // Keras convention: the loss gains lambda * sum(w^2) (and lambda * sum|w| for L1)
const L1 = 1e-5;
const RATE = 0.5;

export const configs = [
  { key: 'none', label: 'no regularization' },
  { key: 'l2', label: `L2 ${L2}` },
  { key: 'l1', label: `L1 ${L1}` },
  { key: 'dropout', label: `dropout ${RATE}` },
  { key: 'dropconnect', label: `DropConnect ${RATE}` },
];

function network(key, widths, seed = 5) {
  const m = new gw.Sequential([], { seed });
  const reg = key === 'l2' ? { l2: L2 } : key === 'l1' ? { l1: L1 } : null;
  widths.forEach((w, i) => {
    m.add(new gw.Dense({
      units: w, activation: 'relu', kernelRegularizer: reg,
      ...(key === 'dropconnect' ? { dropConnect: RATE } : {}),
      ...(i === 0 ? { inputShape: [784] } : {}),
    }));
    if (key === 'dropout') m.add(new gw.Dropout(RATE));
  });
  m.add(new gw.Dense({ units: 10, kernelRegularizer: reg }));
  return m;
}

/** L2 norm, mean |w| and the fraction below 1e-3 in magnitude, over every kernel of the model. */
function kernelStats(model) {
  let sq = 0, abs = 0, small = 0, n = 0;
  for (const [k, v] of model.getWeights()) {
    if (!k.endsWith('.kernel')) continue;
    for (const w of v) {
      sq += w * w;
      abs += Math.abs(w);
      if (Math.abs(w) < 1e-3) small++;
    }
    n += v.length;
  }
  return { l2Norm: Math.sqrt(sq), meanAbs: abs / n, smallFraction: small / n };
}

export async function run(opts = {}) {
  const { mode, out, formats, pick } = settings({ ...opts, name });
  const cfg = pick({
    tiny: { widths: [64, 64], nTrain: 500, nTest: 300, epochs: 12, fashion: false },
    quick: { widths: [256, 256], nTrain: 5000, nTest: 2000, epochs: 20, fashion: false },
    full: { widths: [1024, 1024], nTrain: 60000, nTest: 10000, epochs: 30, fashion: true },
  });
  const { train, test, source } = await imageData(cfg);
  const arch = `784-${cfg.widths.join('-')}-10`;
  const batchSize = 128;
  const compile = (m) => m.compile({ optimizer: new gw.SGD({ lr: 0.05, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const stepsPerRun = cfg.epochs * Math.ceil(train.n / batchSize);
  const showProgress = mode !== 'tiny';
  let estimate = 0;
  const perStep = {};
  if (showProgress) {
    for (const c of configs) perStep[c.key] = await secondsPerStep(() => network(c.key, cfg.widths), train, { batchSize, compile });
    // Training steps, plus a test-set pass per epoch and the final train/test evaluation (forward only, ~1/3 of a step).
    for (const c of configs) estimate += perStep[c.key] * (stepsPerRun + ((cfg.epochs + 1) * test.n + train.n) / batchSize / 3);
  }
  const progress = startProgress({
    title: name, enabled: showProgress, totalSteps: stepsPerRun * configs.length, estimateSeconds: estimate,
    detail: `${configs.length} runs x ${stepsPerRun} steps of ${arch}; ms/step measured: ${configs.map((c) => `${c.key} ${(1000 * perStep[c.key]).toFixed(0)}`).join(', ')}`,
  });
  const t0 = performance.now();
  const rows = [];
  const curves = [];
  for (const c of configs) {
    progress.set(c.label);
    const t = performance.now();
    const m = network(c.key, cfg.widths);
    compile(m);
    const h = await m.fit(inputs(train), train.y, {
      epochs: cfg.epochs, batchSize, seed: 2, validationData: [inputs(test), test.y], callbacks: [progress.callback()],
    });
    curves.push({ name: c.label, x: h.epoch.map((e) => e + 1), y: h.history.valAccuracy.map((a) => 1 - a) });
    rows.push({
      key: c.key, label: c.label,
      testError: await testError(m, test),
      trainError: await testError(m, train),
      ...kernelStats(m),
      seconds: (performance.now() - t) / 1000,
    });
  }
  progress.stop();
  const seconds = (performance.now() - t0) / 1000;
  const files = await figure(
    'plotLines',
    { title: `Test error per epoch (${arch}, ${train.n} ${source})`, xLabel: 'epoch', yLabel: 'test error', series: curves },
    out,
    'test-error-per-epoch',
    formats,
  );
  const best = rows.reduce((a, b) => (b.testError < a.testError ? b : a));
  files.push(
    writeReport(out, {
      title: 'Regularizers on one problem and one budget',
      setup: `Mode ${mode}. ${arch} ReLU, SGD lr 0.05 momentum 0.9, batch ${batchSize}, ${cfg.epochs} epochs (${stepsPerRun} steps) on ${train.n} ${source}, the same seed and batch order for every run; test on ${test.n}. L2/L1 on every kernel (the loss gains lambda * sum(w^2) / lambda * sum|w|), dropout after each hidden layer, DropConnect on the hidden layers' kernels (inference with the expected weights). ${new Date().toISOString().slice(0, 10)}, ${gw.backend().isa}, ${gw.getNumThreads()} threads, ${seconds.toFixed(0)} s in all.`,
      tables: [{
        title: 'Results',
        markdown: mdTable(
          ['regularizer', 'test error', 'training error', 'kernel L2 norm', 'mean abs(w)', 'abs(w) < 1e-3', 'seconds'],
          rows.map((r) => [r.label, pct(r.testError), pct(r.trainError), r.l2Norm.toFixed(2), r.meanAbs.toExponential(3), pct(r.smallFraction), r.seconds.toFixed(1)]),
        ),
      }],
      notes: `Lowest test error: ${best.label}.`,
      figures: files,
    }),
  );
  return { summary: { rows, source, arch, seconds, best: best.key }, files };
}

await mainIfScript(import.meta.url, run);
