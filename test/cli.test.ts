// `gradwell train` end to end in a child process: exit codes, messages, a tiny
// run on IDX files the test writes, --json, --save and --config.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel, writeIdxFile } from '../lib';

const root = path.resolve(__dirname, '..');
const bin = path.join(root, 'bin', 'gradwell.js');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, GRADWELL_NUM_THREADS: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let dataDir = '';

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradwell-cli-'));
  // A tiny 4-class "image" problem: class c lights up row c of a 4x4 image.
  const make = async (prefix: string, n: number) => {
    const images = new Uint8Array(n * 16);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const c = i % 4;
      labels[i] = c;
      for (let k = 0; k < 4; k++) images[i * 16 + c * 4 + k] = 200 + ((i * 7 + k) % 50);
      images[i * 16 + ((i * 5) % 16)] ^= 60;
    }
    await writeIdxFile(path.join(dataDir, `${prefix}-images-idx3-ubyte.gz`), images, [n, 4, 4], { gzip: true });
    await writeIdxFile(path.join(dataDir, `${prefix}-labels-idx1-ubyte.gz`), labels, [n], { gzip: true });
  };
  await make('train', 400);
  await make('t10k', 100);
});

describe('gradwell train', () => {
  it('trains on an IDX directory, prints JSON lines, saves a loadable model', async () => {
    const save = path.join(dataDir, 'model');
    const r = cli(['train', '--data', 'mnist', '--data-dir', dataDir, '--layers', '16', '--epochs', '3', '--batch-size', '32', '--lr', '0.01', '--json', '--save', save]);
    expect(r.err).toBe('');
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.slice(0, 3).map((l) => l.epoch)).toEqual([1, 2, 3]);
    for (const l of lines.slice(0, 3)) for (const k of ['loss', 'accuracy', 'valLoss', 'valAccuracy', 'lr']) expect(typeof l[k]).toBe('number');
    const test = lines[3].test;
    expect(test.accuracy).toBeGreaterThan(0.9);
    expect(test.confusion).toHaveLength(10); // the MNIST loader declares its 10 classes
    expect(test.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(100);
    const model = await loadModel(save);
    expect(model.outputShape).toEqual([10]);
  });

  it('prints per-epoch lines and a confusion matrix for people, and plots the curves', () => {
    const svg = path.join(dataDir, 'curves.svg');
    const png = path.join(dataDir, 'curves.png');
    const r = cli(['train', '--data', 'mnist', '--data-dir', dataDir, '--layers', '8', '--norm', 'batch', '--dropout', '0.1', '--epochs', '2', '--schedule', 'cosine', '--optimizer', 'sgd', '--momentum', '0.9', '--lr', '0.05', '--plot', svg]);
    const text = fs.readFileSync(svg, 'utf8');
    expect(text.startsWith('<svg')).toBe(true);
    expect(text).toContain('validation loss');
    expect(r.out).toContain(`wrote the training curves to ${svg}`);
    const r2 = cli(['train', '--data', 'mnist', '--data-dir', dataDir, '--layers', '8', '--epochs', '1', '--quiet', '--plot', png]);
    expect(r2.code, r2.err).toBe(0);
    expect(Array.from(fs.readFileSync(png).subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/Total params: \d+/);
    expect(r.out).toMatch(/test: loss [\d.]+, accuracy [\d.]+% on 100 samples/);
    expect(r.out).toMatch(/true \\ pred/);
    expect(r.err).toMatch(/epoch 2: loss [\d.]+ - accuracy [\d.]+ - valLoss/);
  });

  it('reads a JSON config, flags overriding it', () => {
    const cfg = path.join(dataDir, 'cfg.json');
    fs.writeFileSync(cfg, JSON.stringify({ data: 'mnist', dataDir, layers: [8], epochs: 5, json: true }));
    const r = cli(['train', '--config', cfg, '--epochs', '1']);
    expect(r.code, r.err).toBe(0);
    expect(r.out.trim().split('\n')).toHaveLength(2); // one epoch line + the test line
  });

  it('--dropconnect puts DropConnect on the hidden layers (saved with the model); a bad rate exits 2', async () => {
    const save = path.join(dataDir, 'dc-model');
    const r = cli(['train', '--data', 'mnist', '--data-dir', dataDir, '--layers', '16,8', '--dropconnect', '0.3', '--epochs', '2', '--json', '--save', save]);
    expect(r.code, r.err).toBe(0);
    const model = await loadModel(save);
    expect(model.layers.map((l) => (l as unknown as { dropConnect: number }).dropConnect)).toEqual([0.3, 0.3, 0]);
    const plain = cli(['train', '--data', 'mnist', '--data-dir', dataDir, '--layers', '16,8', '--epochs', '2', '--json']);
    expect(plain.code, plain.err).toBe(0);
    expect(JSON.parse(plain.out.split('\n')[0]).loss).not.toBe(JSON.parse(r.out.split('\n')[0]).loss);
    const bad = cli(['train', '--dropconnect', '1']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--dropconnect must be a number in \[0, 0.99\], received '1'/);
    const cfg = path.join(dataDir, 'dc.json');
    fs.writeFileSync(cfg, JSON.stringify({ data: 'mnist', dataDir, layers: [8], epochs: 1, json: true, dropConnect: 0.2 }));
    expect(cli(['train', '--config', cfg]).code).toBe(0);
  });

  it('--model cnn trains conv blocks from flags or the JSON config and saves a loadable CNN; bad conv specs exit 2', async () => {
    const save = path.join(dataDir, 'cnn-model');
    const r = cli(['train', '--model', 'cnn', '--conv', '4:3,6:3:1', '--data', 'mnist', '--data-dir', dataDir, '--epochs', '3', '--batch-size', '32', '--lr', '0.01', '--json', '--save', save]);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[3].test.accuracy).toBeGreaterThan(0.9);
    const model = await loadModel(save);
    expect(model.layers.map((l) => l.className)).toEqual(['Reshape', 'Conv2D', 'MaxPool2D', 'Conv2D', 'Flatten', 'Dense', 'Dense']);
    expect(model.layers.map((l) => l.outputShape)).toEqual([[1, 4, 4], [4, 4, 4], [4, 2, 2], [6, 2, 2], [24], [128], [10]]);
    const cfg = path.join(dataDir, 'cnn.json');
    fs.writeFileSync(cfg, JSON.stringify({ model: 'cnn', conv: [{ filters: 3, kernelSize: 3, padding: 1, pool: 2 }], layers: [8], norm: 'batch', data: 'mnist', dataDir, epochs: 1 }));
    const c = cli(['train', '--config', cfg]);
    expect(c.code, c.err).toBe(0);
    expect(c.out).toMatch(/conv2d_1 \(Conv2D\)\s+\[null, 3, 4, 4\]\s+30\n/);
    expect(c.out).toMatch(/batchnorm_1 \(BatchNorm\)\s+\[null, 3, 4, 4\]/);
    const bad = cli(['train', '--model', 'cnn', '--conv', '4x3']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--conv must be comma-separated filters:kernelSize\[:pool\] blocks/);
    fs.writeFileSync(cfg, JSON.stringify({ model: 'cnn', conv: [{ filters: 3, kernel: 3 }] }));
    const badCfg = cli(['train', '--config', cfg]);
    expect(badCfg.code).toBe(2);
    expect(badCfg.err).toMatch(/unknown key 'kernel' in conv\[0\]/);
    const even = cli(['train', '--model', 'cnn', '--conv', '4:2', '--data', 'mnist', '--data-dir', dataDir, '--epochs', '1']);
    expect(even.code).toBe(1);
    expect(even.err).toMatch(/Conv2D 'conv2d_1': padding 'same' with kernel \[2,2\]/);
  });

  it('exits 2 with a clear message on bad flags or config', () => {
    let r = cli(['train', '--epochs', 'ten']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--epochs must be an integer >= 1, received 'ten'/);
    r = cli(['train', '--optimizer', 'adamm']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/adamm/);
    r = cli(['train', '--no-such-flag']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown option/);
    r = cli(['train', '--data', 'mnist']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/needs --data-dir/);
    const cfg = path.join(dataDir, 'bad.json');
    fs.writeFileSync(cfg, JSON.stringify({ epoch: 3 }));
    r = cli(['train', '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown key 'epoch'/);
    r = cli([]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/train/);
  });

  it('exits 1 naming the directory when the data is missing', () => {
    const missing = path.join(dataDir, 'nowhere');
    const r = cli(['train', '--data', 'fashion-mnist', '--data-dir', missing]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(missing);
  });
});
