// Type-level test of the public declarations (compiled by test/types.test.ts
// against dist/*.d.ts). Typical usage must compile; each @ts-expect-error line
// is a wrong usage that must NOT compile (tsc fails if it does).
import * as gw from 'gradwell';
import { Adam, Dense, Dropout, EarlyStopping, Sequential, Tensor, loadModel, type History } from 'gradwell';

async function typical(): Promise<void> {
  const model = new Sequential([
    new Dense({ units: 64, activation: 'relu', inputShape: [784], kernelRegularizer: gw.regularizers.l2(1e-4) }),
    new Dropout(0.5),
    new gw.BatchNorm({ momentum: 0.1 }),
    new Dense({ units: 10 }),
  ]);
  model.compile({ optimizer: new Adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  model.compile({ optimizer: 'sgd', loss: 'mse', clipNorm: 1 });
  const x = new Tensor(new Float32Array(784 * 2), [2, 784]);
  const y = new Int32Array([1, 2]);
  const history: History = await model.fit(x, y, {
    epochs: 2,
    batchSize: 32,
    validationSplit: 0.2,
    callbacks: [new EarlyStopping({ monitor: 'valLoss', patience: 2, restoreBestWeights: true }), { onEpochEnd: (epoch, logs) => void logs.loss }],
    signal: new AbortController().signal,
    seed: 1,
    verbose: 1,
  });
  const losses: number[] = history.history.loss;
  void losses;
  const compact = { data: new Uint8Array(784 * 2), shape: [2, 784], scale: 1 / 255 };
  await model.fit(compact, y);
  const out: Tensor = await model.predict(x);
  const metrics: Record<string, number> = await model.evaluate(x, y);
  await model.save('/tmp/m');
  const loaded: Sequential = await loadModel('/tmp/m');
  const sd: Map<string, gw.StateTensor> = loaded.stateDict({ layout: 'torch' });
  loaded.loadStateDict(sd);
  await loaded.saveStateDict('/tmp/w.safetensors');
  await loaded.loadStateDictFile('/tmp/w.safetensors', { layout: 'torch' });
  const code: string = loaded.torchSequentialCode();
  const onnxOptions: gw.OnnxExportOptions = { opset: gw.ONNX_OPSETS.default };
  await loaded.exportOnnx('/tmp/m.onnx', onnxOptions);
  void code;
  const info: gw.BackendInfo = gw.backend();
  gw.setNumThreads(2);
  void out, metrics, loaded, info;
}

async function wrong(): Promise<void> {
  // @ts-expect-error the layout is 'torch' or 'gradwell'
  new Sequential().stateDict({ layout: 'keras' });
  // @ts-expect-error the opset is a number
  await new Sequential().exportOnnx('/tmp/m.onnx', { opset: '17' });
  const model = new Sequential();
  // @ts-expect-error units is required
  new Dense({ activation: 'relu' });
  // @ts-expect-error units must be a number
  new Dense({ units: '64' });
  // @ts-expect-error loss is required
  model.compile({ optimizer: 'adam' });
  // @ts-expect-error epochs must be a number
  await model.fit(new Tensor(new Float32Array(4), [2, 2]), new Int32Array(2), { epochs: '3' });
  // @ts-expect-error x must be a Tensor or compact data, not a plain array
  await model.fit([[1, 2]], new Int32Array(1));
  // @ts-expect-error verbose is 0 or 1
  await model.fit(new Tensor(new Float32Array(4), [2, 2]), new Int32Array(2), { verbose: 'yes' });
  // @ts-expect-error predict returns a Promise<Tensor>, not a Tensor
  const t: Tensor = model.predict(new Tensor(new Float32Array(4), [2, 2]));
  // @ts-expect-error Tensor data must be a Float32Array
  new Tensor([1, 2, 3], [3]);
  void t;
}

// The README's training example, verbatim inside a function.
async function readmeExample(): Promise<void> {
  const { Activation, BatchNorm, LearningRateScheduler, schedules, regularizers, fashionMnist, diagnose } = gw;
  const { train, test } = await fashionMnist();
  const model = new Sequential([
    new Dense({ units: 256, inputShape: [784], kernelRegularizer: regularizers.l2(1e-4) }),
    new BatchNorm(),
    new Activation('relu'),
    new Dropout(0.3),
    new Dense({ units: 128, activation: 'relu' }),
    new Dense({ units: 10 }),
  ], { seed: 42 });
  model.compile({ optimizer: new Adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  model.summary();
  const controller = new AbortController();
  const history = await model.fit(train, {
    epochs: 20, batchSize: 128, validationSplit: 0.1, seed: 1, verbose: 1, signal: controller.signal,
    diagnostics: true,
    callbacks: [
      new EarlyStopping({ monitor: 'valLoss', patience: 3, restoreBestWeights: true }),
      new LearningRateScheduler(schedules.getSchedule('cosine', { tMax: 20 })),
    ],
  });
  console.log(history.history.valAccuracy, diagnose(history).report);
  console.log(await model.evaluate(test));
  const probabilities: Tensor = await model.predict(test);
  await model.save('fashion-model');
  const again = await loadModel('fashion-model');
  void probabilities, again;
}

void readmeExample;
void typical;
void wrong;
