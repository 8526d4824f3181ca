# PyTorch peer of bench/conv.mjs: times the same conv / pooling ops, prints one JSON line per op.
# argv: threads seconds workloads-json
import json, os, sys, time
import torch

threads, seconds = int(sys.argv[1]), float(sys.argv[2])
work = json.loads(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(0)
aten = torch.ops.aten

def time_it(fn):
    for _ in range(3):
        fn()
    reps = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        if time.perf_counter() - t0 >= seconds / 8:
            break
        reps *= 2
    best_wall, best_cpu = float('inf'), float('inf')
    for _ in range(7):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(reps):
            fn()
        best_wall = min(best_wall, (time.perf_counter() - t0) / reps)
        best_cpu = min(best_cpu, (time.process_time() - c0) / reps)
    return best_wall, best_cpu

if True:  # the aten backward ops record no graph: none of their inputs requires grad
    for w in work:
        if w['kind'] == 'conv':
            N, C, H, W, K, k, p = w['N'], w['C'], w['H'], w['W'], w['K'], w['k'], w['p']
            x = torch.randn(N, C, H, W)
            wt = torch.randn(K, C, k, k) * 0.1
            b = torch.randn(K)
            y = torch.nn.functional.conv2d(x, wt, b, 1, p)
            dy = torch.randn_like(y)
            wg, bg = wt.clone().requires_grad_(True), b.clone().requires_grad_(True)

            def forward_train():
                # As in training: parameters that require grad, grad mode on (under no_grad, 1.13 takes a
                # much slower path for the 1-channel conv1: ~80 ms instead of ~2).
                return torch.nn.functional.conv2d(x, wg, bg, 1, p)
            fns = {
                'forward': forward_train,
                'backward_data': lambda: aten.convolution_backward(dy, x, wt, [K], [1, 1], [p, p], [1, 1], False, [0, 0], 1, [True, False, False]),
                'backward_filter': lambda: aten.convolution_backward(dy, x, wt, [K], [1, 1], [p, p], [1, 1], False, [0, 0], 1, [False, True, True]),
            }
        else:
            N, C, H, W = w['N'], w['C'], w['H'], w['W']
            x = torch.randn(N, C, H, W)
            y, idx = aten.max_pool2d_with_indices(x, [2, 2], [2, 2], [0, 0])
            dy = torch.randn_like(y)
            fns = {
                'forward': lambda: aten.max_pool2d_with_indices(x, [2, 2], [2, 2], [0, 0]),
                'backward': lambda: aten.max_pool2d_with_indices_backward(dy, x, [2, 2], [2, 2], [0, 0], [1, 1], False, idx),
            }
        for op in w['ops']:
            wall, cpu = time_it(fns[op])
            print(json.dumps({'name': w['name'], 'op': op, 'wall': wall, 'cpu': cpu}), flush=True)
