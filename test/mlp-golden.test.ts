// The mlp.json golden cases end to end through the public API: weights set
// from the fixture, three training steps, losses, gradients, parameters and
// batch-norm running statistics compared with PyTorch.
import { describe, expect, it } from 'vitest';
import { Activation, Adam, BatchNorm, Dense, SGD, Sequential, Tensor, type Optimizer } from '../lib';
import { caseHandler, expectClose, f32, i32, loadGolden, type GoldenCase } from './helpers/golden';

const file = loadGolden('mlp.json');

interface LayerSpec {
  name?: string;
  type: string;
  in?: number;
  out?: number;
  features?: number;
  momentum?: number;
  eps?: number;
}

/** PyTorch names of the fixture -> gradwell weight names. */
function buildModel(arch: LayerSpec[]): { model: Sequential; names: Map<string, string> } {
  const names = new Map<string, string>();
  const model = new Sequential([], { seed: 1 });
  let unnamed = 0;
  for (const spec of arch) {
    switch (spec.type) {
      case 'Linear':
        model.add(new Dense({ units: spec.out!, name: spec.name }));
        names.set(`${spec.name}.weight_T`, `${spec.name}.kernel`);
        names.set(`${spec.name}.bias`, `${spec.name}.bias`);
        break;
      case 'BatchNorm1d':
        model.add(new BatchNorm({ momentum: spec.momentum, eps: spec.eps, name: spec.name }));
        names.set(`${spec.name}.weight`, `${spec.name}.gamma`);
        names.set(`${spec.name}.bias`, `${spec.name}.beta`);
        names.set(`${spec.name}.running_mean`, `${spec.name}.running_mean`);
        names.set(`${spec.name}.running_var`, `${spec.name}.running_var`);
        break;
      case 'ReLU':
        model.add(new Activation('relu', { name: `act_${++unnamed}` }));
        break;
      case 'Tanh':
        model.add(new Activation('tanh', { name: `act_${++unnamed}` }));
        break;
      default:
        throw new Error(`mlp golden: unrecognised layer type '${spec.type}'`);
    }
  }
  return { model, names };
}

function optimizerFor(c: GoldenCase): Optimizer {
  const name = c.attrs.optimizer as string;
  const hp = c.attrs.hyperparams as Record<string, number | number[]>;
  const known = new Set(['lr', 'momentum', 'betas', 'eps', 'weight_decay']);
  for (const k of Object.keys(hp)) if (!known.has(k)) throw new Error(`mlp golden: unrecognised hyper-parameter '${k}'`);
  if (name === 'SGD') return new SGD({ lr: hp.lr as number, momentum: (hp.momentum as number) ?? 0, weightDecay: (hp.weight_decay as number) ?? 0 });
  if (name === 'Adam') {
    const betas = (hp.betas as number[]) ?? [0.9, 0.999];
    return new Adam({ lr: hp.lr as number, beta1: betas[0], beta2: betas[1], eps: (hp.eps as number) ?? 1e-8, weightDecay: (hp.weight_decay as number) ?? 0 });
  }
  throw new Error(`mlp golden: unrecognised optimizer '${name}'`);
}

async function runCase(c: GoldenCase): Promise<void> {
  const { model, names } = buildModel(c.attrs.architecture as LayerSpec[]);
  const x = c.inputs.x;
  model.build([x.shape[1]]);
  model.compile({ optimizer: optimizerFor(c), loss: 'sparseCategoricalCrossentropy' });
  const weights = new Map<string, Float32Array>();
  for (const [torchName, ours] of names) weights.set(ours, f32(c.inputs[torchName]));
  model.setWeights(weights);

  const xs = new Tensor(f32(x), x.shape);
  const labels = i32(c.inputs.labels);
  const steps = c.attrs.steps as number;
  const losses: number[] = [];
  for (let t = 0; t < steps; t++) {
    losses.push((await model.trainOnBatch(xs, labels)).loss);
    if (t === 0) {
      for (const p of model.params()) {
        const torchName = [...names].find(([, ours]) => ours === p.name)![0];
        expectClose(p.grad, c.expected[`grad_step0.${torchName}`].data, c.tolerance, `${c.name}: grad of ${torchName}`);
      }
    }
  }
  expectClose(losses, c.expected.loss_before_step.data, c.tolerance, `${c.name}: loss_before_step`);
  const after = model.getWeights();
  for (const [torchName, ours] of names) {
    expectClose(after.get(ours)!, c.expected[torchName].data, c.tolerance, `${c.name}: ${torchName} after ${steps} steps`);
  }
}

describe('mlp.json end to end', () => {
  const handle = caseHandler({ mlp_train: () => undefined });
  for (const c of file.cases) {
    it(c.name, async () => {
      handle(c); // fails on an unrecognised op
      expect(c.op).toBe('mlp_train');
      await runCase(c);
    });
  }
});
