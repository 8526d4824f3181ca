// One source list (native/sources.json) feeds both builds; this checks that
// binding.gyp and CMakeLists.txt really see the same files, and that every
// .cpp under native/ is in the list exactly once.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const groups = ['core', 'binding', 'sse2', 'avx2', 'avx512', 'neon'] as const;

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}

function gypSources(group: string): string[] {
  const out = execFileSync(process.execPath, [path.join(root, 'native', 'sources.js'), group], { cwd: root }).toString();
  return out.split(' ').filter(Boolean);
}

function cmakeSources(): Record<string, string[]> {
  // cmake's message() writes to stderr.
  const res = spawnSync('cmake', ['-DGW_ROOT=.', '-P', 'native/sources.cmake'], { cwd: root });
  if (res.status !== 0) throw new Error(`cmake -P native/sources.cmake failed: ${res.stderr}`);
  const text = `${res.stdout}${res.stderr}`;
  const result: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+): (.*)$/.exec(line.trim());
    if (m) result[m[1]] = m[2].split(';').filter(Boolean);
  }
  return result;
}

describe('native source lists', () => {
  it('binding.gyp and CMakeLists.txt both read native/sources.json', () => {
    const gyp = fs.readFileSync(path.join(root, 'binding.gyp'), 'utf8');
    const cmake = fs.readFileSync(path.join(root, 'CMakeLists.txt'), 'utf8');
    for (const g of groups) expect(gyp).toContain(`node native/sources.js ${g}`);
    expect(cmake).toContain('gw_read_sources(');
    expect(gyp).not.toMatch(/\.cpp"/); // no source listed by hand
    expect(cmake).not.toMatch(/\.cpp\b/);
  });

  it('gives node-gyp and cmake the same files per group', () => {
    const cm = cmakeSources();
    for (const g of groups) {
      expect(cm[g], `cmake group ${g}`).toEqual(gypSources(g));
    }
  });

  it('lists every .cpp under native/ exactly once, and only existing files', () => {
    const listed = groups.flatMap((g) => gypSources(g));
    expect(new Set(listed).size).toBe(listed.length);
    for (const f of listed) expect(fs.existsSync(path.join(root, f)), f).toBe(true);
    // native/mpi is the separate MPI module (npm run build:mpi, its own binding.gyp), not part of the addon
    const onDisk = walk(path.join(root, 'native'))
      .filter((f) => f.endsWith('.cpp'))
      .map((f) => path.relative(root, f).split(path.sep).join('/'))
      .filter((f) => !f.startsWith('native/mpi/'));
    expect([...onDisk].sort()).toEqual([...listed].sort());
  });

  it('ships no -march=native', () => {
    for (const f of ['binding.gyp', 'CMakeLists.txt', 'native/sources.json']) {
      expect(fs.readFileSync(path.join(root, f), 'utf8')).not.toContain('march=native');
    }
  });
});
