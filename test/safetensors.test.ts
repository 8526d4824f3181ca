import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  MAX_HEADER_BYTES,
  parseSafetensors,
  readSafetensorsFile,
  serializeSafetensors,
  writeSafetensorsFile,
  type SafetensorsContents,
} from '../lib/io/safetensors';
import { Random } from '../lib/random';

// Written by the reference implementation (Python safetensors 0.8.0, safetensors.numpy.save):
//   mean64 F64 [1] = 1/3; dense_1.bias F32 [3] = .1 .2 .3; dense_1.kernel F32 [2,3] =
//   [[0.5,-1.25,3],[1e-3,-0,65504]]; empty F32 [0,4]; scalar F32 [] = 2.5; step I32 [2] = 7 -3;
//   mask U8 [3] = 1 0 1; metadata {epoch: "3", format: "gradwell"}.
const REFERENCE_FILE = Buffer.from(
  '4AEAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJlcG9jaCI6IjMiLCJmb3JtYXQiOiJncmFkd2VsbCJ9LCJtZWFuNjQiOnsiZHR5cGUiOiJGNjQiLCJzaGFwZSI6WzFdLCJkYXRhX29mZnNldHMiOlswLDhdfSwiZGVuc2VfMS5iaWFzIjp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOlszXSwiZGF0YV9vZmZzZXRzIjpbOCwyMF19LCJkZW5zZV8xLmtlcm5lbCI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMiwzXSwiZGF0YV9vZmZzZXRzIjpbMjAsNDRdfSwiZW1wdHkiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzAsNF0sImRhdGFfb2Zmc2V0cyI6WzQ0LDQ0XX0sInNjYWxhciI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbXSwiZGF0YV9vZmZzZXRzIjpbNDQsNDhdfSwic3RlcCI6eyJkdHlwZSI6IkkzMiIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6WzQ4LDU2XX0sIm1hc2siOnsiZHR5cGUiOiJVOCIsInNoYXBlIjpbM10sImRhdGFfb2Zmc2V0cyI6WzU2LDU5XX19ICBVVVVVVVXVP83MzD3NzEw+mpmZPgAAAD8AAKC/AABAQG8SgzoAAACAAOB/RwAAIEAHAAAA/f///wEAAQ==',
  'base64',
);

function checkReference(c: SafetensorsContents): void {
  expect(c.metadata).toEqual({ epoch: '3', format: 'gradwell' });
  expect([...c.tensors.keys()].sort()).toEqual(['dense_1.bias', 'dense_1.kernel', 'empty', 'mask', 'mean64', 'scalar', 'step']);
  const t = (n: string) => c.tensors.get(n)!;
  expect(t('mean64').dtype).toBe('F64');
  expect(Array.from(t('mean64').data as Float64Array)).toEqual([1 / 3]);
  expect(t('dense_1.kernel').shape).toEqual([2, 3]);
  expect(t('dense_1.kernel').data).toBeInstanceOf(Float32Array);
  expect(Array.from(t('dense_1.kernel').data as Float32Array)).toEqual([0.5, -1.25, 3, Math.fround(1e-3), -0, 65504]);
  expect(Object.is((t('dense_1.kernel').data as Float32Array)[4], -0)).toBe(true);
  expect(Array.from(t('dense_1.bias').data as Float32Array)).toEqual([0.1, 0.2, 0.3].map(Math.fround));
  expect(t('empty').shape).toEqual([0, 4]);
  expect(t('empty').data.length).toBe(0);
  expect(t('scalar').shape).toEqual([]);
  expect(Array.from(t('scalar').data as Float32Array)).toEqual([2.5]);
  expect(t('step').data).toBeInstanceOf(Int32Array);
  expect(Array.from(t('step').data as Int32Array)).toEqual([7, -3]);
  expect(t('mask').dtype).toBe('U8');
  expect(Array.from(t('mask').data as Uint8Array)).toEqual([1, 0, 1]);
}

/** A file from a header (object or raw JSON text) and data bytes, header padded like the spec. */
function build(header: unknown, data: Uint8Array | number[] = [], rawLength?: bigint): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const json = Buffer.from(text, 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + data.length);
  new DataView(out.buffer).setBigUint64(0, rawLength ?? BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  out.set(data, 8 + padded);
  return out;
}

const f32Entry = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

/** Parsing must throw an Error whose message starts with 'safetensors' and matches `re`. */
function expectRejected(bytes: Uint8Array, re: RegExp): void {
  let thrown: unknown;
  try {
    parseSafetensors(bytes);
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'should have been rejected').toBeInstanceOf(Error);
  expect((thrown as Error).message).toMatch(/^safetensors/);
  expect((thrown as Error).message).toMatch(re);
}

const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-safetensors-'));
afterAll(() => fs.rmSync(tmpDir, { recursive: true, force: true }));

describe('safetensors: reading files of the reference implementation', () => {
  it('parses a file written by Python safetensors', () => checkReference(parseSafetensors(REFERENCE_FILE)));

  it('reads it from disk', async () => {
    const p = path.join(tmpDir, 'reference.safetensors');
    fs.writeFileSync(p, REFERENCE_FILE);
    checkReference(await readSafetensorsFile(p));
  });
});

describe('safetensors: writing', () => {
  const r = new Random('st');
  const tensors = {
    'dense_1.kernel': { shape: [4, 3], data: Float32Array.from({ length: 12 }, () => r.normal()) },
    'dense_1.bias': { shape: [3], data: new Float32Array([1, -2, 3]) },
    labels: { shape: [5], data: Int32Array.from([0, 4, -1, 2 ** 31 - 1, -(2 ** 31)]) },
    big: { shape: [2], data: BigInt64Array.from([-(2n ** 63n), 2n ** 62n]) },
    f64: { shape: [1, 1], data: new Float64Array([Math.PI]) },
    half: { dtype: 'F16' as const, shape: [2], data: Uint16Array.from([0x3c00, 0xc000]) },
    flags: { dtype: 'BOOL' as const, shape: [3], data: Uint8Array.from([1, 0, 1]) },
    bytes: { shape: [3], data: Int8Array.from([-128, 0, 127]) },
    nothing: { shape: [0], data: new Float32Array(0) },
  };

  it('round-trips every dtype, shape and the metadata', () => {
    const bytes = serializeSafetensors(tensors, { epoch: '12', note: 'ünïcödé ✓' });
    const back = parseSafetensors(bytes);
    expect(back.metadata).toEqual({ epoch: '12', note: 'ünïcödé ✓' });
    expect(back.tensors.size).toBe(Object.keys(tensors).length);
    for (const [name, t] of Object.entries(tensors)) {
      const got = back.tensors.get(name)!;
      expect(got.shape, name).toEqual(t.shape);
      expect(got.data.constructor, name).toBe(t.data.constructor);
      expect(Array.from(got.data as ArrayLike<number | bigint>), name).toEqual(Array.from(t.data as ArrayLike<number | bigint>));
    }
    expect(back.tensors.get('half')!.dtype).toBe('F16');
    expect(back.tensors.get('flags')!.dtype).toBe('BOOL');
    expect(back.tensors.get('labels')!.dtype).toBe('I32');
  });

  it("keeps a tensor or metadata key named '__proto__'", () => {
    const t = Object.create(null) as Record<string, { shape: number[]; data: Float32Array }>;
    Object.defineProperty(t, '__proto__', { value: { shape: [1], data: new Float32Array([5]) }, enumerable: true });
    t.w = { shape: [1], data: new Float32Array([6]) };
    const meta = JSON.parse('{"__proto__": "m", "k": "v"}') as Record<string, string>;
    const back = parseSafetensors(serializeSafetensors(t, meta));
    expect([...back.tensors.keys()].sort()).toEqual(['__proto__', 'w']);
    expect(Array.from(back.tensors.get('__proto__')!.data as Float32Array)).toEqual([5]);
    expect(Object.keys(back.metadata).sort()).toEqual(['__proto__', 'k']);
    expect(Object.getOwnPropertyDescriptor(back.metadata, '__proto__')!.value).toBe('m');
  });

  it('pads the header with spaces to 8 bytes and aligns every tensor to its element size', () => {
    const bytes = serializeSafetensors(tensors);
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8');
    expect(text).toMatch(/^\{.*\} *$/);
    const header = JSON.parse(text) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    const size: Record<string, number> = { F64: 8, I64: 8, F32: 4, I32: 4, F16: 2, BOOL: 1, I8: 1 };
    for (const [name, e] of Object.entries(header)) expect((8 + n + e.data_offsets[0]) % size[e.dtype], name).toBe(0);
    expect(bytes.byteLength).toBe(8 + n + Math.max(...Object.values(header).map((e) => e.data_offsets[1])));
  });

  it('writes files atomically and reads them back from disk', async () => {
    const p = path.join(tmpDir, 'model.safetensors');
    await writeSafetensorsFile(p, new Map(Object.entries(tensors)), { a: 'b' });
    const back = await readSafetensorsFile(p);
    expect(Array.from(back.tensors.get('dense_1.kernel')!.data as Float32Array)).toEqual(Array.from(tensors['dense_1.kernel'].data));
    expect(back.metadata).toEqual({ a: 'b' });
    expect(fs.readdirSync(tmpDir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('rejects bad tensors and metadata', () => {
    expect(() => serializeSafetensors({ w: { shape: [2, 2], data: new Float32Array(3) } })).toThrow(/'w'.*needs 4 elements, data has 3/);
    expect(() => serializeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Int32Array(2) } })).toThrow(/F32 needs a Float32Array, received Int32Array/);
    expect(() => serializeSafetensors({ w: { dtype: 'Q4' as never, shape: [2], data: new Float32Array(2) } })).toThrow(/unknown dtype/);
    expect(() => serializeSafetensors({ w: { shape: [-2], data: new Float32Array(2) } })).toThrow(/shape must be/);
    expect(() => serializeSafetensors({ w: { shape: [2], data: [1, 2] as never } })).toThrow(/typed array/);
    expect(() => serializeSafetensors({ b: { dtype: 'BOOL', shape: [1], data: Uint8Array.from([2]) } })).toThrow(/BOOL/);
    expect(() => serializeSafetensors({ __metadata__: { shape: [1], data: new Float32Array(1) } })).toThrow(/bad tensor name/);
    expect(() => serializeSafetensors({}, { epoch: 3 as never })).toThrow(/metadata 'epoch' must be a string/);
  });
});

describe('safetensors: hostile files', () => {
  const valid = build({ a: f32Entry([2], 0, 8), b: f32Entry([1], 8, 12) }, new Uint8Array(12));

  it('the hand-built baseline is valid', () => {
    const c = parseSafetensors(valid);
    expect([...c.tensors.keys()]).toEqual(['a', 'b']);
  });

  it('rejects every truncation of a valid file', () => {
    for (const file of [valid, REFERENCE_FILE, serializeSafetensors({ x: { shape: [3], data: new Float64Array(3) } })]) {
      for (let len = 0; len < file.length; len++) expectRejected(file.subarray(0, len), /./);
    }
    expectRejected(new Uint8Array(0), /shorter than the 8-byte header length/);
    expectRejected(valid.subarray(0, 20), /runs past the end of the file/);
    expectRejected(valid.subarray(0, valid.length - 1), /'b' claims offsets \[8, 12\] past the end of the data \(11 bytes\)/);
  });

  it('rejects huge or tiny header lengths before allocating anything', () => {
    for (const n of [2n ** 64n - 1n, 2n ** 63n, 2n ** 40n, BigInt(MAX_HEADER_BYTES) + 1n]) {
      expectRejected(build({}, [], n), /exceeds the 104857600-byte limit/);
    }
    expectRejected(build({}, [], 1000n), /header length 1000 runs past the end of the file/);
    expectRejected(build({}, [], 0n), /too small/);
  });

  it('rejects offsets past the end, overlaps, gaps and trailing bytes', () => {
    expectRejected(
      build({ 'dense_1.kernel': f32Entry([1024], 0, 4096) }, new Uint8Array(1024)),
      /tensor 'dense_1.kernel' claims offsets \[0, 4096\] past the end of the data \(1024 bytes\)/,
    );
    expectRejected(build({ a: f32Entry([2], 0, 8), b: f32Entry([2], 4, 12) }, new Uint8Array(12)), /'b' \[4, 12\] overlaps tensor 'a' \[0, 8\]/);
    expectRejected(build({ a: f32Entry([2], 0, 8), b: f32Entry([2], 0, 8) }, new Uint8Array(8)), /overlaps/);
    expectRejected(build({ a: f32Entry([1], 0, 4), b: f32Entry([1], 8, 12) }, new Uint8Array(12)), /bytes \[4, 8\) before tensor 'b' belong to no tensor/);
    expectRejected(build({ a: f32Entry([1], 4, 8) }, new Uint8Array(8)), /bytes \[0, 4\)/);
    expectRejected(build({ a: f32Entry([1], 0, 4) }, new Uint8Array(5)), /1 trailing bytes after the last tensor/);
    expectRejected(build({}, new Uint8Array(3)), /3 trailing bytes/);
    expectRejected(build({ a: f32Entry([2], 8, 0) }, new Uint8Array(8)), /begin > end/);
  });

  it('rejects wrong dtypes and shape/size mismatches', () => {
    expectRejected(build({ a: { dtype: 'F33', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor 'a' has unknown dtype string "F33"/);
    expectRejected(build({ a: { dtype: 'f32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /unknown dtype/);
    expectRejected(build({ a: { dtype: 4, shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /unknown dtype number 4/);
    expectRejected(build({ a: { dtype: 'toString', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /unknown dtype/);
    expectRejected(build({ a: f32Entry([3], 0, 8) }, new Uint8Array(8)), /shape \[3\] of F32 needs 12 bytes, data_offsets \[0, 8\] hold 8/);
    expectRejected(build({ a: { dtype: 'I32', shape: [2, 2], data_offsets: [0, 8] } }, new Uint8Array(8)), /needs 16 bytes/);
    expectRejected(build({ a: f32Entry([2 ** 30, 2 ** 30, 2 ** 30], 0, 4) }, new Uint8Array(4)), /more than 2\^53/);
    expectRejected(build({ a: f32Entry([-1], 0, 4) }, new Uint8Array(4)), /shape \[-1\].*non-negative integers/);
    expectRejected(build({ a: f32Entry([1.5], 0, 4) }, new Uint8Array(4)), /non-negative integers/);
    expectRejected(build({ a: { dtype: 'F32', shape: ['1'], data_offsets: [0, 4] } }, new Uint8Array(4)), /shape \["1"\]/);
    expectRejected(build({ a: { dtype: 'F32', shape: 1, data_offsets: [0, 4] } }, new Uint8Array(4)), /shape 1/);
    expectRejected(build({ a: { dtype: 'BOOL', shape: [2], data_offsets: [0, 2] } }, Uint8Array.from([1, 7])), /BOOL tensor 'a' holds byte 7/);
  });

  it('rejects JSON with unexpected types or structure', () => {
    expectRejected(build('[1, 2]'), /does not start with '\{'/);
    expectRejected(build('null    '), /does not start with '\{'/);
    expectRejected(build('{"a": 1'), /not valid JSON/);
    expectRejected(build('{"a": 1}'), /tensor 'a' must be an object \{dtype, shape, data_offsets\}, found number 1/);
    expectRejected(build({ a: null }), /found null/);
    expectRejected(build({ a: [1] }), /found an array/);
    expectRejected(build({ a: { dtype: 'F32', shape: [1] } }, new Uint8Array(4)), /data_offsets undefined/);
    expectRejected(build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4, 8] } }, new Uint8Array(4)), /data_offsets \[0,4,8\]/);
    expectRejected(build({ a: { dtype: 'F32', shape: [1], data_offsets: ['0', '4'] } }, new Uint8Array(4)), /data_offsets/);
    expectRejected(build({ a: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, new Uint8Array(4)), /data_offsets/);
    expectRejected(build({ a: { ...f32Entry([1], 0, 4), extra: true } }, new Uint8Array(4)), /unknown field 'extra'/);
    expectRejected(build({ __metadata__: { epoch: 3 } }), /metadata 'epoch' must be a string, found number 3/);
    expectRejected(build({ __metadata__: ['x'] }), /'__metadata__' must be an object of strings, found an array/);
    expectRejected(build({ __metadata__: 'x' }), /'__metadata__' must be an object/);
    const badUtf8 = build('{"a\u00e9": 1}');
    badUtf8[8 + 3] = 0xff; // breaks the 2-byte sequence of é
    expectRejected(badUtf8, /not valid UTF-8/);
  });

  it('flipping any single bit of the header gives a clear error or a valid file, never a crash', () => {
    for (const file of [valid, REFERENCE_FILE]) {
      const n = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
      let rejected = 0;
      for (let byte = 0; byte < 8 + n; byte++) {
        for (let bit = 0; bit < 8; bit++) {
          const corrupt = Uint8Array.from(file);
          corrupt[byte] ^= 1 << bit;
          try {
            const c = parseSafetensors(corrupt);
            // Accepted (e.g. a flipped letter in a name): then it must be self-consistent.
            for (const t of c.tensors.values()) expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
          } catch (e) {
            expect(e).toBeInstanceOf(Error);
            expect((e as Error).message).toMatch(/^safetensors: /);
            rejected++;
          }
        }
      }
      expect(rejected).toBeGreaterThan(8 * (8 + n) * 0.5);
    }
  });

  it('random multi-byte corruption of the header never crashes', () => {
    const r = new Random('fuzz');
    const n = Number(new DataView(REFERENCE_FILE.buffer, REFERENCE_FILE.byteOffset).getBigUint64(0, true));
    for (let iter = 0; iter < 3000; iter++) {
      const corrupt = Uint8Array.from(REFERENCE_FILE);
      const flips = 1 + r.int(6);
      for (let k = 0; k < flips; k++) corrupt[8 + r.int(n)] = r.int(256);
      try {
        parseSafetensors(corrupt);
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message).toMatch(/^safetensors: /);
      }
    }
  });

  it('the file reader rejects hostile files too, naming the file', async () => {
    const p = path.join(tmpDir, 'hostile.safetensors');
    fs.writeFileSync(p, build({}, [], 2n ** 62n));
    await expect(readSafetensorsFile(p)).rejects.toThrow(/hostile.safetensors: header length 4611686018427387904 exceeds/);
    fs.writeFileSync(p, valid.subarray(0, valid.length - 3));
    await expect(readSafetensorsFile(p)).rejects.toThrow(/tensor 'b' claims offsets \[8, 12\] past the end of the data \(9 bytes\)/);
    fs.writeFileSync(p, valid.subarray(0, 5));
    await expect(readSafetensorsFile(p)).rejects.toThrow(/5 bytes, shorter than the 8-byte header length/);
    await expect(readSafetensorsFile(path.join(tmpDir, 'missing.safetensors'))).rejects.toThrow(/ENOENT/);
  });

  it('rejects non-bytes input with a TypeError', () => {
    expect(() => parseSafetensors('abc' as never)).toThrow(TypeError);
  });
});
