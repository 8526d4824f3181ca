// (e) L2 regularization strength on a 2-D two-class problem (noisy moons, few samples):
// decision boundaries of a 2-128-128-2 ReLU network for lambda = 0, 0.001, 0.01, 0.1 (Keras
// convention: the loss gains lambda * sum(w^2) over every kernel).
import { gw, settings, figure, mdTable, writeReport, mainIfScript } from './common.mjs';

export const name = 'l2-boundaries';

export async function run(opts = {}) {
  const { mode, out, formats, pick } = settings({ ...opts, name });
  const cfg = pick({
    tiny: { nTrain: 100, epochs: 20, grid: 24 },
    quick: { nTrain: 200, epochs: 300, grid: 60 },
    full: { nTrain: 200, epochs: 1500, grid: 90 },
  });
  const strengths = [0, 0.001, 0.01, 0.1];
  const train = gw.moons({ n: cfg.nTrain, noise: 0.3, seed: 1 });
  const test = gw.moons({ n: 2000, noise: 0.3, seed: 2 });
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < train.n; i++) {
    x0 = Math.min(x0, train.x[2 * i]);
    x1 = Math.max(x1, train.x[2 * i]);
    y0 = Math.min(y0, train.x[2 * i + 1]);
    y1 = Math.max(y1, train.x[2 * i + 1]);
  }
  [x0, x1, y0, y1] = [x0 - 0.4, x1 + 0.4, y0 - 0.4, y1 + 0.4];
  const n = cfg.grid;
  const gridX = new Float32Array(n * n * 2);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      gridX[2 * (j * n + i)] = x0 + ((i + 0.5) * (x1 - x0)) / n;
      gridX[2 * (j * n + i) + 1] = y0 + ((j + 0.5) * (y1 - y0)) / n;
    }
  }
  const rows = [];
  const panels = [];
  for (const l2 of strengths) {
    const reg = l2 > 0 ? { l2 } : null;
    const m = new gw.Sequential(
      [
        new gw.Dense({ units: 128, activation: 'relu', inputShape: [2], kernelRegularizer: reg }),
        new gw.Dense({ units: 128, activation: 'relu', kernelRegularizer: reg }),
        new gw.Dense({ units: 2, activation: 'softmax', kernelRegularizer: reg }),
      ],
      { seed: 8 },
    );
    m.compile({ optimizer: new gw.Adam({ lr: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const h = await m.fit(new gw.Tensor(train.x, [train.n, 2]), train.y, { epochs: cfg.epochs, batchSize: 32, seed: 1 });
    const testAcc = (await m.evaluate(new gw.Tensor(test.x, [test.n, 2]), test.y)).accuracy;
    const probs = await m.predict(new gw.Tensor(gridX, [n * n, 2]));
    const p = Float32Array.from({ length: n * n }, (_, k) => probs.data[2 * k + 1]);
    let sq = 0;
    for (const [k, v] of m.getWeights()) if (k.endsWith('.kernel')) for (const w of v) sq += w * w;
    rows.push({ l2, trainAccuracy: h.history.accuracy[h.history.accuracy.length - 1], testAccuracy: testAcc, kernelNorm: Math.sqrt(sq) });
    panels.push({
      title: l2 === 0 ? 'no L2' : `L2 ${l2}`,
      grid: { x0, x1, y0, y1, nx: n, ny: n, p },
      points: { x: Array.from({ length: train.n }, (_, i) => train.x[2 * i]), y: Array.from({ length: train.n }, (_, i) => train.x[2 * i + 1]), label: train.y },
    });
  }
  const files = await figure('plotScatterBoundary', { title: `Decision boundaries on noisy moons (${train.n} training points), 2-128-128-2 ReLU`, panels, size: 230 }, out, 'boundaries', formats);
  files.push(
    writeReport(out, {
      title: 'L2 strength and decision boundaries',
      setup: `Mode ${mode}. moons({ n: ${train.n}, noise: 0.3 }), 2-128-128-2 ReLU + softmax, L2 on every kernel, Adam lr 0.01, batch 32, ${cfg.epochs} epochs; test on 2000 fresh points.`,
      tables: [
        {
          title: 'Results',
          markdown: mdTable(['L2', 'training accuracy', 'test accuracy', '||kernels||_2'], rows.map((r) => [r.l2, `${(100 * r.trainAccuracy).toFixed(1)}%`, `${(100 * r.testAccuracy).toFixed(1)}%`, r.kernelNorm.toFixed(2)])),
        },
      ],
      figures: files,
    }),
  );
  return { summary: { rows }, files };
}

await mainIfScript(import.meta.url, run);
