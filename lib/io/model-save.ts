// Saving models: one file, <dir>/model.safetensors (format version 2). Its tensors
// are the weights under their gradwell names (`dense_1.kernel` [in, out],
// `batchnorm_1.running_mean`, ...) and the optimizer state (`optimizer.<...>`);
// its `__metadata__` holds the architecture, compile settings and training
// progress as JSON (`gradwell.model`), the sha256 of that JSON and the sha256 of
// every tensor's bytes (`gradwell.sha256`), so a corrupted file is rejected.
// Why one file and not model.json + weights.safetensors: a single file is
// replaced atomically by one rename (writeFileAtomic: temp file, fsync, rename,
// fsync the directory), so kill -9 at any moment leaves the previous model or
// the new one, with no manifest to keep in step; and any safetensors reader
// (`safetensors.torch.load_file('dir/model.safetensors')`) opens it as it is.
// Directories of gradwell 0.1.0 (manifest.json + generation files) still load
// (lib/io/model-io.ts); saving over one replaces them with model.safetensors.
// Loading is lib/io/model-io.ts; this module takes the model by type only, so
// Sequential.save does not import the loader.
import { createHash } from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';
import type { Sequential } from '../model';
import type { OptimizerConfig } from '../optimizers';
import { MANIFEST_NAME, fsyncDir, resolveDirFiles, writeFileAtomic } from './atomic';
import { serializeSafetensors, type TensorToWrite } from './safetensors';

export const MODEL_FORMAT = 'gradwell-model';
/** Version of the architecture JSON (unchanged since 0.1.0's model.json). */
export const MODEL_FORMAT_VERSION = 1;
/** The one file of a saved model directory. */
export const MODEL_FILE = 'model.safetensors';
/** Version of the model.safetensors layout (0.1.0's manifest directory counts as 1). */
export const MODEL_FILE_VERSION = 2;
/** `__metadata__` keys of model.safetensors. */
export const META = {
  format: 'format',
  fileVersion: 'gradwell.file_version',
  model: 'gradwell.model',
  modelSha256: 'gradwell.model_sha256',
  tensorSha256: 'gradwell.sha256',
} as const;

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

export const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

const tensorBytes = (t: TensorToWrite): Uint8Array => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

/** model.safetensors from the architecture JSON text and the tensors (also used by tests to build edited files). */
export function packModelFile(modelJson: string, tensors: Map<string, TensorToWrite>): Uint8Array {
  const digests: Record<string, string> = {};
  for (const [k, t] of tensors) digests[k] = sha256(tensorBytes(t));
  return serializeSafetensors(tensors, {
    [META.format]: MODEL_FORMAT,
    [META.fileVersion]: String(MODEL_FILE_VERSION),
    [META.model]: modelJson,
    [META.modelSha256]: sha256(modelJson),
    [META.tensorSha256]: JSON.stringify(digests),
  });
}

export function savedModelOf(model: Sequential): SavedModel {
  if (!model.built) throw new Error('model.save: the model is not built yet (train it or call build(inputShape) first)');
  const compiled = model.isCompiled ? model.compileConfig() : null;
  return {
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
}

/** The tensors of a save: weights and state buffers by gradwell name, then the optimizer state. */
export function modelTensors(model: Sequential): Map<string, TensorToWrite> {
  const tensors = new Map<string, TensorToWrite>();
  for (const l of model.layers) {
    for (const p of l.params()) tensors.set(p.name, { dtype: 'F32', shape: p.shape, data: p.value });
    for (const [k, v] of l.stateBuffers()) tensors.set(k, { dtype: 'F32', shape: [v.length], data: v });
  }
  if (model.isCompiled) {
    for (const [k, v] of model.optimizer.stateTensors()) tensors.set(`optimizer.${k}`, { dtype: 'F32', shape: [v.length], data: v });
  }
  return tensors;
}

/** The bytes of <dir>/model.safetensors for this model. */
export function serializeModel(model: Sequential): Uint8Array {
  return packModelFile(JSON.stringify(savedModelOf(model)), modelTensors(model));
}

const TEMP_RE = new RegExp(`^\\.${MODEL_FILE.replace('.', '\\.')}\\.tmp-[0-9a-f]{16}$`);

export async function saveModel(model: Sequential, dir: string): Promise<void> {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError(`model.save: dir must be a non-empty directory path string, received ${dir === '' ? "''" : typeof dir}`);
  const bytes = serializeModel(model);
  let created: string | undefined;
  try {
    created = await fsp.mkdir(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'not a directory (it, or a part of the path, is a file)' : `cannot create the directory (${(e as Error).message})`;
    throw Object.assign(new Error(`model.save(${dir}): ${why}`), { code });
  }
  // Temp files of a save killed before its rename.
  for (const name of await fsp.readdir(dir)) {
    if (TEMP_RE.test(name)) await fsp.rm(path.join(dir, name), { force: true }).catch(() => undefined);
  }
  // A directory created here is durable only once its parent's entry is.
  if (created !== undefined) await fsyncDir(path.dirname(path.resolve(created)));
  await writeFileAtomic(path.join(dir, MODEL_FILE), bytes);
  await removeLegacyFiles(dir);
}

/**
 * Once model.safetensors is committed, the files of a 0.1.0 save in the same directory
 * are dead (model.safetensors wins when both exist): the manifest goes first, then its files.
 */
async function removeLegacyFiles(dir: string): Promise<void> {
  let files: Map<string, string>;
  try {
    files = await resolveDirFiles(dir);
  } catch {
    return; // no (readable) manifest: nothing of ours to remove
  }
  await fsp.rm(path.join(dir, MANIFEST_NAME), { force: true }).catch(() => undefined);
  for (const p of files.values()) await fsp.rm(p, { force: true }).catch(() => undefined);
}
