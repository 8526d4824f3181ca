#!/usr/bin/env node
// Proves the linux-arm64 prebuild (NEON kernels included) on an x64 Linux host:
// cross-compiles it (scripts/prebuild.mjs --arch arm64, in a staging copy so the
// host's build/ stays as it is), then runs the vitest suites under Debian's arm64
// Node in qemu-aarch64 user emulation, loading only prebuilds/linux-arm64. Every
// kernel test runs once per ISA (describeEachIsa: scalar and neon there), and every
// test file that uses describeEachIsa is picked, so a new kernel family is covered
// as soon as its tests exist.
//
//   node scripts/test-arm64.mjs [--no-build] [--quick|--all] [vitest file filters...]
//   default: the per-ISA suites (describeEachIsa) and the backend and loader tests;
//   --quick: only the backend and loader tests (CI: the build, release check and load);
//   --all: every test file that can run under qemu
//
// Needs (Debian/Ubuntu): g++-aarch64-linux-gnu qemu-user, and the arm64 package lists
// (dpkg --add-architecture arm64 && apt-get update) to fetch nodejs:arm64 and its
// libraries with 'apt-get download' (unpacked into a private sysroot; nothing is installed).
// Cache: $GRADWELL_ARM64_CACHE (default ~/.cache/gradwell-arm64).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const cache = process.env.GRADWELL_ARM64_CACHE ?? path.join(os.homedir(), '.cache', 'gradwell-arm64');
const sysroot = path.join(cache, 'sysroot');
const arm64Node = path.join(sysroot, 'usr', 'bin', 'node');

// Debian bookworm's Node 18 and the libraries it (and the addon: libgomp) loads;
// the three arch-independent node-* packages are modules Debian's Node links to.
const ARM64_PACKAGES = [
  'nodejs', 'libnode108', 'libc6', 'libstdc++6', 'libgcc-s1', 'libgomp1', 'libbrotli1', 'libc-ares2',
  'libicu72', 'libnghttp2-14', 'libssl3', 'libuv1', 'zlib1g',
].map((p) => `${p}:arm64`).concat(['node-acorn', 'node-cjs-module-lexer', 'node-undici']);

function fail(message) {
  console.error(`test:arm64: ${message}`);
  process.exit(1);
}

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

function run(cmd, args, options = {}) {
  console.log(`> ${cmd} ${args.join(' ')}`);
  const res = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (res.status !== 0) fail(`'${cmd} ${args.join(' ')}' failed (exit ${res.status ?? res.signal})`);
}

if (process.platform !== 'linux' || process.arch !== 'x64') fail('runs on an x64 Linux host only');
for (const [cmd, pkg] of [['aarch64-linux-gnu-g++', 'g++-aarch64-linux-gnu'], ['qemu-aarch64', 'qemu-user']]) {
  if (!have(cmd)) fail(`'${cmd}' is missing: apt-get install ${pkg}`);
}

// 1. The arm64 Node: Debian packages unpacked into a sysroot for qemu's -L.
if (!fs.existsSync(arm64Node)) {
  const foreign = execFileSync('dpkg', ['--print-foreign-architectures']).toString();
  if (!/\barm64\b/.test(foreign)) fail("arm64 package lists missing: 'dpkg --add-architecture arm64 && apt-get update'");
  const debs = path.join(cache, 'debs');
  fs.rmSync(debs, { recursive: true, force: true });
  fs.mkdirSync(debs, { recursive: true });
  run('apt-get', ['download', ...ARM64_PACKAGES], { cwd: debs });
  fs.rmSync(sysroot, { recursive: true, force: true });
  for (const deb of fs.readdirSync(debs).filter((f) => f.endsWith('.deb'))) {
    execFileSync('dpkg-deb', ['-x', path.join(debs, deb), sysroot]);
  }
}

// 2. vitest's bundler needs rollup's native arm64 module (found through NODE_PATH);
//    esbuild runs as the host's x64 binary (a child process runs natively).
const rollupVersion = require('rollup/package.json').version;
const rollupArm64 = path.join(cache, 'node_modules', '@rollup', 'rollup-linux-arm64-gnu');
if (!fs.existsSync(path.join(rollupArm64, 'package.json')) ||
    JSON.parse(fs.readFileSync(path.join(rollupArm64, 'package.json'), 'utf8')).version !== rollupVersion) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gradwell-rollup-'));
  run('npm', ['pack', `@rollup/rollup-linux-arm64-gnu@${rollupVersion}`, '--silent'], { cwd: tmp });
  const tgz = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  fs.rmSync(rollupArm64, { recursive: true, force: true });
  fs.mkdirSync(rollupArm64, { recursive: true });
  run('tar', ['xzf', path.join(tmp, tgz), '-C', rollupArm64, '--strip-components=1']);
  fs.rmSync(tmp, { recursive: true, force: true });
}
const esbuildBinary = require.resolve('@esbuild/linux-x64/bin/esbuild');

// 3. Cross-compile in a staging copy, then move the result to prebuilds/linux-arm64.
if (!process.argv.includes('--no-build')) {
  const stage = path.join(cache, 'stage');
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });
  for (const entry of ['package.json', 'binding.gyp', 'CMakeLists.txt', 'native', 'scripts']) {
    fs.cpSync(path.join(root, entry), path.join(stage, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(stage, 'node_modules'));
  run(process.execPath, [path.join(stage, 'scripts', 'prebuild.mjs'), '--arch', 'arm64'], { cwd: stage });
  const dest = path.join(root, 'prebuilds', 'linux-arm64');
  fs.rmSync(dest, { recursive: true, force: true });
  fs.cpSync(path.join(stage, 'prebuilds', 'linux-arm64'), dest, { recursive: true });
}
if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) run('npm', ['run', 'build:ts'], { cwd: root });

const env = {
  ...process.env,
  NODE_PATH: path.join(cache, 'node_modules'),
  ESBUILD_BINARY_PATH: esbuildBinary,
  PREBUILDS_ONLY: '1', // never the host's build/Release
};
const qemu = (args) => ['-L', sysroot, arm64Node, ...args];

// 4. The binary loaded is the arm64 prebuild, running NEON.
const probe = spawnSync('qemu-aarch64', qemu(['-p', "JSON.stringify([require('node-gyp-build').resolve('.'), require('./dist').backend()])"]), { cwd: root, env });
if (probe.status !== 0) fail(`the arm64 addon does not load:\n${probe.stderr}`);
const [loaded, info] = JSON.parse(probe.stdout.toString());
console.log(`arm64 Node ${spawnSync('qemu-aarch64', qemu(['-v'])).stdout.toString().trim()}: ${path.relative(root, loaded)}, isa=${info.isa}, supported=${info.supportedIsas.join(',')}, openmp=${info.openmp}`);
if (info.arch !== 'arm64' || info.isa !== 'neon' || !loaded.includes(`prebuilds${path.sep}linux-arm64`)) fail('not the arm64 prebuild running NEON');

// 5. The test suites. Threads pool: qemu-user cannot start a new arm64 process (the
//    kernel has no binfmt handler for it), so test files that spawn process.execPath
//    (none of the kernel suites) are left to the host run; they are listed.
function testFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? testFiles(p) : e.name.endsWith('.test.ts') ? [p] : [];
  });
}
// By default the suites that run per ISA (describeEachIsa: every kernel family) and
// the backend and loader tests; --all adds the rest (training runs take long in qemu).
let filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (filters.length === 0) {
  const all = testFiles(path.join(root, 'test')).map((f) => path.relative(root, f)).sort();
  const text = (f) => fs.readFileSync(path.join(root, f), 'utf8');
  const spawning = all.filter((f) => /process\.execPath/.test(text(f)));
  if (spawning.length > 0) console.log(`not run under qemu (they start Node child processes): ${spawning.join(', ')}`);
  const runnable = all.filter((f) => !spawning.includes(f));
  const basic = (f) => /^test\/(backend|loader)\.test\.ts$/.test(f.split(path.sep).join('/'));
  filters = process.argv.includes('--all')
    ? runnable
    : process.argv.includes('--quick')
      ? runnable.filter(basic)
      : runnable.filter((f) => /describeEachIsa\(/.test(text(f)) || basic(f));
  const left = runnable.filter((f) => !filters.includes(f));
  if (left.length > 0) console.log(`not run (no per-ISA code; --all runs them): ${left.join(', ')}`);
  console.log(`running under qemu: ${filters.join(', ')}`);
}
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const started = Date.now();
// Emulation runs 20-50x slower than native: the large GEMM shapes need minutes.
const timeouts = ['--testTimeout=1200000', '--hookTimeout=1200000'];
run('qemu-aarch64', qemu([vitest, 'run', '--pool=threads', '--no-file-parallelism', ...timeouts, ...filters]), { cwd: root, env });
console.log(`test:arm64: passed in ${((Date.now() - started) / 1000).toFixed(0)} s under qemu-aarch64`);
