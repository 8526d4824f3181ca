// bench:mnist's MLPs (bench/mnist.mjs buildModel) as [layers, optimizer] factories, for the step
// profiler (bench/mlp-profile.mjs) and the lever A/B (bench/mlp-ab.mjs):
//   small    784-256-128-10 ReLU, Adam
//   bn       784-512-BN-ReLU-512-BN-ReLU-10, Adam
//   dropout  784-2048x3-10 ReLU, dropout 0.5 after each hidden layer, SGD momentum 0.9
export function mlpModels(gw) {
  const { Dense, Dropout, BatchNorm, Activation, Adam, SGD } = gw;
  return {
    small: () => [[new Dense({ units: 256, activation: 'relu', inputShape: [784] }), new Dense({ units: 128, activation: 'relu' }), new Dense({ units: 10 })], new Adam({ lr: 1e-3 })],
    bn: () => [[
      new Dense({ units: 512, inputShape: [784] }), new BatchNorm(), new Activation('relu'),
      new Dense({ units: 512 }), new BatchNorm(), new Activation('relu'),
      new Dense({ units: 10 }),
    ], new Adam({ lr: 1e-3 })],
    dropout: () => [[
      new Dense({ units: 2048, activation: 'relu', inputShape: [784] }), new Dropout(0.5),
      new Dense({ units: 2048, activation: 'relu' }), new Dropout(0.5),
      new Dense({ units: 2048, activation: 'relu' }), new Dropout(0.5),
      new Dense({ units: 10 }),
    ], new SGD({ lr: 0.01, momentum: 0.9 })],
  };
}
