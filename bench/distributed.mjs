// npm run bench:distributed -- [--model small,dropout] [--samples N] [--np 2] [--json]
//
// Data-parallel training over MPI on this machine: samples/s of the `small`
// (784-256-128-10, Adam) and `dropout` (784-2048x3-10, dropout 0.5, SGD
// momentum) Fashion-MNIST models of bench:mnist, at the same global batch (128),
// in one plain process and on 1 and N ranks under mpirun (loopback TCP), each of
// one thread; CPU seconds per rank (process.cpuUsage) next to wall time, and
// the time spent in allreduce: on the communication thread inside MPI, and
// blocked waiting for it at the end of backward (what the overlap did not hide).
// Needs Open MPI and `npm run build:mpi`. Each run trains one epoch over the
// first --samples training images; the first 5 steps are a warm-up (and the
// broadcast of the initial weights at the start of fit is not counted).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const gw = require('../dist/index.js');
const here = path.dirname(fileURLToPath(import.meta.url));
const BATCH = 128;

const { values: opts } = parseArgs({
  options: {
    model: { type: 'string', default: 'small,dropout' },
    samples: { type: 'string', default: '' },
    np: { type: 'string', default: '2' },
    json: { type: 'boolean', default: false },
    child: { type: 'string' },
    'data-dir': { type: 'string', default: gw.datasets.FASHION_MNIST_DEBIAN_DIR },
  },
});

function buildModel(name) {
  const { Sequential, Dense, Dropout, Adam, SGD } = gw;
  const m = new Sequential([], { seed: 1234 });
  if (name === 'small') {
    m.add(new Dense({ units: 256, activation: 'relu', inputShape: [784] }));
    m.add(new Dense({ units: 128, activation: 'relu' }));
    m.add(new Dense({ units: 10 }));
    m.compile({ optimizer: new Adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  } else {
    for (let i = 0; i < 3; i++) {
      m.add(new Dense({ units: 2048, activation: 'relu', ...(i === 0 ? { inputShape: [784] } : {}) }));
      m.add(new Dropout(0.5));
    }
    m.add(new Dense({ units: 10 }));
    m.compile({ optimizer: new SGD({ lr: 0.01, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  }
  return m;
}

// ---------------------------------------------------------------- one run (plain or one rank of mpirun)
async function child(cfg) {
  gw.setNumThreads(1);
  const world = gw.distributed.init();
  const { train } = await gw.datasets.fashionMnist({ dir: opts['data-dir'] });
  const n = Math.min(train.n, cfg.samples);
  const x = { data: train.x.subarray(0, n * 784), shape: [n, 784], scale: train.scale };
  const y = train.y.subarray(0, n);
  const model = buildModel(cfg.model);
  const WARMUP = 5;
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  const timer = {
    onBatchEnd: (batch) => {
      if (batch !== WARMUP - 1) return;
      world.stats(true);
      cpu0 = process.cpuUsage();
      t0 = performance.now();
    },
  };
  const h = await model.fit(x, y, { batchSize: BATCH, seed: 1, epochs: 1, callbacks: [timer], ...(cfg.mpi ? { distributed: world } : {}) });
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const s = world.stats();
  const steps = Math.ceil(n / BATCH) - WARMUP;
  const result = {
    rank: world.rank, size: world.size, samples: n - WARMUP * BATCH, wall, cpu: (cpu.user + cpu.system) / 1e6, loss: h.history.loss[0],
    steps, bytes: s.bytes, mpiSeconds: s.mpiSeconds, waitSeconds: s.waitSeconds, collectives: s.collectives,
  };
  const all = new Float64Array(world.size * 4);
  all.set([result.wall, result.cpu, result.mpiSeconds, result.waitSeconds], world.rank * 4);
  await world.allreduce(all);
  if (world.rank === 0) {
    const ranks = Array.from({ length: world.size }, (_, r) => all.slice(r * 4, r * 4 + 4));
    process.stdout.write(`RESULT ${JSON.stringify({ ...result, perRank: ranks.map((v) => ({ wall: v[0], cpu: v[1], mpiSeconds: v[2], waitSeconds: v[3] })) })}\n`);
  }
  world.finalize();
}

// ---------------------------------------------------------------- the table
function run(cfg, np) {
  const script = [path.join(here, 'distributed.mjs'), '--child', JSON.stringify(cfg), '--data-dir', opts['data-dir']];
  const env = { ...process.env, GRADWELL_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };
  const r =
    np === 0
      ? spawnSync(process.execPath, script, { encoding: 'utf8', env })
      : spawnSync('mpirun', ['--allow-run-as-root', '--oversubscribe', '--bind-to', 'none', '--mca', 'btl', 'tcp,self', '--mca', 'btl_tcp_if_include', 'lo', '-np', String(np), process.execPath, ...script], { encoding: 'utf8', env });
  const line = `${r.stdout}`.split('\n').find((l) => l.startsWith('RESULT '));
  if (r.status !== 0 || !line) {
    console.error(`bench:distributed: the run ${JSON.stringify(cfg)} on ${np} ranks failed (status ${r.status}):\n${r.stdout}${r.stderr}`);
    process.exit(1);
  }
  return JSON.parse(line.slice(7));
}

async function main() {
  if (opts.child) return child(JSON.parse(opts.child));
  const np = Number(opts.np);
  const rows = [];
  for (const model of opts.model.split(',').filter(Boolean)) {
    const samples = Number(opts.samples || (model === 'small' ? 30720 : 2560));
    const plain = run({ model, samples, mpi: false }, 0);
    const one = run({ model, samples, mpi: true }, 1);
    const many = run({ model, samples, mpi: true }, np);
    for (const [label, r] of [['1 process', plain], ['1 rank', one], [`${np} ranks`, many]]) {
      rows.push({
        model, run: label, samples: r.samples, samplesPerSecond: r.samples / r.wall, speedup: plain.wall / r.wall,
        wall: r.wall, cpuPerRank: r.perRank.map((p) => p.cpu), mpiSecondsPerStep: r.mpiSeconds / r.steps,
        waitSecondsPerStep: r.waitSeconds / r.steps, mebibytesPerStep: r.bytes / r.steps / 2 ** 20, loss: r.loss,
      });
    }
  }
  if (opts.json) {
    console.log(JSON.stringify({ machine: { cores: (await import('node:os')).cpus().length, loadavg: (await import('node:os')).loadavg() }, rows }, null, 2));
    return;
  }
  console.log(`global batch ${BATCH}, 1 thread per rank, loopback TCP; load average ${(await import('node:os')).loadavg().map((v) => v.toFixed(1)).join(' ')}`);
  console.log('| model | run | samples/s | vs 1 process | wall s | CPU s per rank | allreduce MiB/step | in MPI ms/step | waited ms/step | loss |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.model} | ${r.run} | ${r.samplesPerSecond.toFixed(0)} | ${r.speedup.toFixed(2)}x | ${r.wall.toFixed(2)} | ${r.cpuPerRank.map((c) => c.toFixed(2)).join(' / ')} | ` +
        `${r.mebibytesPerStep.toFixed(2)} | ${(r.mpiSecondsPerStep * 1000).toFixed(2)} | ${(r.waitSecondsPerStep * 1000).toFixed(2)} | ${r.loss.toFixed(4)} |`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
