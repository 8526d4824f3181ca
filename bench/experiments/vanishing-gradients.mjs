// (a) Vanishing gradients: per-layer gradient norms of a 10-hidden-layer sigmoid MLP (Glorot
// init) against the same depth with ReLU + He init, on MNIST digits. fit({ diagnostics: true })
// records the root-mean over each epoch's batches of every kernel gradient's 2-norm; diagnose()
// names the layers whose norm is below 1% of the largest.
import { gw, settings, figure, mdTable, writeReport, mnistSubset, inputs, testError, mainIfScript } from './common.mjs';

export const name = 'vanishing-gradients';

export async function run(opts = {}) {
  const { mode, out, formats, pick } = settings({ ...opts, name });
  const { nTrain, width, epochs } = pick({
    tiny: { nTrain: 256, width: 32, epochs: 1 },
    quick: { nTrain: 2000, width: 64, epochs: 3 },
    full: { nTrain: 8333, width: 128, epochs: 10 },
  });
  const depth = 10;
  const { train, test } = mnistSubset(nTrain, mode === 'tiny' ? 200 : 1667);
  const nets = [
    { label: 'sigmoid, Glorot init', activation: 'sigmoid', init: 'glorotUniform' },
    { label: 'ReLU, He init', activation: 'relu', init: 'heNormal' },
  ];
  const results = [];
  for (const net of nets) {
    const m = new gw.Sequential([], { seed: 11 });
    for (let i = 0; i < depth; i++) {
      m.add(new gw.Dense({ units: width, activation: net.activation, kernelInitializer: net.init, name: `hidden_${i + 1}`, ...(i === 0 ? { inputShape: [784] } : {}) }));
    }
    m.add(new gw.Dense({ units: 10, activation: 'softmax', name: 'output' }));
    m.compile({ optimizer: new gw.SGD({ lr: 0.05, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const h = await m.fit(inputs(train), train.y, { epochs, batchSize: 64, diagnostics: true, seed: 1 });
    const firstEpoch = gw.diagnose(h, { epoch: 0 });
    const lastEpoch = gw.diagnose(h);
    results.push({ ...net, history: h, first: firstEpoch, last: lastEpoch, testError: await testError(m, test), loss: h.history.loss });
  }
  const layerNames = results[0].first.layers.map((l) => l.layer);
  const files = [];
  files.push(
    ...(await figure(
      'plotLines',
      {
        title: `Gradient norm per layer, ${depth} hidden layers of ${width} (first epoch)`,
        xLabel: 'layer (1 = next to the input, 11 = output)',
        yLabel: 'RMS over batches of ||dL/dW||',
        logY: true,
        series: results.map((r) => ({ name: r.label, x: r.first.layers.map((_, i) => i + 1), y: r.first.layers.map((l) => Math.max(l.gradNorm, 1e-30)) })),
      },
      out,
      'grad-norm-per-layer',
      formats,
    )),
  );
  if (epochs > 1) {
    files.push(
      ...(await figure(
        'plotLines',
        {
          title: 'Training loss',
          xLabel: 'epoch',
          yLabel: 'cross-entropy',
          series: results.map((r) => ({ name: r.label, x: r.history.epoch.map((e) => e + 1), y: r.loss })),
        },
        out,
        'loss',
        formats,
      )),
    );
  }
  const later = epochs > 1 ? results : []; // a second set of columns only when there is a later epoch
  const table = mdTable(
    ['layer', ...results.map((r) => `${r.label}: grad norm (epoch 1)`), ...later.map((r) => `${r.label}: grad norm (epoch ${epochs})`)],
    layerNames.map((name, i) => [name, ...results.map((r) => r.first.layers[i].gradNorm.toExponential(2)), ...later.map((r) => r.last.layers[i].gradNorm.toExponential(2))]),
  );
  const summary = Object.fromEntries(
    results.map((r) => [
      r.activation,
      {
        firstOverLastHidden: r.first.layers[0].gradNorm / r.first.layers[depth - 1].gradNorm,
        spread: r.first.spread,
        vanishing: r.first.vanishing,
        testError: r.testError,
        finalLoss: r.loss[r.loss.length - 1],
      },
    ]),
  );
  const summaryTable = mdTable(
    ['network', 'grad norm layer 1 / layer 10 (epoch 1)', 'layers flagged vanishing (epoch 1)', 'final training loss', 'test error'],
    results.map((r) => [r.label, summary[r.activation].firstOverLastHidden.toExponential(2), r.first.vanishing.join(', ') || 'none', r.loss[r.loss.length - 1].toFixed(4), `${(100 * r.testError).toFixed(2)}%`]),
  );
  files.push(
    writeReport(out, {
      title: 'Vanishing gradients: sigmoid versus ReLU + He',
      setup: `Mode ${mode}. ${depth} hidden Dense layers of ${width} units + a softmax output, SGD lr 0.05 momentum 0.9, batch 64, ${epochs} epoch(s) on ${train.n} embedded MNIST digits; test on ${test.n}. Gradient norms from fit({ diagnostics: true }).`,
      tables: [
        { title: 'Summary', markdown: summaryTable },
        { title: 'Per-layer gradient norms', markdown: table },
      ],
      figures: files,
    }),
  );
  return { summary, files };
}

await mainIfScript(import.meta.url, run);
