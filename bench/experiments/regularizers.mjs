// (i) Regularizers side by side: one problem, one budget, five ways to regularize the same
// 784-H-H-10 ReLU network: none, L2 on the kernels, L1 on the kernels, dropout after each hidden
// layer (Srivastava et al. 2014) and DropConnect on the hidden layers' weights (Wan et al. 2013).
// Every run has the same seed, initial weights, optimizer, batch order and number of steps; the
// table gives test and training error and the size of the learned weights. A second table does
// the same on a small CNN for the pooling regularizer: max pooling (none), max pooling with dropout
// before the classifier, and stochastic pooling (Zeiler & Fergus 2013) in place of max pooling.
// Full mode (784-1024-1024-10 and the CNN on 60,000 Fashion-MNIST or MNIST-digit images) prints its
// estimated time first and shows a progress bar.
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

export const cnnConfigs = [
  { key: 'maxpool', label: 'max pooling (no regularization)' },
  { key: 'maxpool-dropout', label: `max pooling + dropout ${RATE}` },
  { key: 'stochastic', label: 'stochastic pooling' },
];

// 1x28x28 -> [Conv2D f 5x5 same, ReLU, pool 2] x 2 -> Flatten -> Dense h ReLU -> [Dropout] -> Dense 10.
function cnn(key, { filters, hidden }, seed = 5) {
  const m = new gw.Sequential([], { seed });
  const pool = () => (key === 'stochastic' ? new gw.StochasticPool2D({ poolSize: 2 }) : new gw.MaxPool2D({ poolSize: 2 }));
  m.add(new gw.Reshape({ targetShape: [1, 28, 28], inputShape: [784] }));
  for (const f of filters) {
    m.add(new gw.Conv2D({ filters: f, kernelSize: 5, padding: 2, activation: 'relu', kernelInitializer: 'heNormal' }));
    m.add(pool());
  }
  m.add(new gw.Flatten());
  m.add(new gw.Dense({ units: hidden, activation: 'relu', kernelInitializer: 'heNormal' }));
  if (key === 'maxpool-dropout') m.add(new gw.Dropout(RATE));
  m.add(new gw.Dense({ units: 10 }));
  return m;
}

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
    tiny: { widths: [64, 64], nTrain: 500, nTest: 300, epochs: 12, fashion: false, cnn: { filters: [4, 8], hidden: 32, nTrain: 500, epochs: 10 } },
    quick: { widths: [256, 256], nTrain: 5000, nTest: 2000, epochs: 20, fashion: false, cnn: { filters: [8, 16], hidden: 64, nTrain: 5000, epochs: 8 } },
    full: { widths: [1024, 1024], nTrain: 60000, nTest: 10000, epochs: 15, fashion: true, cnn: { filters: [16, 32], hidden: 128, nTrain: 60000, epochs: 6 } },
  });
  const { train, test, source } = await imageData(cfg);
  const arch = `784-${cfg.widths.join('-')}-10`;
  const batchSize = 128;
  const compile = (m) => m.compile({ optimizer: new gw.SGD({ lr: 0.05, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  // The CNN trains with Adam (SGD at lr 0.05 diverges on it without batch norm).
  const compileCnn = (m) => m.compile({ optimizer: new gw.Adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const cnnTrain = gw.datasets.selectSamples(train, Int32Array.from({ length: Math.min(cfg.cnn.nTrain, train.n) }, (_, i) => i));
  const cnnArch = `1x28x28-[conv${cfg.cnn.filters.join('-pool-conv')}-pool]-${cfg.cnn.hidden}-10`;
  const studies = [
    { configs, make: (key) => network(key, cfg.widths), compile, data: train, epochs: cfg.epochs },
    { configs: cnnConfigs, make: (key) => cnn(key, cfg.cnn), compile: compileCnn, data: cnnTrain, epochs: cfg.cnn.epochs },
  ];
  const steps = (s) => s.epochs * Math.ceil(s.data.n / batchSize);
  const showProgress = mode !== 'tiny';
  let estimate = 0;
  const perStep = {};
  if (showProgress) {
    for (const s of studies) {
      for (const c of s.configs) {
        perStep[c.key] = await secondsPerStep(() => s.make(c.key), s.data, { batchSize, compile: s.compile });
        // Training steps, plus a test-set pass per epoch and the final train/test evaluation (forward only, ~1/3 of a step).
        estimate += perStep[c.key] * (steps(s) + ((s.epochs + 1) * test.n + s.data.n) / batchSize / 3);
      }
    }
  }
  const totalSteps = studies.reduce((t, s) => t + steps(s) * s.configs.length, 0);
  const progress = startProgress({
    title: name, enabled: showProgress, totalSteps, estimateSeconds: estimate,
    detail: `${configs.length} runs x ${steps(studies[0])} steps of ${arch}, ${cnnConfigs.length} x ${steps(studies[1])} of the CNN; ms/step measured: ${Object.entries(perStep).map(([k, v]) => `${k} ${(1000 * v).toFixed(0)}`).join(', ')}`,
  });
  const t0 = performance.now();
  const results = [];
  for (const s of studies) {
    const studyRows = [];
    const studyCurves = [];
    for (const c of s.configs) {
      progress.set(c.label);
      const t = performance.now();
      const m = s.make(c.key);
      s.compile(m);
      const h = await m.fit(inputs(s.data), s.data.y, {
        epochs: s.epochs, batchSize, seed: 2, validationData: [inputs(test), test.y], callbacks: [progress.callback()],
      });
      studyCurves.push({ name: c.label, x: h.epoch.map((e) => e + 1), y: h.history.valAccuracy.map((a) => 1 - a) });
      studyRows.push({
        key: c.key, label: c.label,
        testError: await testError(m, test),
        trainError: await testError(m, s.data),
        ...kernelStats(m),
        seconds: (performance.now() - t) / 1000,
      });
    }
    results.push([studyRows, studyCurves]);
  }
  progress.stop();
  const [[rows, curves], [cnnRows, cnnCurves]] = results;
  const seconds = (performance.now() - t0) / 1000;
  const files = await figure(
    'plotLines',
    { title: `Test error per epoch (${arch}, ${train.n} ${source})`, xLabel: 'epoch', yLabel: 'test error', series: curves },
    out,
    'test-error-per-epoch',
    formats,
  );
  files.push(...(await figure(
    'plotLines',
    { title: `CNN test error per epoch (${cnnArch}, ${cnnTrain.n} ${source})`, xLabel: 'epoch', yLabel: 'test error', series: cnnCurves },
    out,
    'cnn-test-error-per-epoch',
    formats,
  )));
  const lowest = (rs) => rs.reduce((a, b) => (b.testError < a.testError ? b : a));
  const best = lowest(rows);
  const bestCnn = lowest(cnnRows);
  const table = (rs) => mdTable(
    ['regularizer', 'test error', 'training error', 'kernel L2 norm', 'mean abs(w)', 'abs(w) < 1e-3', 'seconds'],
    rs.map((r) => [r.label, pct(r.testError), pct(r.trainError), r.l2Norm.toFixed(2), r.meanAbs.toExponential(3), pct(r.smallFraction), r.seconds.toFixed(1)]),
  );
  files.push(
    writeReport(out, {
      title: 'Regularizers on one problem and one budget',
      setup: `Mode ${mode}. ${arch} ReLU, SGD lr 0.05 momentum 0.9, batch ${batchSize}, ${cfg.epochs} epochs (${steps(studies[0])} steps) on ${train.n} ${source}, the same seed and batch order for every run; test on ${test.n}. L2/L1 on every kernel (the loss gains lambda * sum(w^2) / lambda * sum|w|), dropout after each hidden layer, DropConnect on the hidden layers' kernels (inference with the expected weights). ${new Date().toISOString().slice(0, 10)}, ${gw.backend().isa}, ${gw.getNumThreads()} threads, ${seconds.toFixed(0)} s in all.`,
      tables: [
        { title: `Results: ${arch}`, markdown: table(rows) },
        { title: `Results: the CNN ${cnnArch} (Adam lr 1e-3, ${cfg.cnn.epochs} epochs on ${cnnTrain.n})`, markdown: table(cnnRows) },
      ],
      notes: `Lowest test error: ${best.label} (MLP), ${bestCnn.label} (CNN).`,
      figures: files,
    }),
  );
  return { summary: { rows, cnnRows, source, arch, cnnArch, seconds, best: best.key, bestCnn: bestCnn.key }, files };
}

await mainIfScript(import.meta.url, run);
