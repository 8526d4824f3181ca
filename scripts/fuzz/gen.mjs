// The binding fuzzer's generator and oracle, shared by test/fuzz.test.ts (quick
// mode) and scripts/fuzz.mjs (long runs). Call i of seed s is a pure function
// of (s, i), so any failure replays alone: `node scripts/fuzz.mjs --seed s --only i`.
//
// Each call picks an entry point (ops.<name>, runAsync, CompiledProgram,
// setNumThreads, setMaxIsa), builds valid arguments for a random op, and most
// of the time corrupts them: wrong types, undersized/detached/resizable
// buffers, zero/negative/huge/fractional sizes, NaN/Inf, bad labels, invalid
// hyper-parameters, missing or extra arguments. The oracle: the call either
// succeeds (and, when the arguments were valid, gives the reference result for
// the ops we check) or throws an Error; a TypeError/RangeError from validation
// leaves every buffer untouched; guard zones around every buffer stay intact.
// A crash or a hang is caught by the parent (scripts/fuzz/run.mjs).

import { createRequire } from 'module';

export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function callRng(seed, index) {
  // Distinct, well-mixed stream per (seed, call).
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  return mulberry32(h);
}

const GUARD = 16; // elements of sentinel on each side of a buffer
const SENTINEL_F32 = -1234.5;

class Ctx {
  constructor(r) {
    this.r = r;
    this.buffers = []; // { view, guarded, kind }
  }
  int(lo, hi) {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }
  pick(list) {
    return list[Math.floor(this.r() * list.length)];
  }
  chance(p) {
    return this.r() < p;
  }
  dim() {
    // Mostly small, sometimes 1 or a SIMD-unfriendly size.
    return this.chance(0.15) ? 1 : this.int(1, this.chance(0.2) ? 70 : 9);
  }
  value() {
    const v = (this.r() - 0.5) * 8;
    return v;
  }
  /** A guarded typed array of n elements: a view in the middle of a larger buffer. */
  typed(Ctor, n, fillFn) {
    const total = n + 2 * GUARD;
    const guarded = new Ctor(total);
    guarded.fill(Ctor === Float32Array || Ctor === Float64Array ? SENTINEL_F32 : 0x5a);
    const view = guarded.subarray(GUARD, GUARD + n);
    for (let i = 0; i < n; i++) view[i] = fillFn ? fillFn(i) : Ctor === Float32Array || Ctor === Float64Array ? this.value() : 0;
    this.buffers.push({ view, guarded, n });
    return view;
  }
  f32(n, fillFn) {
    return this.typed(Float32Array, n, fillFn);
  }
  i32(n, max) {
    return this.typed(Int32Array, n, () => this.int(0, Math.max(0, max - 1)));
  }
  u8(n) {
    return this.typed(Uint8Array, n, () => this.int(0, 255));
  }
  f64(values) {
    return this.typed(Float64Array, values.length, (i) => values[i]);
  }
}

/** True when every guard zone still holds its sentinel. */
function guardsIntact(ctx) {
  for (const b of ctx.buffers) {
    const g = b.guarded;
    if (g.buffer.byteLength === 0) continue; // detached on purpose
    const s = g instanceof Float32Array || g instanceof Float64Array ? SENTINEL_F32 : 0x5a;
    const n = b.n;
    for (let i = 0; i < GUARD; i++) {
      if (g[i] !== s && !(Number.isNaN(g[i]) && Number.isNaN(s))) return false;
      if (GUARD + n + i < g.length && g[GUARD + n + i] !== s) return false;
    }
  }
  return true;
}

// The kind lists of lib/kinds.ts (checked against native/kernels/kinds.inc by test/kinds.test.ts).
const kinds = createRequire(import.meta.url)('../../dist/kinds.js');
const ACTS = kinds.ACTIVATION_KINDS;
const LOSSES = kinds.LOSS_KINDS;
const OPTIMS = kinds.OPTIMIZER_KINDS;
const opt = (c, n) => (c.chance(0.3) ? null : c.f32(n));
const unit = (c) => () => c.r(); // values in [0, 1) (probabilities, bce targets)

function softmaxRef(x, rows, cols) {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let j = 0; j < cols; j++) m = Math.max(m, x[r * cols + j]);
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(x[r * cols + j] - m);
    for (let j = 0; j < cols; j++) y[r * cols + j] = Math.exp(x[r * cols + j] - m) / s;
  }
  return y;
}
const close = (a, b, tol = 1e-4) => Math.abs(a - b) <= tol * (1 + Math.abs(b));
function expectAll(n, got, want, what, tol) {
  for (let i = 0; i < n; i++) {
    if (!close(got(i), want(i), tol)) throw new Error(`${what}: element ${i} is ${got(i)}, reference ${want(i)}`);
  }
}

// op name -> (ctx) => { args, check?(args) }: valid arguments and, for some ops,
// a reference check of the result. Indices of integer-size arguments go in
// `sizes` and of label/index Int32Arrays in `labels` so mutations target them.
export const opSpecs = {
  gather_rows(c) {
    const srcRows = c.dim(), rows = c.dim(), cols = c.dim();
    const u8 = c.chance(0.3);
    const src = u8 ? c.u8(srcRows * cols) : c.f32(srcRows * cols);
    const index = c.i32(rows, srcRows), dst = c.f32(rows * cols);
    const scale = u8 ? c.value() : 1;
    const args = [src, index, rows, cols, dst];
    if (u8 || c.chance(0.3)) args.push(scale);
    return {
      args, sizes: [2, 3], labels: [1],
      check: () => expectAll(rows * cols, (i) => dst[i], (i) => src[index[Math.floor(i / cols)] * cols + (i % cols)] * Math.fround(scale), 'gather_rows'),
    };
  },
  gather_i32(c) {
    const m = c.dim(), n = c.dim();
    const src = c.i32(m, 1000), index = c.i32(n, m), dst = c.i32(n, 1);
    return { args: [src, index, n, dst], sizes: [2], labels: [1], check: () => expectAll(n, (i) => dst[i], (i) => src[index[i]], 'gather_i32', 0) };
  },
  fill(c) {
    const n = c.dim(), x = c.f32(n + c.int(0, 3)), v = c.value();
    return { args: [x, v, n], sizes: [2], check: () => expectAll(n, (i) => x[i], () => Math.fround(v), 'fill', 0) };
  },
  copy(c) {
    const n = c.dim(), src = c.f32(n), dst = c.f32(n + c.int(0, 3));
    return { args: [src, dst, n], sizes: [2], check: () => expectAll(n, (i) => dst[i], (i) => src[i], 'copy', 0) };
  },
  // dist family: the collectives need an MPI world (test/distributed.test.ts); scale is pure.
  scale(c) {
    const n = c.dim(), x = c.f32(n + c.int(0, 3)), alpha = c.value();
    const x0 = Float32Array.from(x);
    return { args: [x, alpha, n], sizes: [2], check: () => expectAll(n, (i) => x[i], (i) => Math.fround(x0[i] * Math.fround(alpha)), 'scale', 0) };
  },
  halt_if_nonzero(c) {
    const flags = c.f32(c.dim(), () => 0);
    return { args: [flags, 'halted'] };
  },
  gemm(c) {
    const M = c.dim(), N = c.dim(), K = c.dim();
    const ta = c.chance(0.5), tb = c.chance(0.5);
    const lda = (ta ? M : K) + c.int(0, 2), ldb = (tb ? K : N) + c.int(0, 2), ldc = N + c.int(0, 2);
    const a = c.f32((ta ? K : M) * lda), b = c.f32((tb ? N : K) * ldb), cc = c.f32(M * ldc);
    const alpha = c.value(), beta = c.pick([0, 1, c.value()]);
    const c0 = Float32Array.from(cc);
    return {
      args: [ta, tb, M, N, K, alpha, a, lda, b, ldb, beta, cc, ldc], sizes: [2, 3, 4, 7, 9, 12],
      check: () => {
        for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += (ta ? a[k * lda + i] : a[i * lda + k]) * (tb ? b[j * ldb + k] : b[k * ldb + j]);
          const want = Math.fround(alpha) * s + (beta === 0 ? 0 : Math.fround(beta) * c0[i * ldc + j]);
          if (!close(cc[i * ldc + j], want, 1e-3)) throw new Error(`gemm: C[${i},${j}] = ${cc[i * ldc + j]}, reference ${want}`);
        }
      },
    };
  },
  linear_forward(c) {
    const rows = c.dim(), inF = c.dim(), outF = c.dim();
    const x = c.f32(rows * inF), w = c.f32(inF * outF), bias = opt(c, outF), y = c.f32(rows * outF);
    const act = c.pick(['none', 'relu', undefined]);
    const args = [x, w, bias, y, rows, inF, outF];
    if (act !== undefined) args.push(act);
    return {
      args, sizes: [4, 5, 6],
      check: () => expectAll(rows * outF, (i) => y[i], (i) => {
        const r = Math.floor(i / outF), o = i % outF;
        let s = bias ? bias[o] : 0;
        for (let k = 0; k < inF; k++) s += x[r * inF + k] * w[k * outF + o];
        return act === 'relu' ? Math.max(0, s) : s;
      }, 'linear_forward', 1e-3),
    };
  },
  linear_forward_u8(c) {
    const srcRows = c.dim(), rows = c.dim(), inF = c.dim(), outF = c.dim();
    const src = c.u8(srcRows * inF), index = c.i32(rows, srcRows), scale = c.value();
    const w = c.f32(inF * outF), bias = opt(c, outF), y = c.f32(rows * outF);
    const act = c.pick(['none', 'relu', undefined]);
    const args = [src, index, scale, w, bias, y, rows, inF, outF];
    if (act !== undefined) args.push(act);
    return {
      args, sizes: [6, 7, 8], labels: [1],
      check: () => expectAll(rows * outF, (i) => y[i], (i) => {
        const r = Math.floor(i / outF), o = i % outF;
        let s = bias ? bias[o] : 0;
        for (let k = 0; k < inF; k++) s += src[index[r] * inF + k] * Math.fround(scale) * w[k * outF + o];
        return act === 'relu' ? Math.max(0, s) : s;
      }, 'linear_forward_u8', 1e-3),
    };
  },
  weight_grad_u8(c) {
    const srcRows = c.dim(), rows = c.dim(), inF = c.dim(), outF = c.dim();
    const src = c.u8(srcRows * inF), index = c.i32(rows, srcRows), scale = c.value();
    const g = c.f32(rows * outF), dw = c.f32(inF * outF), db = opt(c, outF);
    return {
      args: [src, index, scale, g, dw, db, rows, inF, outF], sizes: [6, 7, 8], labels: [1],
      check: () => {
        expectAll(inF * outF, (i) => dw[i], (i) => {
          const f = Math.floor(i / outF), o = i % outF;
          let s = 0;
          for (let r = 0; r < rows; r++) s += src[index[r] * inF + f] * Math.fround(scale) * g[r * outF + o];
          return s;
        }, 'weight_grad_u8 dw', 1e-3);
        if (db) expectAll(outF, (j) => db[j], (j) => { let s = 0; for (let r = 0; r < rows; r++) s += g[r * outF + j]; return s; }, 'weight_grad_u8 db', 1e-4);
      },
    };
  },
  weight_grad(c) {
    const rows = c.dim(), inF = c.dim(), outF = c.dim();
    const x = c.f32(rows * inF), g = c.f32(rows * outF), dw = c.f32(inF * outF), db = opt(c, outF);
    return {
      args: [x, g, dw, db, rows, inF, outF], sizes: [4, 5, 6],
      check: () => {
        expectAll(inF * outF, (i) => dw[i], (i) => {
          const f = Math.floor(i / outF), o = i % outF;
          let s = 0;
          for (let r = 0; r < rows; r++) s += x[r * inF + f] * g[r * outF + o];
          return s;
        }, 'weight_grad dw', 1e-3);
        if (db) expectAll(outF, (j) => db[j], (j) => { let s = 0; for (let r = 0; r < rows; r++) s += g[r * outF + j]; return s; }, 'weight_grad db', 1e-4);
      },
    };
  },
  input_grad(c) {
    const rows = c.dim(), inF = c.dim(), outF = c.dim();
    const g = c.f32(rows * outF), w = c.f32(inF * outF), dx = c.f32(rows * inF), mask = opt(c, rows * inF);
    return {
      args: [g, w, dx, mask, rows, inF, outF], sizes: [4, 5, 6],
      check: () => expectAll(rows * inF, (i) => dx[i], (i) => {
        if (mask && !(mask[i] > 0)) return 0;
        const r = Math.floor(i / inF), f = i % inF;
        let s = 0;
        for (let o = 0; o < outF; o++) s += g[r * outF + o] * w[f * outF + o];
        return s;
      }, 'input_grad', 1e-3),
    };
  },
  clock_lap(c) {
    const n = c.dim();
    return { args: [c.f64(Array.from({ length: n }, () => 0)), c.int(0, n - 1)], sizes: [1] };
  },
  thread_tag(c) {
    const n = c.dim();
    return { args: [c.f64(Array.from({ length: n }, () => 0)), c.int(0, n - 1)], sizes: [1] };
  },
  bias_grad(c) {
    const rows = c.dim(), cols = c.dim(), dy = c.f32(rows * cols), db = c.f32(cols);
    return {
      args: [dy, db, rows, cols], sizes: [2, 3],
      check: () => expectAll(cols, (j) => db[j], (j) => { let s = 0; for (let r = 0; r < rows; r++) s += dy[r * cols + j]; return s; }, 'bias_grad', 1e-4),
    };
  },
  activation_forward(c) {
    const n = c.dim(), kind = c.pick(ACTS), x = c.f32(n), y = c.f32(n);
    const args = [kind, x, y, n];
    if (c.chance(0.3)) args.push(c.value());
    return {
      args, sizes: [3],
      check: kind === 'relu' ? () => expectAll(n, (i) => y[i], (i) => Math.max(0, x[i]), 'relu', 0)
        : kind === 'sigmoid' ? () => expectAll(n, (i) => y[i], (i) => 1 / (1 + Math.exp(-x[i])), 'sigmoid', 1e-5) : undefined,
    };
  },
  activation_backward(c) {
    const n = c.dim(), kind = c.pick(ACTS);
    const args = [kind, c.f32(n), c.f32(n), c.f32(n), c.f32(n), n];
    if (c.chance(0.3)) args.push(c.value());
    return { args, sizes: [5] };
  },
  activation_backward_bias(c) {
    const rows = c.dim(), cols = c.dim(), kind = c.pick(ACTS), t = rows * cols;
    const x = c.f32(t), dy = c.f32(t), dx = c.f32(t), db = c.f32(cols);
    const args = [kind, x, c.f32(t), dy, dx, db, rows, cols];
    if (c.chance(0.3)) args.push(c.value());
    return {
      args, sizes: [6, 7],
      // relu: dx = x > 0 ? dy : 0 and db its column sums.
      check: kind !== 'relu' ? undefined : () => {
        expectAll(t, (i) => dx[i], (i) => (x[i] > 0 ? dy[i] : 0), 'activation_backward_bias dx', 0);
        expectAll(cols, (j) => db[j], (j) => { let s = 0; for (let r = 0; r < rows; r++) s += x[r * cols + j] > 0 ? dy[r * cols + j] : 0; return s; }, 'activation_backward_bias db', 1e-4);
      },
    };
  },
  softmax_forward(c) {
    const rows = c.dim(), cols = c.dim(), x = c.f32(rows * cols), y = c.f32(rows * cols);
    return { args: [x, y, rows, cols], sizes: [2, 3], check: () => { const ref = softmaxRef(x, rows, cols); expectAll(rows * cols, (i) => y[i], (i) => ref[i], 'softmax', 1e-5); } };
  },
  softmax_backward: rowsBackward,
  log_softmax_forward(c) {
    const rows = c.dim(), cols = c.dim(), x = c.f32(rows * cols), y = c.f32(rows * cols);
    return { args: [x, y, rows, cols], sizes: [2, 3], check: () => { const ref = softmaxRef(x, rows, cols); expectAll(rows * cols, (i) => y[i], (i) => Math.log(ref[i]), 'log_softmax', 1e-5); } };
  },
  log_softmax_backward: rowsBackward,
  dropout_forward: dropoutSpec,
  dropout_backward: dropoutSpec,
  dropconnect_forward(c) {
    const rows = c.dim(), inF = c.dim(), outF = c.dim();
    const x = c.f32(rows * inF), w = c.f32(inF * outF), bias = opt(c, outF), y = c.f32(rows * outF);
    const act = c.pick(['none', 'relu']);
    const { key, keyArgs, hp } = dropConnectKey(c, 9);
    return {
      args: [x, w, bias, y, rows, inF, outF, act, ...keyArgs], sizes: [4, 5, 6], hp,
      check: () => {
        const wm = dropConnectRef(w, inF * outF, key);
        expectAll(rows * outF, (i) => y[i], (i) => {
          const r = Math.floor(i / outF), o = i % outF;
          let s = bias ? bias[o] : 0;
          for (let k = 0; k < inF; k++) s += x[r * inF + k] * wm[k * outF + o];
          return act === 'relu' ? Math.max(0, s) : s;
        }, 'dropconnect_forward', 1e-3);
      },
    };
  },
  dropconnect_backward_input(c) {
    const rows = c.dim(), inF = c.dim(), outF = c.dim();
    const dy = c.f32(rows * outF), w = c.f32(inF * outF), dx = c.f32(rows * inF);
    const { key, keyArgs, hp } = dropConnectKey(c, 7);
    return {
      args: [dy, w, dx, rows, inF, outF, ...keyArgs], sizes: [3, 4, 5], hp,
      check: () => {
        const wm = dropConnectRef(w, inF * outF, key);
        expectAll(rows * inF, (i) => dx[i], (i) => {
          const r = Math.floor(i / inF), k = i % inF;
          let s = 0;
          for (let o = 0; o < outF; o++) s += dy[r * outF + o] * wm[k * outF + o];
          return s;
        }, 'dropconnect_backward_input', 1e-3);
      },
    };
  },
  dropconnect_backward_weight(c) {
    const rows = c.dim(), inF = c.dim(), outF = c.dim();
    const x = c.f32(rows * inF), dy = c.f32(rows * outF), dw = c.f32(inF * outF);
    const { key, keyArgs, hp } = dropConnectKey(c, 7);
    return {
      args: [x, dy, dw, rows, inF, outF, ...keyArgs], sizes: [3, 4, 5], hp,
      check: () => {
        const ones = new Float32Array(inF * outF).fill(1);
        const m = dropConnectRef(ones, inF * outF, key);  // the mask times 1/(1-p)
        expectAll(inF * outF, (i) => dw[i], (i) => {
          const k = Math.floor(i / outF), o = i % outF;
          let s = 0;
          for (let r = 0; r < rows; r++) s += x[r * inF + k] * dy[r * outF + o];
          return m[i] * s;
        }, 'dropconnect_backward_weight', 1e-3);
      },
    };
  },
  batchnorm_forward_train(c) {
    const N = c.dim() + 1, C = c.dim(), L = c.dim(), t = N * C * L;
    return { args: [c.f32(t), c.f32(t), opt(c, C), opt(c, C), opt(c, C), c.f32(C, () => 1 + c.r()), opt(c, C), opt(c, C), N, C, L, c.r(), 1e-5], sizes: [8, 9, 10] };
  },
  batchnorm_forward_eval(c) {
    const N = c.dim(), C = c.dim(), L = c.dim(), t = N * C * L;
    return { args: [c.f32(t), c.f32(t), opt(c, C), opt(c, C), c.f32(C), c.f32(C, () => 1 + c.r()), N, C, L, 1e-5], sizes: [6, 7, 8] };
  },
  batchnorm_backward(c) {
    const N = c.dim(), C = c.dim(), L = c.dim(), t = N * C * L;
    return { args: [c.f32(t), c.f32(t), opt(c, t), opt(c, C), opt(c, C), opt(c, C), c.f32(C), c.f32(C, () => 1 + c.r()), N, C, L], sizes: [8, 9, 10] };
  },
  batchnorm_backward_eval(c) {
    const N = c.dim(), C = c.dim(), L = c.dim(), t = N * C * L;
    return { args: [c.f32(t), c.f32(t), opt(c, t), opt(c, C), opt(c, C), opt(c, C), c.f32(C), c.f32(C, () => 1 + c.r()), N, C, L, 1e-5], sizes: [8, 9, 10] };
  },
  layernorm_forward(c) {
    const rows = c.dim(), cols = c.dim(), t = rows * cols;
    return { args: [c.f32(t), c.f32(t), opt(c, cols), opt(c, cols), opt(c, rows), opt(c, rows), rows, cols, 1e-5], sizes: [6, 7] };
  },
  layernorm_backward(c) {
    const rows = c.dim(), cols = c.dim(), t = rows * cols;
    return { args: [c.f32(t), c.f32(t), opt(c, t), opt(c, cols), opt(c, cols), opt(c, cols), c.f32(rows), c.f32(rows, () => 1 + c.r()), rows, cols], sizes: [8, 9] };
  },
  groupnorm_forward(c) {
    const N = c.dim(), G = c.int(1, 4), C = G * c.int(1, 4), L = c.dim(), t = N * C * L;
    return { args: [c.f32(t), c.f32(t), opt(c, C), opt(c, C), opt(c, N * G), opt(c, N * G), N, C, L, G, 1e-5], sizes: [6, 7, 8, 9] };
  },
  groupnorm_backward(c) {
    const N = c.dim(), G = c.int(1, 4), C = G * c.int(1, 4), L = c.dim(), t = N * C * L;
    return { args: [c.f32(t), c.f32(t), opt(c, t), opt(c, C), opt(c, C), opt(c, C), c.f32(N * G), c.f32(N * G, () => 1 + c.r()), N, C, L, G], sizes: [8, 9, 10, 11] };
  },
  loss(c) {
    const N = c.dim(), C = c.dim(), kind = c.pick(LOSSES);
    const prob = kind === 'bce';
    const input = prob ? c.f32(N * C, unit(c)) : c.f32(N * C);
    const target = kind === 'bce' || kind === 'bce_logits' || kind === 'cce' ? c.f32(N * C, unit(c)) : c.f32(N * C);
    const out = c.f32(1);
    const args = [kind, input, target, opt(c, N * C), out, N, C];
    if (kind === 'huber' && c.chance(0.5)) args.push(0.1 + c.r());
    return {
      args, sizes: [5, 6],
      check: kind === 'mse' ? () => { let s = 0; for (let i = 0; i < N * C; i++) s += (input[i] - target[i]) ** 2; expectAll(1, () => out[0], () => s / (N * C), 'mse', 1e-4); } : undefined,
    };
  },
  sparse_cross_entropy(c) {
    const N = c.dim(), C = c.dim(), logits = c.f32(N * C), labels = c.i32(N, C), out = c.f32(1);
    const args = [logits, labels, opt(c, N * C), out, N, C];
    if (c.chance(0.3)) args.push(c.r());
    return {
      args, sizes: [4, 5], labels: [1],
      check: args.length === 6 ? () => {
        const p = softmaxRef(logits, N, C);
        let s = 0;
        for (let r = 0; r < N; r++) s -= Math.log(p[r * C + labels[r]]);
        expectAll(1, () => out[0], () => s / N, 'sparse_cross_entropy', 1e-4);
      } : undefined,
    };
  },
  optim_step(c) {
    const n = c.dim(), kind = c.pick(OPTIMS);
    const hp = [c.pick([1e-3, 0.1]), c.int(1, 5), c.pick([0, 1e-4]), c.pick([0, 1e-5]), 0.9, kind === 'sgd' ? 0 : 0.999, 1e-8, c.pick([0, 1])];
    if (kind === 'adagrad') hp[4] = 0, hp[5] = 0;
    if (kind === 'rmsprop') hp[4] = 0.99, hp[5] = c.pick([0, 0.9]);
    if (kind === 'adadelta') hp[0] = 1, hp[4] = 0.9;
    if (kind === 'adamax' || kind === 'adadelta' || kind === 'adagrad') hp[7] = 0;
    return { args: [kind, c.f32(n), c.f32(n), c.f32(n), c.f32(n), c.f32(n, () => Math.abs(c.value())), c.f64(hp), c.f32(1)], hp: 6 };
  },
  optim_step_multi(c) {
    const kind = c.pick(OPTIMS), count = c.int(0, 4), hp = [];
    const ns = Array.from({ length: count }, () => c.dim());
    for (let t = 0; t < count; t++) {
      const h = [c.pick([1e-3, 0.1]), c.int(1, 5), c.pick([0, 1e-4]), c.pick([0, 1e-5]), 0.9, kind === 'sgd' ? 0 : 0.999, 1e-8, c.pick([0, 1])];
      if (kind === 'adagrad') h[4] = 0, h[5] = 0;
      if (kind === 'rmsprop') h[4] = 0.99, h[5] = c.pick([0, 0.9]);
      if (kind === 'adadelta') h[0] = 1, h[4] = 0.9;
      if (kind === 'adamax' || kind === 'adadelta' || kind === 'adagrad') h[7] = 0;
      hp.push(...h);
    }
    const list = (f) => ns.map(f);
    return {
      args: [kind, list((n) => c.f32(n)), list((n) => c.f32(n)), list((n) => c.f32(n)), list((n) => c.f32(n)),
        list((n) => c.f32(n, () => Math.abs(c.value()))), c.f64(hp), c.f32(1)],
      hp: 6,
    };
  },
  clip_grad_norm(c) {
    const grads = Array.from({ length: c.int(0, 4) }, () => c.f32(c.dim()));
    return { args: [grads, c.r() * 3, c.f32(1)] };
  },
  clip_grad_value(c) {
    const grads = Array.from({ length: c.int(0, 4) }, () => c.f32(c.dim()));
    return { args: [grads, c.r() * 3] };
  },
  check_finite(c) {
    const k = c.int(0, 4);
    const bufs = Array.from({ length: k }, () => c.f32(c.dim(), () => (c.chance(0.05) ? NaN : c.value())));
    const flags = c.f32(k);
    return { args: [bufs, flags], check: () => expectAll(k, (i) => flags[i], (i) => (bufs[i].every(Number.isFinite) ? 0 : 1), 'check_finite', 0) };
  },
  sum_squares(c) {
    const k = c.int(0, 4);
    const bufs = Array.from({ length: k }, () => c.f32(c.dim()));
    const out = c.f32(k);
    return { args: [bufs, out], check: () => expectAll(k, (i) => out[i], (i) => bufs[i].reduce((s, v) => s + v * v, 0), 'sum_squares', 1e-4) };
  },
  conv2d_forward(c) {
    const g = convGeo(c), act = c.pick(['none', 'relu', undefined]);
    const x = c.f32(g.N * g.C * g.H * g.W), w = c.f32(g.K * (g.C / g.groups) * g.kh * g.kw), bias = opt(c, g.K);
    const y = c.f32(g.N * g.K * g.OH * g.OW);
    const args = [x, w, bias, y, ...g.args];
    if (act !== undefined) args.push(act);
    return {
      args, sizes: CONV_SIZES(4),
      check: () => expectAll(y.length, (i) => y[i], (i) => {
        const v = convRef(g, x, w, bias, i);
        return act === 'relu' ? Math.max(0, v) : v;
      }, 'conv2d_forward', 1e-3),
    };
  },
  conv2d_backward_data(c) {
    const g = convGeo(c);
    return { args: [c.f32(g.N * g.K * g.OH * g.OW), c.f32(g.K * (g.C / g.groups) * g.kh * g.kw), c.f32(g.N * g.C * g.H * g.W), ...g.args], sizes: CONV_SIZES(3) };
  },
  conv2d_backward_filter(c) {
    const g = convGeo(c);
    return { args: [c.f32(g.N * g.C * g.H * g.W), c.f32(g.N * g.K * g.OH * g.OW), c.f32(g.K * (g.C / g.groups) * g.kh * g.kw), opt(c, g.K), ...g.args], sizes: CONV_SIZES(4) };
  },
  maxpool2d_forward(c) {
    const g = poolGeo(c), ny = g.N * g.C * g.OH * g.OW;
    return { args: [c.f32(g.N * g.C * g.H * g.W), c.f32(ny), c.i32(ny, 1), ...g.args], sizes: POOL_SIZES(3) };
  },
  maxpool2d_backward(c) {
    const g = poolGeo(c), ny = g.N * g.C * g.OH * g.OW;
    return { args: [c.f32(ny), c.i32(ny, g.H * g.W), c.f32(g.N * g.C * g.H * g.W), ...g.args], sizes: POOL_SIZES(3), labels: [1] };
  },
  avgpool2d_forward(c) {
    const g = poolGeo(c);
    return { args: [c.f32(g.N * g.C * g.H * g.W), c.f32(g.N * g.C * g.OH * g.OW), ...g.args, c.chance(0.5)], sizes: POOL_SIZES(2) };
  },
  avgpool2d_backward(c) {
    const g = poolGeo(c);
    return { args: [c.f32(g.N * g.C * g.OH * g.OW), c.f32(g.N * g.C * g.H * g.W), ...g.args, c.chance(0.5)], sizes: POOL_SIZES(2) };
  },
  global_avgpool2d_forward(c) {
    const N = c.dim(), C = c.dim(), H = c.dim(), W = c.dim(), x = c.f32(N * C * H * W), y = c.f32(N * C);
    return {
      args: [x, y, N, C, H, W], sizes: [2, 3, 4, 5],
      check: () => expectAll(N * C, (i) => y[i], (i) => { let s = 0; for (let t = 0; t < H * W; t++) s += x[i * H * W + t]; return s / (H * W); }, 'global_avgpool2d_forward', 1e-4),
    };
  },
  global_avgpool2d_backward(c) {
    const N = c.dim(), C = c.dim(), H = c.dim(), W = c.dim();
    return { args: [c.f32(N * C), c.f32(N * C * H * W), N, C, H, W], sizes: [2, 3, 4, 5] };
  },
  stochpool2d_forward_train(c) {
    const g = poolGeo(c), ny = g.N * g.C * g.OH * g.OW;
    const key = c.chance(0.5) ? [c.f64([c.int(0, 1000), c.int(0, 9), c.int(0, 1e6)])] : [c.int(0, 2 ** 32 - 1), c.int(0, 9), c.int(0, 1e6)];
    return { args: [c.f32(g.N * g.C * g.H * g.W), c.f32(ny), c.i32(ny, 1), ...g.args, ...key], sizes: POOL_SIZES(3), hp: key.length === 1 ? 13 : undefined };
  },
  stochpool2d_forward_eval(c) {
    const g = poolGeo(c);
    return { args: [c.f32(g.N * g.C * g.H * g.W), c.f32(g.N * g.C * g.OH * g.OW), ...g.args], sizes: POOL_SIZES(2) };
  },
  stochpool2d_backward_train(c) {
    const g = poolGeo(c), ny = g.N * g.C * g.OH * g.OW;
    return { args: [c.f32(ny), c.i32(ny, g.H * g.W), c.f32(g.N * g.C * g.H * g.W), ...g.args], sizes: POOL_SIZES(3), labels: [1] };
  },
  stochpool2d_backward_eval(c) {
    const g = poolGeo(c), nx = g.N * g.C * g.H * g.W;
    return { args: [c.f32(nx), c.f32(g.N * g.C * g.OH * g.OW), c.f32(nx), ...g.args], sizes: POOL_SIZES(3) };
  },
};

// Indices of the shape blocks of the conv ops (14 numbers) and pooling ops (10) from `first`.
const CONV_SIZES = (first) => Array.from({ length: 14 }, (_, i) => first + i);
const POOL_SIZES = (first) => Array.from({ length: 10 }, (_, i) => first + i);

// A valid convolution geometry with small sizes (the dilated kernel fits the padded input).
function convGeo(c) {
  const small = () => c.int(1, c.chance(0.2) ? 12 : 5);
  const groups = c.int(1, 3), C = groups * c.int(1, 3), K = groups * c.pick([1, 2, 3, 9, 17]);
  const kh = c.int(1, 4), kw = c.int(1, 4), sh = c.int(1, 2), sw = c.int(1, 2), ph = c.int(0, 2), pw = c.int(0, 2);
  const dh = c.int(1, 2), dw = c.int(1, 2), N = c.int(1, 3);
  const H = Math.max(small(), dh * (kh - 1) + 1 - 2 * ph), W = Math.max(small(), dw * (kw - 1) + 1 - 2 * pw);
  const OH = Math.floor((H + 2 * ph - dh * (kh - 1) - 1) / sh) + 1, OW = Math.floor((W + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  return { N, C, H, W, K, kh, kw, sh, sw, ph, pw, dh, dw, groups, OH, OW, args: [N, C, H, W, K, kh, kw, sh, sw, ph, pw, dh, dw, groups] };
}

// Output element i of conv2d (float64), the direct sum.
function convRef(g, x, w, bias, i) {
  const ow = i % g.OW, oh = Math.floor(i / g.OW) % g.OH, k = Math.floor(i / (g.OW * g.OH)) % g.K, n = Math.floor(i / (g.OW * g.OH * g.K));
  const cg = g.C / g.groups, grp = Math.floor(k / (g.K / g.groups));
  let s = bias ? bias[k] : 0;
  for (let c = 0; c < cg; c++) for (let a = 0; a < g.kh; a++) for (let b = 0; b < g.kw; b++) {
    const ih = oh * g.sh - g.ph + a * g.dh, iw = ow * g.sw - g.pw + b * g.dw;
    if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W) s += w[((k * cg + c) * g.kh + a) * g.kw + b] * x[((n * g.C + grp * cg + c) * g.H + ih) * g.W + iw];
  }
  return s;
}

// A valid pooling geometry (padding at most half the window, as torch).
function poolGeo(c) {
  const kh = c.int(1, 3), kw = c.int(1, 3), sh = c.int(1, 3), sw = c.int(1, 3);
  const ph = c.int(0, Math.floor(kh / 2)), pw = c.int(0, Math.floor(kw / 2));
  const N = c.int(1, 3), C = c.int(1, 4);
  const H = Math.max(c.int(1, 12), kh), W = Math.max(c.int(1, 12), kw);
  const OH = Math.floor((H + 2 * ph - kh) / sh) + 1, OW = Math.floor((W + 2 * pw - kw) / sw) + 1;
  return { N, C, H, W, OH, OW, args: [N, C, H, W, kh, kw, sh, sw, ph, pw] };
}

function rowsBackward(c) {
  const rows = c.dim(), cols = c.dim(), t = rows * cols;
  return { args: [c.f32(t), c.f32(t), c.f32(t), rows, cols], sizes: [3, 4] };
}
function dropoutSpec(c) {
  const n = c.dim(), p = c.pick([0, 0.5, c.r() * 0.99]);
  if (c.chance(0.5)) return { args: [c.f32(n), c.f32(n), n, p, c.f64([c.int(0, 1000), c.int(0, 9), c.int(0, 1e6)])], sizes: [2], hp: 4 };
  return { args: [c.f32(n), c.f32(n), n, p, c.int(0, 2 ** 32 - 1), c.int(0, 9), c.int(0, 1e6)], sizes: [2, 4, 5, 6] };
}

// The (p, seed, stream, step) or (p, hp) tail of a dropconnect op; hp sits at index hpIndex.
function dropConnectKey(c, hpIndex) {
  const p = c.pick([0, 0.5, c.r() * 0.99]);
  const key = { p, seed: c.int(0, 2 ** 32 - 1), stream: c.int(0, 9), step: c.int(0, 1e6) };
  if (c.chance(0.5)) return { key, keyArgs: [p, c.f64([key.seed, key.stream, key.step])], hp: hpIndex };
  return { key, keyArgs: [p, key.seed, key.stream, key.step], hp: undefined };
}

// 32 x 32 -> 64-bit product as [hi, lo] without BigInt (16-bit halves; every partial sum is exact in a double).
function mulhilo32(a, b) {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const t = al * bl;
  const mid = ah * bl + al * bh + Math.floor(t / 65536);
  return [(ah * bh + Math.floor(mid / 65536)) >>> 0, Math.imul(a, b) >>> 0];
}

// Philox4x32-10 (Salmon et al., SC'11).
function philoxRef(counter, key0, key1) {
  let [c0, c1, c2, c3] = counter;
  let k0 = key0 >>> 0, k1 = key1 >>> 0;
  for (let round = 0; round < 10; round++) {
    const [hi0, lo0] = mulhilo32(0xd2511f53, c0);
    const [hi1, lo1] = mulhilo32(0xcd9e8d57, c2);
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + 0x9e3779b9) >>> 0;
    k1 = (k1 + 0xbb67ae85) >>> 0;
  }
  return [c0, c1, c2, c3];
}

// The masked, scaled weights of the documented contract (native/kernels/dropout.h, dropconnect.h).
function dropConnectRef(w, n, { p, seed, stream, step }) {
  const threshold = Math.floor(p * 2 ** 32), scale = Math.fround(1 / (1 - p));
  const out = new Float64Array(n);
  for (let tile = 0; tile * 64 < n; tile++) {
    for (let j = 0; j < 16; j++) {
      const words = philoxRef([(tile * 16 + j) >>> 0, Math.floor((tile * 16 + j) / 2 ** 32), step >>> 0, Math.floor(step / 2 ** 32)], seed, stream);
      for (let q = 0; q < 4; q++) {
        const i = tile * 64 + 16 * q + j;
        if (i < n) out[i] = words[q] >= threshold ? Math.fround(w[i] * scale) : 0;
      }
    }
  }
  return out;
}

export const opNames = Object.keys(opSpecs);

/**
 * A length-tracking Float32Array on a resizable ArrayBuffer holding src's values, or
 * null: Node 20's V8 sometimes hands out a fresh resizable buffer already detached
 * after many thousands in one process (not the addon's doing; plain JS fails too).
 */
function resizableCopy(src, maxByteLength) {
  try {
    const v = new Float32Array(new ArrayBuffer(src.byteLength, { maxByteLength }));
    v.set(src);
    return v;
  } catch {
    return null;
  }
}

function detachedF32(n) {
  const a = new Float32Array(n);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}

/** A plain junk value of any type (no buffers that need tracking). */
function junk(c) {
  const pool = [
    () => undefined, () => null, () => 0, () => -1, () => NaN, () => Infinity, () => -Infinity, () => 1e300,
    () => 2 ** 31, () => 2 ** 32, () => 2 ** 40, () => 2 ** 53, () => 2 ** 63, () => -(2 ** 31), () => 1.5, () => -0,
    () => 'str', () => '', () => 'relu', () => true, () => false, () => ({}), () => [], () => [1, 2],
    () => [new Float32Array(2), 3], () => new Float64Array(3), () => new Int32Array(3), () => new Float32Array(0),
    () => detachedF32(8), () => new Float32Array(1), () => new Uint8Array(4), () => new Uint32Array(4), () => 1n,
    () => Symbol('s'), () => () => 1, () => new ArrayBuffer(16), () => new DataView(new ArrayBuffer(8)),
    () => new Float32Array(new SharedArrayBuffer(64)), () => new Float32Array(2 ** 16), () => new Date(0),
    () => Object.create(null), () => new Proxy([], {}), () => [undefined, null],
  ];
  return c.pick(pool)();
}

/** Corrupts `spec.args` in place; returns a description of what was done. */
function mutate(c, spec) {
  const args = spec.args;
  const what = [];
  const rounds = c.chance(0.7) ? 1 : c.int(2, 4);
  for (let round = 0; round < rounds; round++) {
    const kind = c.int(0, 11);
    const k = args.length ? c.int(0, args.length - 1) : 0;
    if (kind <= 2) {
      what.push(`arg ${k} := junk`);
      args[k] = junk(c);
    } else if (kind === 3 && spec.sizes?.length) {
      const s = c.pick(spec.sizes);
      const cur = typeof args[s] === 'number' ? args[s] : 3;
      const v = c.pick([0, -1, cur + 1, cur * 2, cur * 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 40, 2 ** 53, 1e20, 0.5, NaN]);
      what.push(`size arg ${s} := ${v}`);
      args[s] = v;
    } else if (kind === 4) {
      const bufIdx = args.map((a, i) => (ArrayBuffer.isView(a) && a.length > 0 ? i : -1)).filter((i) => i >= 0);
      if (bufIdx.length) {
        const b = c.pick(bufIdx);
        const len = c.int(0, args[b].length - 1);
        what.push(`arg ${b} shortened to ${len}`);
        args[b] = args[b].subarray(0, len);
      }
    } else if (kind === 5) {
      const bufIdx = args.map((a, i) => (a instanceof Float32Array || a instanceof Float64Array ? i : -1)).filter((i) => i >= 0);
      if (bufIdx.length) {
        const b = c.pick(bufIdx);
        const v = c.pick([NaN, Infinity, -Infinity, 3.4e38, -0, 1e-45]);
        what.push(`arg ${b} filled with ${v}`);
        for (let i = 0; i < args[b].length; i++) if (c.chance(0.5)) args[b][i] = v;
      }
    } else if (kind === 6 && spec.labels?.length) {
      const l = c.pick(spec.labels);
      if (args[l] instanceof Int32Array && args[l].length) {
        const v = c.pick([-1, 2 ** 31 - 1, -(2 ** 31), 1000, 70, 71]);
        what.push(`arg ${l} label := ${v}`);
        args[l][c.int(0, args[l].length - 1)] = v;
      }
    } else if (kind === 7 && spec.hp !== undefined && args[spec.hp] instanceof Float64Array) {
      const hp = args[spec.hp];
      const j = c.int(0, hp.length - 1);
      const v = c.pick([-1, NaN, Infinity, 0, 2, 1e308, 2 ** 32, 2 ** 53, 0.5, -0.5]);
      what.push(`hp[${j}] := ${v}`);
      hp[j] = v;
    } else if (kind === 8) {
      const n = c.int(0, args.length);
      what.push(`truncated to ${n} args`);
      args.length = n;
    } else if (kind === 9) {
      what.push('extra args');
      args.push(junk(c), junk(c));
    } else if (kind === 10) {
      const bufIdx = args.map((a, i) => (a instanceof Float32Array && a.length > 0 ? i : -1)).filter((i) => i >= 0);
      if (bufIdx.length) {
        const b = c.pick(bufIdx);
        what.push(`arg ${b} detached`);
        args[b] = detachedF32(args[b].length);
      }
    } else {
      // A Float32Array arg becomes a length-tracking view of a resizable buffer.
      const bufIdx = args.map((a, i) => (a instanceof Float32Array && a.length > 0 ? i : -1)).filter((i) => i >= 0);
      if (bufIdx.length) {
        const b = c.pick(bufIdx);
        const src = args[b];
        const v = resizableCopy(src, src.byteLength * 2 + 64);
        what.push(v ? `arg ${b} on a resizable buffer` : `arg ${b} resizable copy failed`);
        if (v) args[b] = v;
      }
    }
  }
  return what.join('; ');
}

function snapshot(ctx) {
  return ctx.buffers.map((b) => (b.guarded.buffer.byteLength ? b.guarded.slice() : null));
}
function unchanged(ctx, snap) {
  for (let i = 0; i < ctx.buffers.length; i++) {
    const g = ctx.buffers[i].guarded;
    const s = snap[i];
    if (!s || g.buffer.byteLength === 0) continue;
    for (let j = 0; j < g.length; j++) if (!Object.is(g[j], s[j])) return false;
  }
  return true;
}

const ISAS = ['scalar', 'baseline', 'sse2', 'avx2', 'avx512', 'neon'];

/**
 * Runs fuzz call `index` of `seed` against `native`. Resolves to null when the
 * oracle holds, else to a string describing the violation. Never throws.
 */
export async function fuzzCall(native, seed, index) {
  const c = new Ctx(callRng(seed, index));
  const entry = c.r();
  const label = { entry: '', op: '', mutation: '' };
  try {
    if (entry < 0.03) {
      label.entry = 'setNumThreads';
      const v = c.chance(0.5) ? c.int(1, 4) : junk(c);
      try {
        const got = native.setNumThreads(v);
        if (!(Number.isInteger(v) && v >= 1 && v <= 1024) || got < 1) return `setNumThreads(${String(v)}) returned ${got} instead of throwing`;
      } catch (e) {
        if (!(e instanceof Error)) return `setNumThreads threw a non-Error ${String(e)}`;
        if (Number.isInteger(v) && v >= 1 && v <= 1024) return `setNumThreads(${v}) threw ${e.message}`;
      }
      return null;
    }
    if (entry < 0.06) {
      label.entry = 'setMaxIsa';
      const v = c.chance(0.6) ? c.pick(ISAS) : junk(c);
      try {
        native.setMaxIsa(v);
      } catch (e) {
        if (!(e instanceof Error)) return `setMaxIsa threw a non-Error`;
        if (v === 'scalar' || v === 'baseline') return `setMaxIsa(${v}) threw ${e.message}`;
      }
      return null;
    }
    const op = c.pick(opNames);
    label.op = op;
    const spec = opSpecs[op](c);
    const mutated = c.chance(0.75);
    if (mutated) label.mutation = mutate(c, spec);
    const args = spec.args;
    if (process.env.GRADWELL_FUZZ_VERBOSE) {
      const show = (a) => (ArrayBuffer.isView(a) ? `${a.constructor.name}(${a.length}${a.buffer.resizable ? ',resizable' : ''}${a.buffer.byteLength === 0 ? ',detached' : ''})` : Array.isArray(a) ? `[${a.map(show)}]` : typeof a === 'symbol' ? 'symbol' : typeof a === 'bigint' ? `${a}n` : JSON.stringify(a) ?? String(a));
      process.stderr.write(`call ${index}: ${entry < 0.7 ? 'ops' : entry < 0.85 ? 'runAsync' : 'CompiledProgram'} ${op}(${args.map(show).join(', ')}) [${label.mutation}]\n`);
    }

    if (entry < 0.7) {
      label.entry = 'ops';
      const snap = snapshot(c);
      try {
        native.ops[op](...args);
      } catch (e) {
        if (!(e instanceof Error)) return `threw a non-Error ${String(e)}`;
        if (!e.message.includes(op) && op !== 'halt_if_nonzero') return `error does not name the op: ${e.message}`;
        if (!mutated && !(op === 'halt_if_nonzero')) return `valid call threw: ${e.message}`;
        if ((e instanceof TypeError || e instanceof RangeError) && !unchanged(c, snap)) return `validation error but buffers changed: ${e.message}`;
        if (!guardsIntact(c)) return `guard zone overwritten (call threw ${e.message})`;
        return null;
      }
      if (!guardsIntact(c)) return 'guard zone overwritten';
      if (!mutated && spec.check) spec.check(args);
      return null;
    }
    if (entry < 0.85) {
      label.entry = 'runAsync';
      // Sometimes a valid fill step first, so mixed programs are covered.
      const pre = c.chance(0.3) ? [['fill', c.f32(4), 1]] : [];
      try {
        await native.runAsync([...pre, [op, ...args]]);
      } catch (e) {
        if (!(e instanceof Error)) return `runAsync threw a non-Error`;
        if (!mutated && op !== 'halt_if_nonzero') return `valid program rejected: ${e.message}`;
        if (!guardsIntact(c)) return `guard zone overwritten (rejected: ${e.message})`;
        return null;
      }
      if (!guardsIntact(c)) return 'guard zone overwritten';
      if (!mutated && spec.check) spec.check(args);
      return null;
    }
    label.entry = 'CompiledProgram';
    if (c.chance(0.5)) {
      // A valid buffer on a resizable ArrayBuffer, so it can shrink after compiling.
      const f = args.map((a, i) => (a instanceof Float32Array && a.length > 0 && !a.buffer.resizable ? i : -1)).filter((i) => i >= 0);
      if (f.length) {
        const b = c.pick(f);
        const v = resizableCopy(args[b], args[b].byteLength + 64);
        if (v) args[b] = v;
      }
    }
    let prog;
    try {
      prog = new native.CompiledProgram([[op, ...args]]);
    } catch (e) {
      if (!(e instanceof Error)) return `CompiledProgram threw a non-Error`;
      if (!mutated) return `valid program refused: ${e.message}`;
      return null;
    }
    // Runs, then corrupt the buffers the compiled program holds, then runs again.
    for (let run = 0; run < 3; run++) {
      try {
        if (c.chance(0.5)) prog.runSync();
        else await prog.run();
      } catch (e) {
        if (!(e instanceof Error)) return `CompiledProgram.run threw a non-Error`;
      }
      if (!guardsIntact(c)) return `guard zone overwritten on run ${run}`;
      const m = c.int(0, 5);
      const bufs = args.map((a, i) => [a, i]).filter(([a]) => ArrayBuffer.isView(a) && a.buffer.byteLength > 0);
      if (!bufs.length) continue;
      const [b, bi] = c.pick(bufs);
      if (m === 0 && b instanceof Int32Array) {
        b[c.int(0, b.length - 1)] = c.pick([-1, 2 ** 31 - 1, 100000]);
        label.mutation += `; after compile: label in arg ${bi}`;
      } else if (m === 1 && b instanceof Float64Array) {
        b[c.int(0, b.length - 1)] = c.pick([-1, NaN, Infinity, 2 ** 53, 0.5, 2]);
        label.mutation += `; after compile: hp in arg ${bi}`;
      } else if (m === 2 && !(b.buffer instanceof SharedArrayBuffer)) {
        structuredClone(b.buffer, { transfer: [b.buffer] });
        label.mutation += `; after compile: arg ${bi} detached`;
      } else if (m === 3 && b.buffer.resizable) {
        b.buffer.resize(0);
        label.mutation += `; after compile: arg ${bi} shrunk`;
      } else if (b instanceof Float32Array && b.length) {
        b.fill(c.pick([NaN, Infinity, 1]));
      }
    }
    return null;
  } catch (e) {
    return `oracle failure (${label.entry} ${label.op} [${label.mutation}]): ${e && e.stack ? e.stack : e}`;
  } finally {
    fuzzCall.last = label;
  }
}
fuzzCall.last = null;
