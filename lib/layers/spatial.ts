// Option parsing and shape arithmetic shared by the convolution and pooling
// layers (NCHW samples [C, H, W], PyTorch's output-size formula, floor mode).
import { formatShape } from '../tensor';

export type Pair = [number, number];
export type PaddingSpec = 'valid' | 'same' | number | [number, number];
/** Padding after parsing: numbers become a pair. */
export type Padding = 'valid' | 'same' | Pair;

/** n or [a, b] as a pair of integers >= min; `what` names the option in errors. */
export function pairOption(where: string, what: string, v: unknown, min: number): Pair {
  const pair = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= min)) {
    throw new RangeError(`${where}: expected ${what} to be an integer >= ${min} or a pair [${what}H, ${what}W] of them but received ${JSON.stringify(v) ?? String(v)}`);
  }
  return [pair[0], pair[1]];
}

/** 'valid' | 'same' | n | [ph, pw], checked. */
export function paddingOption(where: string, v: unknown): Padding {
  if (v === undefined) return 'valid';
  if (v === 'valid' || v === 'same') return v;
  return pairOption(where, 'padding', v, 0);
}

/** A [C, H, W] sample shape, or a RangeError naming the layer and the received shape. */
export function mapShape(where: string, shape: readonly number[]): { c: number; h: number; w: number } {
  if (shape.length !== 3) {
    throw new RangeError(`${where}: expected a feature-map input of shape [channels, height, width] but received ${formatShape(shape)}; add a Reshape layer (e.g. { targetShape: [1, 28, 28] }) first`);
  }
  return { c: shape[0], h: shape[1], w: shape[2] };
}

/**
 * Symmetric zero padding for a kernel of `kernel` taps and `dilation`: 'valid' is 0,
 * 'same' keeps the size at stride 1 (PyTorch's padding='same'; it needs an odd
 * effective kernel, as symmetric padding only), numbers are taken as they are.
 */
export function resolvePadding(where: string, spec: Padding, kernel: Pair, dilation: Pair, stride: Pair): Pair {
  if (spec === 'valid') return [0, 0];
  if (spec === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) throw new RangeError(`${where}: padding 'same' needs strides 1 (as PyTorch) but received strides [${stride}]; give the padding as numbers`);
    const total = [dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)];
    if (total[0] % 2 !== 0 || total[1] % 2 !== 0) {
      throw new RangeError(`${where}: padding 'same' with kernel [${kernel}] and dilation [${dilation}] needs asymmetric padding, which is not supported; use an odd kernel size or numeric padding`);
    }
    return [total[0] / 2, total[1] / 2];
  }
  return spec;
}

/** floor((in + 2 pad - dilation (k - 1) - 1) / stride) + 1, or a RangeError when the kernel does not fit. */
export function outputSize(where: string, inputShape: readonly number[], kernel: Pair, stride: Pair, pad: Pair, dilation: Pair): Pair {
  const { h, w } = mapShape(where, inputShape);
  const span = [dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1];
  const ph = h + 2 * pad[0];
  const pw = w + 2 * pad[1];
  if (span[0] > ph || span[1] > pw) {
    throw new RangeError(
      `${where}: the kernel [${kernel}]${dilation[0] > 1 || dilation[1] > 1 ? ` with dilation [${dilation}] (span [${span}])` : ''} is larger than the padded input ${ph}x${pw} (input shape ${formatShape(inputShape)}, padding [${pad}])`,
    );
  }
  return [Math.floor((ph - span[0]) / stride[0]) + 1, Math.floor((pw - span[1]) / stride[1]) + 1];
}
