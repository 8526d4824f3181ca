#!/usr/bin/env node
// Builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer in its own
// directory (build-asan/, the normal build/ is untouched) and runs the test
// suite, or a subset, against it with the gcc ASan runtime preloaded into node.
//
//   node scripts/test-asan.mjs                 build (incremental) + the ASan subset
//   node scripts/test-asan.mjs --full          build + every test file
//   node scripts/test-asan.mjs --build-only    just build
//   node scripts/test-asan.mjs -- test/x.test.ts   build + the named files
//
// The build copies binding.gyp, native/ and package.json into build-asan/src
// and runs node-gyp there with CXXFLAGS/LDFLAGS from the environment (gyp's
// Makefiles append them to every target, the ISA static libraries included).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const work = path.join(root, 'build-asan', 'src');
export const asanAddon = path.join(work, 'build', 'Release', 'gradwell.node');

// Files whose tests drive the native code; the ASan run of these takes ~7.5 min
// on 2 shared cores, the full suite much longer (see README, Hardening).
// test/model-crash.test.ts is left out: it is pure JavaScript file I/O in child
// processes and takes over 5 minutes under the ASan runtime.
export const asanSubset = [
  'test/asan-canary.test.ts',
  'test/fuzz.test.ts',
  'test/gemm.test.ts',
  'test/activations.test.ts',
  'test/dropout.test.ts',
  'test/norms.test.ts',
  'test/losses.test.ts',
  'test/optim.test.ts',
  'test/training.test.ts',
  'test/model-files.test.ts',
  'test/concurrency.test.ts',
  'test/hardening-regressions.test.ts',
  'test/data-idx.test.ts',
  'test/safetensors.test.ts',
];

function sync(src, dst) {
  // Copy only what changed so node-gyp's make rebuilds only those objects.
  const st = fs.statSync(src);
  if (st.isDirectory()) {
    fs.mkdirSync(dst, { recursive: true });
    for (const e of fs.readdirSync(src)) sync(path.join(src, e), path.join(dst, e));
    return;
  }
  if (fs.existsSync(dst)) {
    const a = fs.readFileSync(src);
    const b = fs.readFileSync(dst);
    if (a.equals(b)) return;
  }
  fs.copyFileSync(src, dst);
}

export function runtimeEnv(extra = {}) {
  const gccLib = (name) => execFileSync('gcc', [`-print-file-name=${name}`]).toString().trim();
  return {
    ...process.env,
    GRADWELL_NATIVE_PATH: asanAddon,
    LD_PRELOAD: gccLib('libasan.so'),
    // node itself leaks by design at exit; the addon's own errors are what we want.
    ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1:halt_on_error=1:allocator_may_return_null=1:detect_odr_violation=0',
    UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
    ...extra,
  };
}

export function buildAsan() {
  fs.mkdirSync(work, { recursive: true });
  // A changed binding.gyp needs a fresh configure (defines, flags, sources).
  const gypCopy = path.join(work, 'binding.gyp');
  const gypChanged = !fs.existsSync(gypCopy) || !fs.readFileSync(gypCopy).equals(fs.readFileSync(path.join(root, 'binding.gyp')));
  sync(path.join(root, 'binding.gyp'), gypCopy);
  sync(path.join(root, 'package.json'), path.join(work, 'package.json'));
  sync(path.join(root, 'native'), path.join(work, 'native'));
  const nm = path.join(work, 'node_modules');
  if (!fs.existsSync(nm)) fs.symlinkSync(path.join(root, 'node_modules'), nm);
  // GW_SANITIZE_CANARY adds asanCanary(i), a deliberate out-of-bounds write for
  // test/asan-canary.test.ts; only this build has it.
  const flags = '-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1 -DGW_SANITIZE_CANARY=1';
  const env = { ...process.env, CFLAGS: flags, CXXFLAGS: flags, LDFLAGS: '-fsanitize=address,undefined' };
  const gyp = path.join(root, 'node_modules', '.bin', 'node-gyp');
  const jobs = process.env.JOBS ?? '2';
  const configured = !gypChanged && fs.existsSync(path.join(work, 'build', 'Makefile'));
  const args = configured ? ['build', '-j', jobs] : ['rebuild', '-j', jobs];
  // Same headers as the normal build: npm passes its nodedir setting as npm_config_nodedir.
  const nodedir = process.env.npm_config_nodedir ?? (fs.existsSync('/usr/include/node/node_api.h') ? '/usr' : undefined);
  if (nodedir) args.push(`--nodedir=${nodedir}`);
  const r = spawnSync(gyp, args, { cwd: work, env, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`ASan build failed (node-gyp ${args.join(' ')} exited ${r.status})`);
}

function main() {
  const argv = process.argv.slice(2);
  const t0 = Date.now();
  buildAsan();
  console.log(`asan: addon built in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${asanAddon}`);
  if (argv.includes('--build-only')) return;
  const dashdash = argv.indexOf('--');
  const files = dashdash >= 0 ? argv.slice(dashdash + 1) : argv.includes('--full') ? [] : asanSubset;
  const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
  const t1 = Date.now();
  // Sanitized kernels run 2-5x slower (the scalar 128x2048x2048 GEMM took over 120 s on a loaded
  // machine): a longer per-test limit, the same assertions.
  const r = spawnSync(process.execPath, [vitest, 'run', '--testTimeout=600000', '--hookTimeout=600000', ...files], {
    cwd: root,
    // The quick fuzz, as in npm test (about as fast under ASan: most calls are rejected by validation).
    env: runtimeEnv({ GRADWELL_FUZZ_CALLS: process.env.GRADWELL_FUZZ_CALLS ?? '3000' }),
    stdio: 'inherit',
  });
  console.log(`asan: tests ran in ${((Date.now() - t1) / 1000).toFixed(0)} s, exit ${r.status ?? r.signal}`);
  process.exit(r.status ?? 1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
