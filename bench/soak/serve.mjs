#!/usr/bin/env node
// Serving soak: fit (with validation data and callbacks) runs for a while
// (--seconds, default 180; CI uses a few) while this process's event loop
// serves HTTP on 127.0.0.1. A client in a child process sends bounded requests
// (one at a time, --interval-ms apart) and reports latency; both stop by themselves.
//   node bench/soak/serve.mjs [--seconds 180] [--interval-ms 5] [--max-p99-ms 100]
import { fork } from 'node:child_process';
import * as http from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const opt = (name, fallback) => (argv.includes(`--${name}`) ? Number(argv[argv.indexOf(`--${name}`) + 1]) : fallback);

if (argv[0] === '--client') {
  // Child: hammer the server until told to stop or the deadline passes, then report.
  const [port, intervalMs, deadline] = argv.slice(1).map(Number);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies = [];
  let errors = 0;
  const once = () =>
    new Promise((resolve) => {
      const t = process.hrtime.bigint();
      const req = http.get({ host: '127.0.0.1', port, path: '/health', agent, timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        errors++;
        resolve();
      });
    });
  let stop = false;
  process.on('message', (m) => m === 'stop' && (stop = true));
  while (!stop && Date.now() < deadline) {
    await once();
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  agent.destroy();
  process.send({ latencies, errors }, () => process.exit(0));
} else {
  const require = createRequire(import.meta.url);
  const gw = require('../../dist');
  const seconds = opt('seconds', 180);
  const intervalMs = opt('interval-ms', 5);
  const maxP99 = opt('max-p99-ms', Infinity);

  let served = 0;
  const server = http.createServer((req, res) => {
    served++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, served }));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();

  // A mid-sized problem: 8192 samples of 256 features, 10 classes, MLP 256-512-256-10.
  const n = 8192, d = 256, k = 10;
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % k;
    for (let j = 0; j < d; j++) x[i * d + j] = Math.sin(i * 0.7 + j * 1.3) + (j % k === y[i] ? 1 : 0);
  }
  const split = n - 1024;
  const xt = new gw.Tensor(x.subarray(0, split * d), [split, d]);
  const xv = new gw.Tensor(x.slice(split * d), [n - split, d]);
  const m = new gw.Sequential([
    new gw.Dense({ units: 512, activation: 'relu', inputShape: [d] }),
    new gw.Dropout(0.1),
    new gw.Dense({ units: 256, activation: 'relu' }),
    new gw.Dense({ units: k }),
  ]);
  m.compile({ optimizer: new gw.Adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });

  const deadline = Date.now() + seconds * 1000;
  const client = fork(fileURLToPath(import.meta.url), ['--client', String(port), String(intervalMs), String(deadline + 2000)]);
  const report = new Promise((r) => client.on('message', r));
  const ac = new AbortController();
  let batches = 0;
  let epochs = 0;
  const t0 = Date.now();
  try {
    await m.fit(xt, y.subarray(0, split), {
      epochs: 1_000_000,
      batchSize: 64,
      validationData: [xv, y.subarray(split)],
      signal: ac.signal,
      callbacks: [
        {
          onBatchEnd: () => {
            batches++;
            if (Date.now() >= deadline) ac.abort();
          },
          onEpochEnd: () => void epochs++,
        },
      ],
    });
  } catch (e) {
    if (e.name !== 'AbortError') throw e;
  }
  const trainS = (Date.now() - t0) / 1000;
  client.send('stop');
  const { latencies, errors } = await report;
  server.close();
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  console.log(
    `serve soak: trained ${trainS.toFixed(1)} s (${epochs} epochs, ${batches} batches of 64, ${(batches / trainS).toFixed(0)} steps/s) ` +
      `while serving ${latencies.length} requests (${errors} errors): latency p50 ${q(0.5).toFixed(2)} ms, p99 ${q(0.99).toFixed(2)} ms, max ${q(1).toFixed(2)} ms`,
  );
  if (errors > 0 || !(q(0.99) <= maxP99)) process.exit(1);
}
