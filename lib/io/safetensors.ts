// The safetensors format (https://github.com/huggingface/safetensors):
//   8 bytes  little-endian u64 N
//   N bytes  UTF-8 JSON header {"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
//            "__metadata__": {string: string}} padded with spaces so 8 + N is a multiple of 8
//   rest     the tensor bytes, little-endian, row-major; offsets relative to the start of the rest.
//
// The reader trusts nothing: the whole header is validated (length vs file size and a cap,
// strict UTF-8, JSON object, known dtype, integer shapes, offsets in range, the tensors tile
// the data exactly with no gap, overlap or trailing bytes, byte length == elements * dtype
// size) before any tensor memory is allocated, so a hostile file can neither make us
// allocate more than its own size nor read out of bounds.

import { promises as fsp } from 'fs';
import * as os from 'os';
import { writeFileAtomic } from './atomic';

export type SafetensorsDtype =
  | 'F64' | 'F32' | 'F16' | 'BF16'
  | 'I64' | 'I32' | 'I16' | 'I8'
  | 'U64' | 'U32' | 'U16' | 'U8'
  | 'BOOL';

/** F16 and BF16 come back as their raw bit patterns in a Uint16Array; BOOL as 0/1 bytes. */
export type SafetensorsData =
  | Float64Array | Float32Array | BigInt64Array | BigUint64Array
  | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: SafetensorsData;
}

export interface TensorToWrite {
  /** Inferred from the typed array when absent (Uint16Array -> U16, Uint8Array -> U8). */
  dtype?: SafetensorsDtype;
  shape: readonly number[];
  data: SafetensorsData;
}

export interface SafetensorsContents {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

/** Largest header we accept (the reference implementation's limit too). */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

interface DtypeInfo {
  size: number;
  array: new (buffer: ArrayBuffer, byteOffset?: number, length?: number) => SafetensorsData;
  /** Typed-array classes accepted on write for this dtype. */
  accepts: readonly string[];
}

const DTYPES: Record<SafetensorsDtype, DtypeInfo> = {
  F64: { size: 8, array: Float64Array, accepts: ['Float64Array'] },
  F32: { size: 4, array: Float32Array, accepts: ['Float32Array'] },
  F16: { size: 2, array: Uint16Array, accepts: ['Uint16Array'] },
  BF16: { size: 2, array: Uint16Array, accepts: ['Uint16Array'] },
  I64: { size: 8, array: BigInt64Array, accepts: ['BigInt64Array'] },
  I32: { size: 4, array: Int32Array, accepts: ['Int32Array'] },
  I16: { size: 2, array: Int16Array, accepts: ['Int16Array'] },
  I8: { size: 1, array: Int8Array, accepts: ['Int8Array'] },
  U64: { size: 8, array: BigUint64Array, accepts: ['BigUint64Array'] },
  U32: { size: 4, array: Uint32Array, accepts: ['Uint32Array'] },
  U16: { size: 2, array: Uint16Array, accepts: ['Uint16Array'] },
  U8: { size: 1, array: Uint8Array, accepts: ['Uint8Array'] },
  BOOL: { size: 1, array: Uint8Array, accepts: ['Uint8Array'] },
};

const INFERRED_DTYPE: Record<string, SafetensorsDtype> = {
  Float64Array: 'F64', Float32Array: 'F32', BigInt64Array: 'I64', BigUint64Array: 'U64',
  Int32Array: 'I32', Uint32Array: 'U32', Int16Array: 'I16', Uint16Array: 'U16', Int8Array: 'I8', Uint8Array: 'U8',
};

const METADATA_KEY = '__metadata__';

function checkHostEndianness(): void {
  // Typed arrays use the host's byte order; the format is little-endian.
  if (os.endianness() !== 'LE') throw new Error('safetensors: big-endian hosts are not supported');
}

/** obj[key] = value, also for key '__proto__' (a plain assignment would set the prototype). */
function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function isDtype(v: unknown): v is SafetensorsDtype {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v)}`;
  if (typeof v === 'number') return `number ${v}`;
  return typeof v;
}

/** Element count of a validated shape, or -1 if it exceeds 2^53. */
function elementCount(shape: readonly number[]): number {
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) return -1;
  }
  return n;
}

interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

interface ParsedHeader {
  entries: TensorEntry[]; // sorted by offset
  metadata: Record<string, string>;
}

/** Reads N from the 8-byte prefix and checks it against the cap and the total size. */
function checkHeaderLength(src: string, prefix: Uint8Array, totalBytes: number): number {
  if (totalBytes < 8) throw new Error(`${src}: file is ${totalBytes} bytes, shorter than the 8-byte header length`);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new Error(`${src}: header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const headerBytes = Number(n);
  if (8 + headerBytes > totalBytes) {
    throw new Error(`${src}: header length ${headerBytes} runs past the end of the file (${totalBytes} bytes)`);
  }
  if (headerBytes < 2) throw new Error(`${src}: header length ${headerBytes} is too small for a JSON object`);
  return headerBytes;
}

/** Validates the JSON header against a data section of `dataBytes` bytes. */
function parseHeader(src: string, headerUtf8: Uint8Array, dataBytes: number): ParsedHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerUtf8);
  } catch {
    throw new Error(`${src}: header is not valid UTF-8`);
  }
  if (text.charCodeAt(0) !== 0x7b /* { */) throw new Error(`${src}: header does not start with '{'`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${src}: header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`${src}: header must be a JSON object, found ${describe(json)}`);
  }

  const metadata: Record<string, string> = {};
  const entries: TensorEntry[] = [];
  for (const [name, info] of Object.entries(json as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (typeof info !== 'object' || info === null || Array.isArray(info)) {
        throw new Error(`${src}: '${METADATA_KEY}' must be an object of strings, found ${describe(info)}`);
      }
      for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new Error(`${src}: metadata '${k}' must be a string, found ${describe(v)}`);
        setOwn(metadata, k, v);
      }
      continue;
    }
    const what = `${src}: tensor '${name}'`;
    if (typeof info !== 'object' || info === null || Array.isArray(info)) {
      throw new Error(`${what} must be an object {dtype, shape, data_offsets}, found ${describe(info)}`);
    }
    const rec = info as Record<string, unknown>;
    for (const k of Object.keys(rec)) {
      if (k !== 'dtype' && k !== 'shape' && k !== 'data_offsets') throw new Error(`${what} has an unknown field '${k}'`);
    }
    const { dtype, shape, data_offsets: offsets } = rec;
    if (!isDtype(dtype)) {
      throw new Error(`${what} has unknown dtype ${describe(dtype)} (known: ${Object.keys(DTYPES).join(', ')})`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(`${what} has shape ${JSON.stringify(shape) ?? 'undefined'}; expected an array of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 ||
        !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)) {
      throw new Error(`${what} has data_offsets ${JSON.stringify(offsets) ?? 'undefined'}; expected [begin, end], non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) throw new Error(`${what} has data_offsets [${begin}, ${end}] with begin > end`);
    if (end > dataBytes) {
      throw new Error(`${what} claims offsets [${begin}, ${end}] past the end of the data (${dataBytes} bytes)`);
    }
    const count = elementCount(shape);
    const expected = count < 0 ? -1 : count * DTYPES[dtype].size;
    if (expected !== end - begin) {
      throw new Error(
        `${what}: shape [${shape.join(', ')}] of ${dtype} needs ${expected < 0 ? 'more than 2^53' : expected} bytes, ` +
          `data_offsets [${begin}, ${end}] hold ${end - begin}`,
      );
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }

  // The tensors must tile [0, dataBytes) exactly: sorted by offset, each starts where the
  // previous one ended (empty tensors may share an offset).
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: TensorEntry | undefined;
  for (const e of entries) {
    if (e.begin < cursor) {
      throw new Error(`${src}: tensor '${e.name}' [${e.begin}, ${e.end}] overlaps tensor '${previous!.name}' [${previous!.begin}, ${previous!.end}]`);
    }
    if (e.begin > cursor) {
      throw new Error(`${src}: bytes [${cursor}, ${e.begin}) before tensor '${e.name}' belong to no tensor`);
    }
    cursor = e.end;
    previous = e;
  }
  if (cursor !== dataBytes) {
    throw new Error(`${src}: ${dataBytes - cursor} trailing bytes after the last tensor (data is ${dataBytes} bytes, tensors end at ${cursor})`);
  }
  return { entries, metadata };
}

function checkBool(src: string, e: TensorEntry, data: SafetensorsData): void {
  if (e.dtype !== 'BOOL') return;
  const bytes = data as Uint8Array;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] > 1) throw new Error(`${src}: BOOL tensor '${e.name}' holds byte ${bytes[i]} at element ${i} (only 0 and 1 are valid)`);
  }
}

/** Parses a whole safetensors file held in memory. Tensor data are copies (aligned). */
export function parseSafetensors(bytes: Uint8Array, source = 'safetensors'): SafetensorsContents {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${source}: expected a Uint8Array, received ${describe(bytes)}`);
  checkHostEndianness();
  const headerBytes = checkHeaderLength(source, bytes, bytes.byteLength);
  const dataStart = 8 + headerBytes;
  const header = parseHeader(source, bytes.subarray(8, dataStart), bytes.byteLength - dataStart);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of header.entries) {
    const info = DTYPES[e.dtype];
    // A fresh ArrayBuffer at offset 0 (aligned). Not bytes.slice(): on a Buffer that is a view.
    const copy = new Uint8Array(e.end - e.begin);
    copy.set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    const data = new info.array(copy.buffer, 0, (e.end - e.begin) / info.size);
    checkBool(source, e, data);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  // Map order is offset order, i.e. the writer's order.
  return { tensors, metadata: header.metadata };
}

/**
 * Reads a safetensors file: first the header, validated against the file size; only then
 * each tensor, straight into its own typed array.
 */
export async function readSafetensorsFile(filePath: string): Promise<SafetensorsContents> {
  checkHostEndianness();
  const src = `safetensors ${filePath}`;
  const fh = await fsp.open(filePath, 'r');
  try {
    const size = (await fh.stat()).size;
    const readExactly = async (target: Uint8Array, position: number): Promise<void> => {
      let done = 0;
      while (done < target.byteLength) {
        const { bytesRead } = await fh.read(target, done, target.byteLength - done, position + done);
        if (bytesRead === 0) throw new Error(`${src}: file shrank while being read (expected ${size} bytes)`);
        done += bytesRead;
      }
    };
    const prefix = new Uint8Array(Math.min(8, size));
    await readExactly(prefix, 0);
    const headerBytes = checkHeaderLength(src, prefix, size);
    const headerUtf8 = new Uint8Array(headerBytes);
    await readExactly(headerUtf8, 8);
    const dataStart = 8 + headerBytes;
    const header = parseHeader(src, headerUtf8, size - dataStart);
    const tensors = new Map<string, SafetensorsTensor>();
    for (const e of header.entries) {
      const info = DTYPES[e.dtype];
      const buffer = new ArrayBuffer(e.end - e.begin);
      await readExactly(new Uint8Array(buffer), dataStart + e.begin);
      const data = new info.array(buffer, 0, buffer.byteLength / info.size);
      checkBool(src, e, data);
      tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
    }
    return { tensors, metadata: header.metadata };
  } finally {
    await fh.close();
  }
}

/**
 * Serializes tensors (a Map or a plain object, name -> {dtype?, shape, data}) and string
 * metadata. Tensors are laid out largest dtype first, then by name, so every tensor's data
 * is aligned to its element size in the file.
 */
export function serializeSafetensors(
  tensors: Map<string, TensorToWrite> | Record<string, TensorToWrite>,
  metadata: Record<string, string> = {},
): Uint8Array {
  checkHostEndianness();
  const op = 'serializeSafetensors';
  if (typeof tensors !== 'object' || tensors === null) throw new TypeError(`${op}: tensors must be a Map or an object`);
  const list = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new TypeError(`${op}: metadata must be an object of strings`);
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new TypeError(`${op}: metadata '${k}' must be a string, received ${describe(v)}`);
  }

  const checked = list.map(([name, t]) => {
    if (typeof name !== 'string' || name === '' || name === METADATA_KEY) {
      throw new RangeError(`${op}: bad tensor name ${JSON.stringify(name)}`);
    }
    if (typeof t !== 'object' || t === null || !ArrayBuffer.isView(t.data)) {
      throw new TypeError(`${op}: tensor '${name}' must be {dtype?, shape, data: typed array}`);
    }
    const ctor = t.data.constructor.name;
    const dtype = t.dtype ?? INFERRED_DTYPE[ctor];
    if (!isDtype(dtype)) throw new TypeError(`${op}: tensor '${name}': unknown dtype ${describe(t.dtype ?? ctor)}`);
    if (!DTYPES[dtype].accepts.includes(ctor)) {
      throw new TypeError(`${op}: tensor '${name}': dtype ${dtype} needs a ${DTYPES[dtype].accepts.join(' or ')}, received ${ctor}`);
    }
    const shape = t.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new RangeError(`${op}: tensor '${name}': shape must be an array of non-negative integers, received ${JSON.stringify(shape)}`);
    }
    const count = elementCount(shape);
    if (count !== t.data.length) {
      throw new RangeError(`${op}: tensor '${name}': shape [${shape.join(', ')}] needs ${count} elements, data has ${t.data.length}`);
    }
    if (dtype === 'BOOL') {
      const b = t.data as Uint8Array;
      for (let i = 0; i < b.length; i++) if (b[i] > 1) throw new RangeError(`${op}: BOOL tensor '${name}' holds ${b[i]} at ${i}`);
    }
    return { name, dtype, shape: [...shape], data: t.data };
  });
  checked.sort((a, b) => DTYPES[b.dtype].size - DTYPES[a.dtype].size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = { ...metadata };
  let offset = 0;
  for (const t of checked) {
    const n = t.data.byteLength;
    setOwn(header, t.name, { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + n] });
    offset += n;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = Math.ceil(json.byteLength / 8) * 8;
  if (headerBytes > MAX_HEADER_BYTES) throw new RangeError(`${op}: header would be ${headerBytes} bytes, over the ${MAX_HEADER_BYTES}-byte limit`);
  const out = new Uint8Array(8 + headerBytes + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerBytes);
  let pos = 8 + headerBytes;
  for (const t of checked) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}

/** serializeSafetensors + writeFileAtomic. */
export async function writeSafetensorsFile(
  filePath: string,
  tensors: Map<string, TensorToWrite> | Record<string, TensorToWrite>,
  metadata: Record<string, string> = {},
): Promise<void> {
  await writeFileAtomic(filePath, serializeSafetensors(tensors, metadata));
}
