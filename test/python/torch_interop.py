"""Runs gradwell's exports in PyTorch, for test/torch-interop.test.ts.

argv[1]: a JSON job file, a list of cases {code, x, gradwell_weights, gradwell_pred, torch_weights,
torch_pred, seed}. For each case: builds the torch.nn.Sequential from `code` (gradwell's
torchSequentialCode()), loads gradwell's state dict into it (strict), runs it in eval mode on x
and records the largest difference from gradwell's predictions; then re-initializes it, trains it
for a few SGD steps in train mode (so BatchNorm's statistics and Dropout's masks are torch's
own), and writes its state dict and its eval-mode predictions on x for gradwell to load.
Prints one JSON object: {case: {gradwell_in_torch: max abs diff}}.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
from st import load_file, save_file  # noqa: E402

torch.set_num_threads(1)
jobs = json.load(open(sys.argv[1]))
result = {}
for job in jobs:
    scope = {}
    exec(job['code'], scope)
    model = scope['model']
    x = load_file(job['x'])['x']
    state = load_file(job['gradwell_weights'])
    model.load_state_dict(state, strict=True)
    model.eval()
    with torch.no_grad():
        got = model(x)
    want = load_file(job['gradwell_pred'])['y']
    diff = (got - want).abs().max().item()
    # The reverse: torch's own weights, trained a little.
    torch.manual_seed(job['seed'])
    for m in model.modules():
        if hasattr(m, 'reset_parameters'):
            m.reset_parameters()
        if isinstance(m, (torch.nn.GroupNorm, torch.nn.LayerNorm, torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)) and m.weight is not None:
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    model.train()
    for _ in range(3):
        opt.zero_grad()
        out = model(x)
        loss = (out.float() ** 2).mean() + out.float().mean()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        pred = model(x)
    save_file(model.state_dict(), job['torch_weights'], {'format': 'pt'})
    save_file({'y': pred}, job['torch_pred'])
    result[job['name']] = {'gradwell_in_torch': diff, 'torch_finite': bool(torch.isfinite(pred).all())}
print(json.dumps(result))
