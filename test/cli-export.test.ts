// `gradwell export <dir> --onnx f --torch g --torch-code h` on a saved model (the
// built CLI in dist/, as a user runs it): the ONNX file runs in onnxruntime-node with
// the model's predictions, the state dict loads back, the code is torchSequentialCode();
// bad invocations exit 2, a missing model 1, with the reason on stderr.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../lib';
import { buildCase, caseInput, interopCases, maxAbsDiff } from './helpers/interop-cases';

const bin = path.join(__dirname, '..', 'bin', 'gradwell.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-cli-export-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });

describe('gradwell export', () => {
  it('writes ONNX, the torch state dict and the torch code of a saved model', async () => {
    const c = interopCases().find((k) => k.name === 'groupnorm-CL')!;
    const model = buildCase(c);
    const dir = path.join(tmp, 'model');
    await model.save(dir);
    const out = path.join(tmp, 'out', 'sub');
    const r = run('export', dir, '--onnx', path.join(out, 'm.onnx'), '--opset', '13', '--torch', path.join(out, 'm.safetensors'), '--torch-code', path.join(out, 'm.py'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/wrote .*m\.onnx \(ONNX opset 13, input 'input' \[batch, 5\], output 'output' \[batch, 2\]\)/);
    const x = caseInput(c, 4);
    const want = (await model.predict(x)).data;
    const session = await ort.InferenceSession.create(path.join(out, 'm.onnx'));
    const y = (await session.run({ input: new ort.Tensor('float32', x.data as Float32Array, x.shape) })).output;
    expect(maxAbsDiff(y.data as Float32Array, want)).toBeLessThanOrEqual(1e-4);
    await session.release();
    const other = buildCase(c, 9);
    await other.loadStateDictFile(path.join(out, 'm.safetensors'));
    expect(other.getWeights()).toEqual((await loadModel(dir)).getWeights());
    expect(fs.readFileSync(path.join(out, 'm.py'), 'utf8')).toBe(model.torchSequentialCode());
  });

  it('refuses bad invocations (exit 2) and a missing model (exit 1)', () => {
    let r = run('export', tmp);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/nothing to write; give --onnx <file>/);
    r = run('export', tmp, '--onnx', path.join(tmp, 'x.onnx'), '--opset', '12');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--opset <n>' argument '12' is invalid. expected an integer from 13 to 21/);
    r = run('export', path.join(tmp, 'nope'), '--onnx', path.join(tmp, 'x.onnx'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/gradwell export: loadModel\(.*nope\): the directory does not exist/);
  });
});
