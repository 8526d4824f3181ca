#!/usr/bin/env node
// Builds the prebuilt binaries of one platform into prebuilds/<platform>-<arch>/:
//   gradwell.<tags>.node   the OpenMP build (prebuildify --napi --strip --tag-libc: one
//                          binary serves every Node version with N-API 8)
//   serial/gradwell.node   the same without OpenMP, which lib/binding.ts loads (with a
//                          warning) where the OpenMP runtime libgomp is not installed
// then runs the release check (scripts/check-binary.mjs) on both on Linux.
//
//   node scripts/prebuild.mjs                 # this machine's platform and arch
//   node scripts/prebuild.mjs --arch arm64    # Linux x64 host: cross-compile with g++-aarch64-linux-gnu
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const archIndex = argv.indexOf('--arch');
const arch = archIndex >= 0 ? argv[archIndex + 1] : process.arch;
const platform = process.platform;
const cross = arch !== process.arch;
const tuple = `${platform}-${arch}`;

function run(cmd, args, env) {
  console.log(`> ${cmd} ${args.join(' ')}`);
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env, shell: process.platform === 'win32' });
  if (res.status !== 0) {
    console.error(`prebuild: '${cmd} ${args.join(' ')}' failed (exit ${res.status ?? res.signal})`);
    process.exit(1);
  }
}

const env = { ...process.env };
// node-gyp's parallel make (prebuildify does not pass -j).
env.JOBS ??= String(os.availableParallelism?.() ?? os.cpus().length);
// Node's headers: use the installed ones when present (no download); node-gyp
// downloads them otherwise.
const installedHeaders = path.resolve(path.dirname(process.execPath), '..');
if (!env.npm_config_nodedir && fs.existsSync(path.join(installedHeaders, 'include', 'node', 'node_api.h'))) {
  env.npm_config_nodedir = installedHeaders;
}

const prebuildifyArgs = ['--napi', '--strip', '--tag-libc', '--arch', arch];
if (cross) {
  if (!(platform === 'linux' && process.arch === 'x64' && arch === 'arm64')) {
    console.error(`prebuild: cross-compiling ${process.arch} -> ${arch} on ${platform} is not set up; build on a ${tuple} machine`);
    process.exit(1);
  }
  const prefix = 'aarch64-linux-gnu-';
  const probe = spawnSync(`${prefix}g++`, ['--version']);
  if (probe.status !== 0) {
    console.error("prebuild: the arm64 cross compiler is missing: 'apt-get install g++-aarch64-linux-gnu'");
    process.exit(1);
  }
  Object.assign(env, { CC: `${prefix}gcc`, CXX: `${prefix}g++`, LINK: `${prefix}g++`, AR: `${prefix}ar` });
  prebuildifyArgs.push('--strip-bin', `${prefix}strip`);
}

const prebuildify = path.join(root, 'node_modules', 'prebuildify', 'bin.js');
const outDir = path.join(root, 'prebuilds', tuple);
fs.rmSync(outDir, { recursive: true, force: true });

// 1. The OpenMP build.
run(process.execPath, [prebuildify, ...prebuildifyArgs], env);

// 2. The serial build (macOS builds have no OpenMP, so it would be the same binary).
const hasOpenMp = platform === 'linux' || platform === 'win32';
let serialFile = null;
if (hasOpenMp) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gradwell-serial-'));
  run(process.execPath, [prebuildify, ...prebuildifyArgs, '--out', tmp], { ...env, GYP_DEFINES: 'gw_openmp=0' });
  const built = fs.readdirSync(path.join(tmp, 'prebuilds', tuple)).filter((f) => f.endsWith('.node'));
  if (built.length !== 1) throw new Error(`prebuild: expected one serial binary, found ${built.join(', ')}`);
  serialFile = path.join(outDir, 'serial', 'gradwell.node');
  fs.mkdirSync(path.dirname(serialFile), { recursive: true });
  fs.copyFileSync(path.join(tmp, 'prebuilds', tuple, built[0]), serialFile);
  fs.rmSync(tmp, { recursive: true, force: true });
}

// prebuildify leaves build/ holding the last (serial or cross) build; remove it so
// node-gyp-build does not prefer it over prebuilds/ (run 'npm run build:native' to get it back).
fs.rmSync(path.join(root, 'build'), { recursive: true, force: true });

const mainFiles = fs.readdirSync(outDir).filter((f) => f.endsWith('.node'));
console.log(`prebuilds/${tuple}: ${[...mainFiles, ...(serialFile ? ['serial/gradwell.node'] : [])].join(', ')}`);

// 3. The release check (readelf: Linux only).
if (platform === 'linux') {
  const check = path.join(root, 'scripts', 'check-binary.mjs');
  for (const f of mainFiles) run(process.execPath, [check, path.join(outDir, f), '--arch', arch]);
  if (serialFile) run(process.execPath, [check, serialFile, '--arch', arch, '--serial']);
}
