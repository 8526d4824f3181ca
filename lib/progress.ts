// The terminal progress bar of fit({ verbose: 1 }), drawn by cli-progress,
// and a one-line summary per epoch. cli-progress is loaded when the first bar
// is drawn, not when the library is imported.
import type { SingleBar } from 'cli-progress';
import { Callback, type Logs } from './callbacks';

function formatLogs(logs: Logs): string {
  return Object.entries(logs)
    .filter(([k]) => k !== 'size')
    .map(([k, v]) => `${k} ${k === 'lr' ? v.toPrecision(3) : k === 'seconds' ? v.toFixed(2) : v.toFixed(4)}`)
    .join(' - ');
}

export class ProgressBarCallback extends Callback {
  private bar: SingleBar | null = null;
  private seen = 0;
  private lossSum = 0;
  private epochStart = 0;
  private totalEpochs = 0;

  constructor(private readonly batchesPerEpoch: number, private readonly stream: NodeJS.WriteStream = process.stderr) {
    super();
  }

  /** It only reads the logs: a chunk of steps may run before it draws them. */
  override batchHooksDeferrable(): boolean {
    return true;
  }

  override onEpochBegin(epoch: number): void {
    this.seen = 0;
    this.lossSum = 0;
    this.epochStart = performance.now();
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { SingleBar: Bar, Presets } = require('cli-progress') as typeof import('cli-progress');
    this.bar = new Bar(
      {
        format: `epoch ${epoch + 1} [{bar}] {value}/{total} batches | loss {loss} | {rate} samples/s`,
        stream: this.stream,
        hideCursor: false,
        clearOnComplete: true,
        noTTYOutput: false,
        fps: 10,
      },
      Presets.shades_classic,
    );
    this.bar.start(this.batchesPerEpoch, 0, { loss: '-', rate: '-' });
    this.totalEpochs++;
  }

  override onBatchEnd(batch: number, logs: Logs): void {
    this.seen += logs.size ?? 0;
    this.lossSum += (logs.loss ?? 0) * (logs.size ?? 0);
    const secs = (performance.now() - this.epochStart) / 1000;
    this.bar?.update(batch + 1, { loss: (this.lossSum / Math.max(1, this.seen)).toFixed(4), rate: secs > 0 ? Math.round(this.seen / secs) : '-' });
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    this.bar?.stop();
    this.bar = null;
    const rate = logs.seconds ? Math.round(this.seen / logs.seconds) : 0;
    this.stream.write(`epoch ${epoch + 1}: ${formatLogs(logs)} - ${rate} samples/s\n`);
  }

  override onTrainEnd(): void {
    this.bar?.stop();
  }
}
