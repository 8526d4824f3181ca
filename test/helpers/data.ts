// Small synthetic classification problems for training tests.
import { Tensor } from '../../lib';
import { rng } from './isa';

/** Gaussian blobs: `classes` centres in `dims` dimensions, `n` samples. */
export function blobs(n: number, dims: number, classes: number, seed: number, spread = 0.6): { x: Tensor; y: Int32Array } {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const centres = Array.from({ length: classes }, () => Array.from({ length: dims }, () => gauss() * 2));
  const x = new Float32Array(n * dims);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    y[i] = c;
    for (let d = 0; d < dims; d++) x[i * dims + d] = centres[c][d] + spread * gauss();
  }
  return { x: new Tensor(x, [n, dims]), y };
}
