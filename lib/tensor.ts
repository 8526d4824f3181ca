// A dense float32 tensor: row-major data plus a shape. Deliberately small:
// the kernels take raw Float32Arrays, and this type carries shapes between them.

export type Shape = readonly number[];

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function assertShape(shape: unknown, name: string): asserts shape is Shape {
  if (!Array.isArray(shape)) {
    throw new TypeError(`${name} must be an array of non-negative integers, received ${describeValue(shape)}`);
  }
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new RangeError(`${name} must hold non-negative integers, received ${formatShape(shape as number[])}`);
    }
  }
}

export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<unknown>).length ?? v.byteLength})`;
  if (Array.isArray(v)) return `Array(${v.length})`;
  if (typeof v === 'number') return `number ${v}`;
  if (typeof v === 'string') return `string '${v}'`;
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

export class Tensor {
  readonly data: Float32Array;
  readonly shape: Shape;

  constructor(data: Float32Array, shape: Shape) {
    if (!(data instanceof Float32Array)) {
      throw new TypeError(`Tensor: data must be a Float32Array, received ${describeValue(data)}`);
    }
    assertShape(shape, 'Tensor: shape');
    const size = shapeSize(shape);
    if (size !== data.length) {
      throw new RangeError(`Tensor: shape ${formatShape(shape)} needs ${size} elements, data has ${data.length}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }

  static zeros(shape: Shape): Tensor {
    assertShape(shape, 'Tensor.zeros: shape');
    return new Tensor(new Float32Array(shapeSize(shape)), shape);
  }

  /** From nested arrays ([[1, 2], [3, 4]]) or a flat array plus a shape. */
  static from(values: ArrayLike<number> | number[][], shape?: Shape): Tensor {
    if (shape) return new Tensor(Float32Array.from(values as ArrayLike<number>), shape);
    if (Array.isArray(values) && Array.isArray(values[0])) {
      const rows = values as number[][];
      const cols = rows[0].length;
      const out = new Float32Array(rows.length * cols);
      rows.forEach((r, i) => {
        if (r.length !== cols) throw new RangeError(`Tensor.from: row ${i} has ${r.length} values, row 0 has ${cols}`);
        out.set(r, i * cols);
      });
      return new Tensor(out, [rows.length, cols]);
    }
    const flat = Float32Array.from(values as ArrayLike<number>);
    return new Tensor(flat, [flat.length]);
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  reshape(shape: Shape): Tensor {
    return new Tensor(this.data, shape);
  }

  toString(): string {
    return `Tensor${formatShape(this.shape)}`;
  }
}
