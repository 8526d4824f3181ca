// (d) Batch normalization versus none (Ioffe & Szegedy 2015, figure 1): test accuracy over training
// and the distribution, over the test images, of the input to one sigmoid of the last hidden layer.
//
// Reading a pre-activation: every hidden block is Dense (linear) -> [BatchNorm] -> Activation('sigmoid'),
// with fixed layer names, so the sigmoid's input is the output of a layer of the model. A "probe"
// model holds the same first layers (up to the last sigmoid's input) under the same names; at each
// checkpoint the trained model's weights are copied into it by name (getWeights/setWeights) and the
// probe predicts on the test images. The probe runs in inference mode, so batch norm uses its running
// statistics, as the trained network would at test time. The model itself is never modified.
import { gw, settings, figure, mdTable, writeReport, mnistSubset, inputs, mainIfScript } from './common.mjs';

export const name = 'batch-norm';

function layersFor(bn, width, upTo = Infinity) {
  const out = [];
  for (let i = 1; i <= 3; i++) {
    out.push(new gw.Dense({ units: width, name: `fc${i}`, ...(i === 1 ? { inputShape: [784] } : {}) }));
    if (bn) out.push(new gw.BatchNorm({ name: `bn${i}` }));
    if (i === 3 && upTo === 3) return out; // the probe ends at the last sigmoid's input
    out.push(new gw.Activation('sigmoid', { name: `act${i}` }));
  }
  out.push(new gw.Dense({ units: 10, activation: 'softmax', name: 'out' }));
  return out;
}

function percentile(sorted, q) {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (pos - lo);
}

export async function run(opts = {}) {
  const { mode, out, formats, pick } = settings({ ...opts, name });
  const cfg = pick({
    tiny: { nTrain: 600, nTest: 200, width: 32, epochs: 1, checkpoints: 4 },
    quick: { nTrain: 4000, nTest: 1000, width: 100, epochs: 5, checkpoints: 25 },
    full: { nTrain: 8333, nTest: 1667, width: 100, epochs: 30, checkpoints: 60 },
  });
  const { train, test } = mnistSubset(cfg.nTrain, cfg.nTest);
  const batchSize = 60;
  const stepsPerEpoch = Math.ceil(train.n / batchSize);
  const totalSteps = stepsPerEpoch * cfg.epochs;
  const every = Math.max(1, Math.floor(totalSteps / cfg.checkpoints));
  const unit = 0;
  const variants = [];
  for (const bn of [false, true]) {
    const label = bn ? 'with batch norm' : 'without batch norm';
    const model = new gw.Sequential(layersFor(bn, cfg.width), { seed: 21 }).build();
    model.compile({ optimizer: new gw.SGD({ lr: 0.5 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const probe = new gw.Sequential(layersFor(bn, cfg.width, 3), { seed: 21 }).build([784]);
    const evaluator = new gw.Sequential(layersFor(bn, cfg.width), { seed: 21 }).build();
    evaluator.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const probeNames = new Set(probe.getWeights().keys());
    const record = { label, steps: [], accuracy: [], p15: [], p50: [], p85: [], snapshots: [] };
    let step = 0;
    const checkpoint = async () => {
      const w = model.getWeights();
      probe.setWeights(new Map([...w].filter(([k]) => probeNames.has(k))));
      evaluator.setWeights(w);
      const z = await probe.predict(inputs(test));
      const values = Float64Array.from({ length: test.n }, (_, i) => z.data[i * cfg.width + unit]).sort();
      const acc = (await evaluator.evaluate(inputs(test), test.y)).accuracy;
      record.steps.push(step);
      record.accuracy.push(acc);
      record.p15.push(percentile(values, 0.15));
      record.p50.push(percentile(values, 0.5));
      record.p85.push(percentile(values, 0.85));
      record.snapshots.push({ step, values });
    };
    await checkpoint();
    await model.fit(inputs(train), train.y, {
      epochs: cfg.epochs,
      batchSize,
      seed: 4,
      callbacks: [{ onBatchEnd: async () => { step++; if (step % every === 0) await checkpoint(); } }],
    });
    if (step % every !== 0) await checkpoint();
    variants.push(record);
  }
  const files = [];
  files.push(
    ...(await figure(
      'plotLines',
      {
        title: 'Test accuracy during training (3 sigmoid layers)',
        xLabel: 'training step',
        yLabel: 'test accuracy',
        series: variants.map((v) => ({ name: v.label, x: v.steps, y: v.accuracy })),
      },
      out,
      'accuracy',
      formats,
    )),
  );
  files.push(
    ...(await figure(
      'plotLines',
      {
        title: `Input to sigmoid ${unit} of the last hidden layer (15/50/85th percentile over test images)`,
        xLabel: 'training step',
        yLabel: 'sigmoid input',
        points: false,
        series: variants.flatMap((v, k) => [
          { name: `${v.label}: 85th`, x: v.steps, y: v.p85, color: ['#4c78a8', '#f58518'][k], dashed: true },
          { name: `${v.label}: median`, x: v.steps, y: v.p50, color: ['#4c78a8', '#f58518'][k] },
          { name: `${v.label}: 15th`, x: v.steps, y: v.p15, color: ['#4c78a8', '#f58518'][k], dashed: true },
        ]),
      },
      out,
      'unit-input-percentiles',
      formats,
    )),
  );
  for (const v of variants) {
    const snaps = v.snapshots;
    // Early, middle and last checkpoints; not step 0, whose narrow spike would flatten the others.
    const chosen = [...new Set([Math.min(1, snaps.length - 1), Math.floor((snaps.length - 1) / 2), snaps.length - 1])].map((i) => snaps[i]);
    files.push(
      ...(await figure(
        'plotHistogram',
        {
          title: `Distribution of the sigmoid input, ${v.label}`,
          xLabel: `input to sigmoid unit ${unit} of the last hidden layer`,
          series: chosen.map((s) => ({ name: `step ${s.step}`, values: s.values })),
        },
        out,
        `unit-input-histogram-${v.label.startsWith('with ') ? 'bn' : 'plain'}`,
        formats,
      )),
    );
  }
  // How much the middle 70% of the unit's input moves over the second half of training.
  const drift = (v) => {
    const half = Math.floor(v.steps.length / 2);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = half; i < v.steps.length; i++) (lo = Math.min(lo, v.p50[i])), (hi = Math.max(hi, v.p50[i]));
    return hi - lo;
  };
  // First checkpoint at which test accuracy reaches a level (null: never).
  const reach = (v, level) => {
    const i = v.accuracy.findIndex((a) => a >= level);
    return i < 0 ? null : v.steps[i];
  };
  const summary = Object.fromEntries(
    variants.map((v) => [v.label.startsWith('with ') ? 'bn' : 'plain', { finalAccuracy: v.accuracy[v.accuracy.length - 1], accuracy: v.accuracy, steps: v.steps, medianDrift: drift(v), finalSpread: v.p85[v.p85.length - 1] - v.p15[v.p15.length - 1], stepsTo80: reach(v, 0.8), stepsTo90: reach(v, 0.9) }]),
  );
  const table = mdTable(
    ['step', ...variants.map((v) => `test accuracy ${v.label}`), ...variants.map((v) => `median / 15-85% ${v.label}`)],
    variants[0].steps.map((s, i) => [s, ...variants.map((v) => (v.accuracy[i] ?? NaN).toFixed(4)), ...variants.map((v) => `${v.p50[i]?.toFixed(3)} [${v.p15[i]?.toFixed(3)}, ${v.p85[i]?.toFixed(3)}]`)]),
  );
  files.push(
    writeReport(out, {
      title: 'Batch normalization versus none',
      setup: `Mode ${mode}. 784-${cfg.width}-${cfg.width}-${cfg.width}-10, each hidden block Dense -> [BatchNorm] -> sigmoid, SGD lr 0.5, batch ${batchSize}, ${cfg.epochs} epoch(s) on ${train.n} embedded MNIST digits; checkpoints every ${every} steps on ${test.n} test digits. The sigmoid input is read through a probe model sharing the weights by name (see the top of batch-norm.mjs).`,
      tables: [{ title: 'Checkpoints', markdown: table }],
      notes: `First checkpoint with test accuracy >= 80% / >= 90%: ${variants.map((v) => `${v.label} step ${reach(v, 0.8) ?? 'never'} / ${reach(v, 0.9) ?? 'never'}`).join(', ')}. Final test accuracy: ${variants.map((v) => `${v.label} ${(100 * v.accuracy[v.accuracy.length - 1]).toFixed(2)}%`).join(', ')}. Movement of the median sigmoid input over the second half of training: ${variants.map((v) => `${v.label} ${drift(v).toFixed(3)}`).join(', ')}.`,
      figures: files,
    }),
  );
  return { summary, files };
}

await mainIfScript(import.meta.url, run);
