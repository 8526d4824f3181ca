// The release check of a binary (scripts/check-binary.mjs): its verdicts on
// made-up ELF facts, and its reading of the real addon on Linux.
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { native } from '../lib/binding';

const root = path.resolve(__dirname, '..');

interface BinaryInfo {
  machine: string;
  needed: string[];
  rpath: string[];
  required: Record<string, string[]>;
  glibc: string | null;
  glibcxx: string | null;
  cxxabi: string | null;
  gomp: string | null;
}
interface CheckBinaryModule {
  MAX_GLIBC: string;
  inspectBinary(file: string): BinaryInfo;
  checkBinary(info: BinaryInfo, opts: { arch: string; serial: boolean }): string[];
  checkBuildFlags(root: string): string[];
}

async function load(): Promise<CheckBinaryModule> {
  return (await import(path.join(root, 'scripts', 'check-binary.mjs'))) as CheckBinaryModule;
}

const good: BinaryInfo = {
  machine: 'AArch64',
  needed: ['libstdc++.so.6', 'libgomp.so.1', 'libgcc_s.so.1', 'libc.so.6', 'ld-linux-aarch64.so.1'],
  rpath: [],
  required: { 'libc.so.6': ['GLIBC_2.17'], 'libstdc++.so.6': ['GLIBCXX_3.4.26'], 'libgomp.so.1': ['GOMP_4.0'] },
  glibc: '2.17',
  glibcxx: '3.4.26',
  cxxabi: '1.3.9',
  gomp: '4.0',
};

describe('check-binary', () => {
  it('passes a binary within the limits', async () => {
    const { checkBinary } = await load();
    expect(checkBinary(good, { arch: 'arm64', serial: false })).toEqual([]);
  });

  it('names each violation', async () => {
    const { checkBinary } = await load();
    const bad: BinaryInfo = {
      ...good,
      needed: [...good.needed, 'libopenblas.so.0'],
      rpath: ['$ORIGIN'],
      required: { 'libc.so.6': ['GLIBC_2.17', 'GLIBC_2.34'] },
      glibc: '2.34',
      glibcxx: '3.4.30',
    };
    const problems = checkBinary(bad, { arch: 'x64', serial: true }).join('\n');
    expect(problems).toMatch(/machine is 'AArch64', expected 'Advanced Micro Devices X86-64'/);
    expect(problems).toMatch(/needs libopenblas\.so\.0, which Node does not load/);
    expect(problems).toMatch(/the serial build must not need libgomp\.so\.1/);
    expect(problems).toMatch(/RPATH\/RUNPATH \$ORIGIN/);
    expect(problems).toMatch(/needs glibc 2\.34 > 2\.28: GLIBC_2\.34 \(libc\.so\.6\)/);
    expect(problems).toMatch(/GLIBCXX_3\.4\.30 > GLIBCXX_3\.4\.26/);
  });

  it('finds no -march=native in the build files', async () => {
    const { checkBuildFlags } = await load();
    expect(checkBuildFlags(root)).toEqual([]);
  });

  it.runIf(process.platform === 'linux')('reads the real addon', async () => {
    const { inspectBinary, checkBinary } = await load();
    const file = (require('node-gyp-build') as { resolve(dir: string): string }).resolve(root);
    const info = inspectBinary(file);
    expect(info.needed).toContain('libc.so.6');
    expect(info.needed.includes('libgomp.so.1')).toBe(native.backend().openmp);
    expect(info.glibc).toMatch(/^2\.\d+$/);
    const arch = process.arch;
    expect(checkBinary(info, { arch, serial: !native.backend().openmp })).toEqual([]);
  });
});
