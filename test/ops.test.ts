// The typed op builders (lib/ops.ts) against the ops the native addon exports:
// a native op without a builder, or a builder without a native op, fails here.
import { describe, expect, it } from 'vitest';
import { native } from '../lib/binding';
import { OP_NAMES, op, type ProgramStep } from '../lib/ops';

describe('op builders', () => {
  const nativeNames = Object.keys(native.ops).sort();
  const builderNames = [...OP_NAMES].sort();

  it('every native op has a builder', () => {
    expect(nativeNames.filter((n) => !builderNames.includes(n as never))).toEqual([]);
  });

  it('every builder has a native op', () => {
    expect(builderNames.filter((n) => !nativeNames.includes(n))).toEqual([]);
    expect(builderNames.length).toBeGreaterThan(20);
  });

  it('a builder returns [name, ...args] as given', () => {
    const x = new Float32Array(4);
    const y = new Float32Array(4);
    expect(op.copy(x, y, 4)).toEqual(['copy', x, y, 4]);
    expect(op.activation_forward('relu', x, y, 4)).toEqual(['activation_forward', 'relu', x, y, 4]);
  });

  it('built steps run in a native program and agree with the synchronous ops', async () => {
    const x = Float32Array.of(-1, 2, -3, 4);
    const viaProgram = new Float32Array(4);
    const viaOp = new Float32Array(4);
    const steps: ProgramStep[] = [op.activation_forward('relu', x, viaProgram, 4), op.fill(x, 7, 1)];
    await native.runAsync(steps);
    native.ops.activation_forward('relu', Float32Array.of(-1, 2, -3, 4), viaOp, 4);
    expect(Array.from(viaProgram)).toEqual([0, 2, 0, 4]);
    expect(Array.from(viaProgram)).toEqual(Array.from(viaOp));
    expect(x[0]).toBe(7);
  });

  it('the native program rejects a step whose op is unknown, naming it', () => {
    const bad = ['no_such_op', 1] as unknown as ProgramStep;
    expect(() => native.runAsync([bad])).toThrow(/unknown op 'no_such_op'/);
  });
});
