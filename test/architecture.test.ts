// Layout rules of lib/: no runtime import cycle (type-only imports aside), no
// file over 500 lines, and importing the library does not load cli-progress.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const libDir = path.join(root, 'lib');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports that exist at run time: `import type` / `export type` and `import { type a, type b }` are erased. */
export function runtimeImports(file: string, source: string): string[] {
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s+'(\.[^']+)';/gms;
  for (const m of source.matchAll(re)) {
    if (m[2]) continue;
    const clause = m[3];
    const braces = /^\{([^}]*)\}$/.exec(clause.trim());
    if (braces && braces[1].split(',').every((s) => s.trim() === '' || s.trim().startsWith('type '))) continue;
    let target = path.resolve(path.dirname(file), m[4]);
    if (fs.existsSync(`${target}.ts`)) target = `${target}.ts`;
    else if (fs.existsSync(path.join(target, 'index.ts'))) target = path.join(target, 'index.ts');
    else continue;
    out.push(target);
  }
  for (const m of source.matchAll(/^\s*import\s+'(\.[^']+)';/gm)) out.push(path.resolve(path.dirname(file), `${m[1]}.ts`));
  return out;
}

function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 1);
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      if (state.get(d) === 1) cycles.push([...stack.slice(stack.indexOf(d)), d].map((p) => path.relative(libDir, p)));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
  return cycles;
}

describe('lib/ layout', () => {
  const files = tsFiles(libDir);
  const graph = new Map(files.map((f) => [f, runtimeImports(f, fs.readFileSync(f, 'utf8'))]));

  it('has no runtime import cycle', () => {
    expect(graph.size).toBeGreaterThan(30);
    expect(findCycles(graph)).toEqual([]);
  });

  it('the cycle finder finds a cycle (the check itself can fail)', () => {
    const a = path.join(libDir, 'a.ts');
    const b = path.join(libDir, 'b.ts');
    expect(findCycles(new Map([[a, [b]], [b, [a]]]))).toEqual([['a.ts', 'b.ts', 'a.ts']]);
    // a type-only import is not a runtime edge, a mixed one is
    expect(runtimeImports(path.join(libDir, 'x.ts'), "import type { Sequential } from './model';\nimport { type A } from './model';")).toEqual([]);
    expect(runtimeImports(path.join(libDir, 'x.ts'), "import { type A, b } from './model';")).toEqual([path.join(libDir, 'model.ts')]);
  });

  it('has no file over 500 lines', () => {
    const long = files.map((f) => [path.relative(root, f), fs.readFileSync(f, 'utf8').split('\n').length] as const).filter(([, n]) => n > 500);
    expect(long).toEqual([]);
  });

  it('does not load cli-progress when the library is imported', () => {
    const script = "require('./dist/index.js'); const loaded = Object.keys(require.cache).filter((k) => k.includes('cli-progress')); console.log(JSON.stringify(loaded));";
    const res = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout.trim())).toEqual([]);
  });
});
