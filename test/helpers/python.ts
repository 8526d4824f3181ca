// The PyTorch / ONNX peers: Debian's /usr/bin/python3 with python3-torch and python3-onnx
// (the `python3` first on PATH may lack them). A test needing a module is skipped only
// when the module is absent AND GRADWELL_REQUIRE_PYTHON is not set; .ci/run sets it, so
// there a missing peer fails the run instead of skipping.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const PYTHON = process.env.GRADWELL_PYTHON ?? '/usr/bin/python3';
export const pythonRequired = !!process.env.GRADWELL_REQUIRE_PYTHON && process.env.GRADWELL_REQUIRE_PYTHON !== '0';
export const pythonDir = path.join(__dirname, '..', 'python');

const cache = new Map<string, string | null>();

/** null when `python -c "import <module>"` works, else why not. */
export function pythonMissing(module: string): string | null {
  if (!cache.has(module)) {
    if (!fs.existsSync(PYTHON)) cache.set(module, `${PYTHON} does not exist`);
    else {
      const r = spawnSync(PYTHON, ['-c', `import ${module}`], { encoding: 'utf8', timeout: 120_000 });
      cache.set(module, r.status === 0 ? null : `${PYTHON} cannot import ${module}: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`);
    }
  }
  return cache.get(module)!;
}

/** Whether to skip tests needing `module`: absent and not required (a required, absent module fails in the test). */
export function skipWithout(module: string): boolean {
  const why = pythonMissing(module);
  if (why && !pythonRequired) console.warn(`skipping the ${module} peer tests: ${why} (set GRADWELL_REQUIRE_PYTHON=1 to fail instead)`);
  return why !== null && !pythonRequired;
}

/** Runs a script of test/python with arguments; throws with its stderr on failure; returns stdout's last line parsed as JSON. */
export function runPython(script: string, args: string[], timeoutMs = 600_000): unknown {
  const why = pythonMissing(script.startsWith('onnx') ? 'onnx' : 'torch');
  if (why) throw new Error(`GRADWELL_REQUIRE_PYTHON is set but ${why}`);
  const r = spawnSync(PYTHON, [path.join(pythonDir, script), ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: '1' },
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status ?? r.signal}): ${r.stderr || r.error?.message}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}
