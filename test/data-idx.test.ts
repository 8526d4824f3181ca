import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeIdx,
  encodeIdx,
  fashionMnist,
  IdxDecoder,
  FASHION_MNIST_DEBIAN_DIR,
  kmnist,
  mnist,
  readIdxFile,
  readIdxImagesAndLabels,
  writeIdxFile,
} from '../lib/data';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-idx-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// An IDX header written by hand (independent of encodeIdx): magic then big-endian dimensions.
function idxHeader(dtype: number, dims: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = dtype;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return header;
}

function patternBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  return out;
}

function writeFile(name: string, bytes: Uint8Array): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, bytes);
  return file;
}

describe('IDX encoding', () => {
  it('encodeIdx writes magic, big-endian dims and data', () => {
    const data = patternBytes(2 * 3 * 4, 1);
    const encoded = encodeIdx(data, [2, 3, 4]);
    expect(Buffer.from(encoded.subarray(0, 16))).toEqual(idxHeader(0x08, [2, 3, 4]));
    expect(encoded.subarray(16)).toEqual(data);
  });

  it('decodeIdx reads raw and gzip bytes back', () => {
    const data = patternBytes(5 * 7, 2);
    const raw = Buffer.concat([idxHeader(0x08, [5, 7]), data]);
    for (const bytes of [raw, zlib.gzipSync(raw)]) {
      const decoded = decodeIdx(bytes);
      expect(decoded.dims).toEqual([5, 7]);
      expect(decoded.data).toEqual(data);
    }
  });

  it('encodeIdx rejects data that does not match the dimensions', () => {
    expect(() => encodeIdx(new Uint8Array(5), [2, 3])).toThrow(/dims 2 × 3 = 6 elements, but data has 5/);
    expect(() => encodeIdx(new Uint8Array(0), [])).toThrow(RangeError);
  });
});

describe('readIdxFile', () => {
  const images = patternBytes(3 * 4 * 5, 3);

  it('reads raw and .gz files written by writeIdxFile, gzip detected from content', async () => {
    await writeIdxFile(path.join(tmp, 'a-images.gz'), images, [3, 4, 5]);
    await writeIdxFile(path.join(tmp, 'a-images-raw'), images, [3, 4, 5]);
    // A compressed file without the .gz suffix still reads: detection is by content.
    await writeIdxFile(path.join(tmp, 'a-images-nosuffix'), images, [3, 4, 5], { gzip: true });
    expect(fs.readFileSync(path.join(tmp, 'a-images.gz'))[0]).toBe(0x1f);
    expect(fs.readFileSync(path.join(tmp, 'a-images-raw'))[0]).toBe(0x00);
    for (const name of ['a-images.gz', 'a-images-raw', 'a-images-nosuffix']) {
      const got = await readIdxFile(path.join(tmp, name), { ndims: 3 });
      expect(got.dims).toEqual([3, 4, 5]);
      expect(got.data).toEqual(images);
    }
    expect(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('reads a compressed file that decompresses in many chunks', async () => {
    const big = patternBytes(300 * 28 * 28, 4);
    const file = writeFile('big.gz', zlib.gzipSync(Buffer.concat([idxHeader(0x08, [300, 28, 28]), big])));
    const got = await readIdxFile(file);
    expect(got.dims).toEqual([300, 28, 28]);
    expect(Buffer.compare(got.data, big)).toBe(0); // toEqual is slow on large arrays
  });

  it('IdxDecoder accepts input one byte at a time (header and data split across chunks)', () => {
    const bytes = Buffer.concat([idxHeader(0x08, [3, 4, 5]), images]);
    const decoder = new IdxDecoder('stream', { ndims: 3 }, bytes.length);
    for (let i = 0; i < bytes.length; i++) decoder.push(bytes.subarray(i, i + 1));
    const got = decoder.finish();
    expect(got.dims).toEqual([3, 4, 5]);
    expect(got.data).toEqual(images);
  });

  it('rejects a wrong magic number, naming the file, the expectation and what it found', async () => {
    const file = writeFile('bad-magic', Buffer.concat([Buffer.from([0x12, 0x34, 0x08, 0x03]), Buffer.alloc(12)]));
    await expect(readIdxFile(file, { ndims: 3 })).rejects.toThrow(
      `${file}: not an IDX file: expected magic 0x00000803 (unsigned byte, 3 dimensions), found 0x12340803`,
    );
  });

  it('rejects a label file where images are expected', async () => {
    const file = writeFile('labels-as-images', Buffer.concat([idxHeader(0x08, [4]), Buffer.alloc(4)]));
    await expect(readIdxFile(file, { ndims: 3 })).rejects.toThrow(
      `${file}: wrong kind of IDX file: expected magic 0x00000803 (unsigned byte, 3 dimensions), found 0x00000801 (unsigned byte, 1 dimension)`,
    );
  });

  it('rejects data types other than unsigned byte', async () => {
    const file = writeFile('float-idx', Buffer.concat([idxHeader(0x0d, [2]), Buffer.alloc(8)]));
    await expect(readIdxFile(file)).rejects.toThrow(/unsupported IDX data type: .*found 0x00000d01 \(float32, 1 dimension\)/);
  });

  it('rejects truncated data, raw and compressed', async () => {
    const full = Buffer.concat([idxHeader(0x08, [3, 4, 5]), images]);
    const raw = writeFile('trunc-raw', full.subarray(0, full.length - 7));
    await expect(readIdxFile(raw)).rejects.toThrow(`${raw}: truncated or corrupt IDX file: the header declares 3 × 4 × 5 = 60 bytes of data, more than the file can hold (at most 53)`);
    // Compressed stream complete but the content short: caught after decompression.
    const gz = writeFile('trunc-content.gz', zlib.gzipSync(full.subarray(0, full.length - 7)));
    await expect(readIdxFile(gz)).rejects.toThrow(`${gz}: truncated IDX file: the header declares 3 × 4 × 5 = 60 bytes of data, found only 53`);
    // The gzip stream itself cut off.
    const gzBytes = zlib.gzipSync(full);
    const cut = writeFile('trunc-stream.gz', gzBytes.subarray(0, gzBytes.length - 10));
    await expect(readIdxFile(cut)).rejects.toThrow(new RegExp(`^${cut.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: corrupt gzip data`));
  });

  it('rejects a header cut short', async () => {
    const file = writeFile('short-header', idxHeader(0x08, [3, 4, 5]).subarray(0, 10));
    await expect(readIdxFile(file)).rejects.toThrow(`${file}: truncated IDX file: expected the 16-byte header, found only 10 bytes`);
    const empty = writeFile('empty', new Uint8Array(0));
    await expect(readIdxFile(empty)).rejects.toThrow(`${empty}: truncated IDX file: expected the 4-byte magic number, found only 0 bytes`);
  });

  it('rejects trailing bytes after the declared data', async () => {
    const file = writeFile('trailing.gz', zlib.gzipSync(Buffer.concat([idxHeader(0x08, [3, 4, 5]), images, Buffer.from([1, 2, 3])])));
    await expect(readIdxFile(file)).rejects.toThrow(`${file}: 3 unexpected bytes after the 60 bytes of data the header declares (3 × 4 × 5)`);
  });

  it('rejects a header claiming 2^31 images before allocating anything', async () => {
    const header = idxHeader(0x08, [2 ** 31, 28, 28]);
    const raw = writeFile('huge-raw', Buffer.concat([header, Buffer.alloc(784)]));
    const gz = writeFile('huge.gz', zlib.gzipSync(Buffer.concat([header, Buffer.alloc(784)])));
    const before = process.memoryUsage().arrayBuffers;
    for (const file of [raw, gz]) {
      await expect(readIdxFile(file)).rejects.toThrow(
        `${file}: truncated or corrupt IDX file: the header declares 2147483648 × 28 × 28 = 1683627180032 bytes of data, more than the file can hold`,
      );
    }
    expect(() => decodeIdx(Buffer.concat([header, Buffer.alloc(784)]), { source: 'mem' })).toThrow(/^mem: truncated or corrupt IDX file/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
  });

  it('names the source in decodeIdx errors', () => {
    expect(() => decodeIdx(new Uint8Array([0, 0, 8]), { source: 'buf' })).toThrow('buf: truncated IDX file: expected the 4-byte magic number, found only 3 bytes');
    expect(() => decodeIdx(Buffer.from([0x1f, 0x8b, 1, 2, 3]), { source: 'buf' })).toThrow(/^buf: corrupt gzip data/);
  });
});

describe('image/label pairs and dataset directories', () => {
  const n = 12;
  const pixels = patternBytes(n * 4 * 3, 5);
  const labels = Uint8Array.from({ length: n }, (_, i) => (i * 7) % 10);

  async function writeSet(dir: string, prefix: 'train' | 't10k', count: number, gzip: boolean): Promise<void> {
    fs.mkdirSync(dir, { recursive: true });
    const suffix = gzip ? '.gz' : '';
    await writeIdxFile(path.join(dir, `${prefix}-images-idx3-ubyte${suffix}`), pixels.subarray(0, count * 12), [count, 4, 3]);
    await writeIdxFile(path.join(dir, `${prefix}-labels-idx1-ubyte${suffix}`), labels.subarray(0, count), [count]);
  }

  it('readIdxImagesAndLabels builds a compact Uint8 dataset with Int32 labels', async () => {
    const dir = path.join(tmp, 'pair');
    await writeSet(dir, 'train', n, true);
    const ds = await readIdxImagesAndLabels(path.join(dir, 'train-images-idx3-ubyte.gz'), path.join(dir, 'train-labels-idx1-ubyte.gz'));
    expect(ds.n).toBe(n);
    expect(ds.shape).toEqual([4, 3]);
    expect(ds.featureSize).toBe(12);
    expect(ds.x).toBeInstanceOf(Uint8Array);
    expect(ds.x).toEqual(pixels);
    expect(ds.y).toBeInstanceOf(Int32Array);
    expect(Array.from(ds.y)).toEqual(Array.from(labels));
    expect(ds.scale).toBe(1 / 255);
    expect(ds.numClasses).toBe(10);
  });

  it('rejects mismatched image and label counts', async () => {
    const dir = path.join(tmp, 'mismatch');
    await writeSet(dir, 'train', n, false);
    await writeIdxFile(path.join(dir, 'train-labels-idx1-ubyte'), labels.subarray(0, n - 1), [n - 1]);
    const imagesFile = path.join(dir, 'train-images-idx3-ubyte');
    const labelsFile = path.join(dir, 'train-labels-idx1-ubyte');
    await expect(readIdxImagesAndLabels(imagesFile, labelsFile)).rejects.toThrow(
      `${labelsFile}: holds ${n - 1} labels, but ${imagesFile} holds ${n} images; expected the same count`,
    );
  });

  it('rejects labels outside [0, numClasses)', async () => {
    const dir = path.join(tmp, 'badlabel');
    fs.mkdirSync(dir);
    const imagesFile = path.join(dir, 'i');
    const labelsFile = path.join(dir, 'l');
    await writeIdxFile(imagesFile, pixels.subarray(0, 24), [2, 4, 3]);
    await writeIdxFile(labelsFile, Uint8Array.from([3, 10]), [2]);
    await expect(readIdxImagesAndLabels(imagesFile, labelsFile)).rejects.toThrow(`${labelsFile}: label 10 at index 1 is outside [0, 10)`);
  });

  it('fashionMnist/mnist/kmnist load a directory with .gz or raw files', async () => {
    const dir = path.join(tmp, 'set-gz');
    await writeSet(dir, 'train', n, true);
    await writeSet(dir, 't10k', 5, false);
    for (const load of [fashionMnist, mnist, kmnist]) {
      const { train, test } = await load({ dir });
      expect([train.n, test.n]).toEqual([n, 5]);
      expect(test.x).toEqual(pixels.subarray(0, 5 * 12));
      expect(Array.from(test.y)).toEqual(Array.from(labels.subarray(0, 5)));
      expect(train.classNames).toHaveLength(10);
    }
    expect((await fashionMnist({ dir })).train.classNames![9]).toBe('Ankle boot');
  });

  it('names the directory, the missing files and the Debian package when files are missing', async () => {
    const dir = path.join(tmp, 'partial');
    await writeSet(dir, 'train', n, true);
    await expect(fashionMnist({ dir })).rejects.toThrow(
      new RegExp(`^fashionMnist: missing files in ${dir}: t10k-images-idx3-ubyte\\.gz \\(or t10k-images-idx3-ubyte\\), t10k-labels-idx1-ubyte\\.gz .*dataset-fashion-mnist`),
    );
    await expect(mnist({ dir: path.join(tmp, 'nowhere') })).rejects.toThrow(/^mnist\(.*nowhere\): the directory does not exist\. Pass \{ dir \}/);
    const empty = path.join(tmp, 'no-idx-files');
    fs.mkdirSync(empty, { recursive: true });
    await expect(mnist({ dir: empty })).rejects.toThrow(/^mnist: missing files in .*no-idx-files: train-images-idx3-ubyte\.gz/);
    const file = path.join(tmp, 'plain-file');
    fs.writeFileSync(file, 'x');
    await expect(fashionMnist({ dir: file })).rejects.toThrow(`fashionMnist(${file}): is a file, not a directory.`);
    await expect(readIdxFile(path.join(tmp, 'nowhere.idx'))).rejects.toThrow(`readIdxFile(${path.join(tmp, 'nowhere.idx')}): the file does not exist`);
    await expect(readIdxFile(empty)).rejects.toThrow(`readIdxFile(${empty}): is a directory, not a file`);
    await expect(mnist({} as { dir: string })).rejects.toThrow(TypeError);
  });

  it('fashionMnist() reads the Debian package when installed, else says how to install it', async () => {
    if (fs.existsSync(path.join(FASHION_MNIST_DEBIAN_DIR, 'train-images-idx3-ubyte.gz'))) {
      const { train, test } = await fashionMnist();
      expect([train.n, test.n]).toEqual([60000, 10000]);
      expect(train.shape).toEqual([28, 28]);
      expect(train.x).toBeInstanceOf(Uint8Array);
      const perClass = new Array(10).fill(0);
      for (const label of train.y) perClass[label]++;
      expect(perClass).toEqual(new Array(10).fill(6000));
    } else {
      await expect(fashionMnist()).rejects.toThrow(/apt-get install dataset-fashion-mnist/);
    }
  });
});
