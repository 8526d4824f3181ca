// Loading models saved by lib/io/model-save.ts (<dir>/model.safetensors, format
// version 2) or by gradwell 0.1.0 (manifest.json + model.g<hex>.json +
// weights.g<hex>.safetensors, read atomically), validating everything read
// before allocating what the file cannot justify.
import { promises as fsp } from 'fs';
import * as path from 'path';
import { Activation, AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, Flatten, GlobalAveragePooling2D, GroupNorm, InstanceNorm, Layer, LayerNorm, MaxPool2D, Reshape, SpatialDropout2D, StochasticPool2D } from '../layers';
import { getLoss } from '../losses';
import { Sequential } from '../model';
import { optimizerFromConfig } from '../optimizers';
import { pathProblem } from '../errors';
import { MANIFEST_NAME, checkDirExists, readDirAtomic } from './atomic';
import { META, MODEL_FILE, MODEL_FILE_VERSION, MODEL_FORMAT, MODEL_FORMAT_VERSION, sha256, type SavedModel } from './model-save';
import { parseSafetensors, readSafetensorsFile, type SafetensorsContents } from './safetensors';

export { MODEL_FILE, MODEL_FORMAT, MODEL_FORMAT_VERSION, saveModel, serializeModel } from './model-save';

const layerFactories: Record<string, (c: Record<string, unknown>) => Layer> = {
  Dense: (c) => new Dense(c as never),
  Activation: (c) => new Activation(c.activation as string, c as never),
  Dropout: (c) => new Dropout(c.rate as number, c as never),
  Flatten: (c) => new Flatten(c as never),
  BatchNorm: (c) => new BatchNorm(c as never),
  LayerNorm: (c) => new LayerNorm(c as never),
  GroupNorm: (c) => new GroupNorm(c as never),
  InstanceNorm: (c) => new InstanceNorm(c as never),
  Reshape: (c) => new Reshape(c as never),
  Conv2D: (c) => new Conv2D(c as never),
  MaxPool2D: (c) => new MaxPool2D(c as never),
  AvgPool2D: (c) => new AvgPool2D(c as never),
  GlobalAveragePooling2D: (c) => new GlobalAveragePooling2D(c as never),
  SpatialDropout2D: (c) => new SpatialDropout2D(c.rate as number, c as never),
  StochasticPool2D: (c) => new StochasticPool2D(c as never),
};

/** Integer options of conv and pooling layers (n or [a, b]) bounded before a layer is made from them. */
const SPATIAL_KEYS: Record<string, string[]> = {
  Conv2D: ['filters', 'kernelSize', 'strides', 'padding', 'dilation', 'groups'],
  MaxPool2D: ['poolSize', 'strides', 'padding'],
  AvgPool2D: ['poolSize', 'strides', 'padding'],
  StochasticPool2D: ['poolSize', 'strides', 'padding'],
};

/** Largest per-sample tensor a loaded model may declare (elements), checked before any allocation. */
export const MAX_SAMPLE_ELEMENTS = 2 ** 26;
const MAX_LAYERS = 10_000;

function checkShape(dir: string, what: string, shape: unknown): asserts shape is number[] {
  if (!Array.isArray(shape) || shape.length === 0 || shape.length > 8 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    fail(dir, `${what} must be an array of 1 to 8 positive integers, found ${JSON.stringify(shape) ?? String(shape)}`);
  }
  const size = shape.reduce((p: number, d: number) => p * d, 1);
  if (size > MAX_SAMPLE_ELEMENTS) fail(dir, `${what} [${shape}] has ${size} elements per sample (at most ${MAX_SAMPLE_ELEMENTS})`);
}

function fail(dir: string, what: string): never {
  throw new Error(`loadModel(${dir}): ${what}`);
}

function counter(dir: string, what: string, v: unknown): number {
  if (v === undefined) return 0;
  if (!(Number.isSafeInteger(v) && (v as number) >= 0)) fail(dir, `${what} must be a non-negative integer, found ${JSON.stringify(v) ?? String(v)}`);
  return v as number;
}

interface ModelFiles {
  /** The architecture JSON text. */
  json: string;
  /** Where the JSON came from, for messages. */
  jsonName: string;
  /** The weights file: its name (for messages), size and a parser of its contents. */
  weightsName: string;
  weightsBytes: number;
  parse: () => SafetensorsContents;
}

const isMissing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

/** model.safetensors with its metadata and digests checked. */
async function readModelFile(dir: string): Promise<ModelFiles | null> {
  const file = path.join(dir, MODEL_FILE);
  let contents: SafetensorsContents;
  let size: number;
  try {
    // The header is checked against the file size before any tensor is read, each tensor
    // straight into its own array (no second copy of the file in memory).
    size = (await fsp.stat(file)).size;
    contents = await readSafetensorsFile(file);
  } catch (e) {
    if (isMissing(e)) return null;
    if ((e as NodeJS.ErrnoException).code) fail(dir, `${MODEL_FILE} ${pathProblem(e, 'file')}`);
    fail(dir, `${MODEL_FILE}: ${(e as Error).message.replace(/^safetensors [^:]*: /, '')} (the file is truncated or corrupt)`);
  }
  const meta = contents.metadata;
  if (meta[META.format] !== MODEL_FORMAT) fail(dir, `${MODEL_FILE} is not a ${MODEL_FORMAT} file (its __metadata__.format is ${JSON.stringify(meta[META.format]) ?? 'missing'})`);
  if (meta[META.fileVersion] !== String(MODEL_FILE_VERSION)) {
    fail(dir, `${MODEL_FILE} has file version ${JSON.stringify(meta[META.fileVersion]) ?? 'missing'} (this gradwell reads ${MODEL_FILE_VERSION})`);
  }
  const json = meta[META.model];
  if (typeof json !== 'string') fail(dir, `${MODEL_FILE} has no architecture (__metadata__['${META.model}'])`);
  if (sha256(json) !== meta[META.modelSha256]) fail(dir, `${MODEL_FILE} is corrupt: the sha256 of its architecture JSON does not match '${META.modelSha256}'`);
  let digests: Record<string, unknown>;
  try {
    digests = JSON.parse(meta[META.tensorSha256] ?? '') as Record<string, unknown>;
  } catch {
    fail(dir, `${MODEL_FILE} is corrupt: '${META.tensorSha256}' is not a JSON object`);
  }
  if (typeof digests !== 'object' || digests === null || Array.isArray(digests)) fail(dir, `${MODEL_FILE} is corrupt: '${META.tensorSha256}' is not a JSON object`);
  for (const [name, t] of contents.tensors) {
    const want = Object.prototype.hasOwnProperty.call(digests, name) ? digests[name] : undefined;
    if (want === undefined) fail(dir, `${MODEL_FILE} is corrupt: tensor '${name}' has no sha256 in '${META.tensorSha256}'`);
    const got = sha256(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    if (got !== want) fail(dir, `${MODEL_FILE} is corrupt: tensor '${name}' has sha256 ${got}, the file says ${String(want)}`);
  }
  for (const name of Object.keys(digests)) {
    if (!contents.tensors.has(name)) fail(dir, `${MODEL_FILE} is corrupt: tensor '${name}' is listed in '${META.tensorSha256}' but missing`);
  }
  return { json, jsonName: `the architecture JSON of ${MODEL_FILE}`, weightsName: MODEL_FILE, weightsBytes: size, parse: () => contents };
}

/** The files of a model directory: model.safetensors, or else a 0.1.0 manifest directory. */
async function readModelFiles(dir: string): Promise<ModelFiles> {
  await checkDirExists(dir, 'loadModel');
  const current = await readModelFile(dir);
  if (current) return current;
  try {
    await fsp.access(path.join(dir, MANIFEST_NAME));
  } catch (e) {
    if (isMissing(e)) fail(dir, `not a gradwell model directory (no ${MODEL_FILE}: it was not written by model.save, or its first save never finished)`);
    throw e;
  }
  const files = await readDirAtomic(dir, 'loadModel');
  const json = files.get('model.json');
  const weights = files.get('weights.safetensors');
  if (!json) fail(dir, 'model.json is missing');
  if (!weights) fail(dir, 'weights.safetensors is missing');
  return {
    json: json.toString('utf8'),
    jsonName: 'model.json',
    weightsName: 'weights.safetensors',
    weightsBytes: weights.byteLength,
    parse: () => parseSafetensors(new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength), 'weights.safetensors'),
  };
}

/** Loads a model saved with model.save(dir) (or by gradwell 0.1.0), validating everything it reads. */
export async function loadModel(dir: string): Promise<Sequential> {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError(`loadModel: dir must be a non-empty directory path string, received ${dir === '' ? "''" : typeof dir}`);
  const files = await readModelFiles(dir);
  let saved: SavedModel;
  try {
    saved = JSON.parse(files.json) as SavedModel;
  } catch (e) {
    fail(dir, `${files.jsonName} is not valid JSON (${(e as Error).message})`);
  }
  if (!saved || typeof saved !== 'object' || saved.format !== MODEL_FORMAT) fail(dir, `${files.jsonName} is not a ${MODEL_FORMAT} file`);
  if (saved.version !== MODEL_FORMAT_VERSION) fail(dir, `unsupported format version ${saved.version} (this gradwell reads ${MODEL_FORMAT_VERSION})`);
  if (!Array.isArray(saved.layers) || saved.layers.length === 0) fail(dir, `${files.jsonName} has no layers`);
  if (saved.layers.length > MAX_LAYERS) fail(dir, `${files.jsonName} has ${saved.layers.length} layers (at most ${MAX_LAYERS})`);
  checkShape(dir, 'inputShape', saved.inputShape);
  if (saved.name !== undefined && typeof saved.name !== 'string') fail(dir, `model name must be a string, found ${typeof saved.name}`);
  if (saved.seed !== undefined && !(Number.isInteger(saved.seed) && saved.seed >= 0 && saved.seed <= 2 ** 31 - 1)) {
    fail(dir, `seed must be an integer in [0, 2^31), found ${JSON.stringify(saved.seed)}`);
  }
  const layers = saved.layers.map((l, i) => {
    const cls = l !== null && typeof l === 'object' ? (l as { className?: unknown }).className : undefined;
    // Own keys only: "constructor" or "__proto__" must not reach Object.prototype.
    const make = typeof cls === 'string' && Object.prototype.hasOwnProperty.call(layerFactories, cls) ? layerFactories[cls] : undefined;
    if (!make) fail(dir, `layer ${i} has unknown class ${JSON.stringify(cls) ?? String(cls)} (known: ${Object.keys(layerFactories).join(', ')})`);
    const config = l.config;
    if (typeof config !== 'object' || config === null || Array.isArray(config)) fail(dir, `layer ${i} (${cls}) has no config object`);
    if (config.name !== undefined && typeof config.name !== 'string') fail(dir, `layer ${i} (${cls}) has a non-string name`);
    if (config.inputShape !== undefined) checkShape(dir, `layer ${i} inputShape`, config.inputShape);
    for (const key of SPATIAL_KEYS[cls as string] ?? []) {
      const v = config[key];
      const nums = Array.isArray(v) ? v : [v];
      if (v === undefined || v === 'same' || v === 'valid') continue;
      if (nums.length > 2 || !nums.every((d) => Number.isInteger(d) && (d as number) >= 0 && (d as number) <= MAX_SAMPLE_ELEMENTS)) {
        fail(dir, `layer ${i} (${cls}) has ${key} ${JSON.stringify(v)}; expected an integer (or a pair) in [0, ${MAX_SAMPLE_ELEMENTS}]`);
      }
    }
    if (cls === 'Dense' && !(Number.isInteger(config.units) && (config.units as number) >= 1 && (config.units as number) <= MAX_SAMPLE_ELEMENTS)) {
      fail(dir, `layer ${i} (Dense) has units ${JSON.stringify(config.units) ?? String(config.units)}; expected an integer in [1, ${MAX_SAMPLE_ELEMENTS}]`);
    }
    try {
      return make(config);
    } catch (e) {
      fail(dir, `layer ${i} (${cls}) has a bad config: ${(e as Error).message}`);
    }
  });
  let model: Sequential;
  try {
    model = new Sequential(layers, { name: saved.name ?? 'sequential', seed: saved.seed });
  } catch (e) {
    fail(dir, (e as Error).message);
  }
  // Walk the shapes and count the weights before allocating any: every weight
  // must be in the weights file, so the count is bounded by its size.
  let shape = [...saved.inputShape];
  let weightCount = 0;
  for (const [i, layer] of layers.entries()) {
    let next: number[];
    try {
      next = layer.computeOutputShape(shape);
    } catch (e) {
      fail(dir, `layer ${i} (${layer.className}) does not accept its input shape [${shape}]: ${(e as Error).message}`);
    }
    checkShape(dir, `layer ${i} output shape`, next);
    if (layer instanceof Dense) weightCount += shape[0] * layer.units; // the kernel is always saved
    if (layer instanceof Conv2D) weightCount += layer.kernelSizeFor(shape);
    shape = next;
  }
  if (weightCount * 4 > files.weightsBytes) {
    fail(dir, `the architecture needs ${weightCount} weights (${weightCount * 4} bytes) but ${files.weightsName} has ${files.weightsBytes} bytes`);
  }
  try {
    model.build(saved.inputShape);
  } catch (e) {
    fail(dir, `cannot build the architecture: ${(e as Error).message}`);
  }
  let contents;
  try {
    contents = files.parse();
  } catch (e) {
    fail(dir, (e as Error).message);
  }
  const tensors = new Map<string, Float32Array>();
  for (const [name, t] of contents.tensors) {
    if (t.dtype !== 'F32' || !(t.data instanceof Float32Array)) fail(dir, `tensor '${name}' has dtype ${t.dtype}, expected F32`);
    tensors.set(name, t.data);
  }
  const expected = model.getWeights();
  for (const [name, v] of expected) {
    const t = tensors.get(name);
    if (!t) fail(dir, `${files.weightsName} lacks '${name}'`);
    if (t.length !== v.length) fail(dir, `'${name}' has ${t.length} values, the architecture needs ${v.length}`);
  }
  model.setWeights(new Map([...expected.keys()].map((k) => [k, tensors.get(k)!])));
  if (saved.compile !== null && saved.compile !== undefined) {
    const c = saved.compile;
    if (typeof c !== 'object' || c === null || typeof c.loss !== 'object' || c.loss === null) fail(dir, 'compile must be an object with optimizer and loss');
    try {
      model.compile({
        optimizer: optimizerFromConfig(c.optimizer),
        loss: getLoss(c.loss.name, c.loss.config),
        metrics: c.metrics,
        clipNorm: c.clipNorm,
        clipValue: c.clipValue,
        checkFinite: c.checkFinite,
      });
    } catch (e) {
      fail(dir, `bad compile settings: ${(e as Error).message}`);
    }
    const opt = new Map<string, Float32Array>();
    for (const [k, v] of tensors) if (k.startsWith('optimizer.')) opt.set(k.slice('optimizer.'.length), v);
    try {
      model.optimizer.loadStateTensors(opt);
    } catch (e) {
      fail(dir, (e as Error).message);
    }
    model.optimizer.iterations = counter(dir, 'training.iterations', saved.training?.iterations);
  }
  model.epochsTrained = counter(dir, 'training.epochsTrained', saved.training?.epochsTrained);
  return model;
}

