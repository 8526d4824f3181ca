import type { ProgramStep } from '../binding';
import { formatShape, shapeSize } from '../tensor';
import { Layer, type BackwardArgs, type ForwardArgs } from './base';

export interface ReshapeOptions {
  /** Per-sample output shape; one entry may be -1 (inferred from the input size). */
  targetShape: number[];
  name?: string;
  inputShape?: number[];
}

/**
 * Gives each sample a new shape with the same number of values, row-major (a flat
 * [784] sample becomes [1, 28, 28]: channel, then row, then column). A view: no data moves.
 */
export class Reshape extends Layer {
  readonly className = 'Reshape';
  override readonly aliasesInput = true;
  readonly targetShape: number[];

  constructor(opts: ReshapeOptions) {
    super(opts);
    if (opts === null || typeof opts !== 'object' || !Array.isArray(opts.targetShape)) {
      throw new TypeError('Reshape: expected { targetShape: number[] } such as { targetShape: [1, 28, 28] }');
    }
    const t = opts.targetShape;
    if (t.length === 0 || t.length > 8 || !t.every((d) => Number.isInteger(d) && (d >= 1 || d === -1)) || t.filter((d) => d === -1).length > 1) {
      throw new RangeError(`Reshape: targetShape must hold 1 to 8 positive integers (one may be -1) but received ${JSON.stringify(t)}`);
    }
    this.targetShape = [...t];
  }

  computeOutputShape(inputShape: number[]): number[] {
    const size = shapeSize(inputShape);
    const known = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const where = `Reshape '${this.name}'`;
    if (this.targetShape.includes(-1)) {
      if (size % known !== 0) {
        throw new RangeError(`${where}: cannot reshape an input of shape ${formatShape(inputShape)} (${size} values) to ${formatShape(this.targetShape)}: ${size} is not a multiple of ${known}`);
      }
      return this.targetShape.map((d) => (d === -1 ? size / known : d));
    }
    if (known !== size) {
      throw new RangeError(`${where}: expected an input of ${known} values per sample for targetShape ${formatShape(this.targetShape)} but received shape ${formatShape(inputShape)} (${size} values)`);
    }
    return [...this.targetShape];
  }
  forward(_a: ForwardArgs): ProgramStep[] {
    return [];
  }
  backward(_a: BackwardArgs): ProgramStep[] {
    return [];
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, targetShape: [...this.targetShape] };
  }
}
