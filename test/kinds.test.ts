// The kind lists of lib/kinds.ts against the one source, native/kernels/kinds.inc
// (exposed as native.kinds()), and the derived lists against both.
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { native } from '../lib/binding';
import {
  ACTIVATION_KINDS,
  LOSS_KINDS,
  OPTIMIZER_DEFAULTS,
  OPTIMIZER_KINDS,
  OPTIM_HP,
  OPTIM_HP_LENGTH,
  packOptimHyper,
} from '../lib/kinds';
import { optimStateSlots } from '../lib/kernels/optim';
import { Adam, getOptimizer, RMSprop, SGD } from '../lib/optimizers';

const kinds = native.kinds();
const root = path.resolve(__dirname, '..');

describe('kind lists', () => {
  it('activation, loss and optimizer kinds equal the native lists, in order', () => {
    expect([...ACTIVATION_KINDS]).toEqual(kinds.activations);
    expect([...LOSS_KINDS]).toEqual(kinds.losses);
    expect([...OPTIMIZER_KINDS]).toEqual(kinds.optimizers.map((o) => o.name));
  });

  it('every op family has its driver, scalar reference and binding file, and is in sources.json', () => {
    const sources = JSON.parse(fs.readFileSync(path.join(root, 'native', 'sources.json'), 'utf8')) as Record<string, unknown>;
    const listed = new Set(Object.values(sources).flatMap((v) => (Array.isArray(v) ? (v as string[]) : [])));
    const bindingName: Record<string, string> = { activations: 'activation', norms: 'norm', losses: 'loss' };
    expect(kinds.families.length).toBeGreaterThan(5);
    for (const family of kinds.families) {
      const driver = `native/kernels/${family}.cpp`;
      const binding = `native/binding/${bindingName[family] ?? family}_ops.cpp`;
      expect(listed.has(driver), driver).toBe(true);
      expect(listed.has(binding), binding).toBe(true);
      // data moves bytes only and dist is the arithmetic around collectives: one portable
      // implementation each, no per-ISA kernels and so no scalar reference
      if (family !== 'data' && family !== 'dist') expect(listed.has(`native/kernels/${family}_scalar.cpp`), family).toBe(true);
    }
  });

  it('the hyper-parameter layout is the native one', () => {
    expect(kinds.optimHyperSlots).toHaveLength(OPTIM_HP_LENGTH);
    kinds.optimHyperSlots.forEach((slot, i) => expect(OPTIM_HP[slot as keyof typeof OPTIM_HP]).toBe(i));
  });

  it("each optimizer's defaults table names the native hp slots a, b, c in order", () => {
    for (const o of kinds.optimizers) {
      const d = OPTIMIZER_DEFAULTS[o.name as keyof typeof OPTIMIZER_DEFAULTS];
      expect(Object.keys(d.hyper), o.name).toEqual(o.hyper.filter((h) => h !== ''));
    }
  });

  it("the defaults are torch.optim's (torch 2.x: SGD lr 1e-3)", () => {
    expect(new SGD().lr).toBe(1e-3);
    expect(getOptimizer('adagrad').lr).toBe(1e-2);
    expect(getOptimizer('rmsprop').lr).toBe(1e-2);
    expect(new Adam().lr).toBe(1e-3);
    expect(getOptimizer('adamw').weightDecay).toBe(1e-2);
    expect(getOptimizer('adamax').lr).toBe(2e-3);
    expect(getOptimizer('adadelta').lr).toBe(1);
    expect(new RMSprop().alpha).toBe(0.99);
  });

  it('packing puts each named hyper-parameter in its slot', () => {
    const hp = packOptimHyper('rmsprop', { lr: 0.5, t: 3, weightDecay: 0.1, l1: 0.2, eps: 1e-7, hyper: { alpha: 0.9, momentum: 0.8, centered: true } });
    expect(Array.from(hp)).toEqual([0.5, 3, 0.1, 0.2, 0.9, 0.8, 1e-7, 1]);
    expect(Array.from(packOptimHyper('adagrad'))).toEqual([1e-2, 1, 0, 0, 0, 0, 1e-10, 0]);
  });

  it('state buffers follow the native rules (and the native op accepts exactly those)', () => {
    const hp = (kind: (typeof OPTIMIZER_KINDS)[number], hyper: Record<string, number | boolean> = {}) => packOptimHyper(kind, { hyper });
    expect(optimStateSlots('sgd', hp('sgd'))).toEqual([false, false, false]);
    expect(optimStateSlots('sgd', hp('sgd', { momentum: 0.9 }))).toEqual([true, false, false]);
    expect(optimStateSlots('rmsprop', hp('rmsprop'))).toEqual([true, false, false]);
    expect(optimStateSlots('rmsprop', hp('rmsprop', { momentum: 0.9, centered: true }))).toEqual([true, true, true]);
    expect(optimStateSlots('adam', hp('adam', { amsgrad: true }))).toEqual([true, true, true]);
    for (const kind of OPTIMIZER_KINDS) {
      const h = hp(kind);
      const slots = optimStateSlots(kind, h);
      const n = 4;
      const state = slots.map((need) => (need ? new Float32Array(n) : null));
      const run = (s: (Float32Array | null)[]) =>
        native.ops.optim_step(kind, new Float32Array(n), new Float32Array(n), s[0], s[1], s[2], h, new Float32Array(1));
      expect(() => run(state), kind).not.toThrow();
      const needed = slots.indexOf(true);
      if (needed >= 0) {
        const missing = [...state];
        missing[needed] = null;
        expect(() => run(missing), kind).toThrow(/is required/);
      }
    }
  });

  it('error messages list the native names', () => {
    expect(() => native.ops.optim_step('nope' as never, new Float32Array(1), new Float32Array(1), null, null, null, new Float64Array(8), new Float32Array(1))).toThrow(
      `expected one of ${kinds.optimizers.map((o) => o.name).join(', ')}`,
    );
    expect(() => native.ops.loss('nope' as never, new Float32Array(1), new Float32Array(1), null, new Float32Array(1), 1, 1)).toThrow(
      `expected one of ${kinds.losses.join(', ')}`,
    );
    expect(() => native.ops.activation_forward('nope' as never, new Float32Array(1), new Float32Array(1), 1)).toThrow(
      `must be one of ${kinds.activations.join(', ')}`,
    );
  });
});
