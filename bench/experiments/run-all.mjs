// Runs every experiment in turn: `npm run experiments -- --quick` (minutes), `--tiny` (seconds),
// nothing for the full versions (hours on a small machine); `--only a,b` picks some; `--out DIR`
// puts each experiment's results under DIR/<name>/ (default results/experiments/<name>/).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from './common.mjs';

export const experiments = [
  'vanishing-gradients',
  'dropout-rate',
  'training-size',
  'batch-norm',
  'l2-boundaries',
  'early-stopping',
  'norms-batch-size',
  'optimizers',
  'regularizers',
];

const { only, ...opts } = parseArgs();
if (only) {
  const unknown = only.filter((n) => !experiments.includes(n));
  if (unknown.length || only.length === 0) throw new RangeError(`--only: unknown experiment(s) ${unknown.join(', ') || '(none given)'}; known: ${experiments.join(', ')}`);
}
const summaries = {};
const t0 = performance.now();
for (const name of only ?? experiments) {
  const t = performance.now();
  const mod = await import(`./${name}.mjs`);
  const out = opts.out ? path.join(opts.out, name) : undefined;
  const result = await mod.run({ ...opts, out });
  summaries[name] = result.summary;
  console.log(`${name}: ${result.files.length} files in ${path.dirname(result.files[0])} (${((performance.now() - t) / 1000).toFixed(1)} s)`);
}
const dir = opts.out ?? path.join(path.dirname(new URL(import.meta.url).pathname), '../../results/experiments');
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summaries, null, 1));
console.log(`all done in ${((performance.now() - t0) / 1000).toFixed(1)} s; summary in ${path.join(dir, 'summary.json')}`);
