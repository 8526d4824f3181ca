#!/usr/bin/env python3
# PyTorch side of `npm run bench:mnist -- --compare`: the same three Fashion-MNIST
# workloads as bench/mnist.mjs (and the CNN), one model per process (so peak RSS is per model).
#
#   python3 bench/mnist-torch.py --model small --epochs 1 --threads 2 [--limit B] [--data-dir D]
#                                [--data uint8|float32] [--seed S]
#
# Data: the same IDX files, read with gzip + numpy. By default the images stay uint8 and each
# batch is gathered and converted (x[idx].float() * (1/255)), the same work gradwell does;
# --data float32 converts the whole set once up front, as a typical torch user would.
# The training loop is a plain index loop (no DataLoader: its worker/collate overhead would
# make PyTorch look slower than it is).
#
# Prints one JSON object per line: a 'train' record per model and, for 'small' and 'cnn', an
# 'inference' record (batch 1000, torch.inference_mode, best of several passes over the test set).
import argparse
import gzip
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument('--model', required=True, choices=['small', 'dropout', 'bn', 'cnn'])
parser.add_argument('--epochs', type=int, default=1)
parser.add_argument('--threads', type=int, default=2)
parser.add_argument('--limit', type=int, default=0, help='train on the first limit*128 samples (0: all)')
parser.add_argument('--data-dir', default='/usr/share/datasets/fashion-mnist')
parser.add_argument('--data', default='uint8', choices=['uint8', 'float32'])
parser.add_argument('--seed', type=int, default=1234)
parser.add_argument('--infer-passes', type=int, default=5)
parser.add_argument('--init', default='gradwell', choices=['gradwell', 'torch'],
                    help="gradwell: the same initializer distributions as gradwell's defaults (He normal before ReLU, "
                         "Glorot uniform otherwise, zero biases); torch: nn.Linear's own default")
args = parser.parse_args()

torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)


def find(name):
    """The IDX file `name`, gzip-compressed (name.gz) or raw; None when neither exists."""
    for p in (os.path.join(args.data_dir, name + '.gz'), os.path.join(args.data_dir, name)):
        if os.path.exists(p):
            return p
    return None


def read_idx(path):
    with (gzip.open(path, 'rb') if path.endswith('.gz') else open(path, 'rb')) as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(split):
    images = read_idx(find(f'{split}-images-idx3-ubyte'))
    labels = read_idx(find(f'{split}-labels-idx1-ubyte'))
    x = torch.from_numpy(images.reshape(images.shape[0], -1).copy())
    y = torch.from_numpy(labels.astype(np.int64))
    if args.data == 'float32':
        x = x.float().mul_(1 / 255)
    return x, y


def as_input(xb):
    xb = xb if xb.dtype == torch.float32 else xb.float().mul_(1 / 255)
    return xb.view(-1, 1, 28, 28) if args.model == 'cnn' else xb


def init_like_gradwell(model):
    # gradwell's Dense defaults: heNormal (std sqrt(2/fan_in)) when the layer has a ReLU activation,
    # glorotUniform otherwise (a Linear followed by BatchNorm, or the output layer); biases zero.
    mods = list(model)
    for i, m in enumerate(mods):
        if isinstance(m, nn.Linear):
            fused_relu = i + 1 < len(mods) and isinstance(mods[i + 1], nn.ReLU)
            if fused_relu:
                nn.init.kaiming_normal_(m.weight, mode='fan_in', nonlinearity='relu')
            else:
                nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)


def init_cnn(model):
    # The CNN: He-normal weights (fan_in) everywhere, zero biases.
    for m in model:
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, mode='fan_in', nonlinearity='relu')
            nn.init.zeros_(m.bias)


def build(name):
    model, opt = build_default(name)
    if name == 'cnn':
        with torch.no_grad():
            init_cnn(model)
        return model, opt
    if args.init == 'gradwell':
        with torch.no_grad():
            init_like_gradwell(model)
    return model, opt


def build_default(name):
    if name == 'cnn':
        # input reshaped to 1x28x28 (in as_input), conv 5x5 pad 2 (32, 64 filters), ReLU, max pool 2
        model = nn.Sequential(
            nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
        return model, torch.optim.Adam(model.parameters(), lr=1e-3)
    if name == 'small':
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
        return model, torch.optim.Adam(model.parameters(), lr=1e-3)
    if name == 'dropout':
        layers = []
        width_in = 784
        for _ in range(3):
            layers += [nn.Linear(width_in, 2048), nn.ReLU(), nn.Dropout(0.5)]
            width_in = 2048
        model = nn.Sequential(*layers, nn.Linear(2048, 10))
        return model, torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model = nn.Sequential(
        nn.Linear(784, 512), nn.BatchNorm1d(512), nn.ReLU(),
        nn.Linear(512, 512), nn.BatchNorm1d(512), nn.ReLU(),
        nn.Linear(512, 10))
    return model, torch.optim.Adam(model.parameters(), lr=1e-3)


def max_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main():
    for split in ('train', 't10k'):
        for kind in ('images', 'labels'):
            name = f'{split}-{kind}-idx{3 if kind == "images" else 1}-ubyte'
            if find(name) is None:
                print(json.dumps({'framework': 'pytorch', 'model': args.model, 'error': f'missing {name}(.gz) in {args.data_dir}'}))
                return 2
    x_train, y_train = load('train')
    x_test, y_test = load('t10k')
    if args.limit > 0:  # the first limit * 128 samples, as bench/mnist.mjs does
        x_train, y_train = x_train[:args.limit * 128], y_train[:args.limit * 128]
    model, opt = build(args.model)
    loss_fn = nn.CrossEntropyLoss()
    batch = 128
    n = x_train.shape[0]
    batches_per_epoch = (n + batch - 1) // batch
    epoch_seconds = []
    samples_seen = 0
    cpu0 = time.process_time()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(n)
        seen = 0
        loss_sum = torch.zeros(())
        t0 = time.perf_counter()
        for b in range(batches_per_epoch):
            idx = order[b * batch:(b + 1) * batch]
            xb = as_input(x_train[idx])
            yb = y_train[idx]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            loss_sum += loss.detach() * idx.shape[0]
            seen += idx.shape[0]
        epoch_seconds.append(time.perf_counter() - t0)
        samples_seen = seen
        train_loss = float(loss_sum) / seen

    cpu_seconds = time.process_time() - cpu0
    model.eval()
    correct = 0
    test_loss = 0.0
    with torch.inference_mode():
        for s in range(0, x_test.shape[0], 1000):
            out = model(as_input(x_test[s:s + 1000]))
            correct += int((out.argmax(1) == y_test[s:s + 1000]).sum())
            test_loss += float(loss_fn(out, y_test[s:s + 1000])) * out.shape[0]
    test_accuracy = correct / x_test.shape[0]
    test_loss /= x_test.shape[0]
    best = min(epoch_seconds)
    record = {
        'framework': 'pytorch', 'task': 'train', 'model': args.model, 'threads': args.threads,
        'epochs': args.epochs, 'samplesPerEpoch': samples_seen,
        'epochSeconds': best, 'epochSecondsAll': epoch_seconds,
        'samplesPerSec': samples_seen / best, 'cpuSecondsPerEpoch': cpu_seconds / args.epochs,
        'trainLoss': train_loss, 'testLoss': test_loss, 'testAccuracy': test_accuracy,
        'peakRssMiB': max_rss_mib(), 'version': f'torch {torch.__version__}', 'data': args.data,
        'init': args.init, 'ompWaitPolicy': os.environ.get('OMP_WAIT_POLICY', 'default'),
    }
    print(json.dumps(record), flush=True)

    if args.model in ('small', 'cnn'):
        times = []
        with torch.inference_mode():
            for _ in range(args.infer_passes):
                t0 = time.perf_counter()
                for s in range(0, x_test.shape[0], 1000):
                    out = model(as_input(x_test[s:s + 1000]))
                times.append(time.perf_counter() - t0)
        best = min(times)
        print(json.dumps({
            'framework': 'pytorch', 'task': 'inference', 'model': args.model, 'threads': args.threads, 'batch': 1000,
            'epochSeconds': best, 'samplesPerSec': x_test.shape[0] / best, 'testAccuracy': test_accuracy,
            'peakRssMiB': max_rss_mib(), 'version': f'torch {torch.__version__}', 'data': args.data,
            'init': args.init, 'ompWaitPolicy': os.environ.get('OMP_WAIT_POLICY', 'default'),
        }), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
