// Program steps of the convolution and pooling layers, from a layer's geometry
// and the batch size: the one place that knows the argument order of the conv
// family's ops (native/binding/conv_ops.cpp, lib/ops.ts).
import type { ProgramStep } from '../binding';
import { op } from '../ops';

/** Per-sample geometry of a pooling window over [c, h, w] maps, output [c, oh, ow]. */
export interface PoolGeometry {
  c: number; h: number; w: number;
  kh: number; kw: number;
  sh: number; sw: number;
  ph: number; pw: number;
  oh: number; ow: number;
}

/** Per-sample geometry of a convolution: input [c, h, w], k filters, output [k, oh, ow]. */
export interface ConvGeometry extends PoolGeometry {
  k: number;
  dh: number; dw: number;
  groups: number;
}

export function convSteps(g: ConvGeometry, n: number) {
  const shape = [n, g.c, g.h, g.w, g.k, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups] as const;
  return {
    forward: (x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, relu: boolean): ProgramStep =>
      op.conv2d_forward(x, w, bias, y, ...shape, relu ? 'relu' : 'none'),
    backwardData: (dy: Float32Array, w: Float32Array, dx: Float32Array): ProgramStep => op.conv2d_backward_data(dy, w, dx, ...shape),
    backwardFilter: (x: Float32Array, dy: Float32Array, dw: Float32Array, db: Float32Array | null): ProgramStep =>
      op.conv2d_backward_filter(x, dy, dw, db, ...shape),
  };
}

export function poolSteps(g: PoolGeometry, n: number) {
  const shape = [n, g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw] as const;
  return {
    maxForward: (x: Float32Array, y: Float32Array, argmax: Int32Array): ProgramStep => op.maxpool2d_forward(x, y, argmax, ...shape),
    maxBackward: (dy: Float32Array, argmax: Int32Array, dx: Float32Array): ProgramStep => op.maxpool2d_backward(dy, argmax, dx, ...shape),
    avgForward: (x: Float32Array, y: Float32Array, countIncludePad: boolean): ProgramStep => op.avgpool2d_forward(x, y, ...shape, countIncludePad),
    avgBackward: (dy: Float32Array, dx: Float32Array, countIncludePad: boolean): ProgramStep => op.avgpool2d_backward(dy, dx, ...shape, countIncludePad),
  };
}

/** Global average pooling of n samples of [c, h, w]. */
export function globalPoolSteps(n: number, c: number, h: number, w: number) {
  return {
    forward: (x: Float32Array, y: Float32Array): ProgramStep => op.global_avgpool2d_forward(x, y, n, c, h, w),
    backward: (dy: Float32Array, dx: Float32Array): ProgramStep => op.global_avgpool2d_backward(dy, dx, n, c, h, w),
  };
}
