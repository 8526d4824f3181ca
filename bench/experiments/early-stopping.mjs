// (f) Training and validation error curves with the early-stopping point marked, on a 6:2:2
// train/validation/test split (trainValTestSplit, stratified). The network is large for the data
// and has no dropout, so validation loss turns up while training error keeps falling. Training
// runs every epoch (to draw the whole curves) with EarlyStopping({ patience: epochs,
// restoreBestWeights: true }), which never stops it but remembers the best epoch and puts its
// weights back at the end; where a patience-P EarlyStopping would have stopped is read off the same
// validation curve.
import { gw, settings, figure, mdTable, writeReport, mnistDigits, inputs, testError, dropoutMlp, mainIfScript } from './common.mjs';

export const name = 'early-stopping';

export async function run(opts = {}) {
  const { mode, out, formats, pick } = settings({ ...opts, name });
  const cfg = pick({
    tiny: { n: 500, width: 64, epochs: 6, patience: 2 },
    quick: { n: 3000, width: 512, epochs: 30, patience: 5 },
    full: { n: 10000, width: 1024, epochs: 60, patience: 8 },
  });
  const { train: all8k, test: all2k } = mnistDigits();
  // The whole embedded set (train + test parts) or a prefix of it, re-split 6:2:2.
  const pool = cfg.n <= all8k.n ? gw.datasets.selectSamples(all8k, Int32Array.from({ length: cfg.n }, (_, i) => i)) : concat(all8k, all2k);
  const { train, val, test } = gw.trainValTestSplit(pool, { ratios: [6, 2, 2], seed: 7, stratify: true });
  const m = dropoutMlp({ widths: [cfg.width, cfg.width], p: 0, seed: 9 });
  m.compile({ optimizer: new gw.Adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const es = new gw.EarlyStopping({ monitor: 'valLoss', patience: cfg.epochs, restoreBestWeights: true });
  const h = await m.fit(inputs(train), train.y, { epochs: cfg.epochs, batchSize: 64, seed: 1, validationData: [inputs(val), val.y], callbacks: [es] });
  const testAtBest = await testError(m, test); // best weights restored by EarlyStopping
  const epochs = h.epoch.map((e) => e + 1);
  const valLoss = h.history.valLoss;
  // Where EarlyStopping({ patience }) stops: `patience` epochs after the last improvement.
  let best = 0;
  let stop = valLoss.length - 1;
  for (let e = 1; e < valLoss.length; e++) {
    if (valLoss[e] < valLoss[best]) best = e;
    else if (e - best >= cfg.patience) {
      stop = e;
      break;
    }
  }
  const marks = [{ x: es.bestEpoch + 1, label: `best val loss (epoch ${es.bestEpoch + 1})` }];
  if (stop !== es.bestEpoch && stop < valLoss.length - 1) marks.push({ x: stop + 1, label: `stop, patience ${cfg.patience}` });
  const files = [];
  files.push(
    ...(await figure(
      'plotLines',
      {
        title: `Training and validation error, 784-${cfg.width}-${cfg.width}-10 without dropout (6:2:2 split of ${pool.n} digits)`,
        xLabel: 'epoch',
        yLabel: 'error',
        series: [
          { name: 'training error', x: epochs, y: h.history.accuracy.map((a) => 1 - a) },
          { name: 'validation error', x: epochs, y: h.history.valAccuracy.map((a) => 1 - a) },
        ],
        marks,
      },
      out,
      'error-curves',
      formats,
    )),
  );
  files.push(
    ...(await figure(
      'plotLines',
      {
        title: 'Training and validation loss',
        xLabel: 'epoch',
        yLabel: 'cross-entropy',
        logY: true,
        series: [
          { name: 'training loss', x: epochs, y: h.history.loss },
          { name: 'validation loss', x: epochs, y: valLoss },
        ],
        marks,
      },
      out,
      'loss-curves',
      formats,
    )),
  );
  const summary = {
    bestEpoch: es.bestEpoch + 1,
    stopEpoch: stop + 1,
    epochs: cfg.epochs,
    minValLoss: valLoss[es.bestEpoch],
    lastValLoss: valLoss[valLoss.length - 1],
    lastTrainError: 1 - h.history.accuracy[h.history.accuracy.length - 1],
    valErrorAtBest: 1 - h.history.valAccuracy[es.bestEpoch],
    lastValError: 1 - h.history.valAccuracy[h.history.valAccuracy.length - 1],
    testErrorAtBest: testAtBest,
    sizes: { train: train.n, val: val.n, test: test.n },
    valLoss,
  };
  files.push(
    writeReport(out, {
      title: 'Early stopping on a 6:2:2 split',
      setup: `Mode ${mode}. ${pool.n} embedded MNIST digits split 6:2:2 (stratified): ${train.n} / ${val.n} / ${test.n}. 784-${cfg.width}-${cfg.width}-10 ReLU without dropout, Adam lr 1e-3, batch 64, ${cfg.epochs} epochs.`,
      tables: [
        {
          title: 'Per epoch',
          markdown: mdTable(
            ['epoch', 'training loss', 'validation loss', 'training error', 'validation error'],
            epochs.map((e, i) => [e, h.history.loss[i].toFixed(4), valLoss[i].toFixed(4), `${(100 * (1 - h.history.accuracy[i])).toFixed(2)}%`, `${(100 * (1 - h.history.valAccuracy[i])).toFixed(2)}%`]),
          ),
        },
      ],
      notes: `Lowest validation loss at epoch ${summary.bestEpoch} (${summary.minValLoss.toFixed(4)}); at the last epoch it is ${summary.lastValLoss.toFixed(4)}. EarlyStopping with patience ${cfg.patience} would stop after epoch ${summary.stopEpoch}. Test error with the restored best weights: ${(100 * testAtBest).toFixed(2)}%.`,
      figures: files,
    }),
  );
  return { summary, files };
}

function concat(a, b) {
  const x = new Uint8Array(a.x.length + b.x.length);
  x.set(a.x);
  x.set(b.x, a.x.length);
  const y = new Int32Array(a.n + b.n);
  y.set(a.y);
  y.set(b.y, a.n);
  return gw.createDataset({ x, y, shape: a.shape, numClasses: a.numClasses, scale: a.scale });
}

await mainIfScript(import.meta.url, run);
