import { describe, expect, it } from 'vitest';
import { caseHandler, expectClose, loadGolden, type GoldenCase } from './helpers/golden';
import {
  ConstantLR,
  CosineAnnealingLR,
  ExponentialLR,
  ReduceLROnPlateau,
  StepLR,
  WarmupCosine,
  getSchedule,
  type EpochSchedule,
} from '../lib/schedules';

const golden = loadGolden('schedules.json');

function attr(c: GoldenCase, key: string): number {
  const v = c.attrs[key];
  if (typeof v !== 'number') throw new Error(`case '${c.name}': attrs.${key} must be a number, found ${typeof v}`);
  return v;
}

function attrString(c: GoldenCase, key: string): string {
  const v = c.attrs[key];
  if (typeof v !== 'string') throw new Error(`case '${c.name}': attrs.${key} must be a string, found ${typeof v}`);
  return v;
}

function checkEpochSchedule(c: GoldenCase, schedule: EpochSchedule): void {
  const baseLr = attr(c, 'base_lr');
  const epochs = attr(c, 'epochs');
  const expected = c.expected.lr;
  expect(expected.shape).toEqual([epochs]);
  const got = Array.from({ length: epochs }, (_, e) => schedule.lrAt(e, baseLr));
  expectClose(got, expected.data, c.tolerance, c.name);
  // The same schedule rebuilt from its saved config, and from the golden snake_case attrs by name.
  const restored = getSchedule(JSON.parse(JSON.stringify(schedule.getConfig())));
  expectClose(Array.from({ length: epochs }, (_, e) => restored.lrAt(e, baseLr)), expected.data, c.tolerance, `${c.name} (restored)`);
  const numericAttrs = Object.fromEntries(
    Object.entries(c.attrs).filter(([k, v]) => typeof v === 'number' && k !== 'base_lr' && k !== 'epochs'),
  );
  const byName = getSchedule(c.op, numericAttrs);
  expectClose(Array.from({ length: epochs }, (_, e) => byName.lrAt(e, baseLr)), expected.data, c.tolerance, `${c.name} (by name)`);
}

const runCase = caseHandler({
  StepLR: (c) => checkEpochSchedule(c, new StepLR({ stepSize: attr(c, 'step_size'), gamma: attr(c, 'gamma') })),
  ExponentialLR: (c) => checkEpochSchedule(c, new ExponentialLR({ gamma: attr(c, 'gamma') })),
  CosineAnnealingLR: (c) => checkEpochSchedule(c, new CosineAnnealingLR({ tMax: attr(c, 'T_max'), etaMin: attr(c, 'eta_min') })),
  WarmupCosine: (c) =>
    checkEpochSchedule(
      c,
      new WarmupCosine({ warmupEpochs: attr(c, 'warmup_epochs'), cosineEpochs: attr(c, 'cosine_epochs'), etaMin: attr(c, 'eta_min') }),
    ),
  ReduceLROnPlateau: (c) => {
    const options = {
      mode: attrString(c, 'mode') as 'min' | 'max',
      factor: attr(c, 'factor'),
      patience: attr(c, 'patience'),
      threshold: attr(c, 'threshold'),
      thresholdMode: attrString(c, 'threshold_mode') as 'rel' | 'abs',
      cooldown: attr(c, 'cooldown'),
      minLr: attr(c, 'min_lr'),
      eps: attr(c, 'eps'),
    };
    const losses = c.inputs.val_losses.data;
    const epochs = attr(c, 'epochs');
    expect(losses.length).toBe(epochs);
    const sched = new ReduceLROnPlateau(attr(c, 'base_lr'), options);
    const during: number[] = [];
    const after: number[] = [];
    for (let e = 0; e < epochs; e++) {
      during.push(sched.lr);
      after.push(sched.step(losses[e]));
    }
    expectClose(during, c.expected.lr.data, c.tolerance, `${c.name} lr`);
    expectClose(after, c.expected.lr_after_step.data, c.tolerance, `${c.name} lr_after_step`);

    // Save/restore through JSON at every epoch boundary gives the same trajectory.
    for (let cut = 0; cut <= epochs; cut++) {
      let s = new ReduceLROnPlateau(attr(c, 'base_lr'), options);
      const got: number[] = [];
      for (let e = 0; e < epochs; e++) {
        if (e === cut) s = ReduceLROnPlateau.fromState(JSON.parse(JSON.stringify(s.getConfig())), JSON.parse(JSON.stringify(s.getState())));
        got.push(s.step(losses[e]));
      }
      expectClose(got, c.expected.lr_after_step.data, c.tolerance, `${c.name} restored at epoch ${cut}`);
    }
  },
});

describe('schedules.json golden cases', () => {
  for (const c of golden.cases) it(c.name, () => runCase(c));

  it('fails on an unknown op', () => {
    const bogus = { ...golden.cases[0], op: 'OneCycleLR', name: 'bogus' };
    expect(() => runCase(bogus)).toThrow(/unrecognised op 'OneCycleLR'/);
  });
});

describe('epoch schedules', () => {
  it('CosineAnnealingLR rises again past tMax (period 2*tMax)', () => {
    const s = new CosineAnnealingLR({ tMax: 4, etaMin: 0.01 });
    expect(s.lrAt(4, 1)).toBeCloseTo(0.01, 12);
    expect(s.lrAt(6, 1)).toBeCloseTo(s.lrAt(2, 1), 12);
    expect(s.lrAt(8, 1)).toBeCloseTo(1, 12);
  });

  it('WarmupCosine holds etaMin after the cosine part and allows no warmup', () => {
    const s = new WarmupCosine({ warmupEpochs: 2, cosineEpochs: 5, etaMin: 0.001 });
    expect(s.lrAt(0, 0.1)).toBeCloseTo(0.05, 15);
    expect(s.lrAt(7, 0.1)).toBeCloseTo(0.001, 15);
    expect(s.lrAt(100, 0.1)).toBeCloseTo(0.001, 15);
    const noWarmup = new WarmupCosine({ warmupEpochs: 0, cosineEpochs: 4 });
    expect(noWarmup.lrAt(0, 0.2)).toBe(0.2);
    expect(noWarmup.lrAt(2, 0.2)).toBeCloseTo(0.1, 15);
  });

  it('ConstantLR and names in either case style', () => {
    expect(new ConstantLR().lrAt(99, 0.3)).toBe(0.3);
    expect(getSchedule('step_lr', { step_size: 2, gamma: 0.5 }).lrAt(5, 1)).toBe(0.25);
    expect(getSchedule('cosineAnnealingLR', { T_max: 2 }).lrAt(2, 1)).toBe(0);
    expect(() => getSchedule('one_cycle')).toThrow(/unknown learning-rate schedule 'one_cycle'/);
  });

  it('rejects bad options and arguments with errors naming them', () => {
    expect(() => new StepLR({ stepSize: 0 })).toThrow(RangeError);
    expect(() => new StepLR({ stepSize: 0 })).toThrow(/'stepSize'/);
    expect(() => new StepLR({ stepSize: 1.5 })).toThrow(/'stepSize' must be an integer/);
    expect(() => new StepLR({} as { stepSize: number })).toThrow(/'stepSize' is required/);
    expect(() => new ExponentialLR({ gamma: -1 })).toThrow(/'gamma' must be >= 0/);
    expect(() => new ExponentialLR({ gamma: NaN })).toThrow(TypeError);
    expect(() => new CosineAnnealingLR({ tMax: 10, etaMin: -1 })).toThrow(/'etaMin'/);
    expect(() => new WarmupCosine({ warmupEpochs: -1, cosineEpochs: 3 })).toThrow(/'warmupEpochs'/);
    expect(() => new StepLR({ stepSize: 2, gama: 0.5 } as unknown as { stepSize: number })).toThrow(/unknown option 'gama'/);
    expect(() => new StepLR({ stepSize: 2 }).lrAt(-1, 0.1)).toThrow(/epoch must be a non-negative integer/);
    expect(() => new StepLR({ stepSize: 2 }).lrAt(1.5, 0.1)).toThrow(RangeError);
    expect(() => new StepLR({ stepSize: 2 }).lrAt(1, Infinity)).toThrow(/baseLr/);
    expect(() => new ReduceLROnPlateau(0.1, { factor: 1 })).toThrow(/'factor' must be < 1/);
    expect(() => new ReduceLROnPlateau(0.1, { mode: 'avg' as 'min' })).toThrow(/'mode'/);
    expect(() => new ReduceLROnPlateau(0.1, { thresholdMode: 'pct' as 'rel' })).toThrow(/'thresholdMode'/);
    expect(() => new ReduceLROnPlateau(0.1, { patience: -1 })).toThrow(/'patience'/);
    expect(() => new ReduceLROnPlateau(0.1).step('0.5' as unknown as number)).toThrow(TypeError);
  });
});

// A plain transcription of torch.optim.lr_scheduler.ReduceLROnPlateau, to check the modes
// and the cooldown/minLr/eps paths the golden case does not reach.
function referencePlateau(
  lr: number,
  o: { mode: 'min' | 'max'; factor: number; patience: number; threshold: number; thresholdMode: 'rel' | 'abs'; cooldown: number; minLr: number; eps: number },
  metrics: number[],
): number[] {
  let best = o.mode === 'min' ? Infinity : -Infinity;
  let bad = 0;
  let cooldown = 0;
  const out: number[] = [];
  for (const m of metrics) {
    let better: boolean;
    if (o.mode === 'min' && o.thresholdMode === 'rel') better = m < best * (1 - o.threshold);
    else if (o.mode === 'min') better = m < best - o.threshold;
    else if (o.thresholdMode === 'rel') better = m > best * (o.threshold + 1);
    else better = m > best + o.threshold;
    if (better) {
      best = m;
      bad = 0;
    } else bad += 1;
    if (cooldown > 0) {
      cooldown -= 1;
      bad = 0;
    }
    if (bad > o.patience) {
      const newLr = Math.max(lr * o.factor, o.minLr);
      if (lr - newLr > o.eps) lr = newLr;
      cooldown = o.cooldown;
      bad = 0;
    }
    out.push(lr);
  }
  return out;
}

describe('ReduceLROnPlateau against a transcription of PyTorch', () => {
  const metrics = [5, 4, 4, 4, 4.5, 3, 3, 3, 3, 3, 2.9999, 3, NaN, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
  for (const mode of ['min', 'max'] as const) {
    for (const thresholdMode of ['rel', 'abs'] as const) {
      for (const cooldown of [0, 2]) {
        it(`${mode} ${thresholdMode} cooldown ${cooldown}`, () => {
          const o = { mode, factor: 0.3, patience: 1, threshold: thresholdMode === 'rel' ? 1e-4 : 0.05, thresholdMode, cooldown, minLr: 0.004, eps: 1e-8 };
          // max mode: mirrored, kept positive (a relative threshold on negative values counts ties as improvements, as in PyTorch).
          const seq = mode === 'min' ? metrics : metrics.map((m) => 10 - m);
          const s = new ReduceLROnPlateau(0.1, o);
          const got = seq.map((m) => s.step(m));
          const want = referencePlateau(0.1, o, seq);
          expect(got).toEqual(want);
          // It did reduce, and minLr bounds it.
          expect(got[got.length - 1]).toBeLessThan(0.1);
          expect(Math.min(...got)).toBeGreaterThanOrEqual(0.004);
        });
      }
    }
  }
});
