// The layer contract. A layer owns its weights and scratch buffers and emits
// native program steps for its forward and backward pass; the model wires the
// buffers between layers and runs the program off the main thread.
import type { ProgramStep } from '../binding';
import type { Regularizer } from '../regularizers';
import type { Random } from '../random';
import { shapeSize } from '../tensor';

export interface Param {
  /** `<layer>.<weight>`, e.g. `dense_1.kernel`. */
  name: string;
  shape: number[];
  value: Float32Array;
  grad: Float32Array;
  regularizer: Regularizer | null;
}

/**
 * The model's input batch as rows of its uint8 table, for a first layer that reads them there
 * (acceptsGatheredInput): row r of the batch is `src[index[r]]` times `scale`. The model then
 * does not copy the batch into x, so no thread reads input rows another core wrote.
 */
export interface GatheredInput {
  src: Uint8Array;
  index: Int32Array;
  scale: number;
}

export interface ForwardArgs {
  x: Float32Array;
  /** Set for the first layer when it acceptsGatheredInput() and the data is uint8: x is not written, read these rows instead. */
  gathered?: GatheredInput;
  y: Float32Array;
  rows: number;
  training: boolean;
  /** Training program of the last layer with a logits loss: leave the output activation out. */
  skipOutputActivation: boolean;
  /** Distributed training with syncBatchNorm: batch statistics over every rank's batch. */
  syncStats?: boolean;
}

export interface BackwardArgs {
  x: Float32Array;
  /** As ForwardArgs.gathered. */
  gathered?: GatheredInput;
  /**
   * The layer below has a ReLU output (this buffer) whose backward this layer applies to dx in its
   * input-gradient GEMM (set only when this layer masksInputGrad() and the one below reluGradByLayerAbove()).
   */
  dxReluMask?: Float32Array;
  /** The layer above already applied this layer's ReLU backward to dy (see dxReluMask). */
  dyIsPreActivation?: boolean;
  y: Float32Array;
  dy: Float32Array;
  /** null for the first layer: no input gradient is needed. */
  dx: Float32Array | null;
  rows: number;
  skipOutputActivation: boolean;
  /** Distributed training with syncBatchNorm (see ForwardArgs). */
  syncStats?: boolean;
}

export interface LayerConfig {
  className: string;
  config: Record<string, unknown>;
}

export abstract class Layer {
  name: string;
  abstract readonly className: string;
  /** Per-sample input and output shapes, known after build(). */
  inputShape: number[] | null = null;
  outputShape: number[] | null = null;
  /** The output is the input buffer itself (a view such as Flatten). */
  readonly aliasesInput: boolean = false;
  /** Shape given by the user for the first layer. */
  readonly declaredInputShape: number[] | null;

  constructor(opts: { name?: string; inputShape?: number[] } = {}) {
    this.name = opts.name ?? '';
    this.declaredInputShape = opts.inputShape ? [...opts.inputShape] : null;
  }

  get built(): boolean {
    return this.outputShape !== null;
  }

  /** Creates weights for a per-sample input shape; `rng` is this layer's own stream. */
  build(inputShape: number[], rng: Random): void {
    this.inputShape = [...inputShape];
    this.outputShape = this.computeOutputShape(inputShape);
    this.createWeights(inputShape, rng);
  }

  abstract computeOutputShape(inputShape: number[]): number[];
  protected createWeights(_inputShape: number[], _rng: Random): void {}

  /** Trainable parameters with their gradients. */
  params(): Param[] {
    return [];
  }

  /** Non-trainable state saved with the model (batch-norm running statistics). */
  stateBuffers(): Map<string, Float32Array> {
    return new Map();
  }

  /** Allocates scratch for batches of up to `maxRows` samples. */
  allocate(_maxRows: number): void {}

  /**
   * Called before every training step runs, with the layer's index in the model,
   * the 1-based step number and the position in the global batch of this
   * process's first row (0 unless training is distributed); dropout keys its
   * mask with them. Default: nothing.
   */
  beginStep(_layerIndex: number, _step: number, _rowOffset = 0): void {}

  /** Whether backward applies BackwardArgs.dxReluMask to its input gradient when the model passes it. */
  masksInputGrad(): boolean {
    return false;
  }

  /** Whether this layer's ReLU backward may be left to the layer above (BackwardArgs.dyIsPreActivation). */
  reluGradByLayerAbove(): boolean {
    return false;
  }

  /** Whether forward and backward read ForwardArgs.gathered when the model passes it (the first layer only). */
  acceptsGatheredInput(): boolean {
    return false;
  }

  /** The buffer beginStep writes, or null when it writes none (several steps per native call stage a copy per step). */
  stepState(): Float64Array | null {
    return null;
  }

  abstract forward(a: ForwardArgs): ProgramStep[];
  abstract backward(a: BackwardArgs): ProgramStep[];

  /** The activation applied last, when a logits loss may fuse it ('softmax' | 'sigmoid'). */
  outputActivation(): string | null {
    return null;
  }

  /** Units whose post-activation value is 0 for a whole batch count as dead (ReLU family). */
  hasReluOutput(): boolean {
    return false;
  }

  abstract getConfig(): Record<string, unknown>;

  countParams(): number {
    return this.params().reduce((n, p) => n + p.value.length, 0) + [...this.stateBuffers().values()].reduce((n, b) => n + b.length, 0);
  }

  protected makeParam(name: string, shape: number[], value: Float32Array, regularizer: Regularizer | null): Param {
    if (value.length !== shapeSize(shape)) throw new Error(`${this.name}.${name}: ${value.length} values for shape [${shape}]`);
    return { name: `${this.name}.${name}`, shape, value, grad: new Float32Array(value.length), regularizer };
  }

  protected requireBuilt(): { inputShape: number[]; outputShape: number[] } {
    if (!this.inputShape || !this.outputShape) throw new Error(`layer ${this.name} is used before it is built`);
    return { inputShape: this.inputShape, outputShape: this.outputShape };
  }
}
