// Models covering every layer kind and activation, shared by the PyTorch and ONNX
// interop tests. Each has random weights, including BatchNorm running statistics and
// norm affine parameters (so an export that ignored them would differ).
import { Activation, AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, Flatten, GlobalAveragePooling2D, GroupNorm, InstanceNorm, LayerNorm, MaxPool2D, Reshape, Sequential, Tensor } from '../../lib';
import type { Layer } from '../../lib';
import { ACTIVATION_KINDS } from '../../lib/kinds';
import { rng } from './isa';

export interface InteropCase {
  name: string;
  /** The layer kind the case is about, for the per-kind difference table. */
  kind: string;
  inputShape: number[];
  layers: () => Layer[];
}

/** Every activation kind (the native list, so a new kind is exported and checked or fails here) and the softmax kinds. */
const ACTIVATIONS: string[] = [...ACTIVATION_KINDS, 'softmax', 'log_softmax'];

export function interopCases(): InteropCase[] {
  const cases: InteropCase[] = [];
  for (const a of ACTIVATIONS) {
    cases.push({ name: `activation-${a}`, kind: `Activation(${a})`, inputShape: [5], layers: () => [new Dense({ units: 6, inputShape: [5] }), new Activation(a), new Dense({ units: 3 })] });
  }
  cases.push(
    { name: 'activation-leakyRelu-0.2', kind: 'Activation(leaky_relu)', inputShape: [5], layers: () => [new Dense({ units: 6, inputShape: [5] }), new Activation('leakyRelu', { alpha: 0.2 }), new Dense({ units: 3 })] },
    { name: 'activation-elu-0.7', kind: 'Activation(elu)', inputShape: [5], layers: () => [new Dense({ units: 6, inputShape: [5] }), new Activation('elu', { alpha: 0.7 }), new Dense({ units: 3 })] },
    { name: 'dense-fused', kind: 'Dense', inputShape: [5], layers: () => [new Dense({ units: 7, activation: 'relu', inputShape: [5] }), new Dense({ units: 6, activation: 'tanh' }), new Dense({ units: 4, useBias: false }), new Dense({ units: 3, activation: 'softmax' })] },
    { name: 'dense-deep', kind: 'Dense', inputShape: [20], layers: () => [new Dense({ units: 32, activation: 'gelu', inputShape: [20] }), new Dense({ units: 16, activation: 'silu' }), new Dense({ units: 10, activation: 'logSoftmax' })] },
    { name: 'batchnorm', kind: 'BatchNorm', inputShape: [5], layers: () => [new Dense({ units: 8, inputShape: [5] }), new BatchNorm(), new Activation('relu'), new Dense({ units: 3 })] },
    { name: 'batchnorm-noaffine', kind: 'BatchNorm', inputShape: [5], layers: () => [new Dense({ units: 8, inputShape: [5] }), new BatchNorm({ affine: false, eps: 1e-3, momentum: 0.2 }), new Dense({ units: 3 })] },
    { name: 'batchnorm-CL', kind: 'BatchNorm', inputShape: [5], layers: () => [new Dense({ units: 12, inputShape: [5] }), new Reshape({ targetShape: [3, 4] }), new BatchNorm(), new Flatten(), new Dense({ units: 2 })] },
    { name: 'layernorm', kind: 'LayerNorm', inputShape: [5], layers: () => [new Dense({ units: 8, inputShape: [5] }), new LayerNorm(), new Dense({ units: 3 })] },
    { name: 'layernorm-noaffine', kind: 'LayerNorm', inputShape: [5], layers: () => [new Dense({ units: 8, inputShape: [5] }), new LayerNorm({ affine: false, eps: 1e-3 }), new Dense({ units: 3 })] },
    { name: 'layernorm-CL', kind: 'LayerNorm', inputShape: [5], layers: () => [new Dense({ units: 12, inputShape: [5] }), new Reshape({ targetShape: [3, 4] }), new LayerNorm(), new Flatten(), new Dense({ units: 2 })] },
    { name: 'groupnorm', kind: 'GroupNorm', inputShape: [5], layers: () => [new Dense({ units: 8, inputShape: [5] }), new GroupNorm({ groups: 2 }), new Dense({ units: 3 })] },
    { name: 'groupnorm-CL', kind: 'GroupNorm', inputShape: [5], layers: () => [new Dense({ units: 12, inputShape: [5] }), new Reshape({ targetShape: [4, 3] }), new GroupNorm({ groups: 2, eps: 1e-4 }), new Flatten(), new Dense({ units: 2 })] },
    { name: 'groupnorm-noaffine', kind: 'GroupNorm', inputShape: [5], layers: () => [new Dense({ units: 8, inputShape: [5] }), new GroupNorm({ groups: 4, affine: false }), new Dense({ units: 3 })] },
    { name: 'instancenorm-CL', kind: 'InstanceNorm', inputShape: [5], layers: () => [new Dense({ units: 12, inputShape: [5] }), new Reshape({ targetShape: [3, 4] }), new InstanceNorm(), new Flatten(), new Dense({ units: 2 })] },
    { name: 'dropout', kind: 'Dropout', inputShape: [5], layers: () => [new Dense({ units: 8, inputShape: [5] }), new Dropout(0.5), new Dense({ units: 3 })] },
    { name: 'flatten-reshape', kind: 'Flatten/Reshape', inputShape: [2, 3], layers: () => [new Flatten({ inputShape: [2, 3] }), new Dense({ units: 12 }), new Reshape({ targetShape: [2, 6] }), new Reshape({ targetShape: [12] }), new Dense({ units: 3 })] },
    // Convolution and pooling on NCHW maps.
    { name: 'conv-pool', kind: 'Conv2D', inputShape: [64], layers: () => [new Reshape({ targetShape: [1, 8, 8], inputShape: [64] }), new Conv2D({ filters: 4, kernelSize: 3, padding: 1, activation: 'relu' }),
      new MaxPool2D(), new Conv2D({ filters: 6, kernelSize: [3, 2], strides: [1, 2], groups: 2, activation: 'tanh' }), new Flatten(), new Dense({ units: 3 })] },
    { name: 'conv-same-dilated', kind: 'Conv2D', inputShape: [2, 9, 9], layers: () => [new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', dilation: 2, useBias: false, inputShape: [2, 9, 9] }),
      new Conv2D({ filters: 4, kernelSize: 3, strides: 2, groups: 4, activation: 'gelu' }), new Flatten(), new Dense({ units: 2 })] },
    { name: 'maxpool-padded', kind: 'MaxPool2D', inputShape: [3, 7, 7], layers: () => [new MaxPool2D({ poolSize: 3, strides: 2, padding: 1, inputShape: [3, 7, 7] }), new MaxPool2D({ poolSize: [2, 3], strides: [1, 2] }), new Flatten(), new Dense({ units: 2 })] },
    { name: 'avgpool-include-pad', kind: 'AvgPool2D', inputShape: [3, 7, 7], layers: () => [new AvgPool2D({ poolSize: 3, strides: 2, padding: 1, inputShape: [3, 7, 7] }), new AvgPool2D({ poolSize: 2, strides: 1 }), new Flatten(), new Dense({ units: 2 })] },
    { name: 'avgpool-exclude-pad', kind: 'AvgPool2D', inputShape: [3, 7, 7], layers: () => [new AvgPool2D({ poolSize: 3, strides: 1, padding: 'same', countIncludePad: false, inputShape: [3, 7, 7] }), new Flatten(), new Dense({ units: 2 })] },
    { name: 'global-avg-pool', kind: 'GlobalAveragePooling2D', inputShape: [2, 6, 5], layers: () => [new Conv2D({ filters: 5, kernelSize: 3, activation: 'silu', inputShape: [2, 6, 5] }), new GlobalAveragePooling2D(), new Dense({ units: 3, activation: 'softmax' })] },
    { name: 'batchnorm-2d', kind: 'BatchNorm', inputShape: [2, 6, 6], layers: () => [new Conv2D({ filters: 4, kernelSize: 3, inputShape: [2, 6, 6] }), new BatchNorm(), new Activation('relu'), new Flatten(), new Dense({ units: 2 })] },
    { name: 'groupnorm-2d', kind: 'GroupNorm', inputShape: [2, 6, 6], layers: () => [new Conv2D({ filters: 4, kernelSize: 3, inputShape: [2, 6, 6] }), new GroupNorm({ groups: 2 }), new Flatten(), new Dense({ units: 2 })] },
    { name: 'layernorm-2d', kind: 'LayerNorm', inputShape: [2, 6, 6], layers: () => [new Conv2D({ filters: 4, kernelSize: 3, inputShape: [2, 6, 6] }), new LayerNorm(), new Flatten(), new Dense({ units: 2 })] },
    { name: 'instancenorm-2d', kind: 'InstanceNorm', inputShape: [2, 6, 6], layers: () => [new Conv2D({ filters: 4, kernelSize: 3, inputShape: [2, 6, 6] }), new InstanceNorm({ affine: true }), new Flatten(), new Dense({ units: 2 })] },
  );
  return cases;
}

/** The case's model, built, with random weights (a fixed seed per case). */
export function buildCase(c: InteropCase, seed = 1): Sequential {
  const model = new Sequential(c.layers(), { seed, name: c.name });
  model.build(c.inputShape);
  const r = rng(seed * 7919 + c.name.length);
  const w = model.getWeights();
  for (const [k, v] of w) {
    for (let i = 0; i < v.length; i++) {
      const u = r();
      if (k.endsWith('.running_var')) v[i] = 0.5 + 1.5 * u;
      else if (k.endsWith('.running_mean') || k.endsWith('.beta')) v[i] = (u - 0.5) * 0.8;
      else if (k.endsWith('.gamma')) v[i] = 0.5 + u;
      else if (k.endsWith('.bias')) v[i] = (u - 0.5) * 0.4;
      else v[i] = v[i] * 1.5; // kernels: the initializer's values, a little larger
    }
  }
  model.setWeights(w);
  return model;
}

/** Random inputs for the case: n samples, values of about unit size (some large, for the saturating activations). */
export function caseInput(c: InteropCase, n = 7, seed = 3): Tensor {
  const r = rng(seed);
  const size = c.inputShape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n * size).map(() => (r() - 0.5) * 4);
  return new Tensor(data, [n, ...c.inputShape]);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths ${a.length} and ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}
