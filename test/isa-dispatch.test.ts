// Dispatch must never run code of an ISA the CPU lacks. On a CPU that has every ISA
// such a bug is invisible, so the smoke script also runs under qemu-x86_64 emulating
// older CPUs (Nehalem: SSE4.2, no AVX; Haswell: AVX2+FMA, no AVX-512), where an AVX-512
// instruction is an illegal instruction. Its results must equal a native run capped at
// the same ISA (same kernels, bit for bit).
import { spawnSync } from 'child_process';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const script = path.join(__dirname, 'fixtures', 'isa-smoke.cjs');
const qemu = spawnSync('qemu-x86_64', ['--version'], { encoding: 'utf8' });
const onX64Linux = process.platform === 'linux' && process.arch === 'x64';

interface Smoke {
  detectedIsa: string;
  isa: string;
  loss: number[];
  digest: string[];
}

function runSmoke(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Smoke {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 110_000 });
  expect(r.signal, `${cmd} ${args.join(' ')}: ${r.stderr}`).toBeNull();
  expect(r.status, `${cmd} ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as Smoke;
}

// Only x86-64 Linux has qemu-x86_64 for these CPU models; .ci/run installs qemu-user there.
describe.runIf(onX64Linux)('kernel dispatch on older x86-64 CPUs (qemu-x86_64)', () => {
  it('qemu-user is installed (apt-get install qemu-user)', () => {
    expect(qemu.status, 'qemu-x86_64 not found: install Debian package qemu-user').toBe(0);
  });
  for (const [cpu, isa] of [
    ['Nehalem', 'sse2'],
    ['Haswell', 'avx2'],
  ] as const) {
    it(`${cpu}: detects ${isa}, trains, and matches the native run capped at ${isa}`, () => {
      const emulated = runSmoke('qemu-x86_64', ['-cpu', cpu, process.execPath, script]);
      expect(emulated.detectedIsa).toBe(isa);
      expect(emulated.isa).toBe(isa);
      const native = runSmoke(process.execPath, [script], { GRADWELL_MAX_ISA: isa });
      expect(native.isa).toBe(isa);
      expect(emulated.loss).toEqual(native.loss);
      expect(emulated.digest).toEqual(native.digest);
      for (const l of emulated.loss) expect(Number.isFinite(l)).toBe(true);
    });
  }
});
