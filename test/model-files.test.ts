// Hostile model files: truncated, oversized, bit-flipped and adversarial
// architecture JSON and weights, in both layouts (model.safetensors with the
// architecture in its metadata; 0.1.0's manifest + model.json +
// weights.safetensors), and IDX files, are rejected with an Error that says
// what is wrong, before any allocation the file cannot justify.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dense, SGD, Sequential, loadModel } from '../lib';
import { decodeIdx, encodeIdx } from '../lib/data';
import { writeDirAtomic } from '../lib/io/atomic';
import { packModelFile } from '../lib/io/model-save';
import { parseSafetensors, serializeSafetensors, type TensorToWrite } from '../lib/io/safetensors';
import { rng } from './helpers/isa';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-hostile-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = () => path.join(tmp, `m${n++}`);

let goodJson: Record<string, unknown>;
/** The weights as 0.1.0's weights.safetensors held them. */
let goodWeights: Uint8Array;
/** The whole model.safetensors of the save. */
let goodFile: Uint8Array;

type Layout = 'model.safetensors' | '0.1.0';
const layouts: Layout[] = ['model.safetensors', '0.1.0'];

beforeAll(async () => {
  const m = new Sequential([new Dense({ units: 4, activation: 'relu', inputShape: [3] }), new Dense({ units: 2 })], { seed: 1 });
  m.build([3]);
  m.compile({ optimizer: new SGD({ lr: 0.1, momentum: 0.9 }), loss: 'mse' });
  const dir = fresh();
  await m.save(dir);
  expect(fs.readdirSync(dir)).toEqual(['model.safetensors']);
  goodFile = new Uint8Array(fs.readFileSync(path.join(dir, 'model.safetensors')));
  const parsed = parseSafetensors(goodFile);
  goodJson = JSON.parse(parsed.metadata['gradwell.model']);
  goodWeights = serializeSafetensors(parsed.tensors, { format: 'gradwell-model' });
});

/**
 * Writes a model directory in `layout` from the architecture JSON text and a weights file
 * (for model.safetensors: its tensors are repacked with the JSON and valid digests, or, if
 * the weights do not parse, written as they are), then loads it.
 */
async function loadFiles(layout: Layout, json: string | Uint8Array, weights: Uint8Array): Promise<Sequential> {
  const dir = fresh();
  if (layout === '0.1.0') {
    await writeDirAtomic(dir, { 'model.json': json, 'weights.safetensors': weights });
  } else {
    let tensors: Map<string, TensorToWrite> | null = null;
    try {
      tensors = parseSafetensors(weights).tensors;
    } catch {
      tensors = null;
    }
    const text = typeof json === 'string' ? json : new TextDecoder().decode(json);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'model.safetensors'), tensors ? packModelFile(text, tensors) : weights);
  }
  return loadModel(dir);
}

/** The architecture JSON as edited by `edit` with the given weights, in `layout`, loaded. */
async function loadEditedIn(layout: Layout, edit: (j: any) => void, weights: Uint8Array = goodWeights): Promise<Sequential> {
  const j = structuredClone(goodJson);
  edit(j);
  return loadFiles(layout, JSON.stringify(j), weights);
}

describe('loadModel and model.save say what the user called, the path and what is wrong', () => {
  it('a directory that does not exist', async () => {
    const dir = path.join(tmp, 'no', 'such', 'dir');
    await expect(loadModel(dir)).rejects.toThrow(`loadModel(${dir}): the directory does not exist (${path.resolve(dir)})`);
  });

  it('a path that is a file, for loadModel and for model.save', async () => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'x');
    await expect(loadModel(file)).rejects.toThrow(`loadModel(${file}): not a directory (it is a file)`);
    const m = new Sequential([new Dense({ units: 2, inputShape: [3] })], { seed: 1 });
    m.build([3]);
    await expect(m.save(file)).rejects.toThrow(`model.save(${file}): not a directory (it, or a part of the path, is a file)`);
    await expect(m.save(path.join(file, 'sub'))).rejects.toThrow(`model.save(${path.join(file, 'sub')}): not a directory`);
    await expect(m.save('')).rejects.toThrow(/^model\.save: dir must be a non-empty directory path string/);
    await expect(new Sequential([new Dense({ units: 2 })]).save(fresh())).rejects.toThrow(/^model\.save: the model is not built yet/);
  });

  it('a directory that holds no saved model', async () => {
    const dir = fresh();
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello');
    await expect(loadModel(dir)).rejects.toThrow(`loadModel(${dir}): not a gradwell model directory (no model.safetensors: it was not written by model.save`);
  });

  it('a corrupt 0.1.0 save names the file and the check that failed', async () => {
    const dir = fresh();
    await writeDirAtomic(dir, { 'model.json': JSON.stringify(goodJson), 'weights.safetensors': goodWeights });
    const w = fs.readdirSync(dir).find((f) => f.startsWith('weights'))!;
    const bytes = fs.readFileSync(path.join(dir, w));
    bytes[bytes.length - 1] ^= 1;
    fs.writeFileSync(path.join(dir, w), bytes);
    await expect(loadModel(dir)).rejects.toThrow(`loadModel(${dir}): corrupt save: ${path.join(dir, w)} ('weights.safetensors') is corrupt: sha256 check failed`);
    fs.truncateSync(path.join(dir, w), 10);
    await expect(loadModel(dir)).rejects.toThrow(`('weights.safetensors') is corrupt: size check failed, 10 bytes, manifest.json says ${goodWeights.length}`);
    fs.writeFileSync(path.join(dir, 'manifest.json'), '{');
    await expect(loadModel(dir)).rejects.toThrow(`loadModel(${dir}): corrupt save: ${path.join(dir, 'manifest.json')} is not valid JSON`);
  });

  it('a valid 0.1.0-layout save of something else is not a gradwell model', async () => {
    const dir = fresh();
    await writeDirAtomic(dir, { 'model.json': JSON.stringify({ format: 'keras' }), 'weights.safetensors': goodWeights });
    await expect(loadModel(dir)).rejects.toThrow(`loadModel(${dir}): model.json is not a gradwell-model file`);
  });
});


describe.each(layouts)('loadModel on an adversarial architecture (%s)', (layout) => {
  const loadEdited = (edit: (j: any) => void, weights: Uint8Array = goodWeights) => loadEditedIn(layout, edit, weights);
  it('the untouched files load (control)', async () => {
    const m = await loadEdited(() => {});
    expect(m.layers.map((l) => l.className)).toEqual(['Dense', 'Dense']);
  });

  const cases: [string, (j: any) => void, RegExp][] = [
    ['units: "x"', (j) => (j.layers[0].config.units = 'x'), /layer 0 \(Dense\) has units "x"/],
    ['units: 1e12', (j) => (j.layers[0].config.units = 1e12), /layer 0 \(Dense\) has units 1000000000000; expected an integer in \[1, 67108864\]/],
    ['units: 0.5', (j) => (j.layers[1].config.units = 0.5), /layer 1 \(Dense\) has units 0.5/],
    ['units: -3', (j) => (j.layers[1].config.units = -3), /layer 1 \(Dense\) has units -3/],
    ['layers: {}', (j) => (j.layers = {}), /has no layers/],
    ['layers: []', (j) => (j.layers = []), /has no layers/],
    ['inputShape: [1e12]', (j) => (j.inputShape = [1e12]), /inputShape \[1000000000000\] has 1000000000000 elements per sample \(at most 67108864\)/],
    ['inputShape: [65536, 65536]', (j) => (j.inputShape = [65536, 65536]), /elements per sample/],
    ['inputShape: ["3"]', (j) => (j.inputShape = ['3']), /inputShape must be an array of 1 to 8 positive integers, found \["3"\]/],
    ['inputShape: []', (j) => (j.inputShape = []), /inputShape must be an array/],
    ['inputShape: {}', (j) => (j.inputShape = {}), /inputShape must be an array/],
    ['unknown className', (j) => (j.layers[0].className = 'Conv9D'), /layer 0 has unknown class "Conv9D" \(known: Dense/],
    ['className "constructor"', (j) => (j.layers[0].className = 'constructor'), /layer 0 has unknown class "constructor"/],
    ['className "__proto__"', (j) => (j.layers[1].className = '__proto__'), /layer 1 has unknown class "__proto__"/],
    ['className "toString"', (j) => (j.layers[0].className = 'toString'), /unknown class "toString"/],
    ['className: 7', (j) => (j.layers[0].className = 7), /unknown class 7/],
    ['layer null', (j) => (j.layers[0] = null), /layer 0 has unknown class/],
    ['config: []', (j) => (j.layers[0].config = []), /layer 0 \(Dense\) has no config object/],
    ['config: null', (j) => (j.layers[0].config = null), /no config object/],
    ['layer name {}', (j) => (j.layers[0].config.name = {}), /non-string name/],
    ['duplicate layer names', (j) => (j.layers[1].config.name = j.layers[0].config.name), /already exists/],
    ['model name 5', (j) => (j.name = 5), /model name must be a string/],
    ['seed -1', (j) => (j.seed = -1), /seed must be an integer in \[0, 2\^31\)/],
    ['seed "x"', (j) => (j.seed = 'x'), /seed must be an integer/],
    ['iterations "x"', (j) => (j.training.iterations = 'x'), /training.iterations must be a non-negative integer/],
    ['epochsTrained -2', (j) => (j.training.epochsTrained = -2), /training.epochsTrained must be a non-negative integer/],
    ['compile: "x"', (j) => (j.compile = 'x'), /compile must be an object/],
    ['unknown optimizer', (j) => (j.compile.optimizer = { name: 'nope' }), /bad compile settings/],
    ['unknown loss', (j) => (j.compile.loss.name = 'nope'), /bad compile settings/],
    ['format', (j) => (j.format = 'other'), /not a gradwell-model file/],
    ['version 99', (j) => (j.version = 99), /unsupported format version 99/],
    ['Dropout rate 5', (j) => j.layers.splice(1, 0, { className: 'Dropout', config: { rate: 5 } }), /layer 1 \(Dropout\) has a bad config/],
    ['GroupNorm groups 0', (j) => j.layers.splice(1, 0, { className: 'GroupNorm', config: { groups: 0 } }), /layer 1 \(GroupNorm\) has a bad config/],
    ['GroupNorm groups not dividing', (j) => j.layers.splice(1, 0, { className: 'GroupNorm', config: { groups: 3 } }), /layer 1 \(GroupNorm\) does not accept its input shape \[4\]/],
    ['Dense after a 2-D shape', (j) => (j.inputShape = [3, 2]), /layer 0 \(Dense\) does not accept its input shape \[3,2\]/],
  ];
  for (const [what, edit, message] of cases) {
    it(`rejects ${what}`, async () => {
      await expect(loadEdited(edit)).rejects.toThrow(message);
    });
  }

  it('rejects an architecture whose weights the file cannot hold, before allocating them', async () => {
    // 20000 x 20000 floats would be 1.6 GB: refused from the sizes alone.
    const before = process.memoryUsage().arrayBuffers;
    await expect(
      loadEdited((j) => {
        j.inputShape = [20000];
        j.layers[0].config.units = 20000;
      }),
    ).rejects.toThrow(/the architecture needs 400040000 weights \(1600160000 bytes\) but (weights|model).safetensors has \d+ bytes/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
  });

  it('rejects weights of the wrong size or dtype for the architecture', async () => {
    const bad = serializeSafetensors(new Map([['dense_1.kernel', { dtype: 'F32', shape: [2], data: new Float32Array(2) }]]), {});
    await expect(loadEdited(() => {}, bad)).rejects.toThrow(/loadModel\(.*\): 'dense_1.kernel' has 2 values, the architecture needs 12/);
    const f64 = serializeSafetensors(new Map([['dense_1.kernel', { dtype: 'F64', shape: [12], data: new Float64Array(12) }]]), {});
    await expect(loadEdited(() => {}, f64)).rejects.toThrow(/tensor 'dense_1.kernel' has dtype F64, expected F32/);
  });
});

describe.each(layouts)('loadModel on a damaged weights file (%s)', (layout) => {
  const loadEdited = (edit: (j: any) => void, weights: Uint8Array = goodWeights) => loadEditedIn(layout, edit, weights);
  function header(obj: unknown): Uint8Array {
    // Padded with spaces (valid JSON) so the file is large enough to pass the architecture's size check.
    const text = new TextEncoder().encode(JSON.stringify(obj).padEnd(400, ' '));
    const out = new Uint8Array(8 + text.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
    out.set(text, 8);
    return out;
  }

  it('rejects a header claiming huge shapes or offsets past the end', async () => {
    await expect(loadEdited(() => {}, header({ x: { dtype: 'F32', shape: [1e12], data_offsets: [0, 4e12] } }))).rejects.toThrow(/past the end of the data/);
    await expect(loadEdited(() => {}, header({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }))).rejects.toThrow(/past the end/);
    const hugeLen = new Uint8Array(200);
    new DataView(hugeLen.buffer).setBigUint64(0, 1n << 60n, true);
    await expect(loadEdited(() => {}, hugeLen)).rejects.toThrow(/header length \d+ exceeds/);
  });

  it('weights files cut at any length fail cleanly', async () => {
    for (const cut of [0, 1, 7, 8, 9, 20, goodWeights.length >> 1, goodWeights.length - 1]) {
      await expect(loadEdited(() => {}, goodWeights.subarray(0, cut))).rejects.toThrow(/loadModel|safetensors/);
    }
  });
});

describe('loadModel on a damaged 0.1.0 directory', () => {
  it('a weights file changed on disk after the save: the manifest catches it', async () => {
    const dir = fresh();
    await writeDirAtomic(dir, { 'model.json': JSON.stringify(goodJson), 'weights.safetensors': goodWeights });
    const w = fs.readdirSync(dir).find((f) => f.startsWith('weights'))!;
    fs.truncateSync(path.join(dir, w), 10);
    await expect(loadModel(dir)).rejects.toThrow(/size|sha256|bytes/);
  });

  it('300 random bit flips in either file: a model or an Error, never anything else', async () => {
    const r = rng(99);
    const json = new TextEncoder().encode(JSON.stringify(goodJson));
    let loaded = 0;
    let rejected = 0;
    for (let k = 0; k < 300; k++) {
      const inJson = r() < 0.4;
      const bytes = (inJson ? json : goodWeights).slice();
      const flips = 1 + Math.floor(r() * 4);
      for (let f = 0; f < flips; f++) bytes[Math.floor(r() * bytes.length)] ^= 1 << Math.floor(r() * 8);
      const dir = fresh();
      await writeDirAtomic(dir, { 'model.json': inJson ? bytes : json, 'weights.safetensors': inJson ? goodWeights : bytes });
      try {
        const m = await loadModel(dir);
        expect(m).toBeInstanceOf(Sequential);
        loaded++;
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message.length).toBeGreaterThan(10);
        rejected++;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(loaded + rejected).toBe(300);
    expect(rejected).toBeGreaterThan(0);
  });
});

describe('loadModel on a damaged model.safetensors', () => {
  const write = (bytes: Uint8Array): string => {
    const dir = fresh();
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'model.safetensors'), bytes);
    return dir;
  };
  const dataStart = () => 8 + Number(new DataView(goodFile.buffer, goodFile.byteOffset).getBigUint64(0, true));

  it('the saved file loads (control), and a missing file is named', async () => {
    expect((await loadModel(write(goodFile))).layers).toHaveLength(2);
    const empty = fresh();
    fs.mkdirSync(empty);
    await expect(loadModel(empty)).rejects.toThrow(/not a gradwell model directory \(no model.safetensors: it was not written by model.save/);
  });

  it('truncated at every length: rejected, naming the file', async () => {
    for (let cut = 0; cut < goodFile.length; cut += cut < 64 ? 1 : 37) {
      await expect(loadModel(write(goodFile.subarray(0, cut))), `cut at ${cut}`).rejects.toThrow(/loadModel\(.*\): model.safetensors.*truncated or corrupt/);
    }
  });

  it('any change of a tensor byte is caught by its sha256', async () => {
    const r = rng(3);
    const start = dataStart();
    for (let k = 0; k < 100; k++) {
      const bytes = goodFile.slice();
      const at = start + Math.floor(r() * (bytes.length - start));
      bytes[at] ^= 1 << Math.floor(r() * 8);
      await expect(loadModel(write(bytes))).rejects.toThrow(/model.safetensors is corrupt: tensor '.+' has sha256 [0-9a-f]{64}, the file says [0-9a-f]{64}/);
    }
  });

  it('an edited architecture without a matching sha256 is rejected', async () => {
    const parsed = parseSafetensors(goodFile);
    const meta = { ...parsed.metadata, 'gradwell.model': parsed.metadata['gradwell.model'].replace('"units":4', '"units":5') };
    await expect(loadModel(write(serializeSafetensors(parsed.tensors, meta)))).rejects.toThrow(/the sha256 of its architecture JSON does not match/);
    const noDigest = { ...parsed.metadata, 'gradwell.sha256': JSON.stringify({}) };
    await expect(loadModel(write(serializeSafetensors(parsed.tensors, noDigest)))).rejects.toThrow(/tensor '.+' has no sha256/);
    const other = { ...parsed.metadata, format: 'pt' };
    await expect(loadModel(write(serializeSafetensors(parsed.tensors, other)))).rejects.toThrow(/model.safetensors is not a gradwell-model file \(its __metadata__.format is "pt"\)/);
    const v3 = { ...parsed.metadata, 'gradwell.file_version': '3' };
    await expect(loadModel(write(serializeSafetensors(parsed.tensors, v3)))).rejects.toThrow(/has file version "3" \(this gradwell reads 2\)/);
    await expect(loadModel(write(serializeSafetensors(parsed.tensors, {})))).rejects.toThrow(/its __metadata__.format is missing/);
  });

  it('300 random bit flips anywhere: a model or an Error, never anything else', async () => {
    const r = rng(98);
    let rejected = 0;
    for (let k = 0; k < 300; k++) {
      const bytes = goodFile.slice();
      const flips = 1 + Math.floor(r() * 4);
      for (let f = 0; f < flips; f++) bytes[Math.floor(r() * bytes.length)] ^= 1 << Math.floor(r() * 8);
      try {
        expect(await loadModel(write(bytes))).toBeInstanceOf(Sequential);
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message).toMatch(/^loadModel\(/);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(250);
  });

  it('parseSafetensors: 2000 random corruptions give a result or an Error', () => {
    const r = rng(7);
    for (let k = 0; k < 2000; k++) {
      const bytes = goodWeights.slice(0, Math.max(0, goodWeights.length - (r() < 0.2 ? Math.floor(r() * 40) : 0)));
      for (let f = 0; f < 3; f++) if (bytes.length) bytes[Math.floor(r() * Math.min(bytes.length, 200))] = Math.floor(r() * 256);
      try {
        parseSafetensors(bytes, 'fuzz');
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
      }
    }
  });
});

describe('hostile IDX files', () => {
  const good = encodeIdx(Uint8Array.from({ length: 2 * 4 * 4 }, (_, i) => i), [2, 4, 4]);

  it('rejects headers declaring more data than the file holds, before allocating', () => {
    const huge = good.slice();
    new DataView(huge.buffer).setUint32(4, 0xffffffff); // 2^32-1 images
    expect(() => decodeIdx(huge)).toThrow(/more than the file can hold/);
    const dims = good.slice();
    dims[3] = 200; // 200 dimensions, header runs past the end
    expect(() => decodeIdx(dims)).toThrow(RangeError);
  });

  it('2000 random corruptions and truncations: a result or a RangeError/TypeError', () => {
    const r = rng(5);
    for (let k = 0; k < 2000; k++) {
      const cut = r() < 0.3 ? Math.floor(r() * good.length) : good.length;
      const bytes = good.slice(0, cut);
      for (let f = 0; f < 2; f++) if (bytes.length) bytes[Math.floor(r() * Math.min(bytes.length, 24))] = Math.floor(r() * 256);
      try {
        const out = decodeIdx(bytes);
        expect(out.data.length).toBe(out.dims.reduce((a, b) => a * b, 1));
      } catch (e) {
        expect(e instanceof RangeError || e instanceof TypeError, String(e)).toBe(true);
      }
    }
  });
});
