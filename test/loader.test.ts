// The loader: its error when no binary fits, and the serial fallback when the
// OpenMP runtime is missing. Each case builds a package root in a temp dir.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBinding, native } from '../lib/binding';

const repoRoot = path.resolve(__dirname, '..');
const tuple = `${process.platform}-${process.arch}`;
const tempRoots: string[] = [];

function tempRoot(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradwell-loader-'));
  tempRoots.push(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'gradwell', version: '0.0.0' }));
  return dir;
}

afterAll(() => {
  for (const dir of tempRoots) fs.rmSync(dir, { recursive: true, force: true });
});

describe('loadBinding', () => {
  it('names the platform, the Node version and the fixes when no binary exists', () => {
    const root = tempRoot();
    let message = '';
    try {
      loadBinding(root);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`gradwell: no native binary for ${tuple}`);
    expect(message).toContain(`Node ${process.version}, N-API ${process.versions.napi}`);
    expect(message).toContain(path.join(root, 'prebuilds', tuple));
    expect(message).toContain('This package has prebuilt binaries for: none.');
    expect(message).toContain("npm rebuild gradwell");
    expect(message).toMatch(/Cause: No native build was found for platform=/);
  });

  it('lists the platforms it does hold', () => {
    const root = tempRoot();
    fs.mkdirSync(path.join(root, 'prebuilds', 'sunos-sparc'), { recursive: true });
    fs.mkdirSync(path.join(root, 'prebuilds', 'aix-ppc64'), { recursive: true });
    expect(() => loadBinding(root)).toThrow(/prebuilt binaries for: aix-ppc64, sunos-sparc\./);
  });

  // A copy of the real addon whose libgomp dependency is renamed to one that does not exist
  // stands in for a machine without the OpenMP runtime.
  it.runIf(process.platform === 'linux' && native.backend().openmp)(
    'falls back to the serial build with a warning when libgomp is missing',
    () => {
      const realBinary = (require('node-gyp-build') as { resolve(dir: string): string }).resolve(repoRoot);
      const bytes = fs.readFileSync(realBinary);
      const needed = Buffer.from('libgomp.so.1\0');
      const at = bytes.indexOf(needed);
      expect(at).toBeGreaterThan(0);
      Buffer.from('libgomp.so.9\0').copy(bytes, at);

      const root = tempRoot();
      const dir = path.join(root, 'prebuilds', tuple);
      fs.mkdirSync(path.join(dir, 'serial'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'gradwell.napi.node'), bytes);
      // Without the serial build the error is the plain one, cause included.
      expect(() => loadBinding(root)).toThrow(/libgomp\.so\.9: cannot open shared object file/);

      fs.copyFileSync(realBinary, path.join(dir, 'serial', 'gradwell.node'));
      const warnings: string[] = [];
      const binding = loadBinding(root, { warn: (m) => warnings.push(m) });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/OpenMP runtime \(libgomp\.so\.1\) is not installed.*single thread/);
      expect(binding.backend().threads).toBe(1);
      const x = new Float32Array(5);
      binding.ops.fill(x, 2.5);
      expect(Array.from(x)).toEqual([2.5, 2.5, 2.5, 2.5, 2.5]);
    },
  );
});
