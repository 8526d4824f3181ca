// PyTorch weights in and out. Without Python: the torch state dict's names, shapes and
// layouts, loadStateDict's refusals, torchSequentialCode. With Debian's python3-torch (the
// real peer, test/python/torch_interop.py): every case of test/helpers/interop-cases.ts
// (Dense, every activation, BatchNorm, LayerNorm, GroupNorm, InstanceNorm, Dropout,
// Flatten/Reshape) built in torch from torchSequentialCode(), loaded with gradwell's
// export and run; and torch-trained weights loaded into gradwell; predictions compared.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchNorm, Dense, Sequential, Tensor } from '../lib';
import { readSafetensorsFile, writeSafetensorsFile } from '../lib/io/safetensors';
import { buildCase, caseInput, interopCases, maxAbsDiff } from './helpers/interop-cases';
import { runPython, skipWithout } from './helpers/python';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-torch-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function bnModel(): Sequential {
  const m = new Sequential([new Dense({ units: 4, inputShape: [3] }), new BatchNorm(), new Dense({ units: 2, activation: 'tanh' })], { seed: 2 });
  m.build([3]);
  return m;
}

describe('stateDict({ layout: "torch" })', () => {
  it("has torch.nn.Sequential's names, shapes and layouts", () => {
    const m = bnModel();
    const sd = m.stateDict({ layout: 'torch' });
    expect([...sd.keys()]).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked', '2.weight', '2.bias']);
    expect(sd.get('0.weight')!.shape).toEqual([4, 3]);
    expect(sd.get('1.num_batches_tracked')).toEqual({ dtype: 'I64', shape: [], data: BigInt64Array.of(0n) });
    // weight[j, i] = kernel[i, j]
    const k = m.getWeights().get('dense_1.kernel')!;
    const w = sd.get('0.weight')!.data as Float32Array;
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) expect(w[j * 3 + i]).toBe(k[i * 4 + j]);
    expect(Array.from(sd.get('1.running_var')!.data as Float32Array)).toEqual([1, 1, 1, 1]);
    // The gradwell layout is getWeights() with shapes.
    const g = m.stateDict({ layout: 'gradwell' });
    expect([...g.keys()]).toEqual([...m.getWeights().keys()]);
    expect(g.get('dense_1.kernel')!.shape).toEqual([3, 4]);
  });

  it('round-trips through loadStateDict and a safetensors file', async () => {
    const a = buildCase(interopCases().find((c) => c.name === 'batchnorm')!, 1);
    const b = buildCase(interopCases().find((c) => c.name === 'batchnorm')!, 2);
    const file = path.join(tmp, 'bn.safetensors');
    await a.saveStateDict(file, { layout: 'torch' });
    const onDisk = await readSafetensorsFile(file);
    expect(onDisk.metadata).toEqual({ format: 'pt' });
    expect(onDisk.tensors.get('1.num_batches_tracked')!.dtype).toBe('I64');
    await b.loadStateDictFile(file);
    expect(b.getWeights()).toEqual(a.getWeights());
    const c = buildCase(interopCases().find((c) => c.name === 'batchnorm')!, 3);
    c.loadStateDict(a.stateDict({ layout: 'gradwell' }), { layout: 'gradwell' });
    expect(c.getWeights()).toEqual(a.getWeights());
  });

  it('refuses a state dict that does not fit, naming the first tensor, and changes nothing', async () => {
    const m = bnModel();
    const before = m.getWeights();
    const good = m.stateDict();
    const edited = (f: (d: Map<string, { shape: readonly number[]; data: ArrayLike<number> | BigInt64Array }>) => void) => {
      const d = new Map<string, { shape: readonly number[]; data: ArrayLike<number> | BigInt64Array }>([...good].map(([k, v]) => [k, { shape: [...v.shape], data: v.data.slice() }]));
      f(d);
      return d;
    };
    expect(() => m.loadStateDict(edited((d) => d.delete('1.running_var')))).toThrow(/loadStateDict: missing tensor '1.running_var' \(nn.BatchNorm1d of layer 'batchnorm_1'\) of shape \[4\]/);
    expect(() => m.loadStateDict(edited((d) => d.set('0.weight', { shape: [3, 4], data: new Float32Array(12) })))).toThrow(
      /loadStateDict: tensor '0.weight' has shape \[3, 4\] but the model needs \[4, 3\] \(nn.Linear of layer 'dense_1'\)/,
    );
    expect(() => m.loadStateDict(edited((d) => d.set('3.weight', { shape: [2], data: new Float32Array(2) })))).toThrow(/unexpected tensor '3.weight' \(the model's tensors are 0.weight, 0.bias/);
    expect(() => m.loadStateDict(edited((d) => d.set('2.bias', { shape: [2], data: new Uint16Array(2) })))).toThrow(/tensor '2.bias' must hold float32 or float64 values, received Uint16Array/);
    expect(() => m.loadStateDict(edited(() => {}), { layout: 'keras' as never })).toThrow(/layout must be 'torch' or 'gradwell' but received "keras"/);
    expect(() => m.loadStateDict(edited(() => {}), { layout: 'gradwell' })).toThrow(/missing tensor 'dense_1.kernel'/);
    expect(m.getWeights()).toEqual(before);
    // A torch file with another architecture: the error names the file and the tensor.
    const file = path.join(tmp, 'other.safetensors');
    await writeSafetensorsFile(file, { '0.weight': { dtype: 'F32', shape: [5, 3], data: new Float32Array(15) } });
    await expect(m.loadStateDictFile(file)).rejects.toThrow(/tensor '0.weight' has shape \[5, 3\] but the model needs \[4, 3\].*other.safetensors/);
  });

  it('torchSequentialCode lists one torch module per state-dict index', () => {
    const code = bnModel().torchSequentialCode();
    expect(code).toContain('model = nn.Sequential(');
    expect(code).toMatch(/nn\.Linear\(3, 4\),\s+# 0: dense_1\n/);
    expect(code).toMatch(/nn\.BatchNorm1d\(4, eps=0\.00001, momentum=0\.1\),\s+# 1: batchnorm_1\n/);
    expect(code).toMatch(/nn\.Linear\(4, 2\),\s+# 2: dense_2\n/);
    expect(code).toMatch(/nn\.Tanh\(\),\s+# 3: dense_2\n/);
  });
});

describe.skipIf(skipWithout('torch'))('PyTorch (python3-torch) runs the exports, and gradwell runs torch-trained weights', () => {
  it('every layer kind and activation, both ways', async () => {
    const cases = interopCases();
    const jobs = [];
    const models = new Map<string, { model: Sequential; x: Tensor; pred: Float32Array }>();
    for (const [i, c] of cases.entries()) {
      const model = buildCase(c, i + 1);
      const x = caseInput(c, 9, i + 100);
      const pred = (await model.predict(x)).data;
      const base = path.join(tmp, c.name);
      await model.saveStateDict(`${base}.gw.safetensors`, { layout: 'torch' });
      await writeSafetensorsFile(`${base}.x.safetensors`, { x: { shape: x.shape, data: x.data } });
      await writeSafetensorsFile(`${base}.y.safetensors`, { y: { shape: [x.shape[0], ...model.outputShape!], data: pred } });
      models.set(c.name, { model, x, pred });
      jobs.push({
        name: c.name, code: model.torchSequentialCode(), seed: i + 1, x: `${base}.x.safetensors`,
        gradwell_weights: `${base}.gw.safetensors`, gradwell_pred: `${base}.y.safetensors`,
        torch_weights: `${base}.torch.safetensors`, torch_pred: `${base}.torch-y.safetensors`,
      });
    }
    const jobFile = path.join(tmp, 'jobs.json');
    fs.writeFileSync(jobFile, JSON.stringify(jobs));
    const result = runPython('torch_interop.py', [jobFile]) as Record<string, { gradwell_in_torch: number; torch_finite: boolean }>;
    const perKind = new Map<string, [number, number]>();
    for (const [i, c] of cases.entries()) {
      const r = result[c.name];
      expect(r, c.name).toBeDefined();
      expect(r.gradwell_in_torch, `${c.name}: gradwell's weights in torch`).toBeLessThanOrEqual(1e-5);
      // The reverse: torch-trained weights (BatchNorm statistics updated by torch) in a fresh gradwell model.
      const fresh = buildCase(c, 1000 + i);
      await fresh.loadStateDictFile(jobs[i].torch_weights);
      const want = (await readSafetensorsFile(jobs[i].torch_pred)).tensors.get('y')!.data as Float32Array;
      expect(r.torch_finite).toBe(true);
      const back = maxAbsDiff((await fresh.predict(models.get(c.name)!.x)).data, want);
      expect(back, `${c.name}: torch's weights in gradwell`).toBeLessThanOrEqual(1e-5);
      const k = perKind.get(c.kind) ?? [0, 0];
      perKind.set(c.kind, [Math.max(k[0], r.gradwell_in_torch), Math.max(k[1], back)]);
    }
    console.log(`torch interop, largest |difference| per layer kind (gradwell weights in torch / torch weights in gradwell):\n${
      [...perKind].map(([k, [a, b]]) => `  ${k.padEnd(24)} ${a.toExponential(2)} / ${b.toExponential(2)}`).join('\n')}`);
  }, 600_000);
});
