// Quick mode of the binding fuzzer (scripts/fuzz.mjs runs it long) and one
// regression test per bug it found.
import { describe, expect, it } from 'vitest';
import { native } from '../lib/binding';
// @ts-expect-error plain ESM shared with scripts/fuzz.mjs, no types
import { runFuzz } from '../scripts/fuzz/run.mjs';

const quickCalls = Number(process.env.GRADWELL_FUZZ_CALLS ?? 3000);

describe('binding fuzzer (quick mode)', () => {
  it(`${quickCalls} seeded calls: every one is a JavaScript error or a correct result, no crash, no hang`, async () => {
    const { ran, failures } = (await runFuzz({ seed: 20251125, calls: quickCalls, chunk: Math.ceil(quickCalls / 4), jobs: 2, hangMs: 60_000 })) as {
      ran: number;
      failures: unknown[];
    };
    expect(failures).toEqual([]);
    expect(ran).toBe(quickCalls);
  }, 300_000);
});

function detach(a: ArrayBufferView): void {
  structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });
}

describe('fuzzer regressions', () => {
  it('a compiled program refuses to run after one of its buffers is detached (was a segfault)', async () => {
    const x = new Float32Array(64);
    const prog = new native.CompiledProgram([['fill', x, 2, 64]]);
    prog.runSync();
    expect(x[63]).toBe(2);
    detach(x);
    expect(() => prog.runSync()).toThrow(/argument 'x' of fill was detached/);
    expect(() => prog.run()).toThrow(/was detached/); // refused before anything is queued
    expect(prog.busy).toBe(false); // the refusal releases the program
  });

  it('a compiled program refuses to run after a resizable buffer shrinks (was a segfault)', () => {
    const rab = new ArrayBuffer(256, { maxByteLength: 1024 });
    const x = new Float32Array(rab); // length-tracking
    const y = new Float32Array(64);
    const prog = new native.CompiledProgram([['copy', x, y, 64]]);
    x.fill(3);
    prog.runSync();
    expect(y[63]).toBe(3);
    rab.resize(1024); // growing keeps the memory where it was
    prog.runSync();
    rab.resize(16);
    expect(() => prog.runSync()).toThrow(/argument 'src' of copy was resized/);
  });

  it('gather_rows / gather_i32 in a compiled program recheck the index when they run (was an out-of-bounds read)', async () => {
    const src = new Float32Array(4 * 3).map((_, i) => i);
    const index = Int32Array.from([3, 0]);
    const dst = new Float32Array(2 * 3);
    const prog = new native.CompiledProgram([['gather_rows', src, index, 2, 3, dst]]);
    await prog.run();
    expect([...dst]).toEqual([9, 10, 11, 0, 1, 2]);
    index[1] = 1_000_000;
    await expect(prog.run()).rejects.toThrow(/gather_rows: index\[1\] = 1000000 is out of range for a source of 4 rows/);
    index[1] = -1;
    expect(() => prog.runSync()).toThrow(/index\[1\] = -1/);

    const u8 = Uint8Array.from([1, 2, 3, 4]);
    index.set([1, 0]);
    const p8 = new native.CompiledProgram([['gather_rows', u8, index, 2, 2, dst, 0.5]]);
    p8.runSync();
    expect([...dst.subarray(0, 4)]).toEqual([1.5, 2, 0.5, 1]);
    index[1] = -1;
    expect(() => p8.runSync()).toThrow(/index\[1\] = -1/);

    const isrc = Int32Array.from([5, 6, 7]);
    const iidx = Int32Array.from([2, 0]);
    const idst = new Int32Array(2);
    const pi = new native.CompiledProgram([['gather_i32', isrc, iidx, 2, idst]]);
    pi.runSync();
    expect([...idst]).toEqual([7, 5]);
    iidx[0] = 3;
    expect(() => pi.runSync()).toThrow(/gather_i32: index\[0\] = 3 is out of range for 'src' of 3 elements/);
  });

  it('views of a SharedArrayBuffer are accepted (was "Invalid argument", an error naming nothing)', () => {
    const x = new Float32Array(new SharedArrayBuffer(64));
    native.ops.fill(x, 1.5);
    expect(x[15]).toBe(1.5);
    const y = new Float32Array(16);
    native.ops.copy(x, y);
    expect(y[0]).toBe(1.5);
  });

  it('a detached buffer is a TypeError naming the op and argument', () => {
    const x = new Float32Array(8);
    detach(x);
    expect(() => native.ops.fill(x, 1)).toThrow(TypeError);
    expect(() => native.ops.fill(x, 1)).toThrow(/fill: argument 'x' is a Float32Array whose buffer is detached/);
  });

  it('an empty result with a huge other dimension returns at once (softmax_backward(rows = 2^40, cols = 0) was a hang)', () => {
    const f = (n: number) => new Float32Array(n);
    const t0 = Date.now();
    for (const op of ['softmax_forward', 'log_softmax_forward']) native.ops[op](f(1), f(1), 2 ** 40, 0);
    for (const op of ['softmax_backward', 'log_softmax_backward']) native.ops[op](f(1), f(1), f(1), 2 ** 40, 0);
    native.ops.gemm(false, false, 2 ** 31, 0, 0, 1, f(0), 1, f(0), 1, 0, f(0), 1);
    native.ops.gemm(true, true, 0, 2 ** 31, 0, 1, f(0), 1, f(0), 1, 0, f(0), 2 ** 31);
    native.ops.bias_grad(f(0), f(0), 2 ** 31, 0);
    native.ops.linear_forward(f(0), f(0), null, f(0), 2 ** 31, 0, 0);
    expect(Date.now() - t0).toBeLessThan(1000); // each was 2^31..2^40 empty iterations
    // Empty but meaningful: rows = 0 still zeroes db.
    const db = Float32Array.from([1, 2, 3]);
    native.ops.bias_grad(f(0), db, 0, 3);
    expect([...db]).toEqual([0, 0, 0]);
  });
});
