#!/usr/bin/env python3
"""Writes the repository's PyTorch golden fixtures (test/fixtures/golden/*.json).

Run with a Python that has PyTorch (Debian: /usr/bin/python3 with python3-torch 1.13):

    /usr/bin/python3 scripts/golden/generate.py            # (re)write test/fixtures/golden/
    /usr/bin/python3 scripts/golden/generate.py --out DIR  # write elsewhere
    /usr/bin/python3 scripts/golden/generate.py --check    # regenerate in memory and compare
                                                           # with the committed files

The format is the one of ../shared/golden/README.md (copied in scripts/golden/README.md):
inputs are float32 drawn from a torch.Generator seeded with --seed (default 4321), expected
values are computed by PyTorch in float64 from those float32 inputs and rounded to float32,
every float32 number is written as the shortest decimal that round-trips to it.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

DEFAULT_SEED = 4321
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
DEFAULT_OUT = os.path.join(ROOT, 'test', 'fixtures', 'golden')
GENERATOR = 'PyTorch ' + torch.__version__
VARIANT = 'repo'


# ---------------------------------------------------------------- tensors


def f32(t):
    """A float32 tensor (any input) as a fixture tensor."""
    a = np.asarray(torch.as_tensor(t).detach().to(torch.float32).cpu().numpy(), dtype=np.float32)
    return {'shape': list(a.shape), 'data': [float(str(v)) for v in a.reshape(-1)]}


def i64(t):
    a = torch.as_tensor(t).detach().cpu().numpy().astype(np.int64)
    return {'shape': list(a.shape), 'dtype': 'int', 'data': [int(v) for v in a.reshape(-1)]}


def f64(values):
    a = np.asarray(values, dtype=np.float64)
    return {'shape': list(a.shape), 'dtype': 'float64', 'data': [float(v) for v in a.reshape(-1)]}


class Rng:
    """All randomness of one file comes from one seeded torch.Generator."""

    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def randn(self, *shape, scale=1.0):
        return (torch.randn(*shape, generator=self.g, dtype=torch.float32) * scale).to(torch.float32)

    def uniform(self, lo, hi, *shape):
        return (torch.rand(*shape, generator=self.g, dtype=torch.float32) * (hi - lo) + lo).to(torch.float32)

    def randint(self, hi, *shape):
        return torch.randint(0, hi, shape, generator=self.g)

    def perm(self, n):
        return torch.randperm(n, generator=self.g)


def d(t):
    """float64 copy of a float32 tensor (the exact float32 values)."""
    return t.detach().to(torch.float64).clone()


def case(name, op, attrs, inputs, expected, rtol, atol):
    return {'name': name, 'op': op, 'attrs': attrs, 'inputs': inputs, 'expected': expected,
            'tolerance': {'rtol': rtol, 'atol': atol}}


def grad_of(fn, *xs):
    """Runs fn on float64 leaves; returns (output, leaves)."""
    leaves = [x.clone().requires_grad_(True) for x in xs]
    return fn(*leaves), leaves


# ---------------------------------------------------------------- activations


SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def activations(seed):
    r = Rng(seed)
    kink = 'derivative at exactly x=0 follows PyTorch: '
    specs = [
        ('sigmoid', 'sigmoid', {'formula': '1/(1+exp(-x))'}, torch.sigmoid),
        ('tanh', 'tanh', {}, torch.tanh),
        ('relu', 'relu', {'formula': 'max(x,0)', 'note': kink + "relu'(0)=0 (x>0 ? dy : 0)"}, torch.relu),
    ]
    for slope in (0.01, 0.2):
        specs.append((f'leaky_relu_{slope}', 'leaky_relu',
                      {'negative_slope': slope, 'formula': 'x>0 ? x : negative_slope*x',
                       'note': kink + 'x>0 ? 1 : negative_slope, so derivative at 0 is negative_slope'},
                      (lambda s: lambda x: F.leaky_relu(x, s))(slope)))
    specs += [
        ('elu_1', 'elu', {'alpha': 1.0, 'formula': 'x>0 ? x : alpha*(exp(x)-1)',
                          'note': kink + 'x>0 ? 1 : alpha*exp(x), so derivative at 0 is alpha'},
         lambda x: F.elu(x, 1.0)),
        ('selu', 'selu', {'alpha': SELU_ALPHA, 'scale': SELU_SCALE, 'formula': 'scale*(x>0 ? x : alpha*(exp(x)-1))',
                          'note': kink + 'x>0 ? scale : scale*alpha*exp(x), so derivative at 0 is scale*alpha'},
         F.selu),
        ('gelu_erf', 'gelu', {'approximate': 'none', 'formula': '0.5*x*(1+erf(x/sqrt(2)))'},
         lambda x: F.gelu(x, approximate='none')),
        ('gelu_tanh', 'gelu', {'approximate': 'tanh', 'formula': '0.5*x*(1+tanh(sqrt(2/pi)*(x+0.044715*x^3)))'},
         lambda x: F.gelu(x, approximate='tanh')),
        ('silu', 'silu', {'formula': 'x*sigmoid(x) (swish)'}, F.silu),
        ('softplus', 'softplus', {'beta': 1.0, 'threshold': 20.0,
                                  'formula': 'log(1+exp(x)); torch returns x when x>20 (difference < 3e-9)'},
         lambda x: F.softplus(x, beta=1.0, threshold=20.0)),
        ('softmax', 'softmax', {'axis': -1, 'formula': 'exp(x-max)/sum(exp(x-max)) along the last axis'},
         lambda x: torch.softmax(x, -1)),
        ('log_softmax', 'log_softmax', {'axis': -1, 'formula': 'x - max - log(sum(exp(x-max))) along the last axis'},
         lambda x: torch.log_softmax(x, -1)),
    ]

    def mixed():
        x = r.randn(4, 17, scale=2.0)
        flat = x.view(-1)
        flat[r.perm(flat.numel())[:9]] = 0.0  # exact zeros (kinks)
        flat[0] = 0.0
        return x

    def large():
        fixed = torch.tensor([-30.0, 30.0, 0.0, -20.0, 20.0, -1e-3, 1e-3, 0.0, 25.0], dtype=torch.float32)
        rest = r.uniform(-30.0, 30.0, 27 - fixed.numel())
        return torch.cat([fixed, rest]).view(3, 9)

    cases = []
    for kind, make in (('mixed', mixed), ('large', large)):
        for name, op, attrs, fn in specs:
            x = make()
            dy = r.randn(*x.shape)
            y, (xl,) = grad_of(fn, d(x))
            y.backward(d(dy))
            cases.append(case(f'{name}_{kind}', op, dict(attrs, input_kind=kind),
                              {'x': f32(x), 'dy': f32(dy)}, {'y': f32(y), 'dx': f32(xl.grad)}, 1e-4, 1e-5))
    return {'semantics': "elementwise activations (softmax/log_softmax along last axis): y=f(x) and dx = dy * f'(x) "
                         '(vector-Jacobian product for softmax); derivative at kinks as in PyTorch',
            'cases': cases}


# ---------------------------------------------------------------- gemm


def gemm(seed):
    r = Rng(seed)
    ab = [(1.0, 0.0), (1.0, 1.0), (0.5, -1.5), (2.0, 0.25)]
    formula = ('y = alpha*op(a)@op(b) + beta*c; op(X)=X^T when trans; a is [K,M] if transA else [M,K]; '
               'b is [N,K] if transB else [K,N]; c,y are [M,N]')
    cases = []
    for si, (M, K, N) in enumerate([(1, 1, 1), (7, 13, 5), (64, 33, 17), (130, 65, 9)]):
        for ti, (ta, tb) in enumerate([(False, False), (False, True), (True, False), (True, True)]):
            alpha, beta = ab[(si + ti) % 4]
            a = r.randn(*((K, M) if ta else (M, K)))
            b = r.randn(*((N, K) if tb else (K, N)))
            c = r.randn(M, N)
            A = d(a).T if ta else d(a)
            B = d(b).T if tb else d(b)
            y = alpha * (A @ B) + beta * d(c)
            tag = ('T' if ta else 'N') + ('T' if tb else 'N')
            cases.append(case(f'gemm_{M}x{K}x{N}_{tag}', 'gemm',
                              {'transA': ta, 'transB': tb, 'alpha': alpha, 'beta': beta, 'M': M, 'K': K, 'N': N,
                               'formula': formula},
                              {'a': f32(a), 'b': f32(b), 'c': f32(c)}, {'y': f32(y)}, 1e-4, 1e-5 if K <= 16 else 5e-5))
    for batch, fin, fout in [(1, 1, 1), (8, 20, 16), (5, 13, 7), (33, 64, 17)]:
        x = r.randn(batch, fin)
        w = r.randn(fout, fin, scale=1.0 / math.sqrt(fin))
        bias = r.randn(fout, scale=0.5)
        dy = r.randn(batch, fout)
        y, (xl, wl, bl) = grad_of(lambda x_, w_, b_: F.linear(x_, w_, b_), d(x), d(w), d(bias))
        y.backward(d(dy))
        cases.append(case(f'linear_{batch}x{fin}x{fout}', 'linear',
                          {'in_features': fin, 'out_features': fout, 'batch': batch,
                           'formula': 'y = x@weight^T + bias (torch.nn.Linear); weight is [out,in], weight_T is [in,out]; '
                                      'dx = dy@weight, dweight = dy^T@x, dweight_T = x^T@dy, dbias = sum_rows(dy)'},
                          {'x': f32(x), 'weight': f32(w), 'weight_T': f32(w.T.contiguous()), 'bias': f32(bias),
                           'dy': f32(dy)},
                          {'y': f32(y), 'dx': f32(xl.grad), 'dweight': f32(wl.grad), 'dbias': f32(bl.grad),
                           'dweight_T': f32(wl.grad.T.contiguous())},
                          1e-4, 1e-5 if max(batch, fin, fout) <= 16 else 5e-5))
    return {'semantics': 'gemm: y = alpha*op(a)@op(b) + beta*c (row-major); linear: torch.nn.Linear forward y=x@W^T+b '
                         'and backward for upstream dy',
            'cases': cases}


# ---------------------------------------------------------------- losses


def losses(seed):
    r = Rng(seed)
    cases = []
    for (N, C) in [(8, 5), (1, 3)]:
        tag = f'{N}x{C}'
        inp = r.randn(N, C, scale=1.5)
        tgt = r.randn(N, C, scale=1.5)
        tgt.view(-1)[0] = inp.view(-1)[0]  # an exact tie (sign(0) = 0 for mae)

        def elementwise(name, op, attrs, fn, x, t):
            loss, (xl,) = grad_of(lambda x_: fn(x_, d(t)), d(x))
            loss.backward()
            cases.append(case(f'{name}_{tag}', op, attrs, {'input': f32(x), 'target': f32(t)},
                              {'loss': f32(loss), 'dinput': f32(xl.grad)}, 1e-4, 1e-6))

        elementwise('mse', 'mse', {'reduction': 'mean', 'formula': 'loss = mean over all elements of (input-target)^2; '
                                                                 'dinput = 2*(input-target)/numel'},
                    F.mse_loss, inp, tgt)
        elementwise('mae', 'mae', {'reduction': 'mean', 'aka': 'l1',
                                   'formula': 'loss = mean |input-target|; dinput = sign(input-target)/numel with '
                                              'sign(0)=0 (first element is an exact tie)'},
                    F.l1_loss, inp, tgt)
        elementwise('huber_d1', 'huber', {'reduction': 'mean', 'delta': 1.0,
                                          'formula': 'e=input-target; l = |e|<delta ? 0.5*e^2 : delta*(|e|-0.5*delta); '
                                                     'loss = mean(l); dinput = clamp(e,-delta,delta)/numel (torch.nn.HuberLoss)'},
                    lambda x, t: F.huber_loss(x, t, delta=1.0), inp, tgt)
        p = r.uniform(0.02, 0.98, N, C)
        hard = (r.uniform(0.0, 1.0, N, C) > 0.5).to(torch.float32)
        soft = r.uniform(0.0, 1.0, N, C)
        bce_formula = 'loss = -mean(t*log(p) + (1-t)*log(1-p)); dinput = (p-t)/(p*(1-p))/numel'
        elementwise('bce', 'bce', {'reduction': 'mean', 'input_kind': 'probabilities',
                                   'formula': bce_formula + ' (torch clamps log at -100; inputs here stay in [0.02,0.98])'},
                    F.binary_cross_entropy, p, hard)
        elementwise('bce_soft_targets', 'bce', {'reduction': 'mean', 'input_kind': 'probabilities',
                                                'targets': 'soft targets in [0,1]', 'formula': bce_formula},
                    F.binary_cross_entropy, p, soft)
        z = r.randn(N, C, scale=3.0)
        z.view(-1)[:3] = torch.tensor([30.0, -30.0, 0.0])
        elementwise('bce_with_logits', 'bce_with_logits',
                    {'reduction': 'mean', 'input_kind': 'logits',
                     'formula': 'loss = mean(max(z,0) - z*t + log(1+exp(-|z|))); dinput = (sigmoid(z)-t)/numel'},
                    F.binary_cross_entropy_with_logits, z, hard)
        logits = r.randn(N, C, scale=2.0)
        logits[0, 0] = 30.0
        if N == 1:
            logits[0, C - 1] = -30.0
        labels = r.randint(C, N)
        onehot = F.one_hot(labels, C).to(torch.float32)
        elementwise('categorical_ce_onehot', 'categorical_crossentropy',
                    {'reduction': 'mean over batch', 'input_kind': 'logits', 'target_kind': 'one-hot [N,C]',
                     'formula': 'loss = mean_n(-sum_c t[n,c]*log_softmax(z)[n,c]); dinput = (softmax(z)-t)/N'},
                    lambda x, t: -(t * torch.log_softmax(x, -1)).sum(-1).mean(), logits, onehot)
        for ls in (0.0, 0.1):
            loss, (xl,) = grad_of(lambda x_: F.cross_entropy(x_, labels, label_smoothing=ls), d(logits))
            loss.backward()
            if ls == 0.0:
                name, formula = 'sparse_ce', ('loss = mean_n(-log_softmax(z)[n,y_n]); dinput = (softmax(z)-onehot(y))/N '
                                              '(torch.nn.functional.cross_entropy)')
            else:
                name, formula = f'sparse_ce_ls{ls}', ('q = (1-eps)*onehot(y) + eps/C; loss = mean_n(-sum_c q[n,c]*'
                                                      'log_softmax(z)[n,c]); dinput = (softmax(z)-q)/N (torch '
                                                      'cross_entropy label_smoothing)')
            cases.append(case(f'{name}_{tag}', 'sparse_categorical_crossentropy',
                              {'reduction': 'mean over batch', 'input_kind': 'logits',
                               'target_kind': 'integer class index [N]', 'label_smoothing': ls, 'formula': formula},
                              {'input': f32(logits), 'target': i64(labels)},
                              {'loss': f32(loss), 'dinput': f32(xl.grad)}, 1e-4, 1e-6))
    return {'semantics': 'loss value (shape [] scalar) and gradient of the loss w.r.t. input; reduction mean (over all '
                         'elements for elementwise losses, over the batch for cross-entropy)',
            'cases': cases}


# ---------------------------------------------------------------- norms


def norm_case(r, x_shape, C):
    x = r.randn(*x_shape, scale=1.5) + r.randn(1, C, *([1] * (len(x_shape) - 2)), scale=0.5)
    gamma = r.uniform(0.5, 1.5, C)
    beta = r.randn(C, scale=0.5)
    dy = r.randn(*x_shape)
    return x.to(torch.float32), gamma, beta, dy


def backward_norm(fn, x, gamma, beta, dy):
    y, (xl, gl, bl) = grad_of(fn, d(x), d(gamma), d(beta))
    y.backward(d(dy))
    return y, xl.grad, gl.grad, bl.grad


def norms(seed):
    r = Rng(seed)
    cases = []
    eps = 1e-5
    for shape in [(8, 16), (4, 6, 5)]:
        C = shape[1]
        tag = 'x'.join(map(str, shape))
        n = shape[0] * (shape[2] if len(shape) == 3 else 1)
        x, gamma, beta, dy = norm_case(r, shape, C)
        rm = r.randn(C, scale=0.3)
        rv = r.uniform(0.5, 2.0, C)
        rm64, rv64 = d(rm), d(rv)
        y, dx, dg, db = backward_norm(
            lambda x_, g_, b_: F.batch_norm(x_, rm64, rv64, g_, b_, training=True, momentum=0.1, eps=eps),
            x, gamma, beta, dy)
        dims = [0] + ([2] if len(shape) == 3 else [])
        cases.append(case(f'batchnorm_train_{tag}', 'batchnorm',
                          {'training': True, 'momentum': 0.1, 'eps': eps, 'axis': 1,
                           'layout': 'x is (N,C) or (N,C,L); statistics per channel C over N (and L)',
                           'formula': 'mu,var_b = batch mean and biased variance; y = (x-mu)/sqrt(var_b+eps)*gamma+beta; '
                                      'running_mean = (1-momentum)*running_mean + momentum*mu; running_var = '
                                      f'(1-momentum)*running_var + momentum*var_b*n/(n-1) (unbiased), n={n}'},
                          {'x': f32(x), 'gamma': f32(gamma), 'beta': f32(beta), 'running_mean': f32(rm),
                           'running_var': f32(rv), 'dy': f32(dy)},
                          {'y': f32(y), 'running_mean': f32(rm64), 'running_var': f32(rv64),
                           'batch_mean': f32(d(x).mean(dim=dims)), 'batch_var_biased': f32(d(x).var(dim=dims, unbiased=False)),
                           'dx': f32(dx), 'dgamma': f32(dg), 'dbeta': f32(db)}, 1e-4, 5e-5))
        x, gamma, beta, dy = norm_case(r, shape, C)
        rm = r.randn(C, scale=0.3)
        rv = r.uniform(0.5, 2.0, C)
        y, dx, dg, db = backward_norm(
            lambda x_, g_, b_: F.batch_norm(x_, d(rm), d(rv), g_, b_, training=False, eps=eps), x, gamma, beta, dy)
        cases.append(case(f'batchnorm_eval_{tag}', 'batchnorm',
                          {'training': False, 'eps': eps, 'axis': 1,
                           'formula': 'y = (x-running_mean)/sqrt(running_var+eps)*gamma+beta; running stats unchanged; '
                                      'dx = dy*gamma/sqrt(running_var+eps)'},
                          {'x': f32(x), 'gamma': f32(gamma), 'beta': f32(beta), 'running_mean': f32(rm),
                           'running_var': f32(rv), 'dy': f32(dy)},
                          {'y': f32(y), 'dx': f32(dx), 'dgamma': f32(dg), 'dbeta': f32(db)}, 1e-4, 1e-5))
    for shape in [(6, 16), (2, 3, 8)]:
        D = shape[-1]
        x = r.randn(*shape, scale=1.5) + r.randn(*shape[:-1], 1, scale=0.5)
        gamma, beta, dy = r.uniform(0.5, 1.5, D), r.randn(D, scale=0.5), r.randn(*shape)
        y, dx, dg, db = backward_norm(lambda x_, g_, b_: F.layer_norm(x_, (D,), g_, b_, eps), x, gamma, beta, dy)
        cases.append(case('layernorm_' + 'x'.join(map(str, shape)), 'layernorm',
                          {'eps': eps, 'normalized_axes': [-1],
                           'formula': 'per row over the last dim: y = (x-mean)/sqrt(var_biased+eps)*gamma+beta; '
                                      'gamma,beta shape [D]'},
                          {'x': f32(x), 'gamma': f32(gamma), 'beta': f32(beta), 'dy': f32(dy)},
                          {'y': f32(y), 'dx': f32(dx), 'dgamma': f32(dg), 'dbeta': f32(db)}, 1e-4, 5e-5))
    for shape, G in [((4, 8), 2), ((3, 6, 5), 3), ((2, 4, 7), 1), ((2, 4, 7), 4)]:
        x, gamma, beta, dy = norm_case(r, shape, shape[1])
        y, dx, dg, db = backward_norm(lambda x_, g_, b_: F.group_norm(x_, G, g_, b_, eps), x, gamma, beta, dy)
        cases.append(case('groupnorm_' + 'x'.join(map(str, shape)) + f'_g{G}', 'groupnorm',
                          {'eps': eps, 'groups': G,
                           'formula': 'x (N,C[,L]); channels split into G contiguous groups of C/G; per sample and group: '
                                      'y = (x-mean)/sqrt(var_biased+eps), then per-channel *gamma[c]+beta[c] '
                                      '(torch.nn.GroupNorm)'},
                          {'x': f32(x), 'gamma': f32(gamma), 'beta': f32(beta), 'dy': f32(dy)},
                          {'y': f32(y), 'dx': f32(dx), 'dgamma': f32(dg), 'dbeta': f32(db)}, 1e-4, 5e-5))
    shape = (4, 3, 10)
    x, gamma, beta, dy = norm_case(r, shape, 3)
    y, dx, dg, db = backward_norm(lambda x_, g_, b_: F.instance_norm(x_, weight=g_, bias=b_, eps=eps), x, gamma, beta, dy)
    cases.append(case('instancenorm_4x3x10', 'instancenorm',
                      {'eps': eps, 'affine': True, 'track_running_stats': False,
                       'formula': 'x (N,C,L); per sample and channel over L: y = (x-mean)/sqrt(var_biased+eps)*gamma[c]'
                                  '+beta[c] (torch.nn.InstanceNorm1d(C, affine=True); torch default is affine=False = '
                                  'gamma 1, beta 0)'},
                      {'x': f32(x), 'gamma': f32(gamma), 'beta': f32(beta), 'dy': f32(dy)},
                      {'y': f32(y), 'dx': f32(dx), 'dgamma': f32(dg), 'dbeta': f32(db)}, 1e-4, 5e-5))
    return {'semantics': 'normalization layers: forward y, backward dx/dgamma/dbeta for upstream dy; batchnorm training '
                         'also updates running stats (momentum-weighted, unbiased running_var)',
            'cases': cases}


# ---------------------------------------------------------------- optimizers


ADAM_FORMULA = ('m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)  '
                '(eps outside sqrt, added to the bias-corrected sqrt(v))')
MOMENTUM_FORMULA = 'buf = g at step 1, else buf = momentum*buf + g (dampening 0); p -= lr*buf'
CLIP_NORM_FORMULA = ('total_norm = sqrt(sum over both tensors of g^2); coef = min(1, max_norm/(total_norm + 1e-6)); '
                     'g = g*coef (torch.nn.utils.clip_grad_norm_, global over [w,b]); returns total_norm before clipping')


def optimizers(seed):
    r = Rng(seed)
    steps = 6
    w0 = r.randn(7, 5, scale=0.5)
    b0 = r.randn(5, scale=0.5)
    w0[0, 3] = 0.0  # sign(0) = 0 for the L1 cases
    gw = r.randn(steps, 7, 5)
    gb = r.randn(steps, 5)
    gw[0, 0, :2] = 0.0  # the first-step gradients contain exact zeros
    gb[0, 0] = 0.0
    specs = [
        ('sgd', 'SGD', {'lr': 0.1}, {'formula': 'p -= lr*g'}),
        ('sgd_momentum', 'SGD', {'lr': 0.1, 'momentum': 0.9}, {'formula': MOMENTUM_FORMULA}),
        ('sgd_nesterov', 'SGD', {'lr': 0.1, 'momentum': 0.9, 'nesterov': True},
         {'formula': 'buf as in sgd_momentum; p -= lr*(g + momentum*buf)'}),
        ('adagrad', 'Adagrad', {'lr': 0.1, 'eps': 1e-10, 'initial_accumulator_value': 0.0, 'lr_decay': 0.0},
         {'formula': 'sum = sum + g^2 (starts at initial_accumulator_value=0); p -= lr * g / (sqrt(sum) + eps)'}),
        ('rmsprop', 'RMSprop', {'lr': 0.01, 'alpha': 0.99, 'eps': 1e-8},
         {'formula': 'v = alpha*v + (1-alpha)*g^2 (v starts at 0); p -= lr * g / (sqrt(v) + eps)  (eps outside sqrt)'}),
        ('rmsprop_momentum', 'RMSprop', {'lr': 0.01, 'alpha': 0.99, 'eps': 1e-8, 'momentum': 0.9},
         {'formula': 'v as rmsprop; buf = momentum*buf + g/(sqrt(v)+eps) (buf starts at 0); p -= lr*buf'}),
        ('rmsprop_centered', 'RMSprop', {'lr': 0.01, 'alpha': 0.99, 'eps': 1e-8, 'centered': True},
         {'formula': 'v as rmsprop; gavg = alpha*gavg + (1-alpha)*g; p -= lr * g / (sqrt(v - gavg^2) + eps)'}),
        ('adam', 'Adam', {'lr': 0.01, 'betas': [0.9, 0.999], 'eps': 1e-8}, {'formula': ADAM_FORMULA}),
        ('adam_amsgrad', 'Adam', {'lr': 0.01, 'betas': [0.9, 0.999], 'eps': 1e-8, 'amsgrad': True},
         {'formula': 'as adam but vmax = max(vmax, v) (raw, not bias-corrected) and vmax replaces v in the denominator: '
                     'p -= lr/(1-b1^t) * m / (sqrt(vmax)/sqrt(1-b2^t) + eps)'}),
        ('adamw', 'AdamW', {'lr': 0.01, 'betas': [0.9, 0.999], 'eps': 1e-8, 'weight_decay': 0.01},
         {'formula': 'decoupled: p = p*(1 - lr*weight_decay) first, then the adam update with the raw g'}),
        ('adamax', 'Adamax', {'lr': 0.01, 'betas': [0.9, 0.999], 'eps': 1e-8},
         {'formula': 'm = b1*m + (1-b1)*g; u = max(b2*u, |g| + eps) (u starts at 0); p -= lr/(1-b1^t) * m / u'}),
        ('adadelta', 'Adadelta', {'lr': 1.0, 'rho': 0.9, 'eps': 1e-6},
         {'formula': 'v = rho*v + (1-rho)*g^2; d = sqrt(acc + eps)/sqrt(v + eps) * g; acc = rho*acc + (1-rho)*d^2; '
                     'p -= lr*d (v, acc start at 0; eps inside sqrt)'}),
        ('sgd_momentum_l2', 'SGD', {'lr': 0.1, 'momentum': 0.9, 'weight_decay': 0.01},
         {'formula': 'coupled L2 (torch weight_decay): g = g + weight_decay*p, then sgd_momentum'}),
        ('adam_l2', 'Adam', {'lr': 0.01, 'betas': [0.9, 0.999], 'eps': 1e-8, 'weight_decay': 0.01},
         {'formula': 'coupled L2 (torch Adam weight_decay, NOT AdamW): g = g + weight_decay*p, then adam'}),
        ('sgd_momentum_l1', 'SGD', {'lr': 0.1, 'momentum': 0.9},
         {'l1': 0.01, 'formula': 'L1 penalty: g = g + l1*sign(p) (sign(0)=0, p = current value before the step), '
                                 'applied to both w and b, then: ' + MOMENTUM_FORMULA}),
        ('adam_l1', 'Adam', {'lr': 0.01, 'betas': [0.9, 0.999], 'eps': 1e-8},
         {'l1': 0.01, 'formula': 'L1 penalty: g = g + l1*sign(p) (sign(0)=0, p = current value before the step), '
                                 'applied to both w and b, then: ' + ADAM_FORMULA}),
        ('sgd_momentum_clip_norm', 'SGD', {'lr': 0.1, 'momentum': 0.9},
         {'max_norm': 1.0, 'formula': 'each step: clip_grad_norm_ over [w,b] with max_norm (see clip_grad_norm cases), '
                                      'then ' + MOMENTUM_FORMULA}),
    ]
    cases = []
    for name, opt_name, hp, extra in specs:
        w = torch.nn.Parameter(d(w0))
        b = torch.nn.Parameter(d(b0))
        kw = dict(hp)
        if 'betas' in kw:
            kw['betas'] = tuple(kw['betas'])
        opt = getattr(torch.optim, opt_name)([w, b], **kw)
        ws, bs = [], []
        for t in range(steps):
            g_w, g_b = d(gw[t]), d(gb[t])
            if 'l1' in extra:
                g_w = g_w + extra['l1'] * torch.sign(w.detach())
                g_b = g_b + extra['l1'] * torch.sign(b.detach())
            w.grad, b.grad = g_w, g_b
            if 'max_norm' in extra:
                torch.nn.utils.clip_grad_norm_([w, b], extra['max_norm'])
            opt.step()
            ws.append(w.detach().clone())
            bs.append(b.detach().clone())
        attrs = {'optimizer': opt_name, 'hyperparams': hp}
        for k in ('l1', 'max_norm'):
            if k in extra:
                attrs[k] = extra[k]
        attrs.update({'steps': steps, 'formula': extra['formula'], 'applies_to': 'both w and b (one param group)'})
        cases.append(case(name, name, attrs,
                          {'w': f32(w0), 'b': f32(b0), 'grad_w': f32(gw), 'grad_b': f32(gb)},
                          {'w_steps': f32(torch.stack(ws)), 'b_steps': f32(torch.stack(bs))}, 1e-4, 1e-5))
    for name, scale in (('clip_grad_norm_exceeds', 1.0), ('clip_grad_norm_below', 0.03)):
        g_w = r.randn(7, 5, scale=scale)
        g_b = r.randn(5, scale=scale)
        pw = torch.nn.Parameter(torch.zeros(7, 5, dtype=torch.float64))
        pb = torch.nn.Parameter(torch.zeros(5, dtype=torch.float64))
        pw.grad, pb.grad = d(g_w), d(g_b)
        total = torch.nn.utils.clip_grad_norm_([pw, pb], 1.0, norm_type=2)
        cases.append(case(name, 'clip_grad_norm', {'max_norm': 1.0, 'norm_type': 2, 'formula': CLIP_NORM_FORMULA},
                          {'grad_w': f32(g_w), 'grad_b': f32(g_b)},
                          {'grad_w': f32(pw.grad), 'grad_b': f32(pb.grad), 'total_norm': f32(total)}, 1e-4, 1e-5))
    g_w = r.randn(7, 5)
    g_b = r.randn(5)
    pw = torch.nn.Parameter(torch.zeros(7, 5, dtype=torch.float64))
    pb = torch.nn.Parameter(torch.zeros(5, dtype=torch.float64))
    pw.grad, pb.grad = d(g_w), d(g_b)
    torch.nn.utils.clip_grad_value_([pw, pb], 0.5)
    cases.append(case('clip_grad_value', 'clip_grad_value',
                      {'clip_value': 0.5, 'formula': 'g = clamp(g, -clip_value, clip_value) elementwise '
                                                     '(torch.nn.utils.clip_grad_value_)'},
                      {'grad_w': f32(g_w), 'grad_b': f32(g_b)}, {'grad_w': f32(pw.grad), 'grad_b': f32(pb.grad)},
                      1e-4, 1e-5))
    return {'semantics': 'torch.optim step semantics: params w,b updated with the given gradient sequence grad_w[t], '
                         'grad_b[t]; w_steps[t], b_steps[t] = params after step t+1 (state starts empty)',
            'cases': cases}


# ---------------------------------------------------------------- mlp


def mlp(seed):
    r = Rng(seed)
    arch = [{'name': 'fc1', 'type': 'Linear', 'in': 20, 'out': 16},
            {'name': 'bn1', 'type': 'BatchNorm1d', 'features': 16, 'momentum': 0.1, 'eps': 1e-5},
            {'type': 'ReLU'},
            {'name': 'fc2', 'type': 'Linear', 'in': 16, 'out': 16},
            {'type': 'Tanh'},
            {'name': 'fc3', 'type': 'Linear', 'in': 16, 'out': 3}]
    x = r.randn(8, 20)
    labels = r.randint(3, 8)
    init = {}
    for fan_in, fan_out, nm in ((20, 16, 'fc1'), (16, 16, 'fc2'), (16, 3, 'fc3')):
        bound = 1.0 / math.sqrt(fan_in)
        init[f'{nm}.weight'] = r.uniform(-bound, bound, fan_out, fan_in)
        init[f'{nm}.bias'] = r.uniform(-bound, bound, fan_out)
    init['bn1.weight'] = r.uniform(0.8, 1.2, 16)
    init['bn1.bias'] = r.randn(16, scale=0.1)
    order = ['fc1.weight', 'fc1.bias', 'bn1.weight', 'bn1.bias', 'fc2.weight', 'fc2.bias', 'fc3.weight', 'fc3.bias']
    layout = ('<name>.weight is the PyTorch layout [out,in] (y = x@W^T + b); <name>.weight_T is the same matrix '
              'transposed to [in,out] (y = x@W_T + b); bn1.weight = gamma, bn1.bias = beta')
    procedure = ('model in training mode (BN uses batch stats and updates running stats on every forward); for each '
                 'step: zero grads, logits = model(x), loss = mean softmax cross-entropy(logits, labels), record loss '
                 '(= loss_before_step[t], params before step t), backward, optimizer step. Running stats are updated '
                 'once per step (3 updates total, no extra forward). Expected params/running stats are after the last '
                 'step; grad_step0.* and logits_step0 are from the first step.')

    def tensors(values, prefix=''):
        out = {}
        for k in order:
            out[prefix + k] = f32(values[k])
            if k.endswith('.weight') and k.startswith('fc'):
                out[prefix + k + '_T'] = f32(values[k].T.contiguous())
        return out

    cases = []
    for name, opt_name, hp, opt_formula in [
        ('mlp_sgd_momentum', 'SGD', {'lr': 0.1, 'momentum': 0.9},
         'buf = g at step 1 else momentum*buf + g; p -= lr*buf (all params incl. bn gamma/beta)'),
        ('mlp_adam_l2', 'Adam', {'lr': 0.01, 'betas': [0.9, 0.999], 'eps': 1e-8, 'weight_decay': 1e-3},
         'torch.optim.Adam with coupled weight_decay: g = g + weight_decay*p for ALL params (weights, biases, bn '
         'gamma/beta), then Adam (eps outside sqrt, bias-corrected)'),
    ]:
        p = {k: torch.nn.Parameter(d(v)) for k, v in init.items()}
        rm = torch.zeros(16, dtype=torch.float64)
        rv = torch.ones(16, dtype=torch.float64)
        kw = dict(hp)
        if 'betas' in kw:
            kw['betas'] = tuple(kw['betas'])
        opt = getattr(torch.optim, opt_name)([p[k] for k in order], **kw)
        losses_ = []
        expected = {}
        for t in range(3):
            opt.zero_grad()
            h = F.linear(d(x), p['fc1.weight'], p['fc1.bias'])
            h = F.batch_norm(h, rm, rv, p['bn1.weight'], p['bn1.bias'], training=True, momentum=0.1, eps=1e-5)
            h = torch.tanh(F.linear(torch.relu(h), p['fc2.weight'], p['fc2.bias']))
            logits = F.linear(h, p['fc3.weight'], p['fc3.bias'])
            loss = F.cross_entropy(logits, labels)
            losses_.append(loss.item())
            loss.backward()
            if t == 0:
                expected['logits_step0'] = f32(logits)
                expected.update(tensors({k: v.grad for k, v in p.items()}, 'grad_step0.'))
            opt.step()
        expected['loss_before_step'] = f32(torch.tensor(losses_))
        expected.update(tensors(p))
        expected['bn1.running_mean'] = f32(rm)
        expected['bn1.running_var'] = f32(rv)
        inputs = {'x': f32(x), 'labels': i64(labels)}
        inputs.update(tensors(init))
        inputs['bn1.running_mean'] = f32(torch.zeros(16))
        inputs['bn1.running_var'] = f32(torch.ones(16))
        cases.append(case(name, 'mlp_train',
                          {'architecture': arch, 'optimizer': opt_name, 'hyperparams': hp, 'steps': 3,
                           'loss': 'cross_entropy(logits, labels), mean over batch', 'layout': layout,
                           'procedure': procedure, 'optimizer_formula': opt_formula},
                          inputs, expected, 1e-3, 1e-4))
    return {'semantics': 'end-to-end training of a small MLP (Linear-BatchNorm1d-ReLU-Linear-Tanh-Linear) with softmax '
                         'cross-entropy; losses per step and final parameters',
            'cases': cases}


# ---------------------------------------------------------------- schedules


def schedules(seed):
    epochs = 12
    base_lr = 0.1

    def run(make, losses_=None):
        p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
        opt = torch.optim.SGD([p], lr=base_lr)
        sched = make(opt)
        lr, after = [], []
        for e in range(epochs):
            lr.append(opt.param_groups[0]['lr'])
            opt.step()
            if losses_ is None:
                sched.step()
            else:
                sched.step(losses_[e])
            after.append(opt.param_groups[0]['lr'])
        return lr, after

    S = torch.optim.lr_scheduler
    cases = []
    lr, _ = run(lambda o: S.StepLR(o, step_size=3, gamma=0.5))
    cases.append(case('step_lr', 'StepLR', {'step_size': 3, 'gamma': 0.5,
                                            'formula': 'lr[e] = base_lr * gamma^floor(e/step_size)',
                                            'base_lr': base_lr, 'epochs': epochs}, {}, {'lr': f64(lr)}, 1e-6, 1e-9))
    lr, _ = run(lambda o: S.ExponentialLR(o, gamma=0.9))
    cases.append(case('exponential_lr', 'ExponentialLR', {'gamma': 0.9, 'formula': 'lr[e] = base_lr * gamma^e',
                                                          'base_lr': base_lr, 'epochs': epochs},
                      {}, {'lr': f64(lr)}, 1e-6, 1e-9))
    lr, _ = run(lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.001))
    cases.append(case('cosine_annealing_lr', 'CosineAnnealingLR',
                      {'T_max': 10, 'eta_min': 0.001,
                       'formula': 'lr[e] = eta_min + (base_lr-eta_min)*(1+cos(pi*e/T_max))/2 for all e (PyTorch: past '
                                  'T_max the curve rises again, it is NOT clamped at eta_min)',
                       'base_lr': base_lr, 'epochs': epochs}, {}, {'lr': f64(lr)}, 1e-6, 1e-9))
    W, T, eta_min = 3, 9, 0.001
    lr = [base_lr * (e + 1) / W if e < W else eta_min + 0.5 * (base_lr - eta_min) * (1 + math.cos(math.pi * min(e - W, T) / T))
          for e in range(epochs)]
    cases.append(case('warmup_cosine', 'WarmupCosine',
                      {'warmup_epochs': W, 'cosine_epochs': T, 'eta_min': eta_min,
                       'formula': 'e < W: lr[e] = base_lr*(e+1)/W;  e >= W: lr[e] = eta_min + 0.5*(base_lr-eta_min)*'
                                  '(1+cos(pi*min(e-W, T)/T)) with W=warmup_epochs, T=cosine_epochs (computed by formula, '
                                  'not a torch class)',
                       'base_lr': base_lr, 'epochs': epochs}, {}, {'lr': f64(lr)}, 1e-6, 1e-9))
    # One loss (0.64995 after 0.65) improves by less than the relative threshold: a bad epoch.
    val = [1.0, 0.85, 0.7, 0.66, 0.65, 0.68, 0.64995, 0.66, 0.6, 0.61, 0.62, 0.63]
    lr, after = run(lambda o: S.ReduceLROnPlateau(o, mode='min', factor=0.5, patience=2, threshold=1e-4,
                                                  threshold_mode='rel', cooldown=0, min_lr=0.0, eps=1e-8), val)
    cases.append(case('reduce_lr_on_plateau', 'ReduceLROnPlateau',
                      {'mode': 'min', 'factor': 0.5, 'patience': 2, 'threshold': 1e-4, 'threshold_mode': 'rel',
                       'cooldown': 0, 'min_lr': 0.0, 'eps': 1e-8,
                       'formula': 'after epoch e call step(val_losses[e]): improved iff loss < best*(1-threshold); if '
                                  'improved: best=loss, bad=0 else bad+=1; if bad > patience: lr = max(lr*factor, min_lr) '
                                  '(only if the change exceeds eps), bad=0. lr[e] = lr used during epoch e (before '
                                  'step(val_losses[e])); lr_after_step[e] = lr after step(val_losses[e])',
                       'base_lr': base_lr, 'epochs': epochs},
                      {'val_losses': f64(val)}, {'lr': f64(lr), 'lr_after_step': f64(after)}, 1e-6, 1e-9))
    return {'semantics': 'learning rate in effect during epoch e = 0..11 (scheduler.step() called once after each '
                         'epoch); float64 values',
            'cases': cases}


# ---------------------------------------------------------------- conv


CONV_LAYOUT = ('NCHW activations; conv weight [out_channels, in_channels/groups, kh, kw] (PyTorch OIHW); bias '
               '[out_channels]')


def conv(seed):
    r = Rng(seed)
    cases = []
    # (N, C, H, W, out, k, stride, padding, dilation, groups)
    for N, C, H, W, O, k, s, p, dl, g in [
        (2, 3, 8, 8, 4, 3, 1, 1, 1, 1), (2, 4, 7, 9, 6, 3, 2, 0, 1, 1), (3, 5, 6, 6, 7, 1, 1, 0, 1, 1),
        (2, 4, 8, 8, 6, 3, 1, 1, 1, 2), (2, 4, 7, 7, 4, 3, 1, 1, 1, 4), (1, 2, 9, 9, 3, 3, 1, 2, 2, 1),
        (2, 1, 12, 12, 5, 5, 1, 2, 1, 1),
    ]:
        x = r.randn(N, C, H, W)
        w = r.randn(O, C // g, k, k, scale=1.0 / math.sqrt(C // g * k * k))
        b = r.randn(O, scale=0.5)
        y, (xl, wl, bl) = grad_of(lambda x_, w_, b_: F.conv2d(x_, w_, b_, s, p, dl, g), d(x), d(w), d(b))
        dy = r.randn(*y.shape)
        y.backward(d(dy))
        cases.append(case(f'conv2d_{N}x{C}x{H}x{W}_o{O}_k{k}x{k}_s{s}{s}_p{p}{p}_d{dl}{dl}_g{g}', 'conv2d',
                          {'stride': [s, s], 'padding': [p, p], 'dilation': [dl, dl], 'groups': g, 'layout': CONV_LAYOUT,
                           'formula': 'y = torch.nn.functional.conv2d(x, w, b, stride, padding (zeros), dilation, '
                                      'groups); dx, dw, db for upstream dy'},
                          {'x': f32(x), 'w': f32(w), 'b': f32(b), 'dy': f32(dy)},
                          {'y': f32(y), 'dx': f32(xl.grad), 'dw': f32(wl.grad), 'db': f32(bl.grad)}, 1e-4, 1e-5))
    for N, C, H, W, k, s, p in [(2, 3, 8, 8, 2, 2, 0), (2, 2, 7, 7, 3, 2, 1), (1, 3, 5, 6, 2, 1, 0)]:
        x = r.randn(N, C, H, W)
        y, (xl,) = grad_of(lambda x_: F.max_pool2d(x_, k, s, p), d(x))
        dy = r.randn(*y.shape)
        y.backward(d(dy))
        cases.append(case(f'maxpool2d_{N}x{C}x{H}x{W}_k{k}x{k}_s{s}{s}_p{p}{p}', 'maxpool2d',
                          {'kernel': [k, k], 'stride': [s, s], 'padding': [p, p], 'layout': 'NCHW',
                           'formula': 'torch.nn.functional.max_pool2d (padding counts as -inf, ceil_mode False); dx '
                                      'routes dy to the max'},
                          {'x': f32(x), 'dy': f32(dy)}, {'y': f32(y), 'dx': f32(xl.grad)}, 1e-4, 1e-5))
    for N, C, H, W, k, s, p, cip in [(2, 3, 8, 8, 2, 2, 0, True), (2, 2, 7, 7, 3, 2, 1, True),
                                     (2, 2, 7, 7, 3, 2, 1, False)]:
        x = r.randn(N, C, H, W)
        y, (xl,) = grad_of(lambda x_: F.avg_pool2d(x_, k, s, p, count_include_pad=cip), d(x))
        dy = r.randn(*y.shape)
        y.backward(d(dy))
        cases.append(case(f'avgpool2d_{N}x{C}x{H}x{W}_k{k}x{k}_s{s}{s}_p{p}{p}_{"cip" if cip else "nocip"}', 'avgpool2d',
                          {'kernel': [k, k], 'stride': [s, s], 'padding': [p, p], 'layout': 'NCHW',
                           'count_include_pad': cip,
                           'formula': 'torch.nn.functional.avg_pool2d (zero padding, ceil_mode False); count_include_pad '
                                      'as given'},
                          {'x': f32(x), 'dy': f32(dy)}, {'y': f32(y), 'dx': f32(xl.grad)}, 1e-4, 1e-5))
    x = r.randn(2, 4, 5, 5)
    dy = r.randn(2, 4)
    y, (xl,) = grad_of(lambda x_: x_.mean(dim=(2, 3)), d(x))
    y.backward(d(dy))
    cases.append(case('global_avg_pool2d_2x4x5x5', 'global_avg_pool2d',
                      {'layout': 'NCHW', 'formula': 'y[n,c] = mean over h,w of x[n,c,h,w] (output [N, C])'},
                      {'x': f32(x), 'dy': f32(dy)}, {'y': f32(y), 'dx': f32(xl.grad)}, 1e-4, 1e-5))
    x, gamma, beta, dy = norm_case(r, (4, 3, 5, 5), 3)
    rm = r.randn(3, scale=0.3)
    rv = r.uniform(0.5, 2.0, 3)
    rm64, rv64 = d(rm), d(rv)
    y, dx, dg, db = backward_norm(
        lambda x_, g_, b_: F.batch_norm(x_, rm64, rv64, g_, b_, training=True, momentum=0.1, eps=1e-5),
        x, gamma, beta, dy)
    cases.append(case('batchnorm2d_train_4x3x5x5', 'batchnorm2d_train',
                      {'momentum': 0.1, 'eps': 1e-5, 'layout': 'NCHW',
                       'formula': 'torch.nn.BatchNorm2d training: statistics per channel over N,H,W (biased var to '
                                  'normalize, unbiased for running_var)'},
                      {'x': f32(x), 'gamma': f32(gamma), 'beta': f32(beta), 'running_mean': f32(rm),
                       'running_var': f32(rv), 'dy': f32(dy)},
                      {'y': f32(y), 'dx': f32(dx), 'dgamma': f32(dg), 'dbeta': f32(db), 'running_mean': f32(rm64),
                       'running_var': f32(rv64)}, 1e-4, 5e-5))
    for shape, G in [((2, 6, 4, 4), 3), ((2, 4, 3, 5), 1)]:
        x, gamma, beta, dy = norm_case(r, shape, shape[1])
        y, dx, dg, db = backward_norm(lambda x_, g_, b_: F.group_norm(x_, G, g_, b_, 1e-5), x, gamma, beta, dy)
        cases.append(case('groupnorm2d_' + 'x'.join(map(str, shape)) + f'_g{G}', 'groupnorm2d',
                          {'groups': G, 'eps': 1e-5, 'layout': 'NCHW',
                           'formula': 'torch.nn.functional.group_norm: statistics per (sample, group) over C/G channels '
                                      'x H x W; per-channel gamma/beta'},
                          {'x': f32(x), 'gamma': f32(gamma), 'beta': f32(beta), 'dy': f32(dy)},
                          {'y': f32(y), 'dx': f32(dx), 'dgamma': f32(dg), 'dbeta': f32(db)}, 1e-4, 5e-5))
    cases += cnn_cases(r)
    return {'semantics': 'convolution and pooling layers (NCHW, PyTorch OIHW weights): forward and backward for upstream '
                         'dy; BatchNorm2d/GroupNorm on 4-D maps; a small CNN trained end to end',
            'cases': cases}


def cnn_cases(r):
    arch = [{'name': 'conv1', 'type': 'Conv2d', 'in': 1, 'out': 4, 'kernel': 3, 'padding': 1, 'bias': False},
            {'name': 'bn1', 'type': 'BatchNorm2d', 'features': 4, 'momentum': 0.1, 'eps': 1e-5},
            {'type': 'ReLU'},
            {'type': 'MaxPool2d', 'kernel': 2, 'stride': 2},
            {'name': 'conv2', 'type': 'Conv2d', 'in': 4, 'out': 6, 'kernel': 3, 'padding': 0},
            {'type': 'ReLU'},
            {'type': 'Flatten', 'note': 'NCHW order: c, then h, then w'},
            {'name': 'fc', 'type': 'Linear', 'in': 24, 'out': 3}]
    x = r.randn(6, 1, 8, 8)
    labels = r.randint(3, 6)
    init = {'conv1.weight': r.uniform(-1 / 3, 1 / 3, 4, 1, 3, 3),
            'bn1.weight': r.uniform(0.8, 1.2, 4), 'bn1.bias': r.randn(4, scale=0.1),
            'conv2.weight': r.uniform(-1 / 6, 1 / 6, 6, 4, 3, 3), 'conv2.bias': r.uniform(-1 / 6, 1 / 6, 6),
            'fc.weight': r.uniform(-1 / math.sqrt(24), 1 / math.sqrt(24), 3, 24),
            'fc.bias': r.uniform(-1 / math.sqrt(24), 1 / math.sqrt(24), 3)}
    order = list(init)
    procedure = ('training mode; each step: zero grads, logits = model(x), loss = mean softmax cross-entropy, record '
                 'loss, backward, optimizer step (3 steps). Expected params and running stats are after the last step.')
    cases = []
    for name, opt_name, hp in [('cnn_sgd', 'SGD', {'lr': 0.05, 'momentum': 0.9}),
                               ('cnn_adam', 'Adam', {'lr': 0.01, 'betas': [0.9, 0.999], 'eps': 1e-8, 'weight_decay': 0.0})]:
        p = {k: torch.nn.Parameter(d(v)) for k, v in init.items()}
        rm = torch.zeros(4, dtype=torch.float64)
        rv = torch.ones(4, dtype=torch.float64)
        kw = dict(hp)
        if 'betas' in kw:
            kw['betas'] = tuple(kw['betas'])
        opt = getattr(torch.optim, opt_name)([p[k] for k in order], **kw)
        expected, losses_ = {}, []
        for t in range(3):
            opt.zero_grad()
            h = F.conv2d(d(x), p['conv1.weight'], None, 1, 1)
            h = F.batch_norm(h, rm, rv, p['bn1.weight'], p['bn1.bias'], training=True, momentum=0.1, eps=1e-5)
            h = F.max_pool2d(torch.relu(h), 2, 2)
            h = torch.relu(F.conv2d(h, p['conv2.weight'], p['conv2.bias']))
            logits = F.linear(h.flatten(1), p['fc.weight'], p['fc.bias'])
            loss = F.cross_entropy(logits, labels)
            losses_.append(loss.item())
            loss.backward()
            if t == 0:
                expected['logits_step0'] = f32(logits)
                for k in order:
                    expected['grad_step0.' + k] = f32(p[k].grad)
            opt.step()
        expected['loss_before_step'] = f32(torch.tensor(losses_))
        for k in order:
            expected[k] = f32(p[k])
        expected['bn1.running_mean'] = f32(rm)
        expected['bn1.running_var'] = f32(rv)
        inputs = {'x': f32(x), 'labels': i64(labels)}
        inputs.update({k: f32(v) for k, v in init.items()})
        cases.append(case(name, 'cnn_train',
                          {'architecture': arch, 'optimizer': opt_name, 'hyperparams': hp, 'steps': 3,
                           'layout': CONV_LAYOUT, 'procedure': procedure},
                          inputs, expected, 1e-3, 1e-4))
    return cases


# ---------------------------------------------------------------- output

# One fixed seed per file (seed + offset) so that adding a case to one file leaves the others unchanged.
FILES = {
    'activations.json': (activations, 0),
    'gemm.json': (gemm, 1),
    'losses.json': (losses, 2),
    'norms.json': (norms, 3),
    'optimizers.json': (optimizers, 4),
    'mlp.json': (mlp, 5),
    'schedules.json': (schedules, 6),
    'conv.json': (conv, 7),
}


def build(name, seed):
    fn, offset = FILES[name]
    torch.manual_seed(seed + offset)  # nothing should use the global generator; fixed anyway
    body = fn(seed + offset)
    return {'generator': GENERATOR, 'variant': VARIANT, 'seed': seed + offset, 'semantics': body['semantics'],
            'cases': body['cases']}


def dumps(doc):
    """JSON with one line per tensor (keeps diffs readable and files small)."""
    def j(v):
        return json.dumps(v, separators=(',', ':'))

    def tensors(ts, indent):
        pad = ' ' * indent
        return '{\n' + ',\n'.join(f'{pad}  {j(k)}:{j(v)}' for k, v in ts.items()) + '\n' + pad + '}'

    lines = ['{']
    for k in ('generator', 'variant', 'seed', 'semantics'):
        lines.append(f'  {j(k)}:{j(doc[k])},')
    lines.append('  "cases":[')
    out = []
    for c in doc['cases']:
        out.append('    {\n'
                   f'      "name":{j(c["name"])},\n'
                   f'      "op":{j(c["op"])},\n'
                   f'      "attrs":{j(c["attrs"])},\n'
                   f'      "inputs":{tensors(c["inputs"], 6)},\n'
                   f'      "expected":{tensors(c["expected"], 6)},\n'
                   f'      "tolerance":{j(c["tolerance"])}\n'
                   '    }')
    lines.append(',\n'.join(out))
    lines.append('  ]')
    lines.append('}')
    return '\n'.join(lines) + '\n'


def compare(name, fresh, committed):
    """Problems between a regenerated file and the committed one (structure exact, numbers within
    1% of each case's tolerance, so a different BLAS or libm does not fail the check)."""
    problems = []
    for k in ('variant', 'seed', 'semantics'):
        if fresh[k] != committed.get(k):
            problems.append(f'{name}: {k} differs')
    fc, cc = fresh['cases'], committed.get('cases', [])
    if [c['name'] for c in fc] != [c['name'] for c in cc]:
        return problems + [f'{name}: case list differs']
    for a, b in zip(fc, cc):
        for k in ('op', 'attrs', 'tolerance'):
            if a[k] != b[k]:
                problems.append(f'{name} {a["name"]}: {k} differs')
        for group in ('inputs', 'expected'):
            if list(a[group]) != list(b[group]):
                problems.append(f'{name} {a["name"]}: {group} keys differ')
                continue
            for t in a[group]:
                x, y = a[group][t], b[group][t]
                if x['shape'] != y['shape'] or x.get('dtype') != y.get('dtype'):
                    problems.append(f'{name} {a["name"]}: {group}.{t} shape/dtype differs')
                    continue
                xa, ya = np.asarray(x['data'], dtype=np.float64), np.asarray(y['data'], dtype=np.float64)
                scale = 0.0 if group == 'inputs' else 0.01
                lim = scale * (a['tolerance']['atol'] + a['tolerance']['rtol'] * np.abs(ya))
                bad = np.nonzero(~(np.abs(xa - ya) <= lim))[0]
                if bad.size:
                    i = int(bad[0])
                    problems.append(f'{name} {a["name"]}: {group}.{t}[{i}] regenerated {xa[i]!r}, committed {ya[i]!r}')
    return problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--seed', type=int, default=DEFAULT_SEED)
    ap.add_argument('--out', default=DEFAULT_OUT)
    ap.add_argument('--check', action='store_true', help='compare with the files in --out instead of writing')
    ap.add_argument('files', nargs='*', help='only these files (default: all)')
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    names = args.files or list(FILES)
    for n in names:
        if n not in FILES:
            ap.error(f'unknown file {n!r} (known: {", ".join(FILES)})')
    problems = []
    os.makedirs(args.out, exist_ok=True) if not args.check else None
    for n in names:
        text = dumps(build(n, args.seed))
        doc = json.loads(text)  # through the writer, as a reader sees it
        path = os.path.join(args.out, n)
        if args.check:
            try:
                with open(path, encoding='utf-8') as f:
                    committed = json.load(f)
            except OSError as e:
                problems.append(f'{path}: {e.strerror}')
                continue
            problems += compare(n, doc, committed)
        else:
            with open(path, 'w', encoding='utf-8') as f:
                f.write(text)
            print(f'{path}: {len(doc["cases"])} cases')
    if args.check:
        for p in problems:
            print(p, file=sys.stderr)
        if problems:
            print(f'golden check: {len(problems)} difference(s); regenerate with scripts/golden/generate.py',
                  file=sys.stderr)
            return 1
        print(f'golden check: {len(names)} files match a fresh generation (seed {args.seed})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
