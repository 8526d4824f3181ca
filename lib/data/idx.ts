// IDX files (the format of MNIST, Fashion-MNIST, KMNIST): reading, with strict validation, and writing.
//
// Layout: magic [0x00, 0x00, dtype, ndims], then ndims big-endian uint32 dimensions, then the data,
// row-major. Only dtype 0x08 (unsigned byte) is supported: every image and label set in this family
// uses it. Files may be gzip-compressed (detected from the content, not the name).
//
// Sizes are checked before anything is allocated: the data size a header declares must fit in what
// the file can hold (its size when raw; the deflate expansion limit when compressed), so a corrupt
// header claiming 2^31 images fails at once instead of asking for a terabyte.

import * as fs from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import * as path from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { createDataset, type Dataset } from './dataset';
import { pathProblem } from '../errors';

export const IDX_UBYTE = 0x08;
/** Magic number of an unsigned-byte image file (3 dimensions: count, rows, columns). */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** Magic number of an unsigned-byte label file (1 dimension: count). */
export const IDX_LABELS_MAGIC = 0x00000801;

const IDX_DTYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

// Deflate cannot expand data more than about 1032:1; a compressed file of C bytes holds less than this.
const MAX_DEFLATE_RATIO = 1100;

/** A decoded IDX array of unsigned bytes. */
export interface IdxArray {
  /** Dimensions, outermost first (e.g. [60000, 28, 28]). */
  readonly dims: number[];
  /** The data, row-major, `product(dims)` bytes. */
  readonly data: Uint8Array;
}

export interface IdxReadOptions {
  /** Number of dimensions the file must have (3 for images, 1 for labels); any if omitted. */
  ndims?: number;
}

function hex32(value: number): string {
  return '0x' + (value >>> 0).toString(16).padStart(8, '0');
}

function describeMagic(magic: number): string {
  const dtype = (magic >>> 8) & 0xff;
  const ndims = magic & 0xff;
  const dtypeName = IDX_DTYPE_NAMES[dtype] ?? 'unknown type';
  return `${hex32(magic)} (${dtypeName}, ${ndims} dimension${ndims === 1 ? '' : 's'})`;
}

function expectedMagicText(ndims: number | undefined): string {
  if (ndims === undefined) return 'magic 0x000008NN (unsigned bytes, NN dimensions)';
  return `magic ${describeMagic((IDX_UBYTE << 8) | ndims)}`;
}

/**
 * Incremental IDX decoder: feed the (decompressed) bytes in chunks, then call `finish()`.
 * `maxInputBytes` bounds the decoded input (the file size when raw, the deflate limit when compressed),
 * and with it the data size a header may declare.
 */
export class IdxDecoder {
  private header = new Uint8Array(4 + 4 * 255);
  private headerFilled = 0;
  private headerSize = 4; // grows to 4 + 4 * ndims once the magic is known
  private dims: number[] | null = null;
  private data: Uint8Array | null = null;
  private dataFilled = 0;
  private trailingBytes = 0;

  constructor(
    private readonly source: string,
    private readonly options: IdxReadOptions,
    private readonly maxInputBytes: number,
  ) {}

  push(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.data === null) {
        const take = Math.min(this.headerSize - this.headerFilled, chunk.length - offset);
        this.header.set(chunk.subarray(offset, offset + take), this.headerFilled);
        this.headerFilled += take;
        offset += take;
        if (this.headerFilled === 4) this.parseMagic();
        if (this.headerFilled === this.headerSize && this.headerSize > 4) this.parseDims();
      } else if (this.dataFilled < this.data.length) {
        const take = Math.min(this.data.length - this.dataFilled, chunk.length - offset);
        this.data.set(chunk.subarray(offset, offset + take), this.dataFilled);
        this.dataFilled += take;
        offset += take;
      } else {
        this.trailingBytes += chunk.length - offset;
        offset = chunk.length;
      }
    }
  }

  finish(): IdxArray {
    const { source } = this;
    if (this.data === null) {
      const what = this.headerFilled < 4 ? 'the 4-byte magic number' : `the ${this.headerSize}-byte header`;
      throw new RangeError(`${source}: truncated IDX file: expected ${what}, found only ${this.headerFilled} byte${this.headerFilled === 1 ? '' : 's'}`);
    }
    if (this.dataFilled < this.data.length) {
      throw new RangeError(
        `${source}: truncated IDX file: the header declares ${this.dims!.join(' × ')} = ${this.data.length} bytes of data, found only ${this.dataFilled}`,
      );
    }
    if (this.trailingBytes > 0) {
      throw new RangeError(
        `${source}: ${this.trailingBytes} unexpected byte${this.trailingBytes === 1 ? '' : 's'} after the ${this.data.length} bytes of data the header declares (${this.dims!.join(' × ')})`,
      );
    }
    return { dims: this.dims!, data: this.data };
  }

  private parseMagic(): void {
    const h = this.header;
    const magic = ((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0;
    const { source } = this;
    const expected = expectedMagicText(this.options.ndims);
    if (h[0] !== 0 || h[1] !== 0) {
      throw new RangeError(`${source}: not an IDX file: expected ${expected}, found ${hex32(magic)}`);
    }
    if (h[2] !== IDX_UBYTE) {
      throw new RangeError(
        `${source}: unsupported IDX data type: expected ${expected}, found ${describeMagic(magic)}; only unsigned-byte (0x08) files are supported`,
      );
    }
    const ndims = h[3];
    if (ndims === 0 || (this.options.ndims !== undefined && ndims !== this.options.ndims)) {
      throw new RangeError(`${source}: wrong kind of IDX file: expected ${expected}, found ${describeMagic(magic)}`);
    }
    this.headerSize = 4 + 4 * ndims;
  }

  private parseDims(): void {
    const { source } = this;
    const view = new DataView(this.header.buffer, 0, this.headerSize);
    const dims: number[] = [];
    let size = 1;
    for (let d = 0; d < (this.headerSize - 4) / 4; d++) {
      const dim = view.getUint32(4 + 4 * d, false);
      if (dim === 0 && d > 0) {
        throw new RangeError(`${source}: dimension ${d} of the IDX header is 0; only the first (the sample count) may be 0`);
      }
      dims.push(dim);
      size *= dim; // exact while ≤ 2^53; anything larger fails the bounds below
    }
    const maxDataBytes = Math.max(0, this.maxInputBytes - this.headerSize);
    if (size > maxDataBytes) {
      throw new RangeError(
        `${source}: truncated or corrupt IDX file: the header declares ${dims.join(' × ')} = ${size} bytes of data, more than the file can hold (at most ${maxDataBytes})`,
      );
    }
    if (size > bufferConstants.MAX_LENGTH) {
      throw new RangeError(`${source}: the header declares ${size} bytes of data, more than one typed array can hold (${bufferConstants.MAX_LENGTH})`);
    }
    this.dims = dims;
    this.data = new Uint8Array(size);
  }
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decodes IDX bytes already in memory (raw or gzip-compressed). `source` names them in errors. */
export function decodeIdx(bytes: Uint8Array, options: IdxReadOptions & { source?: string } = {}): IdxArray {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`decodeIdx: bytes must be a Uint8Array, received ${typeof bytes}`);
  const source = options.source ?? 'IDX data';
  let raw = bytes;
  if (isGzip(bytes)) {
    const limit = Math.min(bytes.length * MAX_DEFLATE_RATIO + 65536, bufferConstants.MAX_LENGTH);
    try {
      raw = zlib.gunzipSync(bytes, { maxOutputLength: limit });
    } catch (err) {
      throw new RangeError(`${source}: corrupt gzip data: ${(err as Error).message}`);
    }
  }
  const decoder = new IdxDecoder(source, options, raw.length);
  decoder.push(raw);
  return decoder.finish();
}

/** Reads an IDX file, raw or gzip-compressed, streaming so that only the declared data is allocated. */
export async function readIdxFile(file: string, options: IdxReadOptions = {}): Promise<IdxArray> {
  return readIdx(file, options, 'readIdxFile');
}

// `what` names the public call in messages (readIdxFile, mnist, fashionMnist, ...).
async function readIdx(file: string, options: IdxReadOptions, what: string): Promise<IdxArray> {
  if (typeof file !== 'string' || file === '') throw new TypeError(`${what}: file must be a non-empty path string, received ${typeof file}`);
  let fileSize: number;
  const magic = new Uint8Array(2);
  try {
    const handle = await fs.promises.open(file, 'r');
    try {
      const st = await handle.stat();
      if (st.isDirectory()) throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
      fileSize = st.size;
      await handle.read(magic, 0, 2, 0);
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw Object.assign(new Error(`${what}(${file}): ${pathProblem(err, 'file')}`), { code: (err as NodeJS.ErrnoException).code });
  }
  const gzip = fileSize >= 2 && isGzip(magic);
  const maxInputBytes = gzip ? fileSize * MAX_DEFLATE_RATIO + 65536 : fileSize;
  const source = what === 'readIdxFile' ? file : `${what}: ${file}`;
  const decoder = new IdxDecoder(source, options, maxInputBytes);
  const input = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  // pipeline forwards a read error to the gunzip stream and tears both down on failure.
  const stream: Readable = gzip ? pipeline(input, zlib.createGunzip({ chunkSize: 1 << 20 }), () => undefined) : input;
  try {
    for await (const chunk of stream) decoder.push(chunk as Buffer);
  } catch (err) {
    if (err instanceof RangeError && String(err.message).startsWith(source)) throw err;
    throw new RangeError(`${source}: ${gzip ? 'corrupt gzip data' : 'read failed'}: ${(err as Error).message}`);
  } finally {
    stream.destroy();
    input.destroy();
  }
  return decoder.finish();
}

/** Encodes `data` with dimensions `dims` as an unsigned-byte IDX file (uncompressed). */
export function encodeIdx(data: Uint8Array, dims: readonly number[]): Uint8Array {
  if (!(data instanceof Uint8Array)) throw new TypeError(`encodeIdx: data must be a Uint8Array, received ${typeof data}`);
  if (!Array.isArray(dims) || dims.length < 1 || dims.length > 255) {
    throw new RangeError(`encodeIdx: dims must list 1 to 255 dimensions, received ${JSON.stringify(dims)}`);
  }
  let size = 1;
  for (const dim of dims) {
    if (!Number.isInteger(dim) || dim < 0 || dim > 0xffffffff) {
      throw new RangeError(`encodeIdx: each dimension must be an integer in [0, 2^32), received ${JSON.stringify(dims)}`);
    }
    size *= dim;
  }
  if (size !== data.length) {
    throw new RangeError(`encodeIdx: dims ${dims.join(' × ')} = ${size} elements, but data has ${data.length}`);
  }
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, (IDX_UBYTE << 8) | dims.length, false);
  dims.forEach((dim, d) => view.setUint32(4 + 4 * d, dim, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/**
 * Writes an unsigned-byte IDX file; gzip-compressed when `gzip` is true (default: when the name ends
 * in `.gz`). Writes a temporary file beside it and renames, so a reader never sees half a file.
 */
export async function writeIdxFile(
  file: string,
  data: Uint8Array,
  dims: readonly number[],
  options: { gzip?: boolean } = {},
): Promise<void> {
  const encoded = encodeIdx(data, dims);
  const gzip = options.gzip ?? file.endsWith('.gz');
  const bytes = gzip ? zlib.gzipSync(encoded) : encoded;
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await fs.promises.writeFile(temp, bytes);
    await fs.promises.rename(temp, file);
  } catch (err) {
    await fs.promises.rm(temp, { force: true });
    throw err;
  }
}

export interface IdxPairOptions {
  /** Number of classes; every label must be below it (default 10). */
  numClasses?: number;
  classNames?: readonly string[];
}

/**
 * Reads an image file (3 dimensions: count, rows, columns) and its label file (1 dimension) into a
 * Dataset of Uint8 pixels (scale 1/255) and Int32 labels, checking that the counts agree and every
 * label is a valid class.
 */
export async function readIdxImagesAndLabels(imagesFile: string, labelsFile: string, options: IdxPairOptions = {}): Promise<Dataset> {
  return readPair(imagesFile, labelsFile, options, 'readIdxImagesAndLabels');
}

async function readPair(imagesFile: string, labelsFile: string, options: IdxPairOptions, what: string): Promise<Dataset> {
  const numClasses = options.numClasses ?? 10;
  const [images, labels] = await Promise.all([readIdx(imagesFile, { ndims: 3 }, what), readIdx(labelsFile, { ndims: 1 }, what)]);
  const [count, rows, cols] = images.dims;
  if (labels.dims[0] !== count) {
    throw new RangeError(`${what}: ${labelsFile}: holds ${labels.dims[0]} labels, but ${imagesFile} holds ${count} images; expected the same count`);
  }
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = labels.data[i];
    if (label >= numClasses) {
      throw new RangeError(`${what}: ${labelsFile}: label ${label} at index ${i} is outside [0, ${numClasses})`);
    }
    y[i] = label;
  }
  return createDataset(
    { x: images.data, y, shape: [rows, cols], numClasses, scale: 1 / 255, classNames: options.classNames },
    imagesFile,
  );
}

/** The standard file names of an MNIST-style IDX dataset (without `.gz`). */
export const MNIST_STYLE_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** A training set and a test set. */
export interface TrainTest {
  train: Dataset;
  test: Dataset;
}

/**
 * Loads the four MNIST-style files from `dir`, each either gzip-compressed (`name.gz`) or raw (`name`).
 * `what` names the caller in errors, `hint` tells the user how to get the files.
 */
export async function loadIdxDirectory(dir: string, what: string, hint: string, options: IdxPairOptions = {}): Promise<TrainTest> {
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new TypeError(`${what}: dir must be a non-empty string, received ${typeof dir}`);
  }
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    throw Object.assign(new Error(`${what}(${dir}): ${pathProblem(err, 'directory')}. ${hint}`), { code: (err as NodeJS.ErrnoException).code });
  }
  if (!st.isDirectory()) throw Object.assign(new Error(`${what}(${dir}): is a file, not a directory. ${hint}`), { code: 'ENOTDIR' });
  const found: Partial<Record<keyof typeof MNIST_STYLE_FILES, string>> = {};
  const missing: string[] = [];
  for (const [key, name] of Object.entries(MNIST_STYLE_FILES) as [keyof typeof MNIST_STYLE_FILES, string][]) {
    const candidates = [path.join(dir, `${name}.gz`), path.join(dir, name)];
    const existing = candidates.find((file) => fs.existsSync(file));
    if (existing === undefined) missing.push(`${name}.gz (or ${name})`);
    else found[key] = existing;
  }
  if (missing.length > 0) {
    throw new Error(`${what}: missing file${missing.length === 1 ? '' : 's'} in ${dir}: ${missing.join(', ')}. ${hint}`);
  }
  const [train, test] = await Promise.all([
    readPair(found.trainImages!, found.trainLabels!, options, what),
    readPair(found.testImages!, found.testLabels!, options, what),
  ]);
  if (train.shape[0] !== test.shape[0] || train.shape[1] !== test.shape[1]) {
    throw new RangeError(
      `${what}: training images are ${train.shape.join('×')} but test images are ${test.shape.join('×')} (${found.trainImages}, ${found.testImages})`,
    );
  }
  return { train, test };
}
