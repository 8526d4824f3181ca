// Callbacks: hooks at train, epoch and batch boundaries that can read logs,
// change the learning rate, save the model or stop training.
import type { Sequential } from './model';
import { ReduceLROnPlateau as PlateauSchedule, type EpochSchedule, type ReduceLROnPlateauOptions as PlateauOptions } from './schedules';

/** Per-epoch (or per-batch) values: loss, metrics, valLoss, valAccuracy, lr, seconds, ... */
export type Logs = Record<string, number>;

export abstract class Callback {
  model!: Sequential;
  setModel(model: Sequential): void {
    this.model = model;
  }
  onTrainBegin(_logs?: Logs): void | Promise<void> {}
  onTrainEnd(_logs?: Logs): void | Promise<void> {}
  onEpochBegin(_epoch: number, _logs?: Logs): void | Promise<void> {}
  onEpochEnd(_epoch: number, _logs: Logs): void | Promise<void> {}
  onBatchBegin(_batch: number, _logs?: Logs): void | Promise<void> {}
  onBatchEnd(_batch: number, _logs: Logs): void | Promise<void> {}
  /**
   * Whether the batch hooks may run after a chunk of steps has run (fit's stepsPerCall 'auto'
   * chunks only when every callback says so): true when the class keeps the default, empty batch
   * hooks. Override to return true for hooks that only read the logs.
   */
  batchHooksDeferrable(): boolean {
    const proto = Callback.prototype;
    return this.onBatchBegin === proto.onBatchBegin && this.onBatchEnd === proto.onBatchEnd;
  }
}

/** Plain hooks, for one-off callbacks: `{ onEpochEnd: (e, logs) => ... }`. */
export interface CallbackHooks {
  onTrainBegin?: (logs?: Logs) => void | Promise<void>;
  onTrainEnd?: (logs?: Logs) => void | Promise<void>;
  onEpochBegin?: (epoch: number, logs?: Logs) => void | Promise<void>;
  onEpochEnd?: (epoch: number, logs: Logs) => void | Promise<void>;
  onBatchBegin?: (batch: number, logs?: Logs) => void | Promise<void>;
  onBatchEnd?: (batch: number, logs: Logs) => void | Promise<void>;
}

export class LambdaCallback extends Callback {
  constructor(private readonly hooks: CallbackHooks) {
    super();
  }
  override onTrainBegin(logs?: Logs) {
    return this.hooks.onTrainBegin?.(logs);
  }
  override onTrainEnd(logs?: Logs) {
    return this.hooks.onTrainEnd?.(logs);
  }
  override onEpochBegin(epoch: number, logs?: Logs) {
    return this.hooks.onEpochBegin?.(epoch, logs);
  }
  override onEpochEnd(epoch: number, logs: Logs) {
    return this.hooks.onEpochEnd?.(epoch, logs);
  }
  override onBatchBegin(batch: number, logs?: Logs) {
    return this.hooks.onBatchBegin?.(batch, logs);
  }
  override onBatchEnd(batch: number, logs: Logs) {
    return this.hooks.onBatchEnd?.(batch, logs);
  }
  override batchHooksDeferrable(): boolean {
    return !this.hooks.onBatchBegin && !this.hooks.onBatchEnd;
  }
}

type Mode = 'min' | 'max' | 'auto';

function resolveMode(mode: Mode, monitor: string): 'min' | 'max' {
  if (mode !== 'auto') return mode;
  return /acc|accuracy/i.test(monitor) ? 'max' : 'min';
}

function monitored(logs: Logs, monitor: string, who: string): number | undefined {
  const v = logs[monitor];
  if (v === undefined) {
    // Keras warns and skips; so do we, once per name.
    if (!warned.has(`${who}:${monitor}`)) {
      warned.add(`${who}:${monitor}`);
      process.emitWarning(`${who}: metric '${monitor}' is not in the logs (available: ${Object.keys(logs).join(', ')})`);
    }
  }
  return v;
}
const warned = new Set<string>();

export interface EarlyStoppingOptions {
  /** Log to watch. Default 'valLoss'. */
  monitor?: string;
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /** Epochs without improvement before stopping. Default 0. */
  patience?: number;
  mode?: Mode;
  /** A value the monitored log must beat before training may stop. */
  baseline?: number;
  /** When training ends, put back the weights of the best epoch. Default false. */
  restoreBestWeights?: boolean;
}

/** Stops training when a monitored log stops improving (Keras semantics). */
export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly baseline: number | undefined;
  readonly restoreBestWeights: boolean;
  /** Epoch (0-based) at which training stopped, or -1. */
  stoppedEpoch = -1;
  /** Epoch (0-based) with the best monitored value, or -1. */
  bestEpoch = -1;
  best = Infinity;
  private wait = 0;
  private bestWeights: Map<string, Float32Array> | null = null;

  constructor(opts: EarlyStoppingOptions = {}) {
    super();
    this.monitor = opts.monitor ?? 'valLoss';
    this.minDelta = Math.abs(opts.minDelta ?? 0);
    this.patience = opts.patience ?? 0;
    if (!Number.isInteger(this.patience) || this.patience < 0) {
      throw new RangeError(`EarlyStopping: expected a non-negative integer for patience but received ${opts.patience}`);
    }
    this.mode = resolveMode(opts.mode ?? 'auto', this.monitor);
    this.baseline = opts.baseline;
    this.restoreBestWeights = opts.restoreBestWeights ?? false;
  }

  private improved(v: number, ref: number): boolean {
    return this.mode === 'min' ? v < ref - this.minDelta : v > ref + this.minDelta;
  }

  override onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = -1;
    this.bestEpoch = -1;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.bestWeights = null;
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    const v = monitored(logs, this.monitor, 'EarlyStopping');
    if (v === undefined) return;
    if (this.restoreBestWeights && this.bestWeights === null) this.bestWeights = this.model.getWeights();
    this.wait += 1;
    if (this.improved(v, this.best)) {
      this.best = v;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = this.model.getWeights();
      if (this.baseline === undefined || this.improved(v, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model.stopTraining = true;
    }
  }

  override onTrainEnd(): void {
    if (this.restoreBestWeights && this.bestWeights) this.model.setWeights(this.bestWeights);
  }
}

/**
 * Sets the learning rate at the start of each epoch, from an epoch schedule
 * (StepLR, CosineAnnealingLR, ... of `schedules`, relative to the lr the
 * optimizer had when training began) or from a function (epoch, lr) => lr.
 */
export class LearningRateScheduler extends Callback {
  private baseLr = 0;
  constructor(private readonly schedule: EpochSchedule | ((epoch: number, lr: number) => number)) {
    super();
    if (typeof schedule !== 'function' && !(schedule && typeof schedule === 'object' && typeof schedule.lrAt === 'function')) {
      throw new TypeError('LearningRateScheduler: expected an epoch schedule or a function (epoch, lr) => lr');
    }
  }
  override onTrainBegin(): void {
    this.baseLr = this.model.optimizer.lr;
  }
  override onEpochBegin(epoch: number): void {
    const lr = typeof this.schedule === 'function' ? this.schedule(epoch, this.model.optimizer.lr) : this.schedule.lrAt(epoch, this.baseLr);
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
      throw new RangeError(`LearningRateScheduler: the schedule returned ${lr} for epoch ${epoch}; expected a finite number >= 0`);
    }
    this.model.optimizer.lr = lr;
  }
}

/**
 * Lowers the learning rate when a monitored log stops improving; the rule is
 * torch.optim.lr_scheduler.ReduceLROnPlateau (schedules.ReduceLROnPlateau).
 */
export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  private plateau: PlateauSchedule | null = null;
  constructor(private readonly options: ReduceLROnPlateauOptions = {}) {
    super();
    const { monitor, ...rest } = options;
    this.monitor = monitor ?? 'valLoss';
    new PlateauSchedule(1, { mode: resolveMode(rest.mode ?? 'auto', this.monitor), ...withoutMode(rest) }); // validates options now
  }
  override onTrainBegin(): void {
    const { monitor: _m, ...rest } = this.options;
    this.plateau = new PlateauSchedule(this.model.optimizer.lr, { mode: resolveMode(rest.mode ?? 'auto', this.monitor), ...withoutMode(rest) });
  }
  override onEpochEnd(_epoch: number, logs: Logs): void {
    const v = monitored(logs, this.monitor, 'ReduceLROnPlateau');
    if (v === undefined || !this.plateau) return;
    this.model.optimizer.lr = this.plateau.step(v);
  }
}

function withoutMode<T extends { mode?: unknown }>(o: T): Omit<T, 'mode'> {
  const { mode: _mode, ...rest } = o;
  return rest;
}

export interface ReduceLROnPlateauOptions extends Omit<PlateauOptions, 'mode'> {
  monitor?: string;
  mode?: 'min' | 'max' | 'auto';
}

export interface ModelCheckpointOptions {
  monitor?: string;
  mode?: 'min' | 'max' | 'auto';
  /** Save only when the monitored log improves. Default false (save every epoch). */
  saveBestOnly?: boolean;
}

/** Saves the model (atomically) to a directory after epochs; `{epoch}` in the path is replaced. */
export class ModelCheckpoint extends Callback {
  readonly monitor: string;
  readonly mode: 'min' | 'max';
  readonly saveBestOnly: boolean;
  private best: number;
  /** Directories written, in order. */
  readonly saved: string[] = [];

  constructor(readonly path: string, opts: ModelCheckpointOptions = {}) {
    super();
    if (typeof path !== 'string' || path.length === 0) throw new TypeError('ModelCheckpoint: expected a directory path');
    this.monitor = opts.monitor ?? 'valLoss';
    this.mode = resolveMode(opts.mode ?? 'auto', this.monitor);
    this.saveBestOnly = opts.saveBestOnly ?? false;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  override async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    if (this.saveBestOnly) {
      const v = monitored(logs, this.monitor, 'ModelCheckpoint');
      if (v === undefined) return;
      if (!(this.mode === 'min' ? v < this.best : v > this.best)) return;
      this.best = v;
    }
    const dir = this.path.replace('{epoch}', String(epoch + 1));
    await this.model.save(dir);
    this.saved.push(dir);
  }
}
