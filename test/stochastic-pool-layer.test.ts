// StochasticPool2D (Zeiler & Fergus 2013) as a layer: inference is the probability-weighted average
// (checked against plain JavaScript), training draws with the layer's (seed, stream = layer index,
// step) key (checked against the op run with that key), the gradient reaches the layer before it
// through the drawn element (an SGD step on a 1x1 conv checked by hand), every step draws anew, and
// the layer saves and loads.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Conv2D, Flatten, SGD, Sequential, StochasticPool2D, Tensor, kernels, loadModel } from '../lib';

const [C, H, W] = [2, 6, 6];
const N = 3;
const nIn = C * H * W;

function input(seed: number): Float32Array {
  // ReLU-like values: some zero, mostly positive, one window all zero.
  let s = seed;
  const x = Float32Array.from({ length: N * nIn }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    const u = s / 2147483648;
    return u < 0.25 ? 0 : u * 2;
  });
  x[0] = x[1] = x[W] = x[W + 1] = 0;
  return x;
}

function refEval(x: Float32Array, k: number): Float64Array {
  const [oh, ow] = [H / k, W / k];
  const y = new Float64Array(N * C * oh * ow);
  let o = 0;
  for (let p = 0; p < N * C; p++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    let s1 = 0, s2 = 0;
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) {
      const v = Math.max(0, x[p * H * W + (i * k + a) * W + j * k + b]);
      s1 += v;
      s2 += v * v;
    }
    y[o++] = s1 > 0 ? s2 / s1 : 0;
  }
  return y;
}

function drawn(layer: StochasticPool2D, x: Float32Array, channels: number, stream: number, step: number) {
  const n = N * channels * (H / 2) * (W / 2);
  const y = new Float32Array(n), choice = new Int32Array(n);
  kernels.stochasticPool2dForwardTrain({ N, C: channels, H, W, kh: 2, kw: 2, sh: 2, sw: 2, x, y, choice, key: { seed: layer.rngState[0], stream, step } });
  return { y, choice };
}

describe('StochasticPool2D layer', () => {
  it('predicts the probability-weighted average sum(a^2)/sum(a) of each window', async () => {
    const m = new Sequential([new StochasticPool2D({ poolSize: 2, inputShape: [C, H, W] }), new Flatten()], { seed: 1 });
    const x = input(7);
    const out = await m.predict(new Tensor(x, [N, C, H, W]));
    const ref = refEval(x, 2);
    expect(out.shape).toEqual([N, C * 9]);
    for (let i = 0; i < ref.length; i++) expect(out.data[i]).toBeCloseTo(ref[i], 5);
    expect(out.data[0]).toBe(0); // the all-zero window
  });

  it('trains with draws keyed by (seed, layer index, step), new ones every step, and routes the gradient to the drawn element', async () => {
    const conv = new Conv2D({ filters: 1, kernelSize: 1, useBias: false, kernelInitializer: { className: 'Constant', config: { value: 0.5 } }, inputShape: [1, H, W] });
    const pool = new StochasticPool2D({ poolSize: 2 });
    const m = new Sequential([conv, pool, new Flatten()], { seed: 3 });
    const lr = 0.1;
    m.compile({ optimizer: new SGD({ lr }), loss: 'mse' });
    m.build([1, H, W]); // draws the layer's seed
    const x = input(11).subarray(0, N * H * W);
    const xs = new Tensor(Float32Array.from(x), [N, 1, H, W]);
    const target = new Float32Array(N * 9);
    const choices: Int32Array[] = [];
    let w = 0.5;
    for (let step = 1; step <= 2; step++) {
      // What the program must draw: the op on the conv's output (w * x, exact for w = 0.5 at step 1) with the layer's key.
      const cx = Float32Array.from(x, (v) => Math.fround(w * v));
      const { y, choice } = drawn(pool, cx, 1, 1, step);
      choices.push(choice);
      const loss = (await m.trainOnBatch(xs, new Tensor(target, [N, 9]))).loss;
      const n = y.length;
      expect(loss).toBeCloseTo(y.reduce((s, v) => s + v * v, 0) / n, 6);
      // d loss / d w = (2/n) sum_o y_o * x[choice_o] (y = w * x[choice]); SGD: w -= lr * grad.
      let grad = 0;
      for (let o = 0; o < n; o++) {
        if (choice[o] < 0) continue;
        const plane = Math.floor(o / 9);
        grad += (2 / n) * y[o] * x[plane * H * W + choice[o]];
      }
      w -= lr * grad;
      expect(m.getWeights().get(`${conv.name}.kernel`)![0]).toBeCloseTo(w, 5);
      if (step === 1) expect(pool.rngState[2]).toBe(1);
    }
    expect(choices[0]).not.toEqual(choices[1]);
  });

  it('saves and loads (config and predictions)', async () => {
    const m = new Sequential([new StochasticPool2D({ poolSize: 3, strides: 2, padding: 1, inputShape: [C, H, W] }), new Flatten()], { seed: 5 });
    m.build([C, H, W]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-stochpool-'));
    try {
      await m.save(dir);
      const again = await loadModel(dir);
      expect(again.layers[0].getConfig()).toEqual(m.layers[0].getConfig());
      const xs = new Tensor(input(2), [N, C, H, W]);
      expect((await again.predict(xs)).data).toEqual((await m.predict(xs)).data);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad options naming the layer', () => {
    expect(() => new StochasticPool2D({ poolSize: 0 })).toThrow(/StochasticPool2D.*poolSize/);
    const m = new Sequential([new StochasticPool2D({ poolSize: 4, padding: 3, inputShape: [1, 5, 5] })]);
    expect(() => m.build([1, 5, 5])).toThrow(/StochasticPool2D .*padding \[3,3\] must be at most half the poolSize/);
  });
});
