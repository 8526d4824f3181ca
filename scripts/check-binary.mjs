#!/usr/bin/env node
// Release check of a Linux binary (prebuilt .node): the right machine, no
// dependency beyond what Node itself loads (plus libgomp for the OpenMP build),
// and symbol versions old enough for current LTS distributions. Prints the
// minimum glibc and libstdc++ it needs; exits 1 on any violation.
//
//   node scripts/check-binary.mjs <file.node> --arch x64|arm64 [--serial]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

// glibc 2.28 is the floor of Node 18-22's own Linux binaries (RHEL 8, Debian 10+,
// Ubuntu 20.04+). GLIBCXX_3.4.26 is GCC 9's libstdc++ (Ubuntu 20.04 and Debian 11
// ship GCC 10's): std::make_shared needs it with GCC 9+ headers.
export const MAX_GLIBC = '2.28';
export const MAX_GLIBCXX = '3.4.26';

const MACHINE = { x64: 'Advanced Micro Devices X86-64', arm64: 'AArch64' };
// What Node's own Linux binaries need (libpthread/libdl before glibc 2.34).
const NODE_NEEDS = ['libc.so.6', 'libm.so.6', 'libstdc++.so.6', 'libgcc_s.so.1', 'libpthread.so.0', 'libdl.so.2'];
const LOADER = { x64: 'ld-linux-x86-64.so.2', arm64: 'ld-linux-aarch64.so.1' };

function compareVersions(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function maxVersion(versions) {
  return versions.reduce((m, v) => (m === null || compareVersions(v, m) > 0 ? v : m), null);
}

/** Parses `readelf -d` and `readelf -V` of a binary. */
export function inspectBinary(file) {
  const header = execFileSync('readelf', ['-h', file]).toString();
  const machine = /Machine:\s+(.*)/.exec(header)?.[1].trim() ?? 'unknown';
  const dynamic = execFileSync('readelf', ['-d', '-W', file]).toString();
  const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  const rpath = [...dynamic.matchAll(/\((?:RPATH|RUNPATH)\)\s+.*\[([^\]]*)\]/g)].map((m) => m[1]);
  const versionText = execFileSync('readelf', ['-V', '-W', file]).toString();
  const required = {}; // library -> version names
  let current = null;
  for (const line of versionText.split('\n')) {
    const f = /File: (\S+)\s+Cnt:/.exec(line);
    if (f) {
      current = f[1];
      required[current] ??= [];
      continue;
    }
    const n = /Name: (\S+)\s+Flags/.exec(line);
    if (n && current) required[current].push(n[1]);
  }
  const all = Object.values(required).flat();
  const versionsOf = (prefix) =>
    all.filter((v) => v.startsWith(prefix + '_')).map((v) => v.slice(prefix.length + 1)).filter((v) => /^[\d.]+$/.test(v));
  return {
    machine,
    needed,
    rpath,
    required,
    glibc: maxVersion(versionsOf('GLIBC')),
    glibcxx: maxVersion(versionsOf('GLIBCXX')),
    cxxabi: maxVersion(versionsOf('CXXABI')),
    gomp: maxVersion(versionsOf('GOMP')),
  };
}

/** Returns a list of problems (empty when the binary passes). */
export function checkBinary(info, { arch, serial }) {
  const problems = [];
  if (info.machine !== MACHINE[arch]) problems.push(`machine is '${info.machine}', expected '${MACHINE[arch]}'`);
  const allowed = new Set([...NODE_NEEDS, LOADER[arch], ...(serial ? [] : ['libgomp.so.1'])]);
  for (const lib of info.needed) if (!allowed.has(lib)) problems.push(`needs ${lib}, which Node does not load`);
  if (serial && info.needed.includes('libgomp.so.1')) problems.push('the serial build must not need libgomp.so.1');
  if (info.rpath.length > 0) problems.push(`has RPATH/RUNPATH ${info.rpath.join(':')}`);
  if (info.glibc && compareVersions(info.glibc, MAX_GLIBC) > 0) {
    const culprits = Object.entries(info.required)
      .flatMap(([lib, vs]) => vs.filter((v) => v.startsWith('GLIBC_') && compareVersions(v.slice(6), MAX_GLIBC) > 0).map((v) => `${v} (${lib})`));
    problems.push(
      `needs glibc ${info.glibc} > ${MAX_GLIBC}: ${culprits.join(', ')}; ` +
        `find the symbols with 'readelf --dyn-syms -W <file> | grep GLIBC_${info.glibc}' and pin an older version in native/compat/glibc_floor.h`,
    );
  }
  if (info.glibcxx && compareVersions(info.glibcxx, MAX_GLIBCXX) > 0) {
    problems.push(`needs libstdc++ GLIBCXX_${info.glibcxx} > GLIBCXX_${MAX_GLIBCXX}`);
  }
  return problems;
}

/** Portability of the build files: no flag that ties the binary to the build machine. */
export function checkBuildFlags(root) {
  const problems = [];
  for (const file of ['binding.gyp', 'CMakeLists.txt', 'native/sources.json']) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    for (const flag of ['-march=native', '-mtune=native', '-mcpu=native']) {
      if (text.includes(flag)) problems.push(`${file} uses ${flag}`);
    }
  }
  return problems;
}

function main(argv) {
  const file = argv.find((a) => !a.startsWith('--') && !['x64', 'arm64'].includes(a));
  const archIndex = argv.indexOf('--arch');
  const arch = archIndex >= 0 ? argv[archIndex + 1] : process.arch;
  const serial = argv.includes('--serial');
  if (!file || !(arch in MACHINE)) {
    console.error('usage: node scripts/check-binary.mjs <file.node> --arch x64|arm64 [--serial]');
    process.exit(2);
  }
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const info = inspectBinary(file);
  const problems = [...checkBinary(info, { arch, serial }), ...checkBuildFlags(root)];
  const size = fs.statSync(file).size;
  console.log(`${path.relative(process.cwd(), file)} (${arch}${serial ? ', serial' : ', OpenMP'}, ${(size / 1024).toFixed(0)} KiB)`);
  console.log(`  machine:          ${info.machine}`);
  console.log(`  needs:            ${info.needed.join(' ')}`);
  console.log(`  minimum glibc:    ${info.glibc ?? '-'} (allowed <= ${MAX_GLIBC})`);
  console.log(`  minimum libstdc++: GLIBCXX_${info.glibcxx ?? '-'}, CXXABI_${info.cxxabi ?? '-'} (allowed <= GLIBCXX_${MAX_GLIBCXX})`);
  if (!serial) console.log(`  OpenMP runtime:   libgomp GOMP_${info.gomp ?? '-'}`);
  if (problems.length > 0) {
    for (const p of problems) console.error(`  FAIL: ${p}`);
    process.exit(1);
  }
  console.log('  ok');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
