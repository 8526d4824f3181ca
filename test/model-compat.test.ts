// Directories written by gradwell 0.1.0 (manifest.json + model.g<hex>.json +
// weights.g<hex>.safetensors) still load: test/fixtures/model-0.1.0 was written
// by the 0.1.0 code (test/fixtures/make-model-0.1.0.cjs, run once at commit
// 0043dae) together with the weights, predictions and one further training step
// that code computed (model-0.1.0.expected.json).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor, loadModel } from '../lib';

const fixture = path.join(__dirname, 'fixtures', 'model-0.1.0');
const expected = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'model-0.1.0.expected.json'), 'utf8')) as {
  x: number[]; y: number[]; predictions: number[]; weights: Record<string, number[]>;
  epochsTrained: number; iterationsBeforeStep: number; afterStep: Record<string, number>; weightsAfterStep: Record<string, number[]>;
};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-compat-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('a 0.1.0 model directory', () => {
  it('is in the 0.1.0 layout (the fixture itself)', () => {
    const names = fs.readdirSync(fixture).sort();
    expect(names).toHaveLength(3);
    expect(names[0]).toBe('manifest.json');
    expect(names[1]).toMatch(/^model\.g[0-9a-f]{16}\.json$/);
    expect(names[2]).toMatch(/^weights\.g[0-9a-f]{16}\.safetensors$/);
  });

  it('loads with the same weights, predictions, training progress and optimizer state', async () => {
    const model = await loadModel(fixture);
    expect(model.layers.map((l) => l.className)).toEqual(['Dense', 'BatchNorm', 'Dense', 'LayerNorm', 'Dense', 'GroupNorm', 'Activation', 'Dropout', 'Dense']);
    const w = model.getWeights();
    expect([...w.keys()].sort()).toEqual(Object.keys(expected.weights).sort());
    for (const [k, v] of w) expect(Array.from(v), k).toEqual(expected.weights[k]);
    expect(model.epochsTrained).toBe(expected.epochsTrained);
    expect(model.optimizer.iterations).toBe(expected.iterationsBeforeStep);
    const x = new Tensor(Float32Array.from(expected.x), [expected.y.length, 6]);
    const pred = await model.predict(x);
    expect(maxDiff(pred.data, expected.predictions)).toBeLessThan(1e-5);
    // One more Adam step from the restored moments gives what 0.1.0 computed.
    const logs = await model.trainOnBatch(x, Int32Array.from(expected.y));
    expect(Math.abs(logs.loss - expected.afterStep.loss)).toBeLessThan(1e-5);
    for (const [k, v] of model.getWeights()) expect(maxDiff(v, expected.weightsAfterStep[k]), k).toBeLessThan(1e-5);
  });

  it('saving over it with the current version keeps it loadable, with the same weights', async () => {
    const dir = path.join(tmp, 'resaved');
    fs.cpSync(fixture, dir, { recursive: true });
    const model = await loadModel(dir);
    await model.save(dir);
    const again = await loadModel(dir);
    for (const [k, v] of again.getWeights()) expect(Array.from(v), k).toEqual(expected.weights[k]);
    expect(again.optimizer.iterations).toBe(expected.iterationsBeforeStep);
    // The 0.1.0 files are gone: the directory is in the current layout.
    expect(fs.readdirSync(dir)).toEqual(['model.safetensors']);
  });

  it('a save over it killed before or after its commit leaves a loadable model', async () => {
    // Killed before the rename: the 0.1.0 files and a temp file of the save.
    const before = path.join(tmp, 'killed-before');
    fs.cpSync(fixture, before, { recursive: true });
    fs.writeFileSync(path.join(before, '.model.safetensors.tmp-0123456789abcdef'), Buffer.alloc(100, 7));
    const old = await loadModel(before);
    for (const [k, v] of old.getWeights()) expect(Array.from(v), k).toEqual(expected.weights[k]);
    // Killed after the rename, before the 0.1.0 files were removed: model.safetensors wins.
    const after = path.join(tmp, 'killed-after');
    fs.cpSync(fixture, after, { recursive: true });
    old.setWeights(new Map([...old.getWeights()].map(([k, v]) => [k, v.map(() => 0.5)])));
    const saved = path.join(tmp, 'fresh');
    await old.save(saved);
    fs.copyFileSync(path.join(saved, 'model.safetensors'), path.join(after, 'model.safetensors'));
    const both = await loadModel(after);
    for (const [k, v] of both.getWeights()) expect(v.every((e) => e === 0.5), k).toBe(true);
    // The next save cleans both leftovers up.
    await both.save(before);
    expect(fs.readdirSync(before)).toEqual(['model.safetensors']);
  });
});
