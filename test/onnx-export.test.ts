// ONNX export checked by the real runtimes: every case of test/helpers/interop-cases.ts
// (Dense, every activation, BatchNorm, LayerNorm, GroupNorm, InstanceNorm, Dropout,
// Flatten/Reshape) exported at every opset 13-21, run in onnxruntime-node (a
// devDependency) at two batch sizes and compared with model.predict (<= 1e-4); Debian's
// python3-onnx 1.12 onnx.checker (full check) accepts every file of the opsets it
// knows (13-17). Unsupported layers and options are refused, naming them.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { Dense, Layer, Sequential, Tensor } from '../lib';
import { ONNX_OPSETS } from '../lib/onnx/export';
import { buildCase, caseInput, interopCases, maxAbsDiff } from './helpers/interop-cases';
import { runPython, skipWithout } from './helpers/python';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-onnx-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const opsets = Array.from({ length: ONNX_OPSETS.max - ONNX_OPSETS.min + 1 }, (_, i) => ONNX_OPSETS.min + i);
const exported: string[] = [];

async function runOrt(file: string, x: Tensor): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const out = await session.run({ input: new ort.Tensor('float32', x.data as Float32Array, x.shape) });
    const y = out.output;
    return { data: y.data as Float32Array, dims: y.dims };
  } finally {
    await session.release();
  }
}

describe('exportOnnx in onnxruntime-node', () => {
  it('every layer kind and activation at every opset 13-21 gives model.predict (<= 1e-4), any batch size', async () => {
    const perKind = new Map<string, number>();
    for (const [i, c] of interopCases().entries()) {
      const model = buildCase(c, i + 1);
      for (const n of [1, 9]) {
        const x = caseInput(c, n, i + 200);
        const want = (await model.predict(x)).data;
        for (const opset of opsets) {
          const file = path.join(tmp, `${c.name}.opset${opset}.onnx`);
          if (n === 1) {
            await model.exportOnnx(file, { opset });
            exported.push(file);
          }
          const got = await runOrt(file, x);
          expect(got.dims).toEqual([n, ...model.outputShape!]);
          const d = maxAbsDiff(got.data, want);
          expect(d, `${c.name} at opset ${opset}, batch ${n}`).toBeLessThanOrEqual(1e-4);
          const key = `${c.kind} opset ${opset >= 21 ? '21' : opset >= 20 ? '20' : opset >= 18 ? '18-19' : opset === 17 ? '17' : '13-16'}`;
          perKind.set(key, Math.max(perKind.get(key) ?? 0, d));
        }
      }
    }
    const kinds = [...new Set([...perKind.keys()].map((k) => k.replace(/ opset .*/, '')))];
    console.log(`onnxruntime-node vs model.predict, largest |difference| per layer kind and opset group:\n${kinds.map((k) =>
      `  ${k.padEnd(24)} ${[...perKind].filter(([key]) => key.startsWith(`${k} opset`)).map(([key, v]) => `${key.slice(k.length + 1)}: ${v.toExponential(2)}`).join(', ')}`).join('\n')}`);
  }, 600_000);

  it('the input is named and typed with a dynamic batch dimension, the weights are initializers', async () => {
    const c = interopCases().find((k) => k.name === 'batchnorm')!;
    const file = path.join(tmp, 'io.onnx');
    await buildCase(c).exportOnnx(file);
    const session = await ort.InferenceSession.create(file);
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['output']);
    const meta = session.inputMetadata[0] as { isTensor: boolean; type: string; shape: (number | string)[] };
    expect(meta.type).toBe('float32');
    expect(meta.shape).toEqual(['batch', 5]);
    await session.release();
  });
});

describe('exportOnnx refuses what it cannot write', () => {
  class Custom extends Layer {
    readonly className = 'Custom';
    computeOutputShape(s: number[]): number[] {
      return [...s];
    }
    forward() {
      return [];
    }
    backward() {
      return [];
    }
    getConfig() {
      return { name: this.name };
    }
  }

  it('names every unsupported layer, and writes nothing', async () => {
    const m = new Sequential([new Dense({ units: 4, inputShape: [3] }), new Custom(), new Dense({ units: 2 }), new Custom({ name: 'mine' })]);
    m.build([3]);
    const file = path.join(tmp, 'refused.onnx');
    await expect(m.exportOnnx(file)).rejects.toThrow(/exportOnnx: this version of gradwell cannot export layers 'custom_1' \(Custom\), 'mine' \(Custom\) to ONNX/);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('refuses bad options and an unbuilt model', async () => {
    const m = new Sequential([new Dense({ units: 4, inputShape: [3] })]);
    await expect(m.exportOnnx(path.join(tmp, 'a.onnx'))).rejects.toThrow(/not built yet/);
    m.build([3]);
    for (const opset of [12, 22, 17.5, '17']) {
      await expect(m.exportOnnx(path.join(tmp, 'a.onnx'), { opset: opset as number })).rejects.toThrow(/opset must be an integer from 13 to 21 but received/);
    }
    await expect(m.exportOnnx('')).rejects.toThrow(TypeError);
    await expect(m.exportOnnx(path.join(tmp, 'a.onnx'), { inputName: '' })).rejects.toThrow(/inputName must be a non-empty string/);
  });
});

describe.skipIf(skipWithout('onnx'))("Debian's python3-onnx checker", () => {
  it('accepts every exported file of opsets 13-17 (onnx 1.12 knows opsets up to 17)', () => {
    const files = exported.filter((f) => Number(/opset(\d+)/.exec(f)![1]) <= 17);
    expect(files.length).toBeGreaterThan(100);
    const list = path.join(tmp, 'files.json');
    fs.writeFileSync(list, JSON.stringify(files));
    const result = runPython('onnx_check.py', [list]) as Record<string, string>;
    for (const f of files) expect(result[f], path.basename(f)).toBe('ok');
  }, 300_000);
});

describe('packaging of the exporter', () => {
  const root = path.join(__dirname, '..');

  it('importing gradwell does not load protobufjs; the first export does', () => {
    const { spawnSync } = require('child_process') as typeof import('child_process');
    const script = `const gw = require(${JSON.stringify(path.join(root, 'dist'))});
      const loaded = () => Object.keys(require.cache).some((k) => k.includes('node_modules/protobufjs/'));
      const before = loaded();
      const m = new gw.Sequential([new gw.Dense({ units: 2, inputShape: [3] })]); m.build([3]);
      m.exportOnnx(${JSON.stringify(path.join(tmp, 'lazy.onnx'))}).then(() => console.log(JSON.stringify([before, loaded()])));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([false, true]);
  });

  it(".npmrc makes onnxruntime-node's postinstall skip its GPU download (npm ci works offline)", () => {
    const { spawnSync } = require('child_process') as typeof import('child_process');
    const npmrc = fs.readFileSync(path.join(root, '.npmrc'), 'utf8');
    expect(npmrc).toMatch(/^onnxruntime-node-install=skip$/m);
    // What npm hands the package's install script: npm_config_<key> from .npmrc.
    const script = path.join(root, 'node_modules', 'onnxruntime-node', 'script', 'install.js');
    // As npm runs a dependency's script: its own package.json, the project as the local prefix.
    const env = {
      ...process.env, npm_config_onnxruntime_node_install: 'skip', GLOBAL_AGENT_HTTPS_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9',
      npm_config_local_prefix: root, npm_package_json: path.join(root, 'node_modules', 'onnxruntime-node', 'package.json'),
    };
    delete env.ONNXRUNTIME_NODE_INSTALL;
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', env, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    // Control: without the setting the script tries the download, which fails offline (here: through a dead proxy).
    const { npm_config_onnxruntime_node_install: _skip, ...without } = env;
    expect(spawnSync(process.execPath, [script], { encoding: 'utf8', env: without, timeout: 60_000 }).status).not.toBe(0);
    const bin = path.join(root, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux', 'x64');
    if (process.platform === 'linux' && process.arch === 'x64') expect(fs.readdirSync(bin).some((f) => f.includes('providers_cuda'))).toBe(false);
  });
});
