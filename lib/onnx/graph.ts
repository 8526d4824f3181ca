// A small builder of ONNX graphs as the plain objects protobufjs encodes with the
// vendored vendor/onnx/onnx.proto (field names in protobufjs's camelCase). Knows
// the opset, so helpers can pick the form an op has there (ReduceMean's axes are an
// attribute before opset 18 and an input from 18).

export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

export type AttrValue = number | string | number[] | { float: number };
export interface NodeObject {
  name: string;
  opType: string;
  input: string[];
  output: string[];
  attribute: Record<string, unknown>[];
}
export interface TensorObject {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}

/** Integers become INT(S); { float: v } and non-integers FLOAT(S); strings STRING. */
function attribute(name: string, v: AttrValue): Record<string, unknown> {
  if (typeof v === 'string') return { name, type: ATTR.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return v.every(Number.isInteger) ? { name, type: ATTR.INTS, ints: v } : { name, type: ATTR.FLOATS, floats: v };
  if (typeof v === 'object') return { name, type: ATTR.FLOAT, f: v.float };
  return Number.isInteger(v) ? { name, type: ATTR.INT, i: v } : { name, type: ATTR.FLOAT, f: v };
}

function bytesOf(a: Float32Array | BigInt64Array): Uint8Array {
  // Little-endian as ONNX's raw_data requires (the safetensors writer refuses big-endian hosts too).
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

export class GraphBuilder {
  readonly nodes: NodeObject[] = [];
  readonly initializers: TensorObject[] = [];
  private readonly used = new Set<string>();
  private readonly constants = new Map<string, string>();

  constructor(readonly opset: number) {}

  /** A tensor name not used yet, from a readable stem. */
  fresh(stem: string): string {
    let name = stem;
    for (let k = 1; this.used.has(name); k++) name = `${stem}_${k}`;
    this.used.add(name);
    return name;
  }

  /** A float32 (or int64 for a BigInt64Array) initializer; returns its name. */
  init(stem: string, dims: number[], data: Float32Array | BigInt64Array): string {
    const name = this.fresh(stem);
    this.initializers.push({ name, dims, dataType: data instanceof BigInt64Array ? ONNX_INT64 : ONNX_FLOAT, rawData: bytesOf(data) });
    return name;
  }

  /** A shared scalar float constant (e.g. 0.5), one initializer per value. */
  scalar(v: number): string {
    const key = `f${Math.fround(v)}`;
    if (!this.constants.has(key)) this.constants.set(key, this.init(`const_${this.constants.size}`, [], Float32Array.of(v)));
    return this.constants.get(key)!;
  }

  /** A shared int64 vector constant (shapes, axes). */
  ints(v: number[]): string {
    const key = `i${v.join(',')}`;
    if (!this.constants.has(key)) this.constants.set(key, this.init(`const_${this.constants.size}`, [v.length], BigInt64Array.from(v.map(BigInt))));
    return this.constants.get(key)!;
  }

  /** Adds a node with one output named from `stem`; returns the output's name. */
  node(opType: string, inputs: string[], stem: string, attrs: Record<string, AttrValue> = {}): string {
    const out = this.fresh(stem);
    this.nodes.push({ name: this.fresh(`${stem}/${opType}`), opType, input: inputs, output: [out], attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return out;
  }

  /** ReduceMean over `axes` keeping them (axes: an attribute before opset 18, an input from 18). */
  reduceMean(x: string, axes: number[], stem: string): string {
    if (this.opset >= 18) return this.node('ReduceMean', [x, this.ints(axes)], stem, { keepdims: 1 });
    return this.node('ReduceMean', [x], stem, { axes, keepdims: 1 });
  }

  /** (x - mean) / sqrt(var + eps) over `axes`, with the biased variance (an exact decomposition). */
  normalize(x: string, axes: number[], eps: number, stem: string): string {
    const mean = this.reduceMean(x, axes, `${stem}/mean`);
    const d = this.node('Sub', [x, mean], `${stem}/centered`);
    const v = this.reduceMean(this.node('Mul', [d, d], `${stem}/squared`), axes, `${stem}/var`);
    const std = this.node('Sqrt', [this.node('Add', [v, this.scalar(eps)], `${stem}/var_eps`)], `${stem}/std`);
    return this.node('Div', [d, std], `${stem}/normalized`);
  }
}
