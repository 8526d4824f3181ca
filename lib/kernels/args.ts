// Argument checks shared by the typed kernel wrappers: a wrong type is a TypeError naming the op,
// the argument and what was received (native code checks lengths and shapes).

function received(v: unknown): string {
  return v === null ? 'null' : typeof v === 'object' ? (v as object).constructor?.name ?? 'object' : typeof v;
}

export function requireF32(op: string, name: string, v: unknown): asserts v is Float32Array {
  if (!(v instanceof Float32Array)) {
    throw new TypeError(`${op}: argument '${name}' must be a Float32Array, received ${received(v)}`);
  }
}

/** Checks each named array, in the order given. */
export function requireF32s(op: string, arrays: Record<string, unknown>): void {
  for (const [name, v] of Object.entries(arrays)) requireF32(op, name, v);
}

/** null and undefined pass (the op's optional buffer is not given). */
export function requireOptionalF32(op: string, name: string, v: unknown): void {
  if (v !== undefined && v !== null) requireF32(op, name, v);
}

/**
 * An optional array of at least n elements; checked here because native code cannot tell an empty
 * array from a missing one.
 */
export function requireOptionalLength(op: string, name: string, v: unknown, n: number): void {
  requireOptionalF32(op, name, v);
  if (v instanceof Float32Array && v.length < n) {
    throw new RangeError(`${op}: argument '${name}' has ${v.length} elements but shape [${n}] needs ${n}`);
  }
}

export function requireI32(op: string, name: string, v: unknown): asserts v is Int32Array {
  if (!(v instanceof Int32Array)) {
    throw new TypeError(`${op}: argument '${name}' must be an Int32Array, received ${received(v)}`);
  }
}

type ArgKind = 'f32' | 'f32?' | 'i32';

/** Checks a's named fields in the order given ('f32?': null and undefined pass). */
export function requireArgs(op: string, a: object, spec: Record<string, ArgKind>): void {
  for (const [name, kind] of Object.entries(spec)) {
    const v = (a as Record<string, unknown>)[name];
    if (kind === 'i32') requireI32(op, name, v);
    else if (kind === 'f32') requireF32(op, name, v);
    else requireOptionalF32(op, name, v);
  }
}

/** A seeded op's key: explicit integers, or `hp = Float64Array [seed, stream, step]` read when the op runs. */
export type SeedKey = { seed: number; stream: number; step: number } | Float64Array;

/** The key's trailing op arguments: a Float64Array is passed on, numbers are packed (checked natively). */
export function keyArgs(op: string, key: SeedKey): [hp: Float64Array] | [seed: number, stream: number, step: number] {
  if (key instanceof Float64Array) return [key];
  if (key === null || typeof key !== 'object') {
    throw new TypeError(`${op}: argument 'key' must be { seed, stream, step } or a Float64Array [seed, stream, step], received ${key === null ? 'null' : typeof key}`);
  }
  return [key.seed, key.stream, key.step];
}
