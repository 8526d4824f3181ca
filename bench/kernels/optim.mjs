// Fused optimizer step throughput on a 2048x2048 parameter buffer, per kind,
// next to a plain copy of the same number of bytes measured in the same run.
//
// Bytes of a step = (param read + written) + grad read + (each state read + written).
// The copy moves a buffer of half that size (read once, written once), so both
// figures count the same traffic. The steps are memory-bound: the target is
// to stay within 1.5x of the copy. Measured with benchmark.js through bench/lib/report.mjs.
//
// Usage: node bench/kernels/optim.mjs [--threads N] [--json]   (after `npm run build:ts`)
import { createRequire } from 'module';
import { runFamily, runIfMain } from '../lib/report.mjs';

const require = createRequire(import.meta.url);
const { kernels } = require('../../dist/index.js');
const { native } = require('../../dist/binding.js');

const N = 2048 * 2048;

const CONFIGS = [
  { name: 'sgd', kind: 'sgd', options: { lr: 0.01 } },
  { name: 'sgd_momentum', kind: 'sgd', options: { lr: 0.01, momentum: 0.9 } },
  { name: 'sgd_nesterov_l2', kind: 'sgd', options: { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-4 } },
  { name: 'adagrad', kind: 'adagrad', options: { lr: 0.01 } },
  { name: 'rmsprop', kind: 'rmsprop', options: { lr: 0.01 } },
  { name: 'rmsprop_centered_momentum', kind: 'rmsprop', options: { lr: 0.01, momentum: 0.9, centered: true } },
  { name: 'adam', kind: 'adam', options: { lr: 0.001 } },
  { name: 'adam_amsgrad', kind: 'adam', options: { lr: 0.001, amsgrad: true } },
  { name: 'adamw', kind: 'adamw', options: { lr: 0.001, weightDecay: 0.01 } },
  { name: 'adamax', kind: 'adamax', options: { lr: 0.002 } },
  { name: 'adadelta', kind: 'adadelta', options: { lr: 1.0 } },
];

export function cases() {
  const grad = new Float32Array(N);
  for (let i = 0; i < N; i++) grad[i] = Math.sin(i) * 1e-3;
  const status = new Float32Array(1);
  const list = [];
  for (const config of CONFIGS) {
    const param = new Float32Array(N).fill(0.5);
    const hp = kernels.optimHyper(config.kind, config.options);
    hp[kernels.OPTIM_HP.t] = 2; // past the first step, so the state is read too
    const state = kernels.createOptimState(config.kind, hp, N);
    for (const s of state) s?.fill(0.25);
    const states = state.filter((s) => s !== null).length;
    const bytes = N * (2 + 1 + 2 * states) * 4;
    list.push({ kernel: `optim_step_${config.name}`, bytes, fn: () => kernels.optimStep(config.kind, param, grad, state, hp, status) });
  }
  // A whole model's update: one optim_step per buffer against one optim_step_multi over all of them
  // (bench:mnist's small with Adam, dropout with SGD momentum), same buffers, same run.
  for (const [model, kind, options, shapes] of [
    ['small', 'adam', { lr: 0.001 }, [784 * 256, 256, 256 * 128, 128, 128 * 10, 10]],
    ['dropout', 'sgd', { lr: 0.01, momentum: 0.9 }, [784 * 2048, 2048, 2048 * 2048, 2048, 2048 * 2048, 2048, 2048 * 10, 10]],
  ]) {
    const hp = kernels.optimHyper(kind, options);
    hp[kernels.OPTIM_HP.t] = 2;
    const hps = new Float64Array(8 * shapes.length);
    const ts = shapes.map((n, i) => {
      hps.set(hp, 8 * i);
      const state = kernels.createOptimState(kind, hp, n).map((s) => s?.fill(0.25) ?? null);
      return { param: new Float32Array(n).fill(0.5), grad: new Float32Array(n).fill(1e-3), state, hp: hps.subarray(8 * i, 8 * i + 8) };
    });
    const states = ts[0].state.filter((s) => s !== null).length;
    const bytes = shapes.reduce((a, n) => a + n, 0) * (2 + 1 + 2 * states) * 4;
    const slot = (k) => ts.map((t) => t.state[k]);
    const params = ts.map((t) => t.param), grads = ts.map((t) => t.grad), s1 = slot(0), s2 = slot(1), s3 = slot(2);
    list.push({ kernel: `optim_model_${model}_per_tensor`, bytes, fn: () => { for (const t of ts) native.ops.optim_step(kind, t.param, t.grad, t.state[0], t.state[1], t.state[2], t.hp, status); } });
    list.push({ kernel: `optim_model_${model}_multi`, bytes, fn: () => native.ops.optim_step_multi(kind, params, grads, s1, s2, s3, hps, status) });
  }
  // Clipping: one read pass for the norm, one read+write pass to scale.
  const g = new Float32Array(N).fill(1e-3);
  const out = new Float32Array(1);
  list.push({ kernel: 'clip_grad_norm', bytes: N * 4 * 3, fn: () => kernels.clipGradNorm([g], 1e-9, out) }); // always scales
  return list;
}

export function run({ threads, json = false } = {}) {
  return runFamily({ bench: 'optim', shape: [2048, 2048], cases, threads, json });
}

await runIfMain(import.meta.url, run);
