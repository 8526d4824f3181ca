// Saving and loading models: model.json (architecture, compile settings,
// training progress) and weights.safetensors (weights, batch-norm statistics,
// optimizer state), committed together atomically (lib/io/atomic.ts), so a
// crash mid-save leaves the previous save loadable.
import { Activation, BatchNorm, Dense, Dropout, Flatten, GroupNorm, InstanceNorm, Layer, LayerNorm } from '../layers';
import { getLoss } from '../losses';
import { Sequential } from '../model';
import { optimizerFromConfig, type OptimizerConfig } from '../optimizers';
import { readDirAtomic, writeDirAtomic } from './atomic';
import { parseSafetensors, serializeSafetensors, type TensorToWrite } from './safetensors';

export const MODEL_FORMAT = 'gradwell-model';
export const MODEL_FORMAT_VERSION = 1;

interface SavedModel {
  format: string;
  version: number;
  className: 'Sequential';
  name: string;
  seed: number;
  inputShape: number[];
  layers: { className: string; config: Record<string, unknown> }[];
  compile: {
    optimizer: OptimizerConfig;
    loss: { name: string; config: Record<string, number> };
    metrics: string[];
    clipNorm?: number;
    clipValue?: number;
    checkFinite: boolean;
  } | null;
  training: { epochsTrained: number; iterations: number };
}

const layerFactories: Record<string, (c: Record<string, unknown>) => Layer> = {
  Dense: (c) => new Dense(c as never),
  Activation: (c) => new Activation(c.activation as string, c as never),
  Dropout: (c) => new Dropout(c.rate as number, c as never),
  Flatten: (c) => new Flatten(c as never),
  BatchNorm: (c) => new BatchNorm(c as never),
  LayerNorm: (c) => new LayerNorm(c as never),
  GroupNorm: (c) => new GroupNorm(c as never),
  InstanceNorm: (c) => new InstanceNorm(c as never),
};

export function serializeModel(model: Sequential): Record<string, Uint8Array | string> {
  if (!model.built) throw new Error('save: the model is not built yet (train it or call build(inputShape) first)');
  const compiled = model.isCompiled ? model.compileConfig() : null;
  const saved: SavedModel = {
    format: MODEL_FORMAT,
    version: MODEL_FORMAT_VERSION,
    className: 'Sequential',
    name: model.name,
    seed: model.seed,
    inputShape: model.inputShape!,
    layers: model.layers.map((l) => ({ className: l.className, config: l.getConfig() })),
    compile: compiled,
    training: { epochsTrained: model.epochsTrained, iterations: compiled ? model.optimizer.iterations : 0 },
  };
  const tensors = new Map<string, TensorToWrite>();
  for (const l of model.layers) {
    for (const p of l.params()) tensors.set(p.name, { dtype: 'F32', shape: p.shape, data: p.value });
    for (const [k, v] of l.stateBuffers()) tensors.set(k, { dtype: 'F32', shape: [v.length], data: v });
  }
  if (compiled) {
    for (const [k, v] of model.optimizer.stateTensors()) tensors.set(`optimizer.${k}`, { dtype: 'F32', shape: [v.length], data: v });
  }
  return {
    'model.json': JSON.stringify(saved, null, 2) + '\n',
    'weights.safetensors': serializeSafetensors(tensors, { format: MODEL_FORMAT }),
  };
}

export async function saveModel(model: Sequential, dir: string): Promise<void> {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('save: expected a directory path');
  await writeDirAtomic(dir, serializeModel(model));
}

function fail(dir: string, what: string): never {
  throw new Error(`loadModel(${dir}): ${what}`);
}

/** Loads a model saved with model.save(dir), validating everything it reads. */
export async function loadModel(dir: string): Promise<Sequential> {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('loadModel: expected a directory path');
  const files = await readDirAtomic(dir);
  const json = files.get('model.json');
  const weights = files.get('weights.safetensors');
  if (!json) fail(dir, 'model.json is missing');
  if (!weights) fail(dir, 'weights.safetensors is missing');
  let saved: SavedModel;
  try {
    saved = JSON.parse(json.toString('utf8')) as SavedModel;
  } catch (e) {
    fail(dir, `model.json is not valid JSON (${(e as Error).message})`);
  }
  if (!saved || typeof saved !== 'object' || saved.format !== MODEL_FORMAT) fail(dir, `model.json is not a ${MODEL_FORMAT} file`);
  if (saved.version !== MODEL_FORMAT_VERSION) fail(dir, `unsupported format version ${saved.version} (this gradwell reads ${MODEL_FORMAT_VERSION})`);
  if (!Array.isArray(saved.layers) || saved.layers.length === 0) fail(dir, 'model.json has no layers');
  if (!Array.isArray(saved.inputShape) || !saved.inputShape.every((d) => Number.isInteger(d) && d > 0)) fail(dir, 'model.json has a bad inputShape');
  const layers = saved.layers.map((l, i) => {
    const make = layerFactories[l?.className];
    if (!make || typeof l.config !== 'object' || l.config === null) fail(dir, `layer ${i} has unknown class ${JSON.stringify(l?.className)}`);
    try {
      return make(l.config);
    } catch (e) {
      fail(dir, `layer ${i} (${l.className}) has a bad config: ${(e as Error).message}`);
    }
  });
  const model = new Sequential(layers, { name: String(saved.name ?? 'sequential'), seed: saved.seed });
  model.build(saved.inputShape);
  let contents;
  try {
    contents = parseSafetensors(new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength), 'weights.safetensors');
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
    if (!t) fail(dir, `weights.safetensors lacks '${name}'`);
    if (t.length !== v.length) fail(dir, `'${name}' has ${t.length} values, the architecture needs ${v.length}`);
  }
  model.setWeights(new Map([...expected.keys()].map((k) => [k, tensors.get(k)!])));
  if (saved.compile) {
    const c = saved.compile;
    model.compile({
      optimizer: optimizerFromConfig(c.optimizer),
      loss: getLoss(c.loss.name, c.loss.config),
      metrics: c.metrics,
      clipNorm: c.clipNorm,
      clipValue: c.clipValue,
      checkFinite: c.checkFinite,
    });
    const opt = new Map<string, Float32Array>();
    for (const [k, v] of tensors) if (k.startsWith('optimizer.')) opt.set(k.slice('optimizer.'.length), v);
    try {
      model.optimizer.loadStateTensors(opt);
    } catch (e) {
      fail(dir, (e as Error).message);
    }
    model.optimizer.iterations = saved.training?.iterations ?? 0;
  }
  model.epochsTrained = saved.training?.epochsTrained ?? 0;
  return model;
}

