// Peak single-precision FLOP/s of one core of this CPU, measured by bench/fma-peak.c
// (the loop bench/gemm.mjs uses): compiled with cc for the detected ISA and run once.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(dirname(fileURLToPath(import.meta.url)));

/** { gflops (one core), how }; gflops is NaN when cc or the ISA is missing. */
export function measurePeakGflops(detectedIsa) {
  const flags = detectedIsa === 'avx512' ? ['-mavx512f', '-mfma'] : ['-mavx2', '-mfma'];
  const dir = mkdtempSync(join(tmpdir(), 'gradwell-peak-'));
  try {
    const exe = join(dir, 'fma-peak');
    execFileSync('cc', ['-O2', '-o', exe, join(here, 'fma-peak.c'), ...flags], { stdio: ['ignore', 'ignore', 'pipe'] });
    const r = JSON.parse(execFileSync(exe, { encoding: 'utf8' }).trim());
    return { gflops: r.gflops, how: `${r.lanes}-lane FMA loop, 1 core` };
  } catch (err) {
    return { gflops: NaN, how: `unavailable (${String(err.message).split('\n')[0]})` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Floating-point operations of one training sample (forward + backward) and of one
 * inference sample for a network given as layers { type: 'conv', c, k, kh, kw, oh, ow,
 * groups, first } / { type: 'dense', in, out, first }: 2 FLOPs per multiply-add; the
 * backward pass costs two forwards (data and filter gradients), minus the data gradient
 * of the first layer, which is not computed. Pooling, activations and the optimizer are left out.
 */
export function trainingFlops(layers) {
  let forward = 0;
  let backward = 0;
  for (const l of layers) {
    const macs = l.type === 'conv' ? (l.k * l.oh * l.ow * (l.c / l.groups) * l.kh * l.kw) : l.in * l.out;
    forward += 2 * macs;
    backward += (l.first ? 1 : 2) * 2 * macs;
  }
  return { train: forward + backward, inference: forward };
}
