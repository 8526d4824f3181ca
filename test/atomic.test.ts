import { spawn } from 'child_process';
import { transformSync } from 'esbuild';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { MANIFEST_NAME, readDirAtomic, resolveDirFiles, writeDirAtomic, writeFileAtomic, type SaveStage } from '../lib/io/atomic';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-atomic-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
let counter = 0;
const freshDir = () => fs.mkdtempSync(path.join(tmpRoot, `d${counter++}-`));

/** A model payload whose two files both carry `gen`, so a mixed pair is detectable. */
function payload(gen: number, weightBytes = 4096): Record<string, Uint8Array | string> {
  return { 'model.json': JSON.stringify({ gen }), 'weights.safetensors': new Uint8Array(weightBytes).fill(gen % 256) };
}

async function loadGen(dir: string): Promise<number> {
  const files = await readDirAtomic(dir);
  expect([...files.keys()].sort()).toEqual(['model.json', 'weights.safetensors']);
  const gen = (JSON.parse(files.get('model.json')!.toString('utf8')) as { gen: number }).gen;
  const w = files.get('weights.safetensors')!;
  expect(w.every((b) => b === gen % 256), `weights of generation ${gen}`).toBe(true);
  return gen;
}

describe('writeFileAtomic', () => {
  it('creates and replaces a file, leaving no temp file', async () => {
    const dir = freshDir();
    const p = path.join(dir, 'a.bin');
    await writeFileAtomic(p, 'first');
    await writeFileAtomic(p, Uint8Array.from([1, 2, 3]));
    expect([...fs.readFileSync(p)]).toEqual([1, 2, 3]);
    expect(fs.readdirSync(dir)).toEqual(['a.bin']);
  });

  it('removes its temp file when the rename fails and keeps the target', async () => {
    const dir = freshDir();
    const target = path.join(dir, 'sub');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'keep'), 'x'); // rename over a non-empty directory fails
    await expect(writeFileAtomic(target, 'data')).rejects.toThrow();
    expect(fs.readdirSync(dir)).toEqual(['sub']);
    await expect(writeFileAtomic(path.join(dir, 'no', 'such', 'dir'), 'x')).rejects.toThrow(/ENOENT/);
    await expect(writeFileAtomic(path.join(dir, 'x'), 42 as never)).rejects.toThrow(TypeError);
  });
});

describe('writeDirAtomic', () => {
  it('saves, replaces and reads back a consistent set; removes the previous generation', async () => {
    const dir = path.join(freshDir(), 'model'); // created on demand
    await writeDirAtomic(dir, payload(1));
    expect(await loadGen(dir)).toBe(1);
    fs.writeFileSync(path.join(dir, 'README.txt'), 'user file'); // never touched
    await writeDirAtomic(dir, payload(2));
    expect(await loadGen(dir)).toBe(2);
    const names = fs.readdirSync(dir).sort();
    expect(names).toHaveLength(4);
    expect(names).toContain(MANIFEST_NAME);
    expect(names).toContain('README.txt');
    expect(names.filter((n) => /^model\.g[0-9a-f]{16}\.json$/.test(n))).toHaveLength(1);
    expect(names.filter((n) => /^weights\.g[0-9a-f]{16}\.safetensors$/.test(n))).toHaveLength(1);
    const paths = await resolveDirFiles(dir);
    expect(fs.readFileSync(paths.get('model.json')!, 'utf8')).toBe('{"gen":2}');
  });

  const stages: SaveStage[] = ['cleaned', 'file-written', 'files-synced'];
  for (const stage of stages) {
    it(`a failure at '${stage}' leaves the previous save loadable and no new files`, async () => {
      const dir = freshDir();
      await writeDirAtomic(dir, payload(1));
      const before = fs.readdirSync(dir).sort();
      await expect(
        writeDirAtomic(dir, payload(2), (s) => {
          if (s === stage) throw new Error(`injected at ${s}`);
        }),
      ).rejects.toThrow(`injected at ${stage}`);
      expect(await loadGen(dir)).toBe(1);
      expect(fs.readdirSync(dir).sort()).toEqual(before);
    });
  }

  it('a failure after the commit leaves the new save', async () => {
    const dir = freshDir();
    await writeDirAtomic(dir, payload(1));
    await expect(writeDirAtomic(dir, payload(2), (s) => {
      if (s === 'committed') throw new Error('late');
    })).rejects.toThrow('late');
    expect(await loadGen(dir)).toBe(2);
  });

  it('cleans files left by a crashed save on the next save, and only those', async () => {
    const dir = freshDir();
    await writeDirAtomic(dir, payload(1));
    const leftovers = ['weights.g0123456789abcdef.safetensors', 'model.g0123456789abcdef.json', `.${MANIFEST_NAME}.tmp-0011223344556677`];
    for (const f of leftovers) fs.writeFileSync(path.join(dir, f), 'partial');
    fs.writeFileSync(path.join(dir, 'weights.backup.safetensors'), 'user'); // not our pattern
    expect(await loadGen(dir)).toBe(1); // leftovers do not disturb readers
    await writeDirAtomic(dir, payload(2));
    const names = fs.readdirSync(dir);
    for (const f of leftovers) expect(names).not.toContain(f);
    expect(names).toContain('weights.backup.safetensors');
    expect(await loadGen(dir)).toBe(2);
  });

  it('detects a corrupted or missing file, and a missing manifest', async () => {
    const dir = freshDir();
    await writeDirAtomic(dir, payload(1));
    const paths = await resolveDirFiles(dir);
    const w = paths.get('weights.safetensors')!;
    const bytes = fs.readFileSync(w);
    bytes[100] ^= 1;
    fs.writeFileSync(w, bytes);
    await expect(readDirAtomic(dir)).rejects.toThrow(/'weights.safetensors'\) is corrupt/);
    fs.rmSync(w);
    await expect(readDirAtomic(dir)).rejects.toThrow(/names a file that does not exist/);
    await expect(readDirAtomic(freshDir())).rejects.toThrow(/readDirAtomic\(.*\): (the directory does not exist|not a gradwell model directory \(no manifest.json)/);
    fs.writeFileSync(path.join(dir, MANIFEST_NAME), '{"format": "other"}');
    await expect(readDirAtomic(dir)).rejects.toThrow(/corrupt save: .*manifest.json is not a gradwell-dir version 1 manifest/);
  });

  it('rejects bad file names', async () => {
    const dir = freshDir();
    for (const bad of ['../evil', 'a/b', '.hidden', MANIFEST_NAME, 'x.g0123456789abcdef.bin', '']) {
      await expect(writeDirAtomic(dir, { [bad]: 'x' })).rejects.toThrow(/bad file name/);
    }
    await expect(writeDirAtomic(dir, { 'a.json': 5 as never })).rejects.toThrow(TypeError);
  });

  it('survives SIGKILL at random moments: always the last committed save or a later one, never a mix', async () => {
    // The child saves generations 1, 2, 3, ... in a loop, printing each number once committed.
    const dir = freshDir();
    const js = transformSync(fs.readFileSync(path.join(__dirname, '..', 'lib', 'io', 'atomic.ts'), 'utf8'), {
      loader: 'ts',
      format: 'cjs',
    }).code;
    fs.writeFileSync(path.join(tmpRoot, 'atomic.js'), js);
    const child = path.join(tmpRoot, 'saver.js');
    fs.writeFileSync(
      child,
      `const { writeDirAtomic } = require('./atomic.js');
       (async () => {
         for (let gen = Number(process.argv[3]); ; gen++) {
           await writeDirAtomic(process.argv[2], {
             'model.json': JSON.stringify({ gen }),
             'weights.safetensors': new Uint8Array(200000 + (gen % 7) * 10000).fill(gen % 256),
           });
           process.stdout.write(gen + '\\n');
         }
       })();`,
    );
    let committed = 0;
    let lastLoaded = 0;
    for (let round = 0; round < 12; round++) {
      const proc = spawn(process.execPath, [child, dir, String(lastLoaded + 1)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
      // Wait for the first commit (process start-up is slow on a busy machine), then kill it
      // at a moment that varies by round, in the middle of later saves.
      const started = Date.now();
      while (!out.includes('\n') && Date.now() - started < 20_000 && proc.exitCode === null) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 3 + ((round * 37) % 60)));
      proc.kill('SIGKILL');
      await exited;
      const printed = out.split('\n').filter(Boolean).map(Number);
      if (printed.length) committed = printed[printed.length - 1];
      if (committed === 0 && !fs.existsSync(path.join(dir, MANIFEST_NAME))) continue; // killed before the first commit
      const gen = await loadGen(dir);
      expect(gen).toBeGreaterThanOrEqual(committed); // may be one further: committed, killed before printing
      expect(gen).toBeGreaterThanOrEqual(lastLoaded);
      lastLoaded = gen;
    }
    expect(lastLoaded, 'the child never committed a save').toBeGreaterThan(0);
    await writeDirAtomic(dir, payload(9999));
    expect(await loadGen(dir)).toBe(9999);
    expect(fs.readdirSync(dir)).toHaveLength(3); // manifest + 2 files: every leftover cleaned
  });
});
