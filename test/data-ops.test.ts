// The data-movement ops and program control of the binding (native/binding/data_ops.cpp).
import { describe, expect, it } from 'vitest';
import { native } from '../lib/binding';
import { haltedAt } from '../lib/errors';

const ops = native.ops;

describe('data ops', () => {
  it('gather_rows converts Uint8 rows with a scale and copies Float32 rows', () => {
    const u8 = Uint8Array.from({ length: 12 }, (_, i) => i * 10);
    const dst = new Float32Array(8);
    ops.gather_rows(u8, Int32Array.of(2, 0), 2, 4, dst, 0.5);
    expect(Array.from(dst)).toEqual([40, 45, 50, 55, 0, 5, 10, 15]);
    const f = Float32Array.from({ length: 6 }, (_, i) => i + 0.5);
    const out = new Float32Array(6);
    ops.gather_rows(f, Int32Array.of(2, 1, 2), 3, 2, out);
    expect(Array.from(out)).toEqual([4.5, 5.5, 2.5, 3.5, 4.5, 5.5]);
  });

  it('gather_i32, fill and copy', () => {
    const dst = new Int32Array(3);
    ops.gather_i32(Int32Array.of(7, 8, 9), Int32Array.of(2, 2, 0), 3, dst);
    expect(Array.from(dst)).toEqual([9, 9, 7]);
    const x = new Float32Array(5);
    ops.fill(x, 3, 4);
    expect(Array.from(x)).toEqual([3, 3, 3, 3, 0]);
    const y = new Float32Array(5);
    ops.copy(x, y);
    expect(Array.from(y)).toEqual(Array.from(x));
  });

  it('rejects bad arguments with errors naming them', () => {
    const dst = new Float32Array(4);
    expect(() => ops.gather_rows(new Float64Array(4), Int32Array.of(0), 1, 4, dst)).toThrow(TypeError);
    expect(() => ops.gather_rows(new Float32Array(4), Int32Array.of(0), 2, 4, dst)).toThrow(/'index' has 1 elements but rows = 2/);
    expect(() => ops.gather_rows(new Float32Array(8), Int32Array.of(0, 1), 2, 4, new Float32Array(7))).toThrow(/'dst' has 7 elements but shape \[2, 4\] needs 8/);
    expect(() => ops.gather_rows(new Float32Array(8), Int32Array.of(5), 1, 4, dst)).toThrow(/index\[0\] = 5 is out of range for a source of 2 rows/);
    expect(() => ops.gather_rows(new Float32Array(8), Int32Array.of(0), 1, 4, dst, 2)).toThrow(/scale/);
    expect(() => ops.gather_i32(Int32Array.of(1), Int32Array.of(-1), 1, new Int32Array(1))).toThrow(/index\[0\] = -1/);
    expect(() => ops.fill(new Float32Array(2), 1, 3)).toThrow(RangeError);
    expect(() => ops.copy(new Float32Array(2), new Float32Array(1))).toThrow(/'dst'/);
    expect(() => ops.fill(new Float32Array(2), 'x')).toThrow(/'value' must be a number/);
  });

  it('checks indices again each time a compiled program runs', async () => {
    const src = Float32Array.of(1, 2, 3, 4);
    const index = Int32Array.of(0);
    const dst = new Float32Array(2);
    const program = new native.CompiledProgram([['gather_rows', src, index, 1, 2, dst]]);
    index[0] = 1;
    await program.run();
    expect(Array.from(dst)).toEqual([3, 4]);
    index[0] = 2;
    await expect(program.run()).rejects.toThrow(/index\[0\] = 2 is out of range/);
    expect(program.busy).toBe(false);
  });

  it('halt_if_nonzero stops the rest of a program', async () => {
    const x = new Float32Array(2);
    await expect(native.runAsync([['halt_if_nonzero', Float32Array.of(0, 0, 1), 'stop'], ['fill', x, 5]])).rejects.toThrow('stop: flag 2');
    expect(Array.from(x)).toEqual([0, 0]);
    await native.runAsync([['halt_if_nonzero', Float32Array.of(0), 'stop'], ['fill', x, 5]]);
    expect(Array.from(x)).toEqual([5, 5]);
  });

  it('a halt is a structured error: code ERR_GRADWELL_HALT and the flag index, async, compiled and sync', async () => {
    const flags = Float32Array.of(0, 0, 0, 1, 1);
    const err = await native.runAsync([['halt_if_nonzero', flags, 'stop']]).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: 'ERR_GRADWELL_HALT', index: 3 });
    expect(haltedAt(err)).toBe(3);
    const program = new native.CompiledProgram([['halt_if_nonzero', flags, 'stop']]);
    await expect(program.run()).rejects.toMatchObject({ code: 'ERR_GRADWELL_HALT', index: 3 });
    flags[3] = 0;
    await expect(program.run()).rejects.toMatchObject({ code: 'ERR_GRADWELL_HALT', index: 4 });
    expect(() => program.runSync()).toThrow(expect.objectContaining({ code: 'ERR_GRADWELL_HALT', index: 4 }));
    expect(() => native.ops.halt_if_nonzero(Float32Array.of(1), 'now')).toThrow(expect.objectContaining({ index: 0 }));
    // other errors carry no halt code
    const other = await native.runAsync([['gather_i32', Int32Array.of(1), Int32Array.of(0), 1, new Int32Array(1)]]).then(() => null, (e: unknown) => e);
    expect(other).toBeNull();
    expect(haltedAt(new Error('stop: flag 2'))).toBeNull();
  });

  it('rejects malformed programs before anything runs', () => {
    const x = new Float32Array(2);
    expect(() => native.runAsync([['fill', x, 1], ['nope']] as never)).toThrow(/program\[1\]: unknown op 'nope'/);
    expect(() => native.runAsync([['fill', x, 1], 5] as never)).toThrow(/program\[1\] must be \[opName, \.\.\.args\]/);
    expect(() => native.runAsync('fill' as never)).toThrow(/program must be an Array/);
    expect(Array.from(x)).toEqual([0, 0]);
    const program = new native.CompiledProgram([['fill', x, 1]]);
    const first = program.run();
    expect(() => program.run()).toThrow(/already running/);
    return first;
  });
});
