// One fuzz chunk in its own process (so a crash kills only this child and the
// parent reports the call): node child.mjs <seed> <start> <count>.
// Protocol on stdout: "call <i>" before each call, "fail <i> <json>" for an
// oracle violation, "done <n>" at the end.
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fuzzCall } from './gen.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const native = process.env.GRADWELL_NATIVE_PATH
  ? require(path.resolve(process.env.GRADWELL_NATIVE_PATH))
  : require('node-gyp-build')(root);

const [seed, start, count] = process.argv.slice(2).map(Number);
const out = (line) => fs.writeSync(1, line + '\n');
for (let i = start; i < start + count; i++) {
  out(`call ${i}`);
  const bad = await fuzzCall(native, seed, i);
  if (bad) out(`fail ${i} ${JSON.stringify({ problem: bad, ...fuzzCall.last })}`);
}
out(`done ${count}`);
