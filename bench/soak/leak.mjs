#!/usr/bin/env node
// Leak soak: creates, trains (a few steps), saves, loads and drops models in one
// process, sampling RSS; fails when RSS keeps growing after warm-up.
//   node bench/soak/leak.mjs [--cycles 1000] [--max-growth-kb 8]
// Prints RSS growth per cycle (least-squares slope over the second half of the run).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const gw = require('../../dist');
const argv = process.argv.slice(2);
const opt = (name, fallback) => (argv.includes(`--${name}`) ? Number(argv[argv.indexOf(`--${name}`) + 1]) : fallback);
const cycles = opt('cycles', 1000);
const maxGrowthKb = opt('max-growth-kb', 8);

const n = 64;
const x = new gw.Tensor(Float32Array.from({ length: n * 16 }, (_, i) => Math.sin(i)), [n, 16]);
const y = Int32Array.from({ length: n }, (_, i) => i % 4);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-leak-'));
const dir = path.join(root, 'model');

const samples = []; // [cycle, rssBytes]
const heap = []; // [cycle, heapUsed + external bytes]
const t0 = Date.now();
for (let c = 0; c < cycles; c++) {
  const m = new gw.Sequential(
    [new gw.Dense({ units: 64, activation: 'relu', inputShape: [16] }), new gw.BatchNorm(), new gw.Dropout(0.1), new gw.Dense({ units: 4 })],
    { seed: c % 1000 },
  );
  m.compile({ optimizer: new gw.Adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await m.fit(x, y, { epochs: 1, batchSize: 16 }); // 4 steps
  await m.save(dir);
  const back = await gw.loadModel(dir);
  await back.predict(x);
  if (c % 10 === 0 || c === cycles - 1) {
    global.gc?.();
    const mu = process.memoryUsage();
    samples.push([c, mu.rss]);
    heap.push([c, mu.heapUsed + mu.external]);
    const mib = (b) => (b / 2 ** 20).toFixed(1);
    if (c % 100 === 0) process.stderr.write(`cycle ${c}: rss ${mib(mu.rss)} MiB, heap used ${mib(mu.heapUsed)} MiB, external ${mib(mu.external)} MiB\n`);
  }
}
fs.rmSync(root, { recursive: true, force: true });

// Theil-Sen slope (median of pairwise slopes) over the second half, after the
// allocator and JIT warmed up: robust to the one-off steps glibc's arenas make in RSS.
function slopeOfSecondHalf(points) {
  const tail = points.slice(Math.floor(points.length / 2));
  const slopes = [];
  for (let i = 0; i < tail.length; i++) for (let j = i + 1; j < tail.length; j++) slopes.push((tail[j][1] - tail[i][1]) / (tail[j][0] - tail[i][0]));
  slopes.sort((a, b) => a - b);
  return slopes[Math.floor(slopes.length / 2)];
}
const first = samples[0][1], last = samples[samples.length - 1][1];
const growthKb = slopeOfSecondHalf(samples) / 1024;
console.log(`leak soak: JS heap + external growth over the second half ${(slopeOfSecondHalf(heap) / 1024).toFixed(2)} KiB/cycle`);
console.log(
  `leak soak: ${cycles} cycles (create, fit 4 steps, save, load, predict, drop) in ${((Date.now() - t0) / 1000).toFixed(1)} s; ` +
    `RSS ${(first / 2 ** 20).toFixed(1)} -> ${(last / 2 ** 20).toFixed(1)} MiB; growth over the second half (Theil-Sen) ${growthKb.toFixed(2)} KiB/cycle` +
    `${global.gc ? '' : ' (run with --expose-gc for steadier figures)'}`,
);
if (growthKb > maxGrowthKb) {
  console.error(`leak soak: RSS grows ${growthKb.toFixed(2)} KiB per cycle, more than ${maxGrowthKb}`);
  process.exit(1);
}
