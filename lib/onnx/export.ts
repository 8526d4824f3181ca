// ONNX export of a Sequential in inference mode, written with protobufjs from the
// official schema (vendor/onnx/onnx.proto, from Debian's python3-onnx 1.12). One
// input `input` [batch, ...inputShape] (float32, batch dynamic), one output `output`,
// weights as initializers. Per layer:
//   Dense          Gemm (kernel [in, out] as B, bias as C) + its activation
//   activations    Sigmoid, Tanh, Relu, LeakyRelu, Elu, Selu, Softplus, Softmax and
//                  LogSoftmax (axis -1); SiLU = x * Sigmoid(x); GELU (erf and tanh
//                  forms) = Gelu at opset >= 20, else its exact formula
//   BatchNorm      BatchNormalization with the running statistics
//   LayerNorm      LayerNormalization (axis -1) at opset >= 17, else the exact
//                  decomposition; on [C, H, W] maps as GroupNorm with one group
//   GroupNorm      GroupNormalization (per-channel scale) at opset 21 on maps, else
//   InstanceNorm   the exact decomposition (Reshape [N, G, -1], mean, biased variance,
//                  Reshape back, per-channel scale and shift); InstanceNorm has G = C
//   Dropout        removed (inference)
//   Flatten        Flatten (axis 1); Reshape: Reshape to [0 (the batch), ...shape]
//   Conv2D         Conv (kernel OIHW, pads, strides, dilations, group) + its activation
//   MaxPool2D      MaxPool; AvgPool2D: AveragePool with count_include_pad
//   GlobalAveragePooling2D  GlobalAveragePool + Flatten
// Anything else is refused with an error naming the layer.
import { promises as fsp } from 'fs';
import * as path from 'path';
import type * as protobuf from 'protobufjs';
import { Activation, AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, Flatten, GlobalAveragePooling2D, GroupNorm, InstanceNorm, Layer, LayerNorm, MaxPool2D, Reshape } from '../layers';
import { convPadding, poolPadding } from '../io/torch';
import type { Sequential } from '../model';
import { writeFileAtomic } from '../io/atomic';
import { GraphBuilder, ONNX_FLOAT } from './graph';

export const ONNX_OPSETS = { min: 13, max: 21, default: 17 } as const;

export interface OnnxExportOptions {
  /** ONNX opset (default 17, the newest Debian's python3-onnx 1.12 checks; 13 to 21). */
  opset?: number;
  /** Name of the graph's input (default 'input'). */
  inputName?: string;
  /** Name of the graph's output (default 'output'). */
  outputName?: string;
}

/** The IR version of the ONNX release that introduced each opset (older runtimes refuse newer IR versions). */
const IR_VERSION: Record<number, number> = { 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 };
const SELU_ALPHA = 1.6732632423543772;
const SELU_GAMMA = 1.0507009873554805;

let modelType: protobuf.Type | null = null;
function onnxModelType(): protobuf.Type {
  if (!modelType) {
    const proto = path.join(__dirname, '..', '..', 'vendor', 'onnx', 'onnx.proto');
    // Loaded on the first export only (importing gradwell does not load protobufjs).
    const pb = require('protobufjs') as typeof protobuf;
    modelType = pb.loadSync(proto).lookupType('onnx.ModelProto');
  }
  return modelType;
}

/** An elementwise activation (softmax kinds along the last axis) applied to x. */
function activation(g: GraphBuilder, kind: string, alpha: number, x: string, stem: string): string {
  switch (kind) {
    case 'sigmoid': return g.node('Sigmoid', [x], stem);
    case 'tanh': return g.node('Tanh', [x], stem);
    case 'relu': return g.node('Relu', [x], stem);
    case 'leaky_relu': return g.node('LeakyRelu', [x], stem, { alpha: { float: alpha } });
    case 'elu': return g.node('Elu', [x], stem, { alpha: { float: alpha } });
    case 'selu': return g.node('Selu', [x], stem, { alpha: { float: SELU_ALPHA }, gamma: { float: SELU_GAMMA } });
    case 'softplus': return g.node('Softplus', [x], stem);
    case 'softmax': return g.node('Softmax', [x], stem, { axis: -1 });
    case 'log_softmax': return g.node('LogSoftmax', [x], stem, { axis: -1 });
    case 'silu': return g.node('Mul', [x, g.node('Sigmoid', [x], `${stem}/sigmoid`)], stem);
    case 'gelu': {
      if (g.opset >= 20) return g.node('Gelu', [x], stem);
      // 0.5 x (1 + erf(x / sqrt 2))
      const e = g.node('Erf', [g.node('Mul', [x, g.scalar(Math.SQRT1_2)], `${stem}/scaled`)], `${stem}/erf`);
      return g.node('Mul', [g.node('Mul', [x, g.scalar(0.5)], `${stem}/half`), g.node('Add', [e, g.scalar(1)], `${stem}/one_plus`)], stem);
    }
    case 'gelu_tanh': {
      if (g.opset >= 20) return g.node('Gelu', [x], stem, { approximate: 'tanh' });
      // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
      const x3 = g.node('Mul', [g.node('Mul', [x, x], `${stem}/x2`), x], `${stem}/x3`);
      const inner = g.node('Add', [x, g.node('Mul', [x3, g.scalar(0.044715)], `${stem}/cubic`)], `${stem}/inner`);
      const t = g.node('Tanh', [g.node('Mul', [inner, g.scalar(Math.sqrt(2 / Math.PI))], `${stem}/arg`)], `${stem}/tanh`);
      return g.node('Mul', [g.node('Mul', [x, g.scalar(0.5)], `${stem}/half`), g.node('Add', [t, g.scalar(1)], `${stem}/one_plus`)], stem);
    }
    default:
      throw new RangeError(`exportOnnx: activation '${kind}' has no ONNX form here`);
  }
}

const ones = (n: number) => new Float32Array(n).fill(1);

/** gamma/beta of a norm layer (ones/zeros without affine). */
function affineParams(layer: { gamma: { value: Float32Array } | null; beta: { value: Float32Array } | null }, n: number): [Float32Array, Float32Array] {
  return [layer.gamma?.value ?? ones(n), layer.beta?.value ?? new Float32Array(n)];
}

/** Group normalization of x [N, C, ...rest] with per-channel affine (exact decomposition or GroupNormalization-21). */
function groupNorm(g: GraphBuilder, x: string, sample: number[], groups: number, eps: number, gamma: Float32Array | null, beta: Float32Array | null, stem: string): string {
  const c = sample[0];
  if (g.opset >= 21 && sample.length >= 2) {
    return g.node('GroupNormalization', [x, g.init(`${stem}.gamma`, [c], gamma ?? ones(c)), g.init(`${stem}.beta`, [c], beta ?? new Float32Array(c))], stem, {
      epsilon: { float: eps },
      num_groups: groups,
    });
  }
  const grouped = g.node('Reshape', [x, g.ints([0, groups, -1])], `${stem}/grouped`);
  const normalized = g.normalize(grouped, [2], eps, stem);
  let y = g.node('Reshape', [normalized, g.ints([0, ...sample])], `${stem}/ungrouped`);
  if (gamma && beta) {
    // Per channel: [C, 1, ..., 1] broadcasts over the trailing axes of [N, C, ...].
    const dims = [c, ...sample.slice(1).map(() => 1)];
    y = g.node('Mul', [y, g.init(`${stem}.gamma`, dims, gamma)], `${stem}/scaled`);
    y = g.node('Add', [y, g.init(`${stem}.beta`, dims, beta)], stem);
  }
  return y;
}

const EXPORTABLE = [Dense, Activation, BatchNorm, LayerNorm, GroupNorm, Dropout, Flatten, Reshape, Conv2D, MaxPool2D, AvgPool2D, GlobalAveragePooling2D];

/** The layers this exporter cannot write, as "name (Class)". */
export function unsupportedLayers(model: Sequential): string[] {
  return model.layers.filter((l) => !EXPORTABLE.some((cls) => l instanceof cls)).map((l) => `'${l.name}' (${l.className})`);
}

/** Appends the nodes of one layer to the graph; returns the name of its output. */
function emitLayer(g: GraphBuilder, layer: Layer, x: string): string {
  const s = layer.inputShape!;
  const stem = layer.name;
  if (layer instanceof Dense) {
    const k = layer.kernel!;
    const inputs = [x, g.init(`${stem}.kernel`, k.shape, k.value)];
    if (layer.bias) inputs.push(g.init(`${stem}.bias`, layer.bias.shape, layer.bias.value));
    const kind = layer.outputActivation();
    const y = g.node('Gemm', inputs, kind ? `${stem}/linear` : stem);
    return kind ? activation(g, kind, layer.alpha, y, stem) : y;
  }
  if (layer instanceof Activation) return activation(g, layer.outputActivation()!, layer.alpha, x, stem);
  if (layer instanceof BatchNorm) {
    const c = s[0];
    const [gamma, beta] = affineParams(layer, c);
    return g.node('BatchNormalization', [x, g.init(`${stem}.gamma`, [c], gamma), g.init(`${stem}.beta`, [c], beta),
      g.init(`${stem}.running_mean`, [c], layer.runningMean), g.init(`${stem}.running_var`, [c], layer.runningVar)], stem, { epsilon: { float: layer.eps } });
  }
  if (layer instanceof LayerNorm) {
    if (s.length === 3) return groupNorm(g, x, s, 1, layer.eps, layer.gamma?.value ?? null, layer.beta?.value ?? null, stem);
    const f = s[s.length - 1];
    const [gamma, beta] = affineParams(layer, f);
    if (g.opset >= 17) {
      return g.node('LayerNormalization', [x, g.init(`${stem}.gamma`, [f], gamma), g.init(`${stem}.beta`, [f], beta)], stem, { axis: -1, epsilon: { float: layer.eps } });
    }
    const y = g.normalize(x, [-1], layer.eps, stem);
    if (!layer.affine) return y;
    return g.node('Add', [g.node('Mul', [y, g.init(`${stem}.gamma`, [f], gamma)], `${stem}/scaled`), g.init(`${stem}.beta`, [f], beta)], stem);
  }
  if (layer instanceof GroupNorm) {
    const groups = layer instanceof InstanceNorm ? s[0] : layer.groups;
    return groupNorm(g, x, s, groups, layer.eps, layer.gamma?.value ?? null, layer.beta?.value ?? null, stem);
  }
  if (layer instanceof Dropout) return x;
  if (layer instanceof Flatten) return g.node('Flatten', [x], stem, { axis: 1 });
  if (layer instanceof Reshape) return g.node('Reshape', [x, g.ints([0, ...layer.outputShape!])], stem);
  if (layer instanceof Conv2D) {
    const k = layer.kernel!;
    const inputs = [x, g.init(`${stem}.kernel`, k.shape, k.value)];
    if (layer.bias) inputs.push(g.init(`${stem}.bias`, layer.bias.shape, layer.bias.value));
    const [ph, pw] = convPadding(layer);
    const kind = layer.outputActivation();
    const y = g.node('Conv', inputs, kind ? `${stem}/conv` : stem, {
      kernel_shape: [...layer.kernelSize], strides: [...layer.strides], pads: [ph, pw, ph, pw], dilations: [...layer.dilation], group: layer.groups,
    });
    return kind ? activation(g, kind, layer.alpha, y, stem) : y;
  }
  if (layer instanceof MaxPool2D || layer instanceof AvgPool2D) {
    const [ph, pw] = poolPadding(layer.padding, layer.poolSize);
    const attrs: Record<string, number[] | number> = { kernel_shape: [...layer.poolSize], strides: [...layer.strides], pads: [ph, pw, ph, pw] };
    if (layer instanceof AvgPool2D) attrs.count_include_pad = layer.countIncludePad ? 1 : 0;
    return g.node(layer instanceof MaxPool2D ? 'MaxPool' : 'AveragePool', [x], stem, attrs);
  }
  if (layer instanceof GlobalAveragePooling2D) return g.node('Flatten', [g.node('GlobalAveragePool', [x], `${stem}/pool`)], stem, { axis: 1 });
  throw new RangeError(`exportOnnx: layer '${layer.name}' (${layer.className}) cannot be exported to ONNX by this version of gradwell`);
}

function checkOptions(opts: OnnxExportOptions | undefined): Required<OnnxExportOptions> {
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw new TypeError('exportOnnx: options must be an object such as { opset: 17 }');
  const opset = opts?.opset ?? ONNX_OPSETS.default;
  if (!Number.isInteger(opset) || opset < ONNX_OPSETS.min || opset > ONNX_OPSETS.max) {
    throw new RangeError(`exportOnnx: opset must be an integer from ${ONNX_OPSETS.min} to ${ONNX_OPSETS.max} but received ${JSON.stringify(opset) ?? String(opset)}`);
  }
  const names = { inputName: opts?.inputName ?? 'input', outputName: opts?.outputName ?? 'output' };
  for (const [k, v] of Object.entries(names)) {
    if (typeof v !== 'string' || v === '') throw new TypeError(`exportOnnx: ${k} must be a non-empty string`);
  }
  return { opset, ...names };
}

/** The ONNX model of `model` (inference mode) as bytes. */
export function onnxBytes(model: Sequential, opts?: OnnxExportOptions): Uint8Array {
  const o = checkOptions(opts);
  if (!model.built) throw new Error('exportOnnx: the model is not built yet (train it or call build(inputShape) first)');
  // Refuse before building anything, naming every layer that cannot be exported.
  const bad = unsupportedLayers(model);
  if (bad.length > 0) throw new RangeError(`exportOnnx: this version of gradwell cannot export ${bad.length === 1 ? 'layer' : 'layers'} ${bad.join(', ')} to ONNX`);
  const g = new GraphBuilder(o.opset);
  g.fresh(o.inputName);
  let x = o.inputName;
  for (const layer of model.layers) x = emitLayer(g, layer, x);
  // The output gets its public name through an Identity (a layer may return its input, e.g. Dropout).
  g.fresh(o.outputName);
  g.nodes.push({ name: g.fresh('output/Identity'), opType: 'Identity', input: [x], output: [o.outputName], attribute: [] });
  const valueInfo = (name: string, shape: number[]) => ({
    name,
    type: { tensorType: { elemType: ONNX_FLOAT, shape: { dim: [{ dimParam: 'batch' }, ...shape.map((d) => ({ dimValue: d }))] } } },
  });
  const message = {
    irVersion: IR_VERSION[o.opset],
    opsetImport: [{ domain: '', version: o.opset }],
    producerName: 'gradwell',
    producerVersion: (require('../../package.json') as { version: string }).version,
    docString: `gradwell Sequential '${model.name}' in inference mode`,
    graph: {
      name: model.name,
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo(o.inputName, model.inputShape!)],
      output: [valueInfo(o.outputName, model.outputShape!)],
    },
  };
  const type = onnxModelType();
  const err = type.verify(message);
  if (err) throw new Error(`exportOnnx: internal error, the ONNX message does not verify: ${err}`);
  return type.encode(type.fromObject(message)).finish();
}

/** Writes the ONNX model to `file`, atomically. */
export async function exportOnnx(model: Sequential, file: string, opts?: OnnxExportOptions): Promise<void> {
  if (typeof file !== 'string' || file === '') throw new TypeError('exportOnnx: expected a file path');
  const bytes = onnxBytes(model, opts);
  await fsp.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFileAtomic(file, bytes);
}
