#!/usr/bin/env node
// The binding fuzzer, long mode: npm run fuzz -- --calls 100000 [--seed 7] [--chunk 2000] [--jobs 2]
// Replay one call: npm run fuzz -- --seed 7 --only 4321
// Quick mode runs inside `npm test` (test/fuzz.test.ts) with the same generator.
import { runFuzz } from './fuzz/run.mjs';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const seed = opt('seed', Date.now() % 1_000_000);
const calls = opt('calls', 10000);
const only = argv.includes('--only') ? opt('only') : undefined;
const t0 = Date.now();
const { ran, failures } = await runFuzz({
  seed,
  calls,
  only,
  chunk: opt('chunk', 2000),
  jobs: opt('jobs', 2),
  onChunk: ({ ran: n, failures: f }) => process.stderr.write(`\rfuzz seed ${seed}: ${n} calls, ${f} failures`),
});
const s = (Date.now() - t0) / 1000;
process.stderr.write('\n');
console.log(`fuzz: seed ${seed}, ${ran} calls in ${s.toFixed(1)} s (${Math.round(ran / s)} calls/s), ${failures.length} failures`);
for (const f of failures.slice(0, 20)) console.log(JSON.stringify(f));
process.exit(failures.length ? 1 : 0);
