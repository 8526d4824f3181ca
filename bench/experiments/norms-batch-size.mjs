// (g) Batch norm versus group norm versus layer norm (and none) at batch sizes 2, 4, 16, 64
// (Wu & He 2018, figure 1): batch norm's statistics of tiny batches are noisy and differ from its
// running averages used at test time; group and layer norm normalise each sample on its own and do
// not depend on the batch size. Same epochs at every batch size, Adam lr 1e-3. Run twice: on an MLP
// and on a small CNN (the setting of the paper: norms over feature maps, per channel), where batch
// norm's statistics pool N x H x W values per channel and group norm C/G x H x W per sample.
import { gw, settings, figure, mdTable, writeReport, mnistSubset, inputs, testError, mainIfScript } from './common.mjs';

export const name = 'norms-batch-size';

const norms = {
  none: () => null,
  'batch norm': () => new gw.BatchNorm(),
  'group norm (8 groups)': () => new gw.GroupNorm({ groups: 8 }),
  'layer norm': () => new gw.LayerNorm(),
};

const cnnNorms = {
  none: () => null,
  'batch norm': () => new gw.BatchNorm(),
  'group norm (4 groups)': () => new gw.GroupNorm({ groups: 4 }),
};

/** 1x28x28 -> [Conv2D 3x3 same -> norm -> ReLU -> MaxPool 2] x 2 -> global average pool -> Dense 10. */
function smallCnn(channels, makeNorm) {
  const m = new gw.Sequential([new gw.Reshape({ targetShape: [1, 28, 28], inputShape: [784] })], { seed: 13 });
  for (const c of channels) {
    m.add(new gw.Conv2D({ filters: c, kernelSize: 3, padding: 'same', kernelInitializer: 'heNormal', useBias: false }));
    const norm = makeNorm();
    if (norm) m.add(norm);
    m.add(new gw.Activation('relu'));
    m.add(new gw.MaxPool2D({ poolSize: 2 }));
  }
  m.add(new gw.GlobalAveragePooling2D());
  m.add(new gw.Dense({ units: 10 }));
  m.compile({ optimizer: new gw.Adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

export async function run(opts = {}) {
  const { mode, out, formats, pick } = settings({ ...opts, name });
  const cfg = pick({
    tiny: { nTrain: 128, nTest: 200, width: 16, epochs: 1, channels: [4, 8], cnnTrain: 64, cnnEpochs: 1 },
    quick: { nTrain: 1500, nTest: 1000, width: 128, epochs: 3, channels: [8, 16], cnnTrain: 1024, cnnEpochs: 2 },
    // 8320 = 130 x 64: no 1-sample tail batch, which batch norm cannot train on (as in PyTorch).
    full: { nTrain: 8320, nTest: 1667, width: 256, epochs: 5, channels: [16, 32], cnnTrain: 4096, cnnEpochs: 3 },
  });
  const batchSizes = [2, 4, 16, 64];
  const { train, test } = mnistSubset(cfg.nTrain, cfg.nTest);
  const results = {};
  for (const [label, make] of Object.entries(norms)) {
    results[label] = [];
    for (const batchSize of batchSizes) {
      const m = new gw.Sequential([], { seed: 13 });
      for (let i = 0; i < 2; i++) {
        m.add(new gw.Dense({ units: cfg.width, kernelInitializer: 'heNormal', ...(i === 0 ? { inputShape: [784] } : {}) }));
        const norm = make();
        if (norm) m.add(norm);
        m.add(new gw.Activation('relu'));
      }
      m.add(new gw.Dense({ units: 10, activation: 'softmax' }));
      m.compile({ optimizer: new gw.Adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      const t0 = performance.now();
      await m.fit(inputs(train), train.y, { epochs: cfg.epochs, batchSize, seed: 6 });
      results[label].push({ batchSize, testError: await testError(m, test), seconds: (performance.now() - t0) / 1000 });
    }
  }
  const cnnResults = {};
  const cnnTrain = gw.datasets.selectSamples(train, Int32Array.from({ length: Math.min(cfg.cnnTrain, train.n) }, (_, i) => i));
  for (const [label, make] of Object.entries(cnnNorms)) {
    cnnResults[label] = [];
    for (const batchSize of batchSizes) {
      const m = smallCnn(cfg.channels, make);
      const t0 = performance.now();
      await m.fit(inputs(cnnTrain), cnnTrain.y, { epochs: cfg.cnnEpochs, batchSize, seed: 6 });
      cnnResults[label].push({ batchSize, testError: await testError(m, test), seconds: (performance.now() - t0) / 1000 });
    }
  }
  const cnnSetup = `1x28x28 -> [Conv2D ${cfg.channels.join('/')} filters 3x3 same (no bias) -> [norm] -> ReLU -> MaxPool 2] x ${cfg.channels.length} -> global average pooling -> Dense 10; Adam lr 1e-3, ${cfg.cnnEpochs} epoch(s) on ${cnnTrain.n} digits`;
  const files = await figure(
    'plotLines',
    {
      title: `Test error against batch size (784-${cfg.width}-${cfg.width}-10, ${cfg.epochs} epochs on ${train.n} digits)`,
      xLabel: 'batch size',
      yLabel: 'test error',
      logX: true,
      series: Object.entries(results).map(([label, rows]) => ({ name: label, x: rows.map((r) => r.batchSize), y: rows.map((r) => r.testError) })),
    },
    out,
    'test-error-vs-batch-size',
    formats,
  );
  files.push(
    ...(await figure(
      'plotLines',
      {
        title: `CNN test error against batch size (${cfg.channels.join('/')} channels, ${cfg.cnnEpochs} epochs on ${cnnTrain.n} digits)`,
        xLabel: 'batch size',
        yLabel: 'test error',
        logX: true,
        series: Object.entries(cnnResults).map(([label, rows]) => ({ name: label, x: rows.map((r) => r.batchSize), y: rows.map((r) => r.testError) })),
      },
      out,
      'cnn-test-error-vs-batch-size',
      formats,
    )),
  );
  files.push(
    writeReport(out, {
      title: 'Normalization layers against batch size',
      setup: `Mode ${mode}. 784-${cfg.width}-${cfg.width}-10: Dense -> [norm] -> ReLU twice, softmax output; Adam lr 1e-3, ${cfg.epochs} epoch(s) on ${train.n} embedded MNIST digits at each batch size; test on ${test.n}.`,
      tables: [
        {
          title: 'Test error',
          markdown: mdTable(['normalization', ...batchSizes.map((b) => `batch ${b}`)], Object.entries(results).map(([label, rows]) => [label, ...rows.map((r) => `${(100 * r.testError).toFixed(2)}%`)])),
        },
        {
          title: `CNN test error (${cnnSetup})`,
          markdown: mdTable(['normalization', ...batchSizes.map((b) => `batch ${b}`)], Object.entries(cnnResults).map(([label, rows]) => [label, ...rows.map((r) => `${(100 * r.testError).toFixed(2)}%`)])),
        },
        {
          title: 'CNN training time (s)',
          markdown: mdTable(['normalization', ...batchSizes.map((b) => `batch ${b}`)], Object.entries(cnnResults).map(([label, rows]) => [label, ...rows.map((r) => r.seconds.toFixed(2))])),
        },
        {
          title: 'Training time (s)',
          markdown: mdTable(['normalization', ...batchSizes.map((b) => `batch ${b}`)], Object.entries(results).map(([label, rows]) => [label, ...rows.map((r) => r.seconds.toFixed(2))])),
        },
      ],
      figures: files,
    }),
  );
  return { summary: { batchSizes, results, cnnResults }, files };
}

await mainIfScript(import.meta.url, run);
