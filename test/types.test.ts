// Keeps the type declarations honest: test/types/usage.ts holds typical usage
// (must compile) and wrong usage marked @ts-expect-error (must not compile).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');

describe('type declarations', () => {
  it('accept typical usage and reject wrong usage', () => {
    expect(fs.existsSync(path.join(root, 'dist', 'index.d.ts')), 'dist/index.d.ts (npm test builds it first)').toBe(true);
    const tsc = path.join(root, 'node_modules', '.bin', 'tsc');
    const res = spawnSync(tsc, ['-p', path.join(root, 'test', 'types', 'tsconfig.json')], { encoding: 'utf8' });
    expect(`${res.stdout}${res.stderr}`).toBe('');
    expect(res.status).toBe(0);
  });

  it('fails when a wrong usage compiles (the check itself can fail)', () => {
    const dir = fs.mkdtempSync(path.join(root, 'test', 'types', 'tmp-'));
    try {
      fs.writeFileSync(path.join(dir, 'bad.ts'), "import { Dense } from 'gradwell';\n// @ts-expect-error\nnew Dense({ units: 3 });\n");
      fs.writeFileSync(
        path.join(dir, 'tsconfig.json'),
        JSON.stringify({ extends: '../tsconfig.json', compilerOptions: { paths: { gradwell: ['../../../dist/index.d.ts'] } }, files: ['bad.ts'] }),
      );
      const res = spawnSync(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', path.join(dir, 'tsconfig.json')], { encoding: 'utf8' });
      expect(res.status).not.toBe(0);
      expect(res.stdout).toMatch(/Unused '@ts-expect-error' directive/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
