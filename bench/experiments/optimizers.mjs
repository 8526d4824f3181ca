// (h) Optimizers on one problem: training loss curves of SGD, SGD with momentum, Adagrad, RMSProp,
// Adam, Adamax and Adadelta (each with its usual default learning rate, PyTorch's where it has one)
// training the same 784-H-H-10 ReLU network from the same initial weights on the same batches.
import { gw, settings, figure, mdTable, writeReport, mnistSubset, inputs, testError, dropoutMlp, mainIfScript } from './common.mjs';

export const name = 'optimizers';

const optimizers = {
  'SGD (lr 0.01)': () => new gw.SGD({ lr: 0.01 }),
  'SGD + momentum 0.9 (lr 0.01)': () => new gw.SGD({ lr: 0.01, momentum: 0.9 }),
  'Adagrad (lr 0.01)': () => new gw.Adagrad({ lr: 0.01 }),
  'RMSProp (lr 0.001)': () => new gw.RMSprop({ lr: 0.001 }),
  'Adam (lr 0.001)': () => new gw.Adam({ lr: 0.001 }),
  'Adamax (lr 0.002)': () => new gw.Adamax({ lr: 0.002 }),
  'Adadelta (lr 1.0)': () => new gw.Adadelta({ lr: 1.0 }),
};

export async function run(opts = {}) {
  const { mode, out, formats, pick } = settings({ ...opts, name });
  const cfg = pick({
    tiny: { nTrain: 256, nTest: 200, width: 32, epochs: 2, points: 8 },
    quick: { nTrain: 3000, nTest: 1000, width: 256, epochs: 5, points: 50 },
    full: { nTrain: 8333, nTest: 1667, width: 512, epochs: 20, points: 100 },
  });
  const batchSize = 64;
  const { train, test } = mnistSubset(cfg.nTrain, cfg.nTest);
  const totalSteps = Math.ceil(train.n / batchSize) * cfg.epochs;
  const window = Math.max(1, Math.floor(totalSteps / cfg.points));
  const runs = [];
  for (const [label, make] of Object.entries(optimizers)) {
    const m = dropoutMlp({ widths: [cfg.width, cfg.width], p: 0, seed: 17 });
    m.compile({ optimizer: make(), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    // Mean batch loss over consecutive windows of steps: smoother than single batches, finer than epochs.
    const steps = [];
    const losses = [];
    let sum = 0;
    let count = 0;
    let step = 0;
    const h = await m.fit(inputs(train), train.y, {
      epochs: cfg.epochs,
      batchSize,
      seed: 3,
      callbacks: [
        {
          onBatchEnd: (_b, logs) => {
            step++;
            sum += logs.loss;
            count++;
            if (count === window) {
              steps.push(step);
              losses.push(sum / count);
              sum = 0;
              count = 0;
            }
          },
        },
      ],
    });
    runs.push({ label, steps, losses, epochLoss: h.history.loss, testError: await testError(m, test) });
  }
  const files = await figure(
    'plotLines',
    {
      title: `Training loss, 784-${cfg.width}-${cfg.width}-10 ReLU, batch ${batchSize} (mean over ${window} steps)`,
      xLabel: 'training step',
      yLabel: 'cross-entropy (log scale)',
      logY: true,
      points: false,
      series: runs.map((r) => ({ name: r.label, x: r.steps, y: r.losses })),
    },
    out,
    'loss-curves',
    formats,
  );
  files.push(
    writeReport(out, {
      title: 'Optimizers on one problem',
      setup: `Mode ${mode}. 784-${cfg.width}-${cfg.width}-10 ReLU + softmax, same initial weights and batch order for every optimizer, batch ${batchSize}, ${cfg.epochs} epochs on ${train.n} embedded MNIST digits; test on ${test.n}.`,
      tables: [
        {
          title: 'Results',
          markdown: mdTable(
            ['optimizer', 'loss, epoch 1', `loss, epoch ${cfg.epochs}`, 'test error'],
            runs.map((r) => [r.label, r.epochLoss[0].toFixed(4), r.epochLoss[r.epochLoss.length - 1].toFixed(4), `${(100 * r.testError).toFixed(2)}%`]),
          ),
        },
      ],
      figures: files,
    }),
  );
  return { summary: { runs: runs.map((r) => ({ label: r.label, epochLoss: r.epochLoss, testError: r.testError })) }, files };
}

await mainIfScript(import.meta.url, run);
