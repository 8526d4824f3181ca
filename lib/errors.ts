// Argument checking shared by the public API: messages name the argument,
// what was expected and what was received (sharp's invalidParameterError style).
import { describeValue } from './tensor';

/**
 * What is wrong with a path, from the error of a failed open/read/stat, in words: "does not
 * exist", "is a directory, not a file", "permission denied", else the system's message.
 */
export function pathProblem(err: unknown, expected: 'file' | 'directory'): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return `the ${expected} does not exist`;
  if (code === 'EISDIR') return 'is a directory, not a file';
  if (code === 'ENOTDIR') return expected === 'directory' ? 'is not a directory' : 'a part of the path is a file, not a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return `cannot be read (${(err as Error)?.message ?? String(err)})`;
}

export function invalid(where: string, name: string, expected: string, received: unknown): RangeError {
  return new RangeError(`${where}: expected ${expected} for ${name} but received ${describeValue(received)}`);
}

export function checkNumber(where: string, name: string, v: unknown, opts: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean; integer?: boolean } = {}): number {
  if (typeof v !== 'number' || Number.isNaN(v)) {
    throw new TypeError(`${where}: expected a number for ${name} but received ${describeValue(v)}`);
  }
  const { min, max, minExclusive, maxExclusive, integer } = opts;
  const range = `${min === undefined ? '(-inf' : (minExclusive ? '(' : '[') + min}, ${max === undefined ? 'inf)' : max + (maxExclusive ? ')' : ']')}`;
  if (!Number.isFinite(v) && !(max === undefined && v === Infinity)) throw invalid(where, name, `a finite number in ${range}`, v);
  if (integer && !Number.isInteger(v)) throw invalid(where, name, `an integer in ${range}`, v);
  if (min !== undefined && (minExclusive ? v <= min : v < min)) throw invalid(where, name, `a number in ${range}`, v);
  if (max !== undefined && (maxExclusive ? v >= max : v > max)) throw invalid(where, name, `a number in ${range}`, v);
  return v;
}

export class AbortError extends Error {
  constructor(message = 'The operation was aborted') {
    super(message);
    this.name = 'AbortError';
  }
}

/** Thrown when training meets a NaN or Inf; names the parameter or layer and the step. */
export class NonFiniteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NonFiniteError';
  }
}

/** The `code` of the error a native program rejects with when a halt_if_nonzero step stops it. */
export const NATIVE_HALT_CODE = 'ERR_GRADWELL_HALT';

/** The `code` of the error a native program rejects with when a halt_if_nonfinite step stops it. */
export const NATIVE_NONFINITE_CODE = 'ERR_GRADWELL_NONFINITE';

/** An error from a native task: `code` and `index` are set by structured native errors (native/binding/args.h CodedError). */
export interface NativeTaskError extends Error {
  code?: string;
  index?: number;
}

/** The index of the flag that halted a native program (NATIVE_HALT_CODE), or null for any other error. */
export function haltedAt(e: unknown): number | null {
  if (!(e instanceof Error)) return null;
  const { code, index } = e as NativeTaskError;
  return code === NATIVE_HALT_CODE && Number.isInteger(index) ? (index as number) : null;
}
