import type { ProgramStep } from '../binding';
import { shapeSize } from '../tensor';
import { Layer, type BackwardArgs, type ForwardArgs } from './base';

/** Flattens each sample to one axis. A view: no data moves. */
export class Flatten extends Layer {
  readonly className = 'Flatten';
  override readonly aliasesInput = true;

  computeOutputShape(inputShape: number[]): number[] {
    return [shapeSize(inputShape)];
  }
  forward(_a: ForwardArgs): ProgramStep[] {
    return [];
  }
  backward(_a: BackwardArgs): ProgramStep[] {
    return [];
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name };
  }
}
