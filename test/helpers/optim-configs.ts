// Optimizer configurations covering every branch of every optim kernel (test/optim.test.ts,
// test/optim-multi.test.ts).
import type { OptimizerKind, OptimizerOptions } from '../../lib/kernels/optim';

export const CONFIGS: { kind: OptimizerKind; options: OptimizerOptions }[] = [
  { kind: 'sgd', options: { lr: 0.1 } },
  { kind: 'sgd', options: { lr: 0.1, momentum: 0.9, dampening: 0.3, weightDecay: 0.01 } },
  { kind: 'sgd', options: { lr: 0.1, momentum: 0.8, nesterov: true, l1: 0.02 } },
  { kind: 'adagrad', options: { lr: 0.1, lrDecay: 0.05, initialAccumulatorValue: 0.2, weightDecay: 0.01 } },
  { kind: 'rmsprop', options: { lr: 0.01, alpha: 0.9 } },
  { kind: 'rmsprop', options: { lr: 0.01, alpha: 0.9, momentum: 0.5, centered: true, weightDecay: 0.02 } },
  { kind: 'adam', options: { lr: 0.01, betas: [0.8, 0.99], amsgrad: true, weightDecay: 0.01 } },
  { kind: 'adam', options: { lr: 0.01, l1: 0.01 } },
  { kind: 'adamw', options: { lr: 0.01, weightDecay: 0.1, amsgrad: true, l1: 0.01 } },
  { kind: 'adamax', options: { lr: 0.01, betas: [0.85, 0.95], weightDecay: 0.01 } },
  { kind: 'adadelta', options: { lr: 0.5, rho: 0.8, weightDecay: 0.01 } },
];
