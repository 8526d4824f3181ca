// Shared helpers of the experiment scripts: the compiled library, sizes per mode, data subsets,
// figures and the Markdown report. Each experiment exports `run({ quick, tiny, out, formats })`
// and returns its key numbers; run as a script it parses --quick, --tiny and --out DIR.
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs as utilParseArgs } from 'node:util';

const require = createRequire(import.meta.url);
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The compiled library (npm run build:ts first). */
export const gw = require(path.join(root, 'dist/index.js'));
export const plot = require(path.join(root, 'dist/plot.js'));

export function defaultOut(name) {
  return path.join(root, 'results', 'experiments', name);
}

const OPTIONS = {
  quick: { type: 'boolean', default: false },
  tiny: { type: 'boolean', default: false },
  out: { type: 'string' },
  'svg-only': { type: 'boolean', default: false },
  'png-only': { type: 'boolean', default: false },
  only: { type: 'string' },
  steps: { type: 'string' },
  sizes: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
};
const HELP = `options: --quick (minutes), --tiny (seconds, for tests), --out DIR, --svg-only, --png-only,
  --steps N and --sizes a,b,... (training-size: optimizer steps per run and the training-set sizes)`;

/** --quick, --tiny, --out DIR, --png-only/--svg-only, --steps N, --sizes LIST (and run-all's --only) from argv. */
export function parseArgs(argv = process.argv.slice(2)) {
  const { values: v } = utilParseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
  if (v.help) {
    console.log(HELP);
    process.exit(0);
  }
  if (v.out === '') throw new RangeError('--out needs a directory');
  const count = (flag, text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`${flag} must be a positive integer, received '${text}'`);
    return n;
  };
  return {
    quick: v.quick,
    tiny: v.tiny,
    out: v.out,
    formats: v['svg-only'] ? ['svg'] : v['png-only'] ? ['png'] : undefined,
    only: v.only === undefined ? undefined : v.only.split(',').filter(Boolean),
    steps: v.steps === undefined ? undefined : count('--steps', v.steps),
    sizes: v.sizes === undefined ? undefined : v.sizes.split(',').map((x) => count('--sizes', x)),
  };
}

/** The mode's settings: tiny (tests) < quick (minutes) < full. */
export function settings(opts) {
  if (opts.only !== undefined) throw new RangeError('--only picks experiments for run-all.mjs; a single experiment script does not take it');
  if ((opts.steps !== undefined || opts.sizes !== undefined) && opts.name !== 'training-size') {
    throw new RangeError(`--steps and --sizes apply to training-size only (received them for ${opts.name})`);
  }
  const mode = opts.tiny ? 'tiny' : opts.quick ? 'quick' : 'full';
  const out = opts.out ?? defaultOut(opts.name);
  const formats = opts.formats ?? (mode === 'tiny' ? ['svg'] : ['svg', 'png']);
  fs.mkdirSync(out, { recursive: true });
  return { mode, out, formats, pick: (table) => table[mode] };
}

/** Renders a figure once per format; returns the file names written. */
export async function figure(fn, spec, out, base, formats) {
  const files = [];
  for (const f of formats) {
    const file = path.join(out, `${base}.${f}`);
    await plot[fn](spec, file);
    files.push(file);
  }
  return files;
}

export function mdTable(headers, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map((r) => line(r.map(String)))].join('\n');
}

/** Writes results.md: a title, a few lines on the setup, tables and the figure list. */
export function writeReport(out, { title, setup, tables, figures, notes }) {
  const parts = [`# ${title}`, '', setup.trim(), ''];
  for (const t of tables) parts.push(`## ${t.title}`, '', t.markdown, '');
  if (notes) parts.push(notes.trim(), '');
  parts.push('Figures: ' + figures.map((f) => `\`${path.basename(f)}\``).join(', '), '');
  const file = path.join(out, 'results.md');
  fs.writeFileSync(file, parts.join('\n'));
  return file;
}

let digits = null;
/** The embedded MNIST digits (10,000; loaded once per process). */
export function mnistDigits() {
  digits ??= gw.mnistEmbedded({ seed: 0 });
  return digits;
}

/** The first `nTrain` / `nTest` samples of the (shuffled, stratified) embedded MNIST split. */
export function mnistSubset(nTrain, nTest) {
  const { train, test } = mnistDigits();
  const take = (ds, n) => gw.datasets.selectSamples(ds, Int32Array.from({ length: Math.min(n, ds.n) }, (_, i) => i));
  return { train: take(train, nTrain), test: take(test, nTest) };
}

/** A dataset as fit/evaluate/predict inputs, flattened to [n, features]. */
export function inputs(ds) {
  return { data: ds.x, shape: [ds.n, ds.featureSize], scale: ds.x instanceof Uint8Array ? ds.scale : 1 };
}

/** Test error (1 - accuracy) of a compiled classifier. */
export async function testError(model, ds) {
  const r = await model.evaluate(inputs(ds), ds.y);
  return 1 - r.accuracy;
}

export const fmt = (v, digits = 4) => (Number.isFinite(v) ? Number(v).toFixed(digits) : String(v));
export const pct = (v) => `${(100 * v).toFixed(2)}%`;

/** Runs `run` when the module is the entry point, printing where the results went. */
export async function mainIfScript(moduleUrl, run) {
  if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(moduleUrl)) {
    const t0 = performance.now();
    const result = await run(parseArgs());
    console.log(JSON.stringify(result.summary ?? {}, null, 1));
    console.log(`wrote ${result.files.length} files to ${path.dirname(result.files[0])} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}

/** 784-w-...-w-10 ReLU network with Dropout(p) after every hidden layer (p = 0: none). */
export function dropoutMlp({ widths, p, seed = 5, inputSize = 784, classes = 10 }) {
  const m = new gw.Sequential([], { seed });
  widths.forEach((w, i) => {
    m.add(new gw.Dense({ units: w, activation: 'relu', ...(i === 0 ? { inputShape: [inputSize] } : {}) }));
    if (p > 0) m.add(new gw.Dropout(p));
  });
  m.add(new gw.Dense({ units: classes, activation: 'softmax' }));
  return m;
}

/** Train and test sets of the classic image experiments: Fashion-MNIST when asked and installed, else embedded MNIST. */
export async function imageData({ nTrain, nTest, fashion = false }) {
  if (fashion) {
    try {
      const { train, test } = await gw.fashionMnist();
      const take = (ds, n) => gw.datasets.selectSamples(ds, Int32Array.from({ length: Math.min(n, ds.n) }, (_, i) => i));
      return { train: take(train, nTrain), test: take(test, nTest), source: 'Fashion-MNIST' };
    } catch (e) {
      console.warn(`Fashion-MNIST unavailable (${e.message.split('\n')[0]}); using the embedded MNIST digits`);
    }
  }
  return { ...mnistSubset(nTrain, nTest), source: 'embedded MNIST digits' };
}

const cliProgress = require('cli-progress');

/** Seconds per training step of a fresh model from `make()` at this batch size (a few timed steps after one warm-up). */
export async function secondsPerStep(make, ds, { batchSize, steps = 6, compile }) {
  const m = make();
  compile(m);
  const n = Math.min(ds.n, batchSize * (steps + 1));
  const sub = gw.datasets.selectSamples(ds, Int32Array.from({ length: n }, (_, i) => i));
  let t0 = 0;
  let timed = 0;
  await m.fit(inputs(sub), sub.y, {
    epochs: 1, batchSize, seed: 1,
    callbacks: [{ onBatchEnd: (b) => { if (b === 0) t0 = performance.now(); else timed++; } }],
  });
  return timed > 0 ? (performance.now() - t0) / 1000 / timed : 0;
}

const hms = (s) => {
  s = Math.max(0, Math.round(s));
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

/**
 * The work of a long run: prints its estimated time before it starts (from measured seconds per
 * step) and draws one progress bar over every training step of every run (on stderr). With
 * `enabled: false` (tiny mode, the tests) it prints nothing. `callback()` goes into fit's callbacks.
 */
export function startProgress({ title, totalSteps, estimateSeconds, detail = '', enabled = true }) {
  if (!enabled) return { callback: () => ({}), stop() {}, set() {} };
  console.error(`${title}: ${totalSteps} training steps in all, estimated ${hms(estimateSeconds)} on this machine${detail ? ` (${detail})` : ''}`);
  const bar = new cliProgress.SingleBar(
    { format: `${title} [{bar}] {percentage}% | {value}/{total} steps | {run} | elapsed {duration_formatted} | eta {eta_formatted}`, stream: process.stderr, hideCursor: false, noTTYOutput: !process.stderr.isTTY, notTTYSchedule: 30000, etaBuffer: 200, fps: 5 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(totalSteps, 0, { run: '' });
  let done = 0;
  return {
    callback: () => ({ onBatchEnd: () => bar.update(++done) }),
    set: (run) => bar.update(done, { run }),
    stop: () => bar.stop(),
  };
}
