import type { ProgramStep } from '../binding';
import { op } from '../ops';
import type { Random } from '../random';
import { Layer, type BackwardArgs, type ForwardArgs } from './base';
import { poolSteps, globalPoolSteps, type PoolGeometry } from './conv-steps';
import { mapShape, outputSize, pairOption, paddingOption, type Padding, type PaddingSpec } from './spatial';

export interface Pool2DOptions {
  /** Window size, n or [kh, kw]. Default 2. */
  poolSize?: number | [number, number];
  /** Default: the pool size (non-overlapping windows). */
  strides?: number | [number, number];
  /** 'valid' (default), 'same' (stride 1, odd window) or n / [ph, pw] on each side, at most half the window (as PyTorch). */
  padding?: PaddingSpec;
  name?: string;
  inputShape?: number[];
}

export interface AvgPool2DOptions extends Pool2DOptions {
  /** Count padded zeros in the divisor (PyTorch's count_include_pad). Default true. */
  countIncludePad?: boolean;
}

abstract class Pool2D extends Layer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  protected geometry: PoolGeometry | null = null;

  constructor(opts: Pool2DOptions, cls: string) {
    super(opts);
    if (opts === null || typeof opts !== 'object') throw new TypeError(`${cls}: expected an options object such as { poolSize: 2 }`);
    const where = `${cls}${opts.name ? ` '${opts.name}'` : ''}`;
    this.poolSize = pairOption(where, 'poolSize', opts.poolSize ?? 2, 1);
    this.strides = pairOption(where, 'strides', opts.strides ?? this.poolSize, 1);
    this.padding = paddingOption(where, opts.padding);
  }

  protected where(): string {
    return `${this.className} '${this.name}'`;
  }

  protected geometryFor(inputShape: number[]): PoolGeometry {
    const where = this.where();
    const { c, h, w } = mapShape(where, inputShape);
    let pad: [number, number];
    if (this.padding === 'valid') pad = [0, 0];
    else if (this.padding === 'same') {
      if (this.strides[0] !== 1 || this.strides[1] !== 1 || this.poolSize[0] % 2 === 0 || this.poolSize[1] % 2 === 0) {
        throw new RangeError(`${where}: padding 'same' needs strides 1 and an odd poolSize, received poolSize [${this.poolSize}] and strides [${this.strides}]; give the padding as numbers`);
      }
      pad = [(this.poolSize[0] - 1) / 2, (this.poolSize[1] - 1) / 2];
    } else pad = this.padding;
    if (2 * pad[0] > this.poolSize[0] || 2 * pad[1] > this.poolSize[1]) {
      throw new RangeError(`${where}: padding [${pad}] must be at most half the poolSize [${this.poolSize}] (as PyTorch)`);
    }
    const [oh, ow] = outputSize(where, inputShape, this.poolSize, this.strides, pad, [1, 1]);
    return { c, h, w, kh: this.poolSize[0], kw: this.poolSize[1], sh: this.strides[0], sw: this.strides[1], ph: pad[0], pw: pad[1], oh, ow };
  }

  computeOutputShape(inputShape: number[]): number[] {
    const g = this.geometryFor(inputShape);
    return [g.c, g.oh, g.ow];
  }

  protected override createWeights(inputShape: number[]): void {
    this.geometry = this.geometryFor(inputShape);
  }

  protected baseConfig(): Record<string, unknown> {
    return { name: this.name, poolSize: [...this.poolSize], strides: [...this.strides], padding: Array.isArray(this.padding) ? [...this.padding] : this.padding };
  }
}

/** Max pooling (torch.nn.MaxPool2d, floor mode; padding counts as -inf). Backward routes each gradient to its window's maximum. */
export class MaxPool2D extends Pool2D {
  readonly className = 'MaxPool2D';
  /** Plane-local index of each window's maximum, from the training forward. */
  private argmax = new Int32Array(0);

  constructor(opts: Pool2DOptions = {}) {
    super(opts, 'MaxPool2D');
  }

  override allocate(maxRows: number): void {
    const g = this.geometry!;
    this.argmax = new Int32Array(maxRows * g.c * g.oh * g.ow);
  }

  forward(a: ForwardArgs): ProgramStep[] {
    return [poolSteps(this.geometry!, a.rows).maxForward(a.x, a.y, this.argmax)];
  }

  backward(a: BackwardArgs): ProgramStep[] {
    if (!a.dx) return [];
    return [poolSteps(this.geometry!, a.rows).maxBackward(a.dy, this.argmax, a.dx)];
  }

  getConfig(): Record<string, unknown> {
    return this.baseConfig();
  }
}

/** Average pooling (torch.nn.AvgPool2d, floor mode, zero padding; countIncludePad as count_include_pad). */
export class AvgPool2D extends Pool2D {
  readonly className = 'AvgPool2D';
  readonly countIncludePad: boolean;

  constructor(opts: AvgPool2DOptions = {}) {
    super(opts, 'AvgPool2D');
    if (opts.countIncludePad !== undefined && typeof opts.countIncludePad !== 'boolean') {
      throw new TypeError(`AvgPool2D: expected a boolean for countIncludePad but received ${typeof opts.countIncludePad}`);
    }
    this.countIncludePad = opts.countIncludePad ?? true;
  }

  forward(a: ForwardArgs): ProgramStep[] {
    return [poolSteps(this.geometry!, a.rows).avgForward(a.x, a.y, this.countIncludePad)];
  }

  backward(a: BackwardArgs): ProgramStep[] {
    if (!a.dx) return [];
    return [poolSteps(this.geometry!, a.rows).avgBackward(a.dy, a.dx, this.countIncludePad)];
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), countIncludePad: this.countIncludePad };
  }
}

/** The mean of each channel over H x W: [C, H, W] -> [C]. */
export class GlobalAveragePooling2D extends Layer {
  readonly className = 'GlobalAveragePooling2D';
  private map: [number, number, number] = [0, 0, 0];

  constructor(opts: { name?: string; inputShape?: number[] } = {}) {
    super(opts);
  }

  computeOutputShape(inputShape: number[]): number[] {
    const { c } = mapShape(`GlobalAveragePooling2D '${this.name}'`, inputShape);
    return [c];
  }

  protected override createWeights(inputShape: number[]): void {
    this.map = [inputShape[0], inputShape[1], inputShape[2]];
  }

  forward(a: ForwardArgs): ProgramStep[] {
    return [globalPoolSteps(a.rows, ...this.map).forward(a.x, a.y)];
  }

  backward(a: BackwardArgs): ProgramStep[] {
    if (!a.dx) return [];
    return [globalPoolSteps(a.rows, ...this.map).backward(a.dy, a.dx)];
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name };
  }
}


/**
 * Stochastic pooling (Zeiler & Fergus 2013): in training each window outputs one of its elements,
 * drawn with probability proportional to its value (ReLU-clipped: put it after a ReLU); in
 * inference the probability-weighted average sum(a^2)/sum(a). Backward routes the gradient to the
 * drawn element. The draw of output o is a pure function of (seed, layer stream, step, o) (Philox,
 * as dropout), identical for any thread count and ISA, so a resumed run draws the same windows.
 * In distributed training each rank draws from its own output indices (it does not reproduce one
 * process's draws, unlike Dropout).
 */
export class StochasticPool2D extends Pool2D {
  readonly className = 'StochasticPool2D';
  /** [seed, stream, step]: the model sets the stream and step before each training step. */
  readonly rngState = new Float64Array(3);
  /** Plane-local index of each window's drawn element (-1: no positive element), from the training forward. */
  private choice = new Int32Array(0);

  constructor(opts: Pool2DOptions = {}) {
    super(opts, 'StochasticPool2D');
  }

  protected override createWeights(inputShape: number[], rng?: Random): void {
    super.createWeights(inputShape);
    // 2^31 keeps the seed exact in a double and in the native key.
    if (rng) this.rngState[0] = rng.int(0x7fffffff);
  }

  override stepState(): Float64Array {
    return this.rngState;
  }

  override beginStep(layerIndex: number, step: number): void {
    this.rngState[1] = layerIndex;
    this.rngState[2] = step;
  }

  override allocate(maxRows: number): void {
    const g = this.geometry!;
    this.choice = new Int32Array(maxRows * g.c * g.oh * g.ow);
  }

  private shape(rows: number) {
    const g = this.geometry!;
    return [rows, g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw] as const;
  }

  forward(a: ForwardArgs): ProgramStep[] {
    if (!a.training) return [op.stochpool2d_forward_eval(a.x, a.y, ...this.shape(a.rows))];
    return [op.stochpool2d_forward_train(a.x, a.y, this.choice, ...this.shape(a.rows), this.rngState)];
  }

  backward(a: BackwardArgs): ProgramStep[] {
    if (!a.dx) return [];
    return [op.stochpool2d_backward_train(a.dy, this.choice, a.dx, ...this.shape(a.rows))];
  }

  getConfig(): Record<string, unknown> {
    return this.baseConfig();
  }
}
