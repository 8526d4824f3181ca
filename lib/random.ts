// A small seeded pseudo-random generator for initializers, shuffling and dropout masks.
//
// Generator: xoshiro128** (Blackman & Vigna), 128-bit state, 32-bit outputs, period 2^128-1;
// fast in JS because it only needs 32-bit integer ops (Math.imul, shifts). Not cryptographic.
//
// A generator is identified by a 64-bit *key* (from the seed). `fork(label)` derives a child
// key from the parent's key and the label only, never from the parent's position in its
// stream, so `rng.fork('init')` gives the same stream however many numbers the parent has
// already drawn. That keeps e.g. weight initialization independent of data shuffling.

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

/** Chris Wellons' lowbias32 finalizer: a bijective 32-bit mix with good avalanche. */
function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** Hashes a string (its UTF-16 code units) into two 32-bit words. */
function hashString(s: string): [number, number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x3c6ef372 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = mix32((h1 ^ c) >>> 0);
    h2 = mix32((h2 + Math.imul(c, 0x9e3779b9)) >>> 0);
  }
  return [mix32((h1 ^ h2) >>> 0), mix32((h2 + 0x9e3779b9 + h1) >>> 0)];
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export type Seed = number | string;

/** Everything needed to resume a generator exactly (for checkpoints). */
export interface RandomState {
  key: [number, number];
  state: [number, number, number, number];
  /** The second Box-Muller value, waiting to be returned by the next normal(); null if none. */
  spareNormal: number | null;
}

function keyFromSeed(seed: Seed): [number, number] {
  if (typeof seed === 'string') return hashString(seed);
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(
      `Random: seed must be a non-negative safe integer or a string, received ${typeof seed === 'number' ? seed : typeof seed}`,
    );
  }
  const lo = seed % TWO_POW_32;
  const hi = Math.floor(seed / TWO_POW_32);
  return [lo >>> 0, hi >>> 0];
}

export class Random {
  private readonly key: [number, number];
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  constructor(seed: Seed = 0) {
    this.key = keyFromSeed(seed);
    this.seedState();
  }

  private static fromKey(key: [number, number]): Random {
    const r = Object.create(Random.prototype) as Random;
    (r as unknown as { key: [number, number] }).key = [key[0] >>> 0, key[1] >>> 0];
    r.spare = null;
    r.seedState();
    return r;
  }

  private seedState(): void {
    // splitmix-style expansion of the key into the four state words.
    const [lo, hi] = this.key;
    let c = mix32((lo ^ 0x243f6a88) >>> 0);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      c = (c + 0x9e3779b9) >>> 0;
      words.push(mix32((c ^ mix32((hi + Math.imul(i + 1, 0x85ebca6b)) >>> 0)) >>> 0));
    }
    // xoshiro must not start from the all-zero state.
    if ((words[0] | words[1] | words[2] | words[3]) === 0) words[0] = 1;
    [this.s0, this.s1, this.s2, this.s3] = words;
  }

  /** An independent generator derived from this one's seed and `label` (not from its position). */
  fork(label: string | number): Random {
    if (typeof label !== 'string' && typeof label !== 'number') {
      throw new TypeError(`Random.fork: label must be a string or number, received ${typeof label}`);
    }
    const [a, b] = hashString(String(label));
    const lo = mix32((this.key[0] ^ a ^ 0x6a09e667) >>> 0);
    const hi = mix32((this.key[1] + b + Math.imul(lo, 0x9e3779b9)) >>> 0);
    return Random.fromKey([lo, hi]);
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextUint32() >>> 5; // 27 bits
    const b = this.nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / TWO_POW_53;
  }

  /** Uniform in [min, max). */
  uniformRange(min: number, max: number): number {
    return min + (max - min) * this.uniform();
  }

  /** Standard normal (mean 0, std 1) by the Box-Muller transform; values come in pairs. */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    const u1 = 1 - this.uniform(); // (0, 1]: log is finite
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** Uniform integer in [0, n), unbiased (rejection sampling); 1 <= n <= 2^32. */
  int(n: number): number {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new RangeError(`Random.int: n must be an integer in [1, 2^32], received ${n}`);
    }
    // Accept only draws below the largest multiple of n, so every residue is equally likely.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Fisher-Yates shuffle in place; returns the same array. */
  shuffle<T extends { length: number; [index: number]: number }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }

  /** 0..n-1 in random order. */
  permutation(n: number): Int32Array {
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
      throw new RangeError(`Random.permutation: n must be an integer in [0, 2^31-1], received ${n}`);
    }
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  getState(): RandomState {
    return { key: [this.key[0], this.key[1]], state: [this.s0, this.s1, this.s2, this.s3], spareNormal: this.spare };
  }

  /** Restores a state from getState(), checking every field. */
  static fromState(state: RandomState): Random {
    const isU32 = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < TWO_POW_32;
    if (
      typeof state !== 'object' || state === null ||
      !Array.isArray(state.key) || state.key.length !== 2 || !state.key.every(isU32) ||
      !Array.isArray(state.state) || state.state.length !== 4 || !state.state.every(isU32)
    ) {
      throw new TypeError('Random.fromState: state must be {key: [u32, u32], state: [u32 x4], spareNormal: number|null}');
    }
    if (state.state.every((w) => w === 0)) throw new RangeError('Random.fromState: the all-zero state is invalid');
    if (state.spareNormal !== null && (typeof state.spareNormal !== 'number' || !Number.isFinite(state.spareNormal))) {
      throw new TypeError(`Random.fromState: spareNormal must be a finite number or null, received ${String(state.spareNormal)}`);
    }
    const r = Random.fromKey(state.key);
    [r.s0, r.s1, r.s2, r.s3] = state.state;
    r.spare = state.spareNormal;
    return r;
  }
}
