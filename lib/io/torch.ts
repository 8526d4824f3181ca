// PyTorch interop: the model as a torch.nn.Sequential's state dict (names such as
// `0.weight`, `1.running_mean`, `1.num_batches_tracked`, torch's layouts) and the
// Python code of that torch module. Each gradwell layer maps to one or more torch
// modules in order: Dense -> Linear (+ its activation as its own module), Activation
// -> the torch activation, BatchNorm -> BatchNorm1d/2d, LayerNorm -> LayerNorm (on
// [C, H, W] maps: GroupNorm(1, C), its semantics), GroupNorm -> GroupNorm,
// InstanceNorm -> GroupNorm(C, C), Dropout -> Dropout, Flatten -> Flatten, Reshape ->
// Flatten/Unflatten, Conv2D -> Conv2d (+ activation; the kernel is OIHW in both),
// MaxPool2D -> MaxPool2d, AvgPool2D -> AvgPool2d (count_include_pad),
// GlobalAveragePooling2D -> AdaptiveAvgPool2d(1) + Flatten. A layer with no torch
// equivalent here is refused with an error naming it.
import { Activation, AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, Flatten, GlobalAveragePooling2D, GroupNorm, InstanceNorm, Layer, LayerNorm, MaxPool2D, Reshape } from '../layers';
import { resolvePadding, type Padding } from '../layers/spatial';
import type { Sequential } from '../model';
import { formatShape, shapeSize } from '../tensor';
import { readSafetensorsFile, writeSafetensorsFile, type SafetensorsData } from './safetensors';

export type StateDictLayout = 'torch' | 'gradwell';
export interface StateDictOptions {
  /** 'torch' (default): torch.nn.Sequential names and layouts; 'gradwell': the names of getWeights(). */
  layout?: StateDictLayout;
}
export interface StateTensor {
  dtype: 'F32' | 'I64';
  shape: number[];
  data: Float32Array | BigInt64Array;
}
/** What loadStateDict takes: name -> { shape, data } (float32/float64 data; any integers for num_batches_tracked). */
export type StateDictInput = Map<string, { shape: readonly number[]; data: ArrayLike<number> | SafetensorsData }> |
  Record<string, { shape: readonly number[]; data: ArrayLike<number> | SafetensorsData }>;

/** One tensor of the torch module list, with its gradwell source (null: num_batches_tracked). */
interface TorchTensor {
  name: string;
  shape: number[];
  gw: string | null;
  /** torch layout -> gradwell layout (and back): the Dense kernel is transposed. */
  transpose?: [number, number];
}
interface TorchModule {
  code: string;
  layer: Layer;
  tensors: TorchTensor[];
}

const py = (v: number): string => (Number.isInteger(v) ? `${v}.0` : String(v));

/** The torch module of an activation kind (lib/layers/activation.ts kinds). */
function activationCode(kind: string, alpha: number): string {
  switch (kind) {
    case 'sigmoid': return 'nn.Sigmoid()';
    case 'tanh': return 'nn.Tanh()';
    case 'relu': return 'nn.ReLU()';
    case 'leaky_relu': return `nn.LeakyReLU(negative_slope=${py(alpha)})`;
    case 'elu': return `nn.ELU(alpha=${py(alpha)})`;
    case 'selu': return 'nn.SELU()';
    case 'gelu': return 'nn.GELU()';
    case 'gelu_tanh': return "nn.GELU(approximate='tanh')";
    case 'silu': return 'nn.SiLU()';
    case 'softplus': return 'nn.Softplus()';
    case 'softmax': return 'nn.Softmax(dim=-1)';
    case 'log_softmax': return 'nn.LogSoftmax(dim=-1)';
    default: throw new RangeError(`torch: activation '${kind}' has no torch module here`);
  }
}

const pair = (p: readonly number[]): string => `(${p[0]}, ${p[1]})`;

/** A pooling layer's symmetric padding: 'same' is (k - 1) / 2 at stride 1 (lib/layers/pooling.ts). */
export function poolPadding(padding: Padding, poolSize: readonly number[]): [number, number] {
  if (padding === 'valid') return [0, 0];
  if (padding === 'same') return [(poolSize[0] - 1) / 2, (poolSize[1] - 1) / 2];
  return [padding[0], padding[1]];
}

/** A Conv2D's symmetric padding, as the layer resolves it. */
export function convPadding(layer: Conv2D): [number, number] {
  return resolvePadding(layer.name, layer.padding, layer.kernelSize, layer.dilation, layer.strides);
}

/** The torch modules of the model, in order (a Dense with an activation gives two). */
export function torchModules(model: Sequential): TorchModule[] {
  if (!model.built) throw new Error('torch: the model is not built yet (train it or call build(inputShape) first)');
  const out: TorchModule[] = [];
  const add = (layer: Layer, code: string, tensors: Omit<TorchTensor, 'name'>[] = [], names: string[] = []) => {
    const i = out.length;
    out.push({ code, layer, tensors: tensors.map((t, k) => ({ ...t, name: `${i}.${names[k]}` })) });
  };
  const affine = (l: { affine: boolean; name: string }, c: number): [Omit<TorchTensor, 'name'>[], string[]] =>
    l.affine ? [[{ shape: [c], gw: `${l.name}.gamma` }, { shape: [c], gw: `${l.name}.beta` }], ['weight', 'bias']] : [[], []];
  for (const layer of model.layers) {
    const inShape = layer.inputShape!;
    if (layer instanceof Dense) {
      const n = inShape[0];
      const m = layer.units;
      const t: Omit<TorchTensor, 'name'>[] = [{ shape: [m, n], gw: `${layer.name}.kernel`, transpose: [n, m] }];
      if (layer.useBias) t.push({ shape: [m], gw: `${layer.name}.bias` });
      add(layer, `nn.Linear(${n}, ${m}${layer.useBias ? '' : ', bias=False'})`, t, ['weight', 'bias']);
      const kind = layer.outputActivation();
      if (kind) add(layer, activationCode(kind, layer.alpha));
    } else if (layer instanceof Activation) {
      add(layer, activationCode(layer.outputActivation()!, layer.alpha));
    } else if (layer instanceof BatchNorm) {
      const c = inShape[0];
      const [t, names] = affine(layer, c);
      t.push({ shape: [c], gw: `${layer.name}.running_mean` }, { shape: [c], gw: `${layer.name}.running_var` }, { shape: [], gw: null });
      names.push('running_mean', 'running_var', 'num_batches_tracked');
      add(layer, `nn.BatchNorm${inShape.length === 3 ? 2 : 1}d(${c}, eps=${py(layer.eps)}, momentum=${py(layer.momentum)}${layer.affine ? '' : ', affine=False'})`, t, names);
    } else if (layer instanceof LayerNorm) {
      if (inShape.length === 3) {
        const c = inShape[0];
        add(layer, `nn.GroupNorm(1, ${c}, eps=${py(layer.eps)}${layer.affine ? '' : ', affine=False'})`, ...affine(layer, c));
      } else {
        const f = inShape[inShape.length - 1];
        add(layer, `nn.LayerNorm(${f}, eps=${py(layer.eps)}${layer.affine ? '' : ', elementwise_affine=False'})`, ...affine(layer, f));
      }
    } else if (layer instanceof GroupNorm) {
      // InstanceNorm is a GroupNorm with one channel per group (and torch's InstanceNorm1d
      // would read a [N, C] batch as one unbatched sample).
      const c = inShape[0];
      const g = layer instanceof InstanceNorm ? c : layer.groups;
      add(layer, `nn.GroupNorm(${g}, ${c}, eps=${py(layer.eps)}${layer.affine ? '' : ', affine=False'})`, ...affine(layer, c));
    } else if (layer instanceof Dropout) {
      add(layer, `nn.Dropout(p=${py(layer.rate)})`);
    } else if (layer instanceof Flatten) {
      add(layer, 'nn.Flatten()');
    } else if (layer instanceof Reshape) {
      // Row-major per sample, as torch: flatten (unless flat already), then unflatten (unless flat).
      const o = layer.outputShape!;
      if (inShape.length !== 1) add(layer, 'nn.Flatten()');
      if (o.length !== 1) add(layer, `nn.Unflatten(1, (${o.join(', ')}))`);
    } else if (layer instanceof Conv2D) {
      const c = inShape[0];
      const t: Omit<TorchTensor, 'name'>[] = [{ shape: [layer.filters, c / layer.groups, ...layer.kernelSize], gw: `${layer.name}.kernel` }];
      if (layer.useBias) t.push({ shape: [layer.filters], gw: `${layer.name}.bias` });
      add(layer, `nn.Conv2d(${c}, ${layer.filters}, kernel_size=${pair(layer.kernelSize)}, stride=${pair(layer.strides)}, padding=${pair(convPadding(layer))}, ` +
        `dilation=${pair(layer.dilation)}, groups=${layer.groups}${layer.useBias ? '' : ', bias=False'})`, t, ['weight', 'bias']);
      const kind = layer.outputActivation();
      if (kind) add(layer, activationCode(kind, layer.alpha));
    } else if (layer instanceof MaxPool2D) {
      add(layer, `nn.MaxPool2d(kernel_size=${pair(layer.poolSize)}, stride=${pair(layer.strides)}, padding=${pair(poolPadding(layer.padding, layer.poolSize))})`);
    } else if (layer instanceof AvgPool2D) {
      add(layer, `nn.AvgPool2d(kernel_size=${pair(layer.poolSize)}, stride=${pair(layer.strides)}, padding=${pair(poolPadding(layer.padding, layer.poolSize))}, ` +
        `count_include_pad=${layer.countIncludePad ? 'True' : 'False'})`);
    } else if (layer instanceof GlobalAveragePooling2D) {
      add(layer, 'nn.AdaptiveAvgPool2d(1)');
      add(layer, 'nn.Flatten()');
    } else {
      throw new RangeError(`torch: layer '${layer.name}' (${layer.className}) has no torch.nn equivalent in this version of gradwell`);
    }
  }
  return out;
}

function transpose(src: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = src[i * cols + j];
  return out;
}

function layoutOf(where: string, opts: StateDictOptions | undefined): StateDictLayout {
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw new TypeError(`${where}: options must be an object such as { layout: 'torch' }`);
  const layout = opts?.layout ?? 'torch';
  if (layout !== 'torch' && layout !== 'gradwell') throw new RangeError(`${where}: layout must be 'torch' or 'gradwell' but received ${JSON.stringify(layout)}`);
  return layout;
}

/** Names, shapes and sources of the state dict in a layout. */
function entries(model: Sequential, layout: StateDictLayout): TorchTensor[] {
  if (layout === 'torch') return torchModules(model).flatMap((m) => m.tensors);
  if (!model.built) throw new Error('stateDict: the model is not built yet (train it or call build(inputShape) first)');
  return model.layers.flatMap((l) => [
    ...l.params().map((p) => ({ name: p.name, shape: [...p.shape], gw: p.name })),
    ...[...l.stateBuffers()].map(([k, v]) => ({ name: k, shape: [v.length], gw: k })),
  ]);
}

/** Copies of the weights by name, in torch's names and layouts (default) or gradwell's. */
export function stateDict(model: Sequential, opts?: StateDictOptions): Map<string, StateTensor> {
  const layout = layoutOf('stateDict', opts);
  const weights = model.getWeights();
  const out = new Map<string, StateTensor>();
  for (const e of entries(model, layout)) {
    if (e.gw === null) {
      // torch counts the training batches BatchNorm has seen; gradwell's count is the optimizer's steps.
      out.set(e.name, { dtype: 'I64', shape: [], data: BigInt64Array.of(BigInt(model.isCompiled ? model.optimizer.iterations : 0)) });
      continue;
    }
    const v = weights.get(e.gw)!;
    out.set(e.name, { dtype: 'F32', shape: e.shape, data: e.transpose ? transpose(v, e.transpose[0], e.transpose[1]) : v });
  }
  return out;
}

const describeShape = (shape: unknown): string => (Array.isArray(shape) ? formatShape(shape as number[]) : JSON.stringify(shape) ?? String(shape));

/**
 * Sets every weight from a state dict in a layout; the names and shapes must be exactly the
 * model's (the first tensor that is missing, extra or of another shape is named in the error,
 * and nothing is changed then).
 */
export function loadStateDict(model: Sequential, dict: StateDictInput, opts?: StateDictOptions): void {
  const where = 'loadStateDict';
  const layout = layoutOf(where, opts);
  if (dict === null || typeof dict !== 'object') throw new TypeError(`${where}: expected a Map or an object of { shape, data } by tensor name`);
  const given = new Map(dict instanceof Map ? [...dict.entries()] : Object.entries(dict));
  const list = entries(model, layout);
  const modules = layout === 'torch' ? torchModules(model) : null;
  const owner = (name: string): string => {
    const m = modules?.find((x) => x.tensors.some((t) => t.name === name));
    return m ? ` (${m.code.replace(/\(.*$/, '')} of layer '${m.layer.name}')` : '';
  };
  const updates = new Map<string, Float32Array>();
  for (const e of list) {
    const t = given.get(e.name);
    if (t === undefined) throw new RangeError(`${where}: missing tensor '${e.name}'${owner(e.name)} of shape ${formatShape(e.shape)}`);
    if (t === null || typeof t !== 'object' || !Array.isArray(t.shape) || t.data === null || typeof t.data !== 'object') {
      throw new TypeError(`${where}: tensor '${e.name}' must be { shape: number[], data }`);
    }
    if (t.shape.length !== e.shape.length || t.shape.some((d, i) => d !== e.shape[i])) {
      throw new RangeError(`${where}: tensor '${e.name}' has shape ${describeShape(t.shape)} but the model needs ${formatShape(e.shape)}${owner(e.name)}`);
    }
    const count = shapeSize(e.shape);
    if (t.data.length !== count) throw new RangeError(`${where}: tensor '${e.name}' has ${t.data.length} values for shape ${formatShape(e.shape)}`);
    if (e.gw === null) {
      if (!(t.data instanceof BigInt64Array || t.data instanceof BigUint64Array || t.data instanceof Int32Array || Array.isArray(t.data))) {
        throw new TypeError(`${where}: tensor '${e.name}' must hold an integer (int64), received ${t.data.constructor.name}`);
      }
      continue; // num_batches_tracked: not used by gradwell (momentum is always set)
    }
    const d = t.data;
    if (!(d instanceof Float32Array || d instanceof Float64Array || Array.isArray(d))) {
      throw new TypeError(`${where}: tensor '${e.name}' must hold float32 or float64 values, received ${(d as object).constructor.name} (convert it with .float() in torch)`);
    }
    const values = e.transpose ? transpose(d as ArrayLike<number>, e.transpose[1], e.transpose[0]) : Float32Array.from(d as ArrayLike<number>);
    updates.set(e.gw, values);
  }
  const known = new Set(list.map((e) => e.name));
  for (const name of given.keys()) {
    if (!known.has(name)) throw new RangeError(`${where}: unexpected tensor '${name}' (the model's tensors are ${list.map((e) => e.name).join(', ') || 'none'})`);
  }
  model.setWeights(updates);
}

/** Writes the state dict as a safetensors file (torch: `safetensors.torch.load_file(path)`), atomically. */
export async function saveStateDict(model: Sequential, file: string, opts?: StateDictOptions): Promise<void> {
  if (typeof file !== 'string' || file === '') throw new TypeError('saveStateDict: expected a file path');
  const layout = layoutOf('saveStateDict', opts);
  await writeSafetensorsFile(file, stateDict(model, opts), layout === 'torch' ? { format: 'pt' } : { format: 'gradwell-state-dict' });
}

/** Reads a safetensors state dict (e.g. written by `safetensors.torch.save_file(net.state_dict(), path)`) into the model. */
export async function loadStateDictFile(model: Sequential, file: string, opts?: StateDictOptions): Promise<void> {
  if (typeof file !== 'string' || file === '') throw new TypeError('loadStateDictFile: expected a file path');
  const { tensors } = await readSafetensorsFile(file);
  try {
    loadStateDict(model, tensors, opts);
  } catch (e) {
    (e as Error).message = `${(e as Error).message} (in ${file})`;
    throw e;
  }
}

/** Python code building the equivalent torch.nn.Sequential (load the state dict into it, then .eval()). */
export function torchSequentialCode(model: Sequential): string {
  const modules = torchModules(model);
  const width = Math.max(...modules.map((m) => m.code.length)) + 1;
  const lines = modules.map((m, i) => `    ${`${m.code},`.padEnd(width)}  # ${i}: ${m.layer.name}`);
  return [
    'import torch',
    'from torch import nn',
    '',
    `# gradwell model '${model.name}', input shape [batch, ${model.inputShape!.join(', ')}]`,
    'model = nn.Sequential(',
    ...lines,
    ')',
    '',
  ].join('\n');
}
