// Saving models: model.json (architecture, compile settings, training progress)
// and weights.safetensors (weights, batch-norm statistics, optimizer state),
// committed together atomically (lib/io/atomic.ts), so a crash mid-save leaves
// the previous save loadable. Loading is lib/io/model-io.ts; this module takes
// the model by type only, so Sequential.save does not import the loader.
import type { Sequential } from '../model';
import type { OptimizerConfig } from '../optimizers';
import { writeDirAtomic } from './atomic';
import { serializeSafetensors, type TensorToWrite } from './safetensors';

export const MODEL_FORMAT = 'gradwell-model';
export const MODEL_FORMAT_VERSION = 1;

export interface SavedModel {
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

export function serializeModel(model: Sequential): Record<string, Uint8Array | string> {
  if (!model.built) throw new Error('model.save: the model is not built yet (train it or call build(inputShape) first)');
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
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError(`model.save: dir must be a non-empty directory path string, received ${dir === '' ? "''" : typeof dir}`);
  await writeDirAtomic(dir, serializeModel(model), undefined, 'model.save');
}
