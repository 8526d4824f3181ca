// Crash safety end to end: a child saves a model (model.save) in a loop and is
// killed with SIGKILL at random moments; after every kill loadModel must give
// a complete model, the previous generation or the one being written, never a
// mix of two generations. The directory holds model.safetensors and at most a
// temp file of the killed save. Needs dist/ (npm test builds it first).
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../lib';
import { rng } from './helpers/isa';

const iterations = Number(process.env.GRADWELL_KILL_ITERATIONS ?? 40);
const child = path.join(__dirname, 'fixtures', 'save-loop.cjs');
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-model-crash-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

/** Runs the child until it starts saving (in the first run: has saved once), waits a random delay, then SIGKILLs it. */
function runAndKill(dir: string, start: number, delayMs: number, onDisk: number): Promise<{ lastSaved: number; lastStarted: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, dir, String(start)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let lastSaved = onDisk; // the generation the directory holds now
    let lastStarted = onDisk;
    let out = '';
    let err = '';
    let armed = false;
    p.stdout.on('data', (d) => {
      out += d;
      let nl;
      while ((nl = out.indexOf('\n')) >= 0) {
        const [word, n] = out.slice(0, nl).split(' ');
        out = out.slice(nl + 1);
        if (word === 'saving') lastStarted = Number(n);
        if (word === 'saved') lastSaved = Number(n);
        // Kill at a random moment once the child is saving (in the first run, once a save exists).
        if (!armed && (start > 1 ? word === 'saving' : word === 'saved')) {
          armed = true;
          setTimeout(() => p.kill('SIGKILL'), delayMs);
        }
      }
    });
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code ?? signal} before the kill: ${err}`));
      else resolve({ lastSaved, lastStarted });
    });
  });
}

describe('model.save under kill -9', () => {
  it(`${iterations} SIGKILLs at random moments: loadModel always gives a whole generation`, async () => {
    const dir = path.join(tmpRoot, 'model');
    const r = rng(4242);
    let next = 1;
    let onDisk = 0;
    let survived = 0;
    let sawNewer = 0;
    for (let it = 0; it < iterations; it++) {
      const { lastSaved, lastStarted } = await runAndKill(dir, next, Math.floor(r() * 150), onDisk);
      const names = fs.readdirSync(dir);
      expect(names).toContain('model.safetensors');
      expect(names.length).toBeLessThanOrEqual(2);
      for (const name of names) expect(name).toMatch(/^(model\.safetensors|\.model\.safetensors\.tmp-[0-9a-f]{16})$/);
      const model = await loadModel(dir);
      const gen = model.epochsTrained;
      // The generation on disk is the last completed save or the one that was in flight.
      expect([lastSaved, lastStarted]).toContain(gen);
      if (gen === lastStarted && lastStarted !== lastSaved) sawNewer++;
      for (const [name, v] of model.getWeights()) {
        expect(v.every((x) => x === gen), `${name} of generation ${gen}`).toBe(true);
      }
      survived++;
      onDisk = gen;
      next = lastStarted + 1;
    }
    expect(survived).toBe(iterations);
    console.log(`model-crash: ${survived} kill -9 iterations survived (${sawNewer} found the in-flight save committed), ${next - 1} saves started`);
  }, 300_000);
});
