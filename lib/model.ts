// Sequential models: build, compile, fit/evaluate/predict, save/load.
// Each training step is one native program (gather the batch, forward, loss,
// backward, checks, fused optimizer steps) validated once and run on a libuv
// worker, so the event loop stays free while the model trains.
import { native, type NativeCompiledProgram, type ProgramStep } from './binding';
import { op } from './ops';
import { Callback, LambdaCallback, type CallbackHooks, type Logs } from './callbacks';
import { AbortError, NonFiniteError, checkNumber } from './errors';
import { Layer, type Param } from './layers/base';
import { getLoss, type Loss, type LossName } from './losses';
import { getMetric, type Metric, type MetricName } from './metrics';
import { getOptimizer, type Optimizer, type OptimizerName } from './optimizers';
import { Random } from './random';
import { Regularizer } from './regularizers';
import { Tensor, describeValue, formatShape, shapeSize } from './tensor';
import { ProgressBarCallback } from './progress';
import type { Dataset } from './data/dataset';
import { saveModel } from './io/model-io';

/** Samples: a float tensor [n, ...shape], or compact bytes converted per batch (data * scale). */
export type Inputs = Tensor | { data: Float32Array | Uint8Array; shape: readonly number[]; scale?: number };
/** Targets: integer labels for sparse losses, else a float tensor [n, outputs] (or [n] for one output). */
export type Targets = Tensor | Int32Array | Float32Array | readonly number[];

/** True for a Dataset (lib/data): samples, targets and scale in one object. */
function isDataset(v: unknown): v is Dataset {
  return !!v && typeof v === 'object' && 'x' in v && 'y' in v && 'featureSize' in v && 'n' in v;
}

function datasetInputs(d: Dataset): Inputs {
  return { data: d.x, shape: [d.n, ...d.shape], scale: d.scale };
}

export interface CompileOptions {
  optimizer: Optimizer | OptimizerName;
  loss: Loss | LossName;
  metrics?: (MetricName | string)[];
  /** Clip the global gradient norm to this value before each step. */
  clipNorm?: number;
  /** Clip every gradient element to [-clipValue, clipValue]. */
  clipValue?: number;
  /** Stop with a NonFiniteError naming the parameter when a gradient holds NaN/Inf. Default true. */
  checkFinite?: boolean;
}

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  /** Held-out data evaluated after each epoch: [x, y] or a Dataset. */
  validationData?: [Inputs, Targets] | Dataset;
  /** Fraction of the samples (the last ones, before shuffling) held out for validation. */
  validationSplit?: number;
  callbacks?: (Callback | CallbackHooks)[];
  signal?: AbortSignal;
  /** Seeds the shuffling; the same seed gives bit-identical training. Default: the model's seed. */
  seed?: number;
  /** 0 silent, 1 a progress bar and a line per epoch. Default 0. */
  verbose?: 0 | 1;
  /** Epoch to start from (to resume a saved model). Default: the epochs the model has trained. */
  initialEpoch?: number;
  /**
   * Leave out the last, smaller batch of each epoch (a different remainder each
   * epoch when shuffling). Needed by BatchNorm when that batch would hold one sample.
   */
  dropRemainder?: boolean;
  /** Record per-layer gradient norms, update ratios and dead-unit fractions each epoch. */
  diagnostics?: boolean;
}

export interface LayerDiagnostics {
  layer: string;
  /** Root-mean over the epoch's batches of the kernel gradient's 2-norm. */
  gradNorm: number;
  /** ||delta W|| / ||W|| of the epoch's last step. */
  updateRatio: number;
  /** Fraction of units that output 0 for every sample of the last batch (ReLU family), else null. */
  deadFraction: number | null;
}

export interface History {
  epoch: number[];
  /** Per-epoch logs: loss, each metric, valLoss and val<Metric> (when validating), lr, seconds. */
  history: Record<string, number[]>;
  /** Present when fit ran with diagnostics: one entry per epoch. */
  diagnostics?: LayerDiagnostics[][];
}

interface DataSource {
  data: Float32Array | Uint8Array;
  n: number;
  sampleShape: number[];
  sampleSize: number;
  scale: number;
}

interface TargetSource {
  data: Float32Array | Int32Array;
  n: number;
}

interface Buffers {
  maxRows: number;
  input: Float32Array;
  acts: Float32Array[];
  grads: (Float32Array | null)[];
  labels: Int32Array;
  targets: Float32Array;
  index: Int32Array;
  loss: Float32Array;
  penalty: Float32Array;
  clipNorm: Float32Array;
  finite: Float32Array;
  gradSq: Float32Array;
}

const defaultSeed = 1234;

export class Sequential {
  readonly layers: Layer[] = [];
  readonly name: string;
  readonly seed: number;
  /** Set by callbacks (EarlyStopping) to end fit after the current epoch. */
  stopTraining = false;
  /** Epochs trained so far (saved with the model; the next fit starts here). */
  epochsTrained = 0;
  private compiled: {
    optimizer: Optimizer;
    loss: Loss;
    metrics: Metric[];
    metricNames: string[];
    clipNorm?: number;
    clipValue?: number;
    checkFinite: boolean;
    options: CompileOptions;
  } | null = null;
  private buffers: Buffers | null = null;
  private busyWith: string | null = null;
  /** A native program (reading or writing the weights) is running on a worker thread. */
  private programRunning = false;
  private counters = new Map<string, number>();

  constructor(layers: Layer[] = [], opts: { name?: string; seed?: number } = {}) {
    this.name = opts.name ?? 'sequential';
    this.seed = opts.seed ?? defaultSeed;
    checkNumber('Sequential', 'seed', this.seed, { min: 0, max: 2 ** 31 - 1, integer: true });
    for (const l of layers) this.add(l);
  }

  add(layer: Layer): this {
    if (!(layer instanceof Layer)) throw new TypeError(`Sequential.add: expected a Layer but received ${describeValue(layer)}`);
    if (this.built) throw new Error('Sequential.add: the model is already built; create a new model to change its layers');
    const base = layer.className.toLowerCase();
    if (!layer.name) {
      const k = (this.counters.get(base) ?? 0) + 1;
      this.counters.set(base, k);
      layer.name = `${base}_${k}`;
    }
    if (this.layers.some((l) => l.name === layer.name)) throw new RangeError(`Sequential.add: a layer named '${layer.name}' already exists`);
    this.layers.push(layer);
    return this;
  }

  get built(): boolean {
    return this.layers.length > 0 && this.layers.every((l) => l.built);
  }

  get inputShape(): number[] | null {
    return this.layers[0]?.inputShape ?? null;
  }

  get outputShape(): number[] | null {
    return this.layers[this.layers.length - 1]?.outputShape ?? null;
  }

  /** Creates every weight for a per-sample input shape (done by fit/predict when needed). */
  build(inputShape?: number[]): this {
    if (this.built) return this;
    if (this.layers.length === 0) throw new Error('Sequential.build: the model has no layers');
    let shape = inputShape ?? this.layers[0].declaredInputShape;
    if (!shape) throw new Error('Sequential.build: give the first layer an inputShape, or call build(shape) / fit with data');
    const rng = new Random(this.seed);
    for (const l of this.layers) {
      l.build(shape, rng.fork(l.name));
      shape = l.outputShape!;
    }
    return this;
  }

  /** Trainable parameters in layer order. */
  params(): Param[] {
    return this.layers.flatMap((l) => l.params());
  }

  compile(opts: CompileOptions): this {
    if (opts === null || typeof opts !== 'object') throw new TypeError('compile: expected { optimizer, loss, metrics? }');
    const optimizer = getOptimizer(opts.optimizer);
    const loss = getLoss(opts.loss);
    const ctx = { sparseTargets: loss.sparseTargets, logits: loss.takesLogits !== null };
    const metricNames = opts.metrics ?? [];
    const metrics = metricNames.map((m) => getMetric(m, ctx));
    if (opts.clipNorm !== undefined) checkNumber('compile', 'clipNorm', opts.clipNorm, { min: 0, minExclusive: true });
    if (opts.clipValue !== undefined) checkNumber('compile', 'clipValue', opts.clipValue, { min: 0, minExclusive: true });
    this.compiled = {
      optimizer,
      loss,
      metrics,
      metricNames: metrics.map((m) => m.name),
      clipNorm: opts.clipNorm,
      clipValue: opts.clipValue,
      checkFinite: opts.checkFinite ?? true,
      options: opts,
    };
    if (this.built) this.attachOptimizer();
    return this;
  }

  get optimizer(): Optimizer {
    return this.requireCompiled().optimizer;
  }

  get loss(): Loss {
    return this.requireCompiled().loss;
  }

  private attached = false;
  private attachOptimizer(): void {
    const c = this.requireCompiled();
    c.optimizer.attach(
      this.params().map((p) => ({ name: p.name, value: p.value, grad: p.grad, l2: 2 * (p.regularizer?.l2 ?? 0), l1: p.regularizer?.l1 ?? 0 })),
    );
    this.attached = true;
  }

  private requireCompiled() {
    if (!this.compiled) throw new Error('the model is not compiled: call model.compile({ optimizer, loss }) first');
    return this.compiled;
  }

  /** Whether the loss may take the last layer's pre-activation (softmax/sigmoid fused into the loss). */
  private fusedOutput(): boolean {
    const loss = this.compiled?.loss;
    const last = this.layers[this.layers.length - 1];
    return !!loss && !!loss.takesLogits && last.outputActivation() === loss.takesLogits;
  }

  // ---------------------------------------------------------------- data

  private toSource(x: Inputs, what: string): DataSource {
    if (x instanceof Tensor) {
      if (x.rank < 2) throw new RangeError(`${what}: expected a tensor of shape [samples, ...features] but received ${formatShape(x.shape)}`);
      return { data: x.data, n: x.shape[0], sampleShape: [...x.shape.slice(1)], sampleSize: shapeSize(x.shape.slice(1)), scale: 1 };
    }
    if (x && typeof x === 'object' && (x.data instanceof Float32Array || x.data instanceof Uint8Array) && Array.isArray(x.shape)) {
      const shape = x.shape as number[];
      if (shape.length < 2) throw new RangeError(`${what}: expected shape [samples, ...features] but received ${formatShape(shape)}`);
      const size = shapeSize(shape);
      if (size !== x.data.length) throw new RangeError(`${what}: shape ${formatShape(shape)} needs ${size} values but data has ${x.data.length}`);
      const scale = x.scale ?? 1;
      if (x.data instanceof Float32Array && scale !== 1) throw new RangeError(`${what}: scale applies to Uint8Array data only`);
      checkNumber(what, 'scale', scale);
      return { data: x.data, n: shape[0], sampleShape: shape.slice(1), sampleSize: shapeSize(shape.slice(1)), scale };
    }
    throw new TypeError(`${what}: expected a Tensor or { data: Float32Array | Uint8Array, shape } but received ${describeValue(x)}`);
  }

  private toTargets(y: Targets, n: number, what: string): TargetSource {
    const loss = this.requireCompiled().loss;
    const outputs = shapeSize(this.outputShape!);
    if (loss.sparseTargets) {
      let labels: Int32Array;
      if (y instanceof Int32Array) labels = y;
      else if (Array.isArray(y)) labels = Int32Array.from(y as number[]);
      else if (y instanceof Tensor || y instanceof Float32Array) {
        const d = y instanceof Tensor ? y.data : y;
        labels = new Int32Array(d.length);
        for (let i = 0; i < d.length; i++) {
          if (!Number.isInteger(d[i])) throw new RangeError(`${what}: labels must be integers; label ${i} is ${d[i]}`);
          labels[i] = d[i];
        }
      } else throw new TypeError(`${what}: expected integer labels (Int32Array) but received ${describeValue(y)}`);
      if (labels.length !== n) throw new RangeError(`${what}: ${labels.length} labels for ${n} samples`);
      for (let i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= outputs) {
          throw new RangeError(`${what}: label ${i} is ${labels[i]}, outside [0, ${outputs}) for a model with ${outputs} outputs`);
        }
      }
      return { data: labels, n };
    }
    let d: Float32Array;
    if (y instanceof Tensor) d = y.data;
    else if (y instanceof Float32Array) d = y;
    else if (Array.isArray(y)) d = Float32Array.from(y as number[]);
    else throw new TypeError(`${what}: expected a Tensor or Float32Array of targets but received ${describeValue(y)}`);
    if (d.length !== n * outputs) {
      throw new RangeError(`${what}: targets have ${d.length} values; expected ${n} samples x ${outputs} outputs = ${n * outputs}`);
    }
    return { data: d, n };
  }

  private ensureBuilt(src: DataSource): void {
    if (!this.built) this.build(this.layers[0]?.declaredInputShape ?? src.sampleShape);
    const want = this.inputShape!;
    if (shapeSize(want) !== src.sampleSize) {
      throw new RangeError(`the model takes samples of shape ${formatShape(want)} but the data has samples of shape ${formatShape(src.sampleShape)}`);
    }
    if (this.compiled && !this.attached) this.attachOptimizer();
  }

  private ensureBuffers(maxRows: number): Buffers {
    if (this.buffers && this.buffers.maxRows >= maxRows) return this.buffers;
    const inSize = shapeSize(this.inputShape!);
    const outSize = shapeSize(this.outputShape!);
    const input = new Float32Array(maxRows * inSize);
    const acts: Float32Array[] = [];
    const grads: (Float32Array | null)[] = [];
    let prev: Float32Array = input;
    let prevGrad: Float32Array | null = null;
    this.layers.forEach((l, i) => {
      l.allocate(maxRows);
      if (l.aliasesInput) {
        acts.push(prev);
        grads.push(prevGrad);
      } else {
        const a = new Float32Array(maxRows * shapeSize(l.outputShape!));
        acts.push(a);
        grads.push(new Float32Array(a.length));
        prev = a;
      }
      prevGrad = grads[i];
      prev = acts[i];
    });
    const nParams = this.params().length;
    this.buffers = {
      maxRows,
      input,
      acts,
      grads,
      labels: new Int32Array(maxRows),
      targets: new Float32Array(maxRows * outSize),
      index: new Int32Array(maxRows),
      loss: new Float32Array(1),
      penalty: new Float32Array(Math.max(1, nParams)),
      clipNorm: new Float32Array(1),
      finite: new Float32Array(Math.max(1, nParams)),
      gradSq: new Float32Array(Math.max(1, nParams)),
    };
    return this.buffers;
  }

  // ---------------------------------------------------------------- programs

  private gatherSteps(b: Buffers, src: DataSource, tgt: TargetSource | null, rows: number): ProgramStep[] {
    // The index buffer still holds the last batch of whatever ran before (a larger
    // training set, say); compiling checks it against this source, so start from
    // row 0, valid for any non-empty source. Each run sets the real indices.
    b.index.fill(0);
    const steps: ProgramStep[] = [op.gather_rows(src.data, b.index, rows, src.sampleSize, b.input, src.scale)];
    if (tgt) {
      if (tgt.data instanceof Int32Array) steps.push(op.gather_i32(tgt.data, b.index, rows, b.labels));
      else steps.push(op.gather_rows(tgt.data, b.index, rows, shapeSize(this.outputShape!), b.targets));
    }
    return steps;
  }

  private forwardSteps(b: Buffers, rows: number, training: boolean, skipLast: boolean): ProgramStep[] {
    const steps: ProgramStep[] = [];
    let x = b.input;
    this.layers.forEach((l, i) => {
      const isLast = i === this.layers.length - 1;
      steps.push(...l.forward({ x, y: b.acts[i], rows, training, skipOutputActivation: isLast && skipLast }));
      x = b.acts[i];
    });
    return steps;
  }

  private lossStep(b: Buffers, rows: number, withGrad: boolean): ProgramStep {
    const loss = this.requireCompiled().loss;
    const last = this.layers.length - 1;
    return loss.step({
      output: b.acts[last],
      target: loss.sparseTargets ? b.labels : b.targets,
      dOutput: withGrad ? b.grads[last] : null,
      value: b.loss,
      rows,
      cols: shapeSize(this.outputShape!),
    });
  }

  private trainProgram(src: DataSource, tgt: TargetSource, rows: number, diagnostics: boolean): NativeCompiledProgram {
    const c = this.requireCompiled();
    const b = this.ensureBuffers(rows);
    const fused = this.fusedOutput();
    const steps: ProgramStep[] = [...this.gatherSteps(b, src, tgt, rows), ...this.forwardSteps(b, rows, true, fused), this.lossStep(b, rows, true)];
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i];
      const x = i === 0 ? b.input : b.acts[i - 1];
      const dx = i === 0 ? null : b.grads[i - 1];
      steps.push(...l.backward({ x, y: b.acts[i], dy: b.grads[i]!, dx: l.aliasesInput ? null : dx, rows, skipOutputActivation: i === this.layers.length - 1 && fused }));
    }
    const params = this.params();
    const grads = params.map((p) => p.grad);
    if (params.length > 0) {
      const regularized = params.filter((p) => p.regularizer && p.regularizer.l2 > 0);
      if (regularized.length > 0) steps.push(op.sum_squares(regularized.map((p) => p.value), b.penalty));
      if (diagnostics) steps.push(op.sum_squares(grads, b.gradSq));
      if (c.checkFinite) {
        steps.push(op.check_finite(grads, b.finite));
        steps.push(op.halt_if_nonzero(b.finite, 'gradwell: non-finite gradient'));
      }
      if (c.clipNorm !== undefined) steps.push(op.clip_grad_norm(grads, c.clipNorm, b.clipNorm));
      if (c.clipValue !== undefined) steps.push(op.clip_grad_value(grads, c.clipValue));
      steps.push(...c.optimizer.steps());
    }
    return new native.CompiledProgram(steps);
  }

  private evalProgram(src: DataSource, tgt: TargetSource | null, rows: number, logits: boolean): NativeCompiledProgram {
    const b = this.ensureBuffers(rows);
    const steps = [...this.gatherSteps(b, src, tgt, rows), ...this.forwardSteps(b, rows, false, logits)];
    if (tgt) steps.push(this.lossStep(b, rows, false));
    return new native.CompiledProgram(steps);
  }

  // ---------------------------------------------------------------- running

  private claim(what: string): void {
    if (this.busyWith) {
      throw new Error(`${what}: the model is busy with ${this.busyWith}; await it first (one operation at a time per model)`);
    }
    this.busyWith = what;
  }

  private release(): void {
    this.busyWith = null;
  }

  /** L1 penalty of the current weights (computed before a step, on the main thread: L1 is rare). */
  private l1Penalty(): number {
    let p = 0;
    for (const param of this.params()) {
      const r = param.regularizer;
      if (r && r.l1 > 0) p += new Regularizer({ l1: r.l1 }).penalty(param.value);
    }
    return p;
  }

  /** Regularization penalty of the weights before the step: L2 from the sums of squares the step computed, plus L1. */
  private penaltyValue(b: Buffers, l1: number): number {
    let p = l1;
    let k = 0;
    for (const param of this.params()) {
      const r = param.regularizer;
      if (r && r.l2 > 0) p += r.l2 * b.penalty[k++];
    }
    return p;
  }

  private async runProgram(program: NativeCompiledProgram): Promise<void> {
    this.programRunning = true;
    try {
      await program.run();
    } finally {
      this.programRunning = false;
    }
  }

  private async runStep(program: NativeCompiledProgram, where: string): Promise<void> {
    const opt = this.requireCompiled().optimizer;
    opt.beginStep();
    for (const l of this.layers) {
      if ('setStep' in l && typeof (l as { setStep?: unknown }).setStep === 'function') {
        (l as unknown as { setStep(stream: number, step: number): void }).setStep(this.layers.indexOf(l), opt.iterations);
      }
    }
    try {
      await this.runProgram(program);
    } catch (e) {
      opt.cancelStep();
      const m = /non-finite gradient: flag (\d+)/.exec(e instanceof Error ? e.message : '');
      if (m) {
        const p = this.params()[Number(m[1])];
        throw new NonFiniteError(`non-finite gradient in '${p?.name ?? m[1]}' at ${where}; the step was not applied (try a lower learning rate or clipNorm)`);
      }
      throw e;
    }
  }

  private metricsSums(b: Buffers, rows: number, sums: number[]): void {
    const c = this.requireCompiled();
    const out = b.acts[this.layers.length - 1];
    const target = c.loss.sparseTargets ? b.labels : b.targets;
    const cols = shapeSize(this.outputShape!);
    c.metrics.forEach((m, i) => {
      sums[i] += m.batchSum(out, target, rows, cols);
    });
  }

  /** Trains on a Dataset (lib/data), or on samples x and targets y. */
  fit(data: Dataset, opts?: FitOptions): Promise<History>;
  fit(x: Inputs, y: Targets, opts?: FitOptions): Promise<History>;
  async fit(a: Inputs | Dataset, b?: Targets | FitOptions, c2?: FitOptions): Promise<History> {
    if (isDataset(a)) {
      const ds = a;
      const o = (b as FitOptions | undefined) ?? {};
      const vd = o.validationData;
      return this.fitArrays(datasetInputs(ds), ds.y, o, vd);
    }
    return this.fitArrays(a, b as Targets, c2 ?? {}, c2?.validationData);
  }

  private async fitArrays(x: Inputs, y: Targets, opts: FitOptions, validation: FitOptions['validationData']): Promise<History> {
    const c = this.requireCompiled();
    const epochs = checkNumber('fit', 'epochs', opts.epochs ?? 1, { min: 0, integer: true });
    const batchSize = checkNumber('fit', 'batchSize', opts.batchSize ?? 32, { min: 1, integer: true });
    const seed = checkNumber('fit', 'seed', opts.seed ?? this.seed, { min: 0, max: 2 ** 31 - 1, integer: true });
    const initialEpoch = checkNumber('fit', 'initialEpoch', opts.initialEpoch ?? this.epochsTrained, { min: 0, integer: true });
    const shuffle = opts.shuffle ?? true;
    const signal = opts.signal;
    if (signal?.aborted) throw new AbortError();
    const src = this.toSource(x, 'fit: x');
    this.ensureBuilt(src);
    const tgt = this.toTargets(y, src.n, 'fit: y');

    // Train / validation sample indices (validationSplit holds out the last samples, as Keras does).
    let trainIdx = Int32Array.from({ length: src.n }, (_, i) => i);
    let val: { src: DataSource; tgt: TargetSource; idx: Int32Array } | null = null;
    if (validation) {
      const [vx, vy] = isDataset(validation) ? [datasetInputs(validation), validation.y] : validation;
      const vs = this.toSource(vx, 'fit: validationData[0]');
      val = { src: vs, tgt: this.toTargets(vy, vs.n, 'fit: validationData[1]'), idx: Int32Array.from({ length: vs.n }, (_, i) => i) };
    } else if (opts.validationSplit !== undefined) {
      const f = checkNumber('fit', 'validationSplit', opts.validationSplit, { min: 0, max: 1, maxExclusive: true });
      const nVal = Math.floor(src.n * f);
      if (nVal > 0) {
        val = { src, tgt, idx: trainIdx.slice(src.n - nVal) };
        trainIdx = trainIdx.slice(0, src.n - nVal);
      }
    }
    if (trainIdx.length === 0) throw new RangeError('fit: no training samples');
    const n = opts.dropRemainder ? trainIdx.length - (trainIdx.length % Math.min(batchSize, trainIdx.length)) : trainIdx.length;

    const callbacks = (opts.callbacks ?? []).map((cb) => (cb instanceof Callback ? cb : new LambdaCallback(cb)));
    if (opts.verbose) callbacks.push(new ProgressBarCallback(Math.ceil(n / batchSize)));
    for (const cb of callbacks) cb.setModel(this);

    this.claim('fit');
    const history: History = { epoch: [], history: {} };
    const diagnostics = opts.diagnostics ?? false;
    if (diagnostics) history.diagnostics = [];
    try {
      const fullRows = Math.min(batchSize, n);
      const full = this.trainProgram(src, tgt, fullRows, diagnostics);
      const tailRows = n % fullRows;
      const tail = tailRows > 0 ? this.trainProgram(src, tgt, tailRows, diagnostics) : null;
      const b = this.buffers!;
      this.stopTraining = false;
      for (const cb of callbacks) await cb.onTrainBegin();
      for (let epoch = initialEpoch; epoch < initialEpoch + epochs && !this.stopTraining; epoch++) {
        const t0 = performance.now();
        for (const cb of callbacks) await cb.onEpochBegin(epoch);
        const order = shuffle ? new Random(seed).fork(`epoch:${epoch}`).shuffle(trainIdx.slice()) : trainIdx;
        let lossSum = 0;
        const sums = c.metrics.map(() => 0);
        const gradSq = new Float64Array(this.params().length);
        let batches = 0;
        let diag: LayerDiagnostics[] | null = null;
        for (let start = 0, batch = 0; start < n; start += fullRows, batch++) {
          if (signal?.aborted) throw new AbortError(`fit aborted at epoch ${epoch}, batch ${batch}; the model holds the weights of the last completed step`);
          const rows = Math.min(fullRows, n - start);
          for (const cb of callbacks) await cb.onBatchBegin(batch);
          b.index.set(order.subarray(start, start + rows));
          const last = start + rows >= n;
          const before = diagnostics && last ? this.params().map((p) => p.value.slice()) : null;
          const l1 = this.l1Penalty();
          await this.runStep(rows === fullRows ? full : tail!, `epoch ${epoch}, batch ${batch}`);
          const lossValue = b.loss[0] + this.penaltyValue(b, l1);
          if (!Number.isFinite(lossValue)) {
            throw new NonFiniteError(`non-finite loss (${lossValue}) at epoch ${epoch}, batch ${batch}; training stopped`);
          }
          lossSum += lossValue * rows;
          this.metricsSums(b, rows, sums);
          if (diagnostics) {
            for (let i = 0; i < gradSq.length; i++) gradSq[i] += b.gradSq[i];
            batches++;
            if (before) diag = this.layerDiagnostics(b, rows, gradSq, batches, before);
          }
          const batchLogs: Logs = { loss: lossValue, size: rows };
          for (const cb of callbacks) await cb.onBatchEnd(batch, batchLogs);
        }
        const logs: Logs = { loss: lossSum / n };
        c.metricNames.forEach((name, i) => (logs[name] = sums[i] / n));
        if (val) {
          const v = await this.evaluateSource(val.src, val.tgt, val.idx, batchSize);
          logs.valLoss = v.loss;
          c.metricNames.forEach((name) => (logs[`val${name[0].toUpperCase()}${name.slice(1)}`] = v[name]));
        }
        logs.lr = c.optimizer.lr;
        logs.seconds = (performance.now() - t0) / 1000;
        history.epoch.push(epoch);
        for (const [k, v] of Object.entries(logs)) (history.history[k] ??= []).push(v);
        if (diag) history.diagnostics!.push(diag);
        this.epochsTrained = epoch + 1;
        for (const cb of callbacks) await cb.onEpochEnd(epoch, logs);
      }
      for (const cb of callbacks) await cb.onTrainEnd();
      return history;
    } finally {
      this.release();
    }
  }

  private layerDiagnostics(b: Buffers, rows: number, gradSq: Float64Array, batches: number, before: Float32Array[]): LayerDiagnostics[] {
    const params = this.params();
    const out: LayerDiagnostics[] = [];
    this.layers.forEach((l, li) => {
      const kernelIndex = params.findIndex((p) => p.name === `${l.name}.kernel`);
      if (kernelIndex < 0) return;
      const p = params[kernelIndex];
      let dw = 0;
      let w = 0;
      const old = before[kernelIndex];
      for (let i = 0; i < p.value.length; i++) {
        const d = p.value[i] - old[i];
        dw += d * d;
        w += old[i] * old[i];
      }
      let dead: number | null = null;
      if (l.hasReluOutput()) {
        const units = shapeSize(l.outputShape!);
        const act = b.acts[li];
        let deadUnits = 0;
        for (let u = 0; u < units; u++) {
          let alive = false;
          for (let r = 0; r < rows && !alive; r++) alive = act[r * units + u] > 0;
          if (!alive) deadUnits++;
        }
        dead = deadUnits / units;
      }
      out.push({ layer: l.name, gradNorm: Math.sqrt(gradSq[kernelIndex] / batches), updateRatio: w > 0 ? Math.sqrt(dw / w) : 0, deadFraction: dead });
    });
    return out;
  }

  private async evaluateSource(src: DataSource, tgt: TargetSource, idx: Int32Array, batchSize: number): Promise<Record<string, number>> {
    const c = this.requireCompiled();
    const n = idx.length;
    if (n === 0) throw new RangeError('evaluate: no samples');
    const rows = Math.min(batchSize, n);
    const full = this.evalProgram(src, tgt, rows, this.fusedOutput());
    const tailRows = n % rows;
    const tail = tailRows > 0 ? this.evalProgram(src, tgt, tailRows, this.fusedOutput()) : null;
    const b = this.buffers!;
    let lossSum = 0;
    const sums = c.metrics.map(() => 0);
    for (let start = 0; start < n; start += rows) {
      const r = Math.min(rows, n - start);
      b.index.set(idx.subarray(start, start + r));
      await this.runProgram(r === rows ? full : tail!);
      lossSum += b.loss[0] * r;
      this.metricsSums(b, r, sums);
    }
    const out: Record<string, number> = { loss: lossSum / n + this.penaltyNow() };
    c.metricNames.forEach((name, i) => (out[name] = sums[i] / n));
    return out;
  }

  private penaltyNow(): number {
    let p = 0;
    for (const param of this.params()) if (param.regularizer) p += param.regularizer.penalty(param.value);
    return p;
  }

  /** Mean loss (with regularization penalties) and metrics over a data set, in inference mode. */
  evaluate(data: Dataset, opts?: { batchSize?: number }): Promise<Record<string, number>>;
  evaluate(x: Inputs, y: Targets, opts?: { batchSize?: number }): Promise<Record<string, number>>;
  async evaluate(a: Inputs | Dataset, b?: Targets | { batchSize?: number }, c2?: { batchSize?: number }): Promise<Record<string, number>> {
    let x: Inputs;
    let y: Targets;
    let opts: { batchSize?: number };
    if (isDataset(a)) {
      x = datasetInputs(a);
      y = a.y;
      opts = (b as { batchSize?: number } | undefined) ?? {};
    } else {
      x = a;
      y = b as Targets;
      opts = c2 ?? {};
    }
    this.requireCompiled();
    const src = this.toSource(x, 'evaluate: x');
    this.ensureBuilt(src);
    const tgt = this.toTargets(y, src.n, 'evaluate: y');
    const batchSize = checkNumber('evaluate', 'batchSize', opts.batchSize ?? 256, { min: 1, integer: true });
    this.claim('evaluate');
    try {
      return await this.evaluateSource(src, tgt, Int32Array.from({ length: src.n }, (_, i) => i), batchSize);
    } finally {
      this.release();
    }
  }

  /** Outputs for every sample (after the last activation), in batches, in inference mode. */
  async predict(x: Inputs | Dataset, opts: { batchSize?: number } = {}): Promise<Tensor> {
    const src = this.toSource(isDataset(x) ? datasetInputs(x) : x, 'predict: x');
    this.ensureBuilt(src);
    const batchSize = checkNumber('predict', 'batchSize', opts.batchSize ?? 256, { min: 1, integer: true });
    this.claim('predict');
    try {
      const n = src.n;
      const outSize = shapeSize(this.outputShape!);
      const result = new Float32Array(n * outSize);
      if (n === 0) return new Tensor(result, [0, ...this.outputShape!]);
      const rows = Math.min(batchSize, n);
      const full = this.evalProgram(src, null, rows, false);
      const tailRows = n % rows;
      const tail = tailRows > 0 ? this.evalProgram(src, null, tailRows, false) : null;
      const b = this.buffers!;
      const out = b.acts[this.layers.length - 1];
      for (let start = 0; start < n; start += rows) {
        const r = Math.min(rows, n - start);
        for (let i = 0; i < r; i++) b.index[i] = start + i;
        await this.runProgram(r === rows ? full : tail!);
        result.set(out.subarray(0, r * outSize), start * outSize);
      }
      return new Tensor(result, [n, ...this.outputShape!]);
    } finally {
      this.release();
    }
  }

  /** One optimizer step on one batch; returns the batch's loss (with penalties) and metrics. */
  async trainOnBatch(x: Inputs, y: Targets): Promise<Record<string, number>> {
    const c = this.requireCompiled();
    const src = this.toSource(x, 'trainOnBatch: x');
    this.ensureBuilt(src);
    const tgt = this.toTargets(y, src.n, 'trainOnBatch: y');
    if (src.n === 0) throw new RangeError('trainOnBatch: empty batch');
    this.claim('trainOnBatch');
    try {
      const program = this.trainProgram(src, tgt, src.n, false);
      const b = this.buffers!;
      for (let i = 0; i < src.n; i++) b.index[i] = i;
      const l1 = this.l1Penalty();
      await this.runStep(program, `step ${c.optimizer.iterations + 1}`);
      const out: Record<string, number> = { loss: b.loss[0] + this.penaltyValue(b, l1) };
      const sums = c.metrics.map(() => 0);
      this.metricsSums(b, src.n, sums);
      c.metricNames.forEach((name, i) => (out[name] = sums[i] / src.n));
      return out;
    } finally {
      this.release();
    }
  }

  // ---------------------------------------------------------------- weights

  /** Copies of every weight and state buffer by name (`dense_1.kernel`, `batchnorm_1.running_mean`, ...). */
  getWeights(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const l of this.layers) {
      for (const p of l.params()) out.set(p.name, p.value.slice());
      for (const [k, v] of l.stateBuffers()) out.set(k, v.slice());
    }
    return out;
  }

  /** Sets weights by name; every given name must exist with the same size. Missing names keep their values. */
  setWeights(weights: Map<string, ArrayLike<number>> | Record<string, ArrayLike<number>>): void {
    // Callbacks of fit (EarlyStopping's restoreBestWeights) may set weights between steps; only
    // while a native program runs, or during evaluate/predict, would that race with it.
    if (this.programRunning || (this.busyWith && this.busyWith !== 'fit')) throw new Error(`setWeights: the model is busy with ${this.busyWith}`);
    const entries = weights instanceof Map ? [...weights.entries()] : Object.entries(weights);
    const targets = new Map<string, Float32Array>();
    for (const l of this.layers) {
      for (const p of l.params()) targets.set(p.name, p.value);
      for (const [k, v] of l.stateBuffers()) targets.set(k, v);
    }
    for (const [name, values] of entries) {
      const t = targets.get(name);
      if (!t) throw new RangeError(`setWeights: no weight named '${name}' (known: ${[...targets.keys()].join(', ')})`);
      if (values.length !== t.length) throw new RangeError(`setWeights: '${name}' has ${t.length} values, received ${values.length}`);
    }
    for (const [name, values] of entries) targets.get(name)!.set(values);
  }

  get isCompiled(): boolean {
    return this.compiled !== null;
  }

  /** The compile settings as saved with the model. */
  compileConfig() {
    const c = this.requireCompiled();
    return {
      optimizer: c.optimizer.getConfig(),
      loss: c.loss.getConfig(),
      metrics: c.options.metrics ?? [],
      clipNorm: c.clipNorm,
      clipValue: c.clipValue,
      checkFinite: c.checkFinite,
    };
  }

  /**
   * Saves architecture, weights, optimizer state and training progress to a
   * directory, atomically: a crash mid-save leaves the previous save intact.
   */
  async save(dir: string): Promise<void> {
    if (this.busyWith && this.busyWith !== 'fit') throw new Error(`save: the model is busy with ${this.busyWith}`);
    await saveModel(this, dir);
  }

  countParams(): number {
    return this.layers.reduce((n, l) => n + l.countParams(), 0);
  }

  /** A table of layers, output shapes and parameter counts; also printed unless `print` is false. */
  summary(opts: { print?: boolean } = {}): string {
    if (!this.built) this.build();
    const rows = this.layers.map((l) => [`${l.name} (${l.className})`, `[null, ${l.outputShape!.join(', ')}]`, String(l.countParams())]);
    const head = ['Layer (type)', 'Output shape', 'Param #'];
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)) + 2);
    const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join('').trimEnd();
    const rule = '-'.repeat(w.reduce((a, b) => a + b, 0));
    const trainable = this.params().reduce((n, p) => n + p.value.length, 0);
    const total = this.countParams();
    const text = [
      `Model: "${this.name}"`,
      rule,
      line(head),
      rule.replace(/-/g, '='),
      ...rows.map(line),
      rule.replace(/-/g, '='),
      `Total params: ${total}`,
      `Trainable params: ${trainable}`,
      `Non-trainable params: ${total - trainable}`,
      rule,
    ].join('\n');
    if (opts.print ?? true) console.log(text);
    return text;
  }
}
