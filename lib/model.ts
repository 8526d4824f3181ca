// Sequential models: build, compile, fit/evaluate/predict, save/load.
// Each training step is one native program (gather the batch, forward, loss,
// backward, checks, fused optimizer steps) validated once and run on a libuv
// worker, so the event loop stays free while the model trains. The jobs live in
// lib/sequential/: inputs (input adaptation), program (buffers and programs),
// batches (the full-batch + last-batch pair), fit-loop (epochs and callbacks),
// layer-diagnostics and summary; penalties are in lib/regularizers.ts.
import type { NativeCompiledProgram } from './binding';
import { Callback, LambdaCallback } from './callbacks';
import type { Dataset } from './data/dataset';
import { AbortError, NonFiniteError, checkNumber, haltedAt } from './errors';
import { saveModel } from './io/model-save';
import * as torch from './io/torch';
import { exportOnnx, type OnnxExportOptions } from './onnx/export';
import { Layer, type Param } from './layers/base';
import { getLoss, type Loss } from './losses';
import { getMetric } from './metrics';
import { getOptimizer, type Optimizer } from './optimizers';
import { ProgressBarCallback } from './progress';
import { Random } from './random';
import { l1Penalty, stepPenalty, totalPenalty } from './regularizers';
import { planBatches } from './sequential/batches';
import { runEpochs, type History } from './sequential/fit-loop';
import { holdOut, isDataset, splitArgs, toSource, toTargets, type DataSource, type Inputs, type TargetSource, type Targets } from './sequential/inputs';
import { addMetricSums, allocateBuffers, evalSteps, trainProgram, trainSteps, type Buffers, type Net } from './sequential/program';
import { DEFAULT_STEPS_PER_CALL, StepChunk, inferBatches, type InferenceTake, type StepsPerCall } from './sequential/chunk';
import { compileConfigOf, stepsPerCallOption, type CompileOptions, type Compiled, type FitOptions, type InferenceOptions } from './sequential/options';
import { summaryText } from './sequential/summary';
import { Tensor, describeValue, formatShape, shapeSize } from './tensor';
import { DistributedFit, packGradients, type World } from './distributed/fit';
import { assignWeights, weightBuffers } from './sequential/weights';

export type { Inputs, Targets } from './sequential/inputs';
export type { History } from './sequential/fit-loop';
export type { LayerDiagnostics } from './sequential/layer-diagnostics';
export type { CompileOptions, FitOptions, InferenceOptions } from './sequential/options';

const defaultSeed = 1234;

export class Sequential {
  readonly layers: Layer[] = [];
  readonly name: string;
  readonly seed: number;
  /** Set by callbacks (EarlyStopping) to end fit after the current epoch. */
  stopTraining = false;
  /** Epochs trained so far (saved with the model; the next fit starts here). */
  epochsTrained = 0;
  private compiled: Compiled | null = null;
  private buffers: Buffers | null = null;
  private evalBuffers: Buffers | null = null;
  private busyWith: string | null = null;
  /** A native program (reading or writing the weights) is running on a worker thread. */
  private programRunning = false;
  private counters = new Map<string, number>();
  // One buffer for every gradient (distributed buckets are its ranges), the distributed fit running, the last world (rank 0 writes files).
  private gradArena: Float32Array | null = null;
  private dist: DistributedFit | null = null;
  private world: World | null = null;

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
    this.gradArena = packGradients(this.params());
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

  // ---------------------------------------------------------------- data and programs

  private targets(y: Targets, n: number, what: string): TargetSource {
    return toTargets(y, n, what, this.requireCompiled().loss.sparseTargets, shapeSize(this.outputShape!));
  }

  private ensureBuilt(src: DataSource): void {
    if (!this.built) this.build(this.layers[0]?.declaredInputShape ?? src.sampleShape);
    const want = this.inputShape!;
    if (shapeSize(want) !== src.sampleSize) {
      throw new RangeError(`the model takes samples of shape ${formatShape(want)} but the data has samples of shape ${formatShape(src.sampleShape)}`);
    }
    if (this.compiled && !this.attached) this.attachOptimizer();
  }

  private net(): Net {
    return { layers: this.layers, inputShape: this.inputShape!, outputShape: this.outputShape!, params: () => this.params() };
  }

  /** Training buffers (with gradients). */
  private ensureBuffers(maxRows: number): Buffers {
    if (!this.buffers || this.buffers.maxRows < maxRows) {
      this.buffers = allocateBuffers(this.net(), maxRows, { layerRows: this.evalBuffers?.maxRows });
    }
    return this.buffers;
  }

  /** Inference buffers of evaluate/predict/validation: no gradients, activations in two alternating buffers. */
  private ensureEvalBuffers(maxRows: number): Buffers {
    if (!this.evalBuffers || this.evalBuffers.maxRows < maxRows) {
      this.evalBuffers = allocateBuffers(this.net(), maxRows, { training: false, layerRows: this.buffers?.maxRows });
    }
    return this.evalBuffers;
  }

  private trainProgram(src: DataSource, tgt: TargetSource, rows: number, diagnostics: boolean): NativeCompiledProgram {
    const c = this.requireCompiled();
    const dist = this.dist?.program(rows, this.gradArena!, this.layers.length);
    const local = this.dist ? this.dist.share(rows).count : rows;
    return trainProgram(this.net(), this.ensureBuffers(local), c.loss, c, src, tgt, local, this.fusedOutput(), diagnostics, dist);
  }

  /** Up to `steps` training steps of `rows` rows per native call (fit's stepsPerCall). */
  private stepChunk(src: DataSource, tgt: TargetSource, rows: number, steps: number): StepChunk {
    const c = this.requireCompiled();
    const b = this.ensureBuffers(rows);
    const host = { layers: this.layers, params: () => this.params(), optimizer: c.optimizer, metrics: c.metrics, sparseTargets: c.loss.sparseTargets, outputSize: shapeSize(this.outputShape!) };
    return new StepChunk(host, b, rows, trainSteps(this.net(), b, c.loss, c, src, tgt, rows, this.fusedOutput(), false), steps);
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

  private async runProgram(program: NativeCompiledProgram): Promise<void> {
    this.programRunning = true;
    try {
      await program.run();
    } finally {
      this.programRunning = false;
    }
  }

  /** One training step on the batch in the index; returns its loss with the penalties of the weights before it. */
  private async runStep(program: NativeCompiledProgram, b: Buffers, where: string, rows: number): Promise<number> {
    const opt = this.requireCompiled().optimizer;
    const l1 = l1Penalty(this.params());
    opt.beginStep();
    const part = this.dist ? this.dist.share(rows) : { offset: 0, count: rows };
    this.layers.forEach((l, i) => l.beginStep(i, opt.iterations, part.offset));
    try {
      await this.runProgram(program);
    } catch (e) {
      opt.cancelStep();
      const flag = haltedAt(e); // the only halt step of a training program is the non-finite guard
      if (flag !== null) {
        const p = this.params()[flag];
        throw new NonFiniteError(`non-finite gradient in '${p?.name ?? flag}' at ${where}; the step was not applied (try a lower learning rate or clipNorm)`);
      }
      throw e;
    }
    if (this.dist) return this.dist.stats[0] + stepPenalty(this.params(), b.penalty, l1); // the global batch's loss
    return b.loss[0] + stepPenalty(this.params(), b.penalty, l1);
  }

  private metricsSums(b: Buffers, rows: number, sums: number[]): void {
    const c = this.requireCompiled();
    addMetricSums(c.metrics, b.acts[this.layers.length - 1], b, c.loss.sparseTargets, shapeSize(this.outputShape!), rows, sums);
  }

  /** Trains on a Dataset (lib/data), or on samples x and targets y. */
  fit(data: Dataset, opts?: FitOptions): Promise<History>;
  fit(x: Inputs, y: Targets, opts?: FitOptions): Promise<History>;
  async fit(a: Inputs | Dataset, b?: Targets | FitOptions, c2?: FitOptions): Promise<History> {
    const { x, y, opts } = splitArgs<FitOptions>(a, b, c2);
    return this.fitArrays(x, y, opts ?? {});
  }

  private async fitArrays(x: Inputs, y: Targets, opts: FitOptions): Promise<History> {
    const c = this.requireCompiled();
    const epochs = checkNumber('fit', 'epochs', opts.epochs ?? 1, { min: 0, integer: true });
    const batchSize = checkNumber('fit', 'batchSize', opts.batchSize ?? 32, { min: 1, integer: true });
    const seed = checkNumber('fit', 'seed', opts.seed ?? this.seed, { min: 0, max: 2 ** 31 - 1, integer: true });
    const initialEpoch = checkNumber('fit', 'initialEpoch', opts.initialEpoch ?? this.epochsTrained, { min: 0, integer: true });
    if (opts.signal?.aborted) throw new AbortError();
    const src = toSource(x, 'fit: x');
    this.ensureBuilt(src);
    const tgt = this.targets(y, src.n, 'fit: y');

    const { trainIdx, val } = holdOut(src, tgt, opts, (y, n, what) => this.targets(y, n, what));
    if (trainIdx.length === 0) throw new RangeError('fit: no training samples');
    const n = opts.dropRemainder ? trainIdx.length - (trainIdx.length % Math.min(batchSize, trainIdx.length)) : trainIdx.length;
    const world = opts.distributed ?? null;
    const dist = world && world.size > 1 ? new DistributedFit(world, opts.syncBatchNorm ?? false) : null;
    dist?.checkBatches(n, batchSize);
    const callbacks = (opts.callbacks ?? []).map((cb) => (cb instanceof Callback ? cb : new LambdaCallback(cb)));
    if (opts.verbose && (world?.rank ?? 0) === 0) callbacks.push(new ProgressBarCallback(Math.ceil(n / batchSize)));
    for (const cb of callbacks) cb.setModel(this);
    const spc = stepsPerCallOption('fit', opts.stepsPerCall);
    const chunkable = !dist && !(opts.diagnostics ?? false) && !this.params().some((p) => (p.regularizer?.l1 ?? 0) > 0);
    const stepsPerCall = !chunkable ? 1 : spc === 'auto' ? (callbacks.every((cb) => cb.batchHooksDeferrable()) ? DEFAULT_STEPS_PER_CALL : 1) : spc;

    this.claim('fit');
    try {
      [this.dist, this.world] = [dist, world ?? this.world];
      if (dist) await dist.broadcastModel(this.params(), this.layers, c.optimizer);
      const diagnostics = opts.diagnostics ?? false;
      const plan = planBatches(n, batchSize, (rows) => this.trainProgram(src, tgt, rows, diagnostics), dist ? (rows) => dist.share(rows) : undefined);
      const buffers = this.buffers!; // the programs' buffers (validation may allocate larger ones)
      const fullBatches = Math.floor(n / plan.rows);
      const chunk = stepsPerCall > 1 && fullBatches > 1 ? this.stepChunk(src, tgt, plan.rows, Math.min(stepsPerCall, fullBatches)) : null;
      this.stopTraining = false;
      return await runEpochs(
        {
          layers: this.layers,
          params: () => this.params(),
          buffers: () => buffers,
          metricNames: c.metricNames,
          addMetricSums: (rows, sums) => this.metricsSums(buffers, dist ? dist.share(rows).count : rows, sums),
          reduceSums: dist ? (sums) => dist.sumInPlace(sums) : undefined,
          step: (program, where, rows) => this.runStep(program, buffers, where, rows),
          chunk: chunk?.forFit(spc === 'auto', (on) => (this.programRunning = on)),
          // Distributed: rank 0's BatchNorm running statistics everywhere (as PyTorch DDP), then validation.
          validate: async () => (await dist?.syncState(this.layers), val ? this.evaluateSource(val.src, val.tgt, val.idx, batchSize) : null),
          lr: () => c.optimizer.lr,
          stopRequested: () => this.stopTraining,
          epochDone: (epoch) => (this.epochsTrained = epoch + 1),
          afterEpoch: dist ? () => dist.agree(this, c.optimizer) : undefined,
        },
        { plan, trainIdx, epochs, initialEpoch, shuffle: opts.shuffle ?? true, seed, signal: opts.signal, callbacks, diagnostics },
      );
    } finally {
      this.dist = null;
      this.release();
    }
  }

  private async evaluateSource(src: DataSource, tgt: TargetSource, idx: Int32Array, batchSize: number, stepsPerCall: StepsPerCall = 'auto'): Promise<Record<string, number>> {
    const c = this.requireCompiled();
    const n = idx.length;
    if (n === 0) throw new RangeError('evaluate: no samples');
    const part = this.dist ? this.dist.shard(idx) : idx; // distributed validation: each rank its shard, then the sums
    let lossSum = 0;
    let sums = c.metrics.map(() => 0);
    await this.infer(src, tgt, part, batchSize, stepsPerCall, this.fusedOutput(), (_first, rows, count, st) => {
      for (let k = 0; k < count; k++) {
        lossSum += st.losses![k] * rows;
        st.staged.addMetricSums(c.metrics, k, sums);
      }
    });
    if (this.dist) [lossSum, ...sums] = await this.dist.summed([lossSum, ...sums]);
    const out: Record<string, number> = { loss: lossSum / n + totalPenalty(this.params()) };
    c.metricNames.forEach((name, i) => (out[name] = sums[i] / n));
    return out;
  }

  /** Inference over the samples `order` in batches (lib/sequential/chunk.ts inferBatches). */
  private infer(src: DataSource, tgt: TargetSource | null, order: Int32Array, batchSize: number, stepsPerCall: StepsPerCall, logits: boolean, take: InferenceTake): Promise<void> {
    const loss = this.compiled?.loss ?? null;
    return inferBatches({
      buffers: (rows) => this.ensureEvalBuffers(rows),
      steps: (b, rows) => evalSteps(this.net(), b, loss, src, tgt, rows, logits),
      sparseTargets: loss?.sparseTargets ?? true,
      withTargets: tgt !== null,
      outputSize: shapeSize(this.outputShape!),
      batchSize,
      order,
      stepsPerCall,
      running: (on) => (this.programRunning = on),
    }, take);
  }

  /** Mean loss (with regularization penalties) and metrics over a data set, in inference mode. */
  evaluate(data: Dataset, opts?: InferenceOptions): Promise<Record<string, number>>;
  evaluate(x: Inputs, y: Targets, opts?: InferenceOptions): Promise<Record<string, number>>;
  async evaluate(a: Inputs | Dataset, b?: Targets | InferenceOptions, c2?: InferenceOptions): Promise<Record<string, number>> {
    const { x, y, opts = {} } = splitArgs<InferenceOptions>(a, b, c2);
    this.requireCompiled();
    const src = toSource(x, 'evaluate: x');
    this.ensureBuilt(src);
    const tgt = this.targets(y, src.n, 'evaluate: y');
    const batchSize = checkNumber('evaluate', 'batchSize', opts.batchSize ?? 256, { min: 1, integer: true });
    const stepsPerCall = stepsPerCallOption('evaluate', opts.stepsPerCall);
    this.claim('evaluate');
    try {
      return await this.evaluateSource(src, tgt, Int32Array.from({ length: src.n }, (_, i) => i), batchSize, stepsPerCall);
    } finally {
      this.release();
    }
  }

  /** Outputs for every sample (after the last activation), in batches, in inference mode. */
  async predict(x: Inputs | Dataset, opts: InferenceOptions = {}): Promise<Tensor> {
    const src = toSource(isDataset(x) ? splitArgs<never>(x, undefined, undefined).x : x, 'predict: x');
    this.ensureBuilt(src);
    const batchSize = checkNumber('predict', 'batchSize', opts.batchSize ?? 256, { min: 1, integer: true });
    const stepsPerCall = stepsPerCallOption('predict', opts.stepsPerCall);
    this.claim('predict');
    try {
      const n = src.n;
      const outSize = shapeSize(this.outputShape!);
      const result = new Float32Array(n * outSize);
      if (n === 0) return new Tensor(result, [0, ...this.outputShape!]);
      const order = Int32Array.from({ length: n }, (_, i) => i);
      await this.infer(src, null, order, batchSize, stepsPerCall, false, (first, rows, count, st) => {
        result.set(st.staged.outputs.subarray(0, count * rows * outSize), first * outSize);
      });
      return new Tensor(result, [n, ...this.outputShape!]);
    } finally {
      this.release();
    }
  }

  /** One optimizer step on one batch; returns the batch's loss (with penalties) and metrics. */
  async trainOnBatch(x: Inputs, y: Targets): Promise<Record<string, number>> {
    const c = this.requireCompiled();
    const src = toSource(x, 'trainOnBatch: x');
    this.ensureBuilt(src);
    const tgt = this.targets(y, src.n, 'trainOnBatch: y');
    if (src.n === 0) throw new RangeError('trainOnBatch: empty batch');
    this.claim('trainOnBatch');
    try {
      const program = this.trainProgram(src, tgt, src.n, false);
      const b = this.buffers!;
      for (let i = 0; i < src.n; i++) b.index[i] = i;
      const out: Record<string, number> = { loss: await this.runStep(program, b, `step ${c.optimizer.iterations + 1}`, src.n) };
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
    return new Map([...weightBuffers(this.layers)].map(([k, v]) => [k, v.slice()]));
  }

  /** Sets weights by name; every given name must exist with the same size. Missing names keep their values. */
  setWeights(weights: Map<string, ArrayLike<number>> | Record<string, ArrayLike<number>>): void {
    // Callbacks of fit (EarlyStopping's restoreBestWeights) may set weights between steps; only
    // while a native program runs, or during evaluate/predict, would that race with it.
    if (this.programRunning || (this.busyWith && this.busyWith !== 'fit')) throw new Error(`setWeights: the model is busy with ${this.busyWith}`);
    assignWeights(weightBuffers(this.layers), weights);
  }

  get isCompiled(): boolean {
    return this.compiled !== null;
  }

  /** The compile settings as saved with the model. */
  compileConfig() {
    return compileConfigOf(this.requireCompiled());
  }

  /**
   * Saves architecture, weights, optimizer state and training progress to a
   * directory, atomically: a crash mid-save leaves the previous save intact.
   */
  async save(dir: string): Promise<void> {
    if (this.busyWith && this.busyWith !== 'fit') throw new Error(`model.save: the model is busy with ${this.busyWith}`);
    if (this.world && this.world.rank !== 0) return; // distributed: rank 0 writes, the others hold the same weights
    await saveModel(this, dir);
  }

  /** The weights in torch.nn.Sequential's names and layouts (`0.weight` [out, in], ...), or gradwell's (lib/io/torch.ts). */
  stateDict(opts?: torch.StateDictOptions): Map<string, torch.StateTensor> { return torch.stateDict(this, opts); }
  /** Sets every weight from a state dict; the first tensor whose name or shape does not fit is named in the error. */
  loadStateDict(dict: torch.StateDictInput, opts?: torch.StateDictOptions): void { torch.loadStateDict(this, dict, opts); }
  /** stateDict() as a safetensors file, atomically (torch: `safetensors.torch.load_file`). */
  saveStateDict(file: string, opts?: torch.StateDictOptions): Promise<void> { return torch.saveStateDict(this, file, opts); }
  /** loadStateDict() from a safetensors file (torch: `safetensors.torch.save_file(net.state_dict(), file)`). */
  loadStateDictFile(file: string, opts?: torch.StateDictOptions): Promise<void> { return torch.loadStateDictFile(this, file, opts); }
  /** Writes an ONNX model of the network in inference mode (opset 13-21, default 17; lib/onnx/export.ts). */
  exportOnnx(file: string, opts?: OnnxExportOptions): Promise<void> { return exportOnnx(this, file, opts); }
  /** Python code of the equivalent torch.nn.Sequential, whose state_dict() matches stateDict(). */
  torchSequentialCode(): string { return torch.torchSequentialCode(this); }

  countParams(): number {
    return this.layers.reduce((n, l) => n + l.countParams(), 0);
  }

  /** A table of layers, output shapes and parameter counts; also printed unless `print` is false. */
  summary(opts: { print?: boolean } = {}): string {
    if (!this.built) this.build();
    const text = summaryText(this.name, this.layers);
    if (opts.print ?? true) console.log(text);
    return text;
  }
}
