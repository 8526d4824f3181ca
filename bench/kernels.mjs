// npm run bench:kernels [-- --json] [--threads N] [--only activations,optim]
// Runs every kernel family's benchmark (bench/kernels/<family>.mjs), each of
// which prints throughput in GB/s next to a plain copy of the same bytes.
import { parseArgs } from 'node:util';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    threads: { type: 'string' },
    only: { type: 'string' },
  },
});

// Every native op family (native/kernels/kinds.inc) with a benchmark here; gemm has its own (bench/gemm.mjs).
const require = createRequire(import.meta.url);
const { native } = require('../dist/binding.js');
const families = native.kinds().families.filter((f) => fs.existsSync(path.join(here, 'kernels', `${f}.mjs`)));
const wanted = values.only ? values.only.split(',') : families;
const threadCounts = values.threads ? [Number(values.threads)] : [1, (await import('node:os')).availableParallelism()];

for (const family of wanted) {
  const file = path.join(here, 'kernels', `${family}.mjs`);
  if (!fs.existsSync(file)) {
    console.error(`bench:kernels: no benchmark for '${family}' (${file})`);
    process.exitCode = 1;
    continue;
  }
  const mod = await import(pathToFileURL(file).href);
  for (const threads of [...new Set(threadCounts)]) {
    if (!values.json) console.log(`\n== ${family}, ${threads} thread(s)`);
    await mod.run({ threads, json: values.json });
  }
}
