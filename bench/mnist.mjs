// Fashion-MNIST training benchmark: seconds per epoch, samples/s, test accuracy and peak RSS of
// three MLPs (and, with --model cnn, the MNIST CNN), optionally next to PyTorch and TensorFlow.js
// (wasm) in the same run.
//
//   npm run bench:mnist -- [--model small,dropout,bn,cnn] [--epochs N] [--threads T] [--json]
//                          [--compare] [--quick] [--limit B] [--data-dir DIR] [--steps-per-call N|auto]
//
// Models (batch 128, 60,000 training and 10,000 test images):
//   cnn      (not in the default list) input reshaped to 1x28x28, Conv2D 32 5x5 pad 2, ReLU, MaxPool 2,
//            Conv2D 64 5x5 pad 2, ReLU, MaxPool 2, Flatten, Dense 128 ReLU, Dense 10; He-normal weights,
//            zero biases; Adam lr 1e-3 (also: inference at batch 1000, and the fraction of this CPU's
//            peak FLOP/s, measured by bench/fma-peak.c, that the training and inference rates reach)
//   small    784-256-128-10 ReLU, Adam lr 1e-3 (also: inference samples/s at batch 1000, the fraction
//            of peak FLOP/s, and with --threads T > 1 a second run at 1 thread: the 1 -> T scaling)
//   dropout  784-2048-2048-2048-10 ReLU, dropout 0.5 after each hidden layer, SGD momentum 0.9 lr 0.01
//   bn       784-512-BN-ReLU-512-BN-ReLU-10, Adam lr 1e-3
//
// Every (framework, model) pair runs in its own child process, so each peak RSS
// (getrusage maxrss of that process) is that framework's alone. --compare adds
// PyTorch (bench/mnist-torch.py, the system python3 with torch) and TensorFlow.js
// (bench/mnist-tfjs.mjs, wasm backend, SIMD, 1 thread; it only trains on --tfjs-limit
// batches and extrapolates the epoch time; its accuracy is after those batches only)
// and prints gradwell/PyTorch ratios.
//
// --limit B trains on the first B*128 samples (every framework alike); --quick is
// --limit 40 --tfjs-limit 3 --epochs 1. --json prints one JSON object per line (train and
// inference records with framework, task, model, threads, epochSeconds, samplesPerSec,
// cpuSecondsPerEpoch, testAccuracy, peakRssMiB, ...; then train-scaling/inference-scaling records
// for small (scaling = samples/s at T threads over 1 thread) and gradwell/pytorch ratio records).
// PyTorch options: --torch-data uint8|float32 (default uint8: per-batch conversion, as gradwell;
// float32: converted once up front), --torch-init gradwell|torch (default: the same initializer
// distributions as gradwell), --torch-wait default,passive (libgomp wait policies to try; the
// faster run counts), --frameworks gradwell,pytorch,tfjs to pick frameworks, --python PATH.
// Wall time on a loaded machine mostly measures the scheduler: compare cpuSecondsPerEpoch at 1 thread too.
// The data set: datasets.fashionMnist() (Debian package dataset-fashion-mnist) or --data-dir.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measurePeakGflops, trainingFlops } from './lib/peak.mjs';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const gw = require('../dist/index.js');

const MODELS = ['small', 'dropout', 'bn'];
const ALL_MODELS = [...MODELS, 'cnn'];
const INFERENCE_MODELS = ['small', 'cnn'];
// The CNN's multiply-adds per sample (bench/lib/peak.mjs counts FLOPs from them).
const CNN_FLOPS = trainingFlops([
  { type: 'conv', c: 1, k: 32, kh: 5, kw: 5, oh: 28, ow: 28, groups: 1, first: true },
  { type: 'conv', c: 32, k: 64, kh: 5, kw: 5, oh: 14, ow: 14, groups: 1 },
  { type: 'dense', in: 64 * 7 * 7, out: 128 },
  { type: 'dense', in: 128, out: 10 },
]);
// small's (784-256-128-10): its rows get %peak too.
const SMALL_FLOPS = trainingFlops([
  { type: 'dense', in: 784, out: 256, first: true },
  { type: 'dense', in: 256, out: 128 },
  { type: 'dense', in: 128, out: 10 },
]);
const MODEL_FLOPS = { cnn: CNN_FLOPS, small: SMALL_FLOPS };
const BATCH = 128;
const INFER_BATCH = 1000;

const { values: opts } = parseArgs({
  options: {
    model: { type: 'string', default: MODELS.join(',') },
    epochs: { type: 'string', default: '1' },
    threads: { type: 'string', default: String(gw.backend().threads) },
    json: { type: 'boolean', default: false },
    compare: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    limit: { type: 'string', default: '0' },
    'tfjs-limit': { type: 'string', default: '10' },
    'data-dir': { type: 'string', default: gw.datasets.FASHION_MNIST_DEBIAN_DIR },
    frameworks: { type: 'string' },
    'torch-data': { type: 'string', default: 'uint8' },
    'torch-init': { type: 'string', default: 'gradwell' },
    'torch-wait': { type: 'string', default: 'default,passive' },
    'infer-passes': { type: 'string', default: '5' },
    python: { type: 'string', default: '/usr/bin/python3' },
    worker: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1234' },
    'steps-per-call': { type: 'string', default: 'auto' },
  },
});

const intOption = (name, min) => {
  const v = Number(opts[name]);
  if (!Number.isInteger(v) || v < min) {
    console.error(`bench:mnist: --${name} must be an integer >= ${min}, received '${opts[name]}'`);
    process.exit(2);
  }
  return v;
};
const epochs = opts.quick ? 1 : intOption('epochs', 1);
const threads = intOption('threads', 1);
const limit = opts.quick && opts.limit === '0' ? 40 : intOption('limit', 0);
const tfjsLimit = opts.quick && opts['tfjs-limit'] === '10' ? 3 : intOption('tfjs-limit', 1);
const inferPasses = intOption('infer-passes', 1);
const seed = intOption('seed', 0);
const stepsPerCall = opts['steps-per-call'] === 'auto' ? 'auto' : intOption('steps-per-call', 1);
const models = opts.model.split(',').filter(Boolean);
for (const m of models) {
  if (!ALL_MODELS.includes(m)) {
    console.error(`bench:mnist: unknown --model '${m}' (expected ${ALL_MODELS.join(', ')})`);
    process.exit(2);
  }
}

const maxRssMiB = () => process.resourceUsage().maxRSS / 1024; // KiB on Linux

// ------------------------------------------------------------------ worker: one model, gradwell

function buildModel(name) {
  const { Sequential, Dense, Dropout, BatchNorm, Adam, SGD } = gw;
  const m = new Sequential([], { seed });
  if (name === 'cnn') {
    const he = { kernelInitializer: 'heNormal' };
    m.add(new gw.Reshape({ targetShape: [1, 28, 28], inputShape: [784] }));
    m.add(new gw.Conv2D({ filters: 32, kernelSize: 5, padding: 2, activation: 'relu', ...he }));
    m.add(new gw.MaxPool2D({ poolSize: 2 }));
    m.add(new gw.Conv2D({ filters: 64, kernelSize: 5, padding: 2, activation: 'relu', ...he }));
    m.add(new gw.MaxPool2D({ poolSize: 2 }));
    m.add(new gw.Flatten());
    m.add(new Dense({ units: 128, activation: 'relu', ...he }));
    m.add(new Dense({ units: 10, ...he }));
    m.compile({ optimizer: new Adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  } else if (name === 'small') {
    m.add(new Dense({ units: 256, activation: 'relu', inputShape: [784] }));
    m.add(new Dense({ units: 128, activation: 'relu' }));
    m.add(new Dense({ units: 10 }));
    m.compile({ optimizer: new Adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  } else if (name === 'dropout') {
    m.add(new Dense({ units: 2048, activation: 'relu', inputShape: [784] }));
    m.add(new Dropout(0.5));
    m.add(new Dense({ units: 2048, activation: 'relu' }));
    m.add(new Dropout(0.5));
    m.add(new Dense({ units: 2048, activation: 'relu' }));
    m.add(new Dropout(0.5));
    m.add(new Dense({ units: 10 }));
    m.compile({ optimizer: new SGD({ lr: 0.01, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  } else {
    m.add(new Dense({ units: 512, inputShape: [784] }));
    m.add(new BatchNorm());
    m.add(new gw.Activation('relu'));
    m.add(new Dense({ units: 512 }));
    m.add(new BatchNorm());
    m.add(new gw.Activation('relu'));
    m.add(new Dense({ units: 10 }));
    m.compile({ optimizer: new Adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  }
  return m;
}

async function runWorker(name) {
  gw.setNumThreads(threads);
  const { train, test } = await gw.datasets.fashionMnist({ dir: opts['data-dir'] });
  const n = limit > 0 ? Math.min(train.n, limit * BATCH) : train.n;
  const x = { data: train.x.subarray(0, n * 784), shape: [n, 784], scale: train.scale };
  const y = train.y.subarray(0, n);
  const xTest = { data: test.x, shape: [test.n, 784], scale: test.scale };
  const model = buildModel(name);
  const cpu0 = process.cpuUsage();
  const history = await model.fit(x, y, { epochs, batchSize: BATCH, shuffle: true, stepsPerCall });
  const cpu = process.cpuUsage(cpu0);
  const epochSecondsAll = history.history.seconds;
  const best = Math.min(...epochSecondsAll);
  const ev = await model.evaluate(xTest, test.y, { batchSize: INFER_BATCH });
  const common = { framework: 'gradwell', model: name, threads, version: `gradwell ${gw.backend().version} (${gw.backend().isa})`, data: 'uint8' };
  emitLine({
    ...common,
    task: 'train',
    epochs,
    samplesPerEpoch: n,
    epochSeconds: best,
    epochSecondsAll,
    samplesPerSec: n / best,
    cpuSecondsPerEpoch: (cpu.user + cpu.system) / 1e6 / epochs,
    trainLoss: history.history.loss[history.history.loss.length - 1],
    testLoss: ev.loss,
    testAccuracy: ev.accuracy,
    peakRssMiB: maxRssMiB(),
  });
  if (INFERENCE_MODELS.includes(name)) {
    const times = [];
    for (let i = 0; i < inferPasses; i++) {
      const t0 = performance.now();
      await model.predict(xTest, { batchSize: INFER_BATCH });
      times.push((performance.now() - t0) / 1000);
    }
    const bestInfer = Math.min(...times);
    emitLine({ ...common, task: 'inference', batch: INFER_BATCH, epochSeconds: bestInfer, samplesPerSec: test.n / bestInfer, testAccuracy: ev.accuracy, peakRssMiB: maxRssMiB() });
  }
}

function emitLine(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// ------------------------------------------------------------------ parent: one child per (framework, model)

function childCommand(framework, model, t = threads) {
  const common = ['--model', model, '--epochs', String(epochs), '--threads', String(t), '--data-dir', opts['data-dir'], '--seed', String(seed)];
  if (framework === 'gradwell') {
    return [process.execPath, [fileURLToPath(import.meta.url), '--worker', ...common, '--limit', String(limit), '--infer-passes', String(inferPasses), '--steps-per-call', String(stepsPerCall)]];
  }
  if (framework === 'pytorch') {
    return [opts.python, [join(here, 'mnist-torch.py'), ...common, '--limit', String(limit), '--data', opts['torch-data'], '--init', opts['torch-init'], '--infer-passes', String(inferPasses)]];
  }
  const epochSamples = limit > 0 ? Math.min(60000, limit * BATCH) : 60000;
  const batches = Math.min(tfjsLimit, Math.floor(epochSamples / BATCH) - 1); // one more is the untimed warm-up
  return [process.execPath, [join(here, 'mnist-tfjs.mjs'), ...common, '--batches', String(batches), '--epoch-samples', String(epochSamples), '--infer-passes', String(Math.min(inferPasses, 2))]];
}

// PyTorch's OpenMP pool spins between its many short parallel regions; on a loaded machine that
// costs it up to 10x at 2 threads, so by default it runs with libgomp's default and with
// OMP_WAIT_POLICY=PASSIVE and the faster run of each task counts.
async function runTorch(model) {
  const variants = opts['torch-wait'].split(',').filter(Boolean);
  const runs = [];
  for (const v of variants) runs.push(await runChild('pytorch', model, v === 'passive' ? { OMP_WAIT_POLICY: 'PASSIVE' } : {}));
  const records = [];
  for (const task of ['train', 'inference']) {
    const candidates = runs.flatMap((r) => r.records).filter((r) => r.task === task);
    if (candidates.length === 0) continue;
    const best = candidates.reduce((a, b) => (b.samplesPerSec > a.samplesPerSec ? b : a));
    best.otherRuns = candidates.filter((c) => c !== best).map((c) => ({ ompWaitPolicy: c.ompWaitPolicy, samplesPerSec: c.samplesPerSec }));
    records.push(best);
  }
  return { records, error: runs.map((r) => r.error).filter(Boolean).join('; ') || null };
}

function runChild(framework, model, extraEnv = {}, t = threads) {
  const [cmd, args] = childCommand(framework, model, t);
  return new Promise((resolve) => {
    // One OpenMP/BLAS pool per child, sized by --threads (torch also reads OMP_NUM_THREADS at import).
    const env = { ...process.env, OMP_NUM_THREADS: String(t), GRADWELL_NUM_THREADS: String(t), ...extraEnv };
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => resolve({ records: [], error: `${framework}: could not start ${cmd}: ${e.message}` }));
    child.on('close', (code) => {
      const records = [];
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const r = JSON.parse(line);
          // A task the framework cannot run (tfjs wasm cannot train the CNN): a note, not a failure.
          if (r.unavailable) process.stderr.write(`  (${r.framework} ${r.model} ${r.task}: ${r.unavailable})\n`);
          else records.push(r);
        } catch {
          /* not ours */
        }
      }
      const failed = records.find((r) => r.error);
      if (code !== 0 || failed || records.length === 0) {
        const why = failed?.error ?? (err.trim().split('\n').slice(-3).join(' | ') || `exit code ${code}`);
        resolve({ records: records.filter((r) => !r.error), error: `${framework} ${model}: ${why}` });
      } else resolve({ records, error: null });
    });
  });
}

function versionOf(pkg) {
  try {
    return JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')).version;
  } catch {
    return 'missing';
  }
}

const fmt = (v, digits) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '-');

function printRow(r) {
  const label = `${r.framework}${r.extrapolated ? '*' : ''}`;
  const acc = r.testAccuracy === undefined ? '-' : `${(r.testAccuracy * 100).toFixed(2)}%${r.extrapolated ? '*' : ''}`;
  console.log(
    [label.padEnd(10), r.model.padEnd(8), r.task.padEnd(10), String(r.threads).padStart(3), fmt(r.epochSeconds, 3).padStart(10), fmt(r.samplesPerSec, 0).padStart(11), acc.padStart(9), fmt(r.peakRssMiB, 0).padStart(8), fmt(r.cpuSecondsPerEpoch, 2).padStart(8), r.peakFraction === undefined ? '' : `${(100 * r.peakFraction).toFixed(1)}%`.padStart(6)].join('  '),
  );
}

async function runParent() {
  const dataFiles = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
  const missing = dataFiles.filter((f) => !existsSync(join(opts['data-dir'], `${f}.gz`)) && !existsSync(join(opts['data-dir'], f)));
  if (missing.length > 0) {
    const msg = `bench:mnist: Fashion-MNIST not found in ${opts['data-dir']} (missing ${missing.join(', ')}); install the Debian package dataset-fashion-mnist or pass --data-dir. Skipped.`;
    if (opts.json) console.log(JSON.stringify({ skipped: msg }));
    else console.log(msg);
    return;
  }
  const frameworks = opts.frameworks ? opts.frameworks.split(',') : opts.compare ? ['gradwell', 'pytorch', 'tfjs'] : ['gradwell'];
  const meta = {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memGiB: +(totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    gradwell: `${gw.backend().version} (${gw.backend().isa})`,
    tfjs: versionOf('@tensorflow/tfjs'),
    loadAvgStart: loadavg().map((v) => +v.toFixed(2)),
  };
  if (!opts.json) {
    console.log(`Fashion-MNIST ${models.join(', ')}, batch ${BATCH}, ${epochs} epoch(s), ${threads} thread(s)${limit ? `, first ${limit * BATCH} training samples` : ''}`);
    console.log(`${meta.date}  ${meta.cpu}, ${meta.cores} cores, ${meta.memGiB} GiB  node ${meta.node}  gradwell ${meta.gradwell}  load ${meta.loadAvgStart.join(' ')}`);
    console.log(['framework'.padEnd(10), 'model'.padEnd(8), 'task'.padEnd(10), 'thr', 's/epoch'.padStart(10), 'samples/s'.padStart(11), 'test acc'.padStart(9), 'RSS MiB'.padStart(8), 'CPU s/ep'.padStart(8), '%peak'.padStart(6)].join('  '));
  }
  const peak = models.some((m) => MODEL_FLOPS[m]) ? measurePeakGflops(gw.backend().detectedIsa) : null;
  if (peak && !opts.json) {
    const per = models.filter((m) => MODEL_FLOPS[m]).map((m) => `${m} ${(MODEL_FLOPS[m].train / 1e6).toFixed(2)} MFLOP per training sample, ${(MODEL_FLOPS[m].inference / 1e6).toFixed(2)} per inference sample`);
    console.log(`peak: ${peak.gflops.toFixed(1)} GFLOP/s per core (${peak.how}) x ${threads} thread(s); ${per.join('; ')}`);
  }
  const all = [];
  let failures = 0;
  // small at 1 thread too when running more: the 1 -> T thread scaling (the issue's target: >= 1.7x at 2).
  const scalingRun = threads > 1 && models.includes('small') && frameworks.includes('gradwell');
  const runs = models.flatMap((model) => [
    ...frameworks.map((framework) => ({ model, framework, t: threads })),
    ...(scalingRun && model === 'small' ? [{ model, framework: 'gradwell', t: 1 }] : []),
  ]);
  for (const { model, framework, t } of runs) {
    const { records, error } = framework === 'pytorch' ? await runTorch(model) : await runChild(framework, model, {}, t);
    const load1 = +loadavg()[0].toFixed(2);
    for (const r of records) {
      r.loadAvg1 = load1;
      if (MODEL_FLOPS[model] && peak && Number.isFinite(peak.gflops)) {
        const flops = r.task === 'train' ? MODEL_FLOPS[model].train : MODEL_FLOPS[model].inference;
        r.gflops = +((r.samplesPerSec * flops) / 1e9).toFixed(2);
        // tfjs runs one thread
        r.peakFraction = +((r.samplesPerSec * flops) / (peak.gflops * 1e9 * (r.framework === 'tfjs' ? 1 : t))).toFixed(3);
      }
      r.date = meta.date;
      all.push(r);
      if (opts.json) console.log(JSON.stringify(r));
      else printRow(r);
    }
    if (error) {
      failures++;
      if (opts.json) console.log(JSON.stringify({ framework, model, error }));
      else console.log(`  (${error})`);
    }
  }
  const scaling = [];
  if (scalingRun) {
    for (const task of ['train', 'inference']) {
      const one = all.find((r) => r.framework === 'gradwell' && r.model === 'small' && r.task === task && r.threads === 1);
      const many = all.find((r) => r.framework === 'gradwell' && r.model === 'small' && r.task === task && r.threads === threads);
      if (one && many) scaling.push({ framework: 'gradwell', task, model: 'small', threads, scaling: many.samplesPerSec / one.samplesPerSec, cpuRatio: many.cpuSecondsPerEpoch / one.cpuSecondsPerEpoch, target: 1.7 });
    }
    if (opts.json) for (const q of scaling) console.log(JSON.stringify({ ...q, task: `${q.task}-scaling` }));
    else {
      console.log(`\ngradwell small, 1 -> ${threads} threads (target: >= 1.7x at 2)`);
      for (const q of scaling) {
        const cpu = Number.isFinite(q.cpuRatio) ? `, CPU per epoch ${q.cpuRatio.toFixed(2)}x` : '';
        console.log(`  ${q.task.padEnd(10)} ${q.scaling.toFixed(2)}x ${threads !== 2 || q.scaling >= 1.7 ? 'ok  ' : 'MISS'}${cpu}`);
      }
    }
  }
  const ratios = [];
  for (const r of all.filter((r) => r.framework === 'gradwell' && r.threads === threads)) {
    const ref = all.find((p) => p.framework === 'pytorch' && p.model === r.model && p.task === r.task);
    if (!ref) continue;
    ratios.push({
      framework: 'gradwell/pytorch',
      task: r.task,
      model: r.model,
      threads,
      samplesPerSecRatio: r.samplesPerSec / ref.samplesPerSec,
      accuracyDeltaPp: r.task === 'train' ? (r.testAccuracy - ref.testAccuracy) * 100 : undefined,
      peakRssRatio: r.peakRssMiB / ref.peakRssMiB,
      targets: { speed: 1.5, accuracyPp: 0.5, rss: 0.7 },
    });
  }
  if (ratios.length > 0) {
    if (opts.json) for (const q of ratios) console.log(JSON.stringify(q));
    else {
      console.log('\ngradwell / PyTorch (targets: speed >= 1.5x, |accuracy delta| <= 0.5 pp, peak RSS <= 0.7x)');
      for (const q of ratios) {
        const acc = q.accuracyDeltaPp === undefined ? '' : `  accuracy ${q.accuracyDeltaPp >= 0 ? '+' : ''}${q.accuracyDeltaPp.toFixed(2)} pp ${Math.abs(q.accuracyDeltaPp) <= 0.5 ? 'ok' : 'MISS'}`;
        console.log(
          `  ${q.model.padEnd(8)} ${q.task.padEnd(10)} speed ${q.samplesPerSecRatio.toFixed(2)}x ${q.samplesPerSecRatio >= 1.5 ? 'ok  ' : 'MISS'}${acc}  RSS ${q.peakRssRatio.toFixed(2)}x ${q.peakRssRatio <= 0.7 ? 'ok' : 'MISS'}`,
        );
      }
    }
  }
  if (!opts.json) {
    if (frameworks.includes('tfjs')) console.log(`\n* tfjs: trained on ${tfjsLimit} batches (at most) only; s/epoch and samples/s extrapolated from them, accuracy after those batches.`);
    console.log(`load average at the end: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  }
  if (failures > 0) process.exitCode = 1;
}

if (opts.worker) {
  if (models.length !== 1) {
    console.error('bench:mnist --worker takes exactly one --model');
    process.exit(2);
  }
  await runWorker(models[0]);
} else {
  await runParent();
}
