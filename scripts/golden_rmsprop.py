#!/usr/bin/env python3
"""Golden torch.optim.RMSprop results from the installed torch's loop and foreach CPU paths.

Not part of CI. Run it with each torch it should record:

    /usr/bin/python3 scripts/golden_rmsprop.py        # Debian's torch 1.13 -> tests/data/rmsprop_torch1.13.json
                                                      #   and rmsprop_small.json (inertia-check's example)
    /tmp/torch2/bin/python scripts/golden_rmsprop.py  # PyPI torch 2.15     -> tests/data/rmsprop_torch2.15.json

replayed by tests/test_rmsprop.cpp at 0 ULP (C++ API on every target at 1 and 3 threads, and the
generic C ABI), with numerics pytorch_1_13 for 1.13 and pytorch_<path> for 2.x.

The layout is scripts/golden_torch2.py's (its `values`, `fnv1a`, `bits_hex`): each case steps five
parameter tensors of 1, 7, 17, 33 and 1003 elements for 30 steps with constant hyperparameters on
one torch thread; the inputs are splitmix64 values the C++ test regenerates; stored per tensor are
the FNV-1a hashes of the final param and of the final state (square_avg, momentum_buffer, grad_avg,
those present, in that order) and the final param's bits for every element of the small tensors
and 32 of the big one.

On torch >= 2 the tensor sqrt (sqrt, sqrt_, _foreach_sqrt, _foreach_sqrt_: MKL's on x86-64 wheels,
not correctly rounded) is replaced by numpy's IEEE sqrt, as golden_torch2.py does; --mkl-sqrt keeps
torch's own. Debian's torch 1.13 has no MKL: its sqrt is IEEE already and is left alone.
"""

import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_layout import HEAD, SIZES, STEPS, TAIL, bits_hex, fnv1a, tensor_seed, values  # noqa: E402

# (case name, torch constructor kwargs beyond params): torch's defaults, then each option that changes
# the arithmetic; alpha 0.3 takes lerp's other branch (weight 1 - alpha >= 0.5) in torch 2.x's grad_avg.
CASES = [
    ("defaults", {"lr": 1e-2}),
    ("centered", {"lr": 1e-2, "centered": True}),
    ("momentum0.9", {"lr": 1e-3, "momentum": 0.9}),
    ("centered_momentum0.5_wd0.01_maximize_alpha0.9",
     {"lr": 1e-3, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.01, "maximize": True}),
    ("centered_alpha0.3_eps1e-6", {"lr": 1e-3, "alpha": 0.3, "centered": True, "eps": 1e-6}),
]
PATHS = {"loop": {"foreach": False}, "foreach": {"foreach": True}}
STATE = ("square_avg", "momentum_buffer", "grad_avg")
KEYS = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize")
# scripts/golden_torch2.py's seeds are 1000 * (case + 1) + tensor; these cases start at 50 so that
# their streams are others.
SEED_CASE_OFFSET = 50


def ieee_sqrt(tensor):
    return torch.from_numpy(np.sqrt(tensor.detach().numpy()))


def use_ieee_sqrt():
    torch.Tensor.sqrt = ieee_sqrt
    torch.Tensor.sqrt_ = lambda t: t.copy_(ieee_sqrt(t))
    torch._foreach_sqrt = lambda tensors: [ieee_sqrt(t) for t in tensors]

    def foreach_sqrt_(tensors):
        for t in tensors:
            t.copy_(ieee_sqrt(t))

    torch._foreach_sqrt_ = foreach_sqrt_


def run(kwargs, path, dtype, seed_case):
    tdtype = torch.float32 if dtype == "float32" else torch.float64
    streams = [values(tensor_seed(seed_case, j), n * (STEPS + 1)) for j, n in enumerate(SIZES)]
    params = [torch.nn.Parameter(torch.tensor(s[:n]).to(tdtype)) for s, n in zip(streams, SIZES)]
    opt = torch.optim.RMSprop(params, **kwargs, **PATHS[path])
    for step in range(STEPS):
        for p, s, n in zip(params, streams, SIZES):
            p.grad = torch.tensor(s[n * (step + 1): n * (step + 2)]).to(tdtype)
        opt.step()
    out = []
    for p in params:
        state = opt.state[p]
        final = p.detach().numpy().copy()
        buffers = [state[k].detach().numpy() for k in STATE if k in state]
        n = final.size
        sample = list(range(n)) if n <= HEAD + TAIL else list(range(HEAD)) + list(range(n - TAIL, n))
        out.append({"n": n, "param_hash": fnv1a(final.tobytes()),
                    "state_hash": fnv1a(b"".join(b.tobytes() for b in buffers)),
                    "state_names": [k for k in STATE if k in state],
                    "sample_index": sample, "param_sample": bits_hex(final[sample])})
    return out


# inertia-check's example (tests/check_tool): one float32 tensor of 37 elements, 8 steps, in the
# "inertia-trajectory" format. The second case starts square_avg at 0.1 (Optax's initial_scale, set in
# torch's state before its first step) and gives no initial square_avg: inertia-check fills it.
TRAJECTORY_CASES = [
    ("centered_momentum0.5_wd0.01", {"lr": 1e-2, "alpha": 0.9, "momentum": 0.5, "centered": True,
                                     "weight_decay": 0.01}, 0.0),
    ("initial_scale0.1_momentum0.9", {"lr": 1e-2, "momentum": 0.9}, 0.1),
]


def trajectory(name, kwargs, initial_scale, case_index):
    n = 37
    stream = values(tensor_seed(SEED_CASE_OFFSET + 10 + case_index, 0), n * 9)
    p = torch.nn.Parameter(torch.tensor(stream[:n]).to(torch.float32))
    opt = torch.optim.RMSprop([p], **kwargs)
    if initial_scale != 0.0:
        opt.state[p] = {"step": 0, "square_avg": torch.full_like(p, initial_scale, requires_grad=False),
                        "momentum_buffer": torch.zeros_like(p, requires_grad=False)}
    initial = {"param": [float(x) for x in p.detach().numpy()]}
    steps = []
    for step in range(8):
        p.grad = torch.tensor(stream[n * (step + 1): n * (step + 2)]).to(torch.float32)
        grad = [float(x) for x in p.grad.numpy()]
        opt.step()
        record = {"grad": grad, "param": [float(x) for x in p.detach().numpy()]}
        for key in STATE:
            if key in opt.state[p]:
                record[key] = [float(x) for x in opt.state[p][key].detach().numpy()]
        steps.append(record)
    defaults = opt.defaults
    hyperparameters = {k: defaults[k] for k in KEYS}
    hyperparameters.update(initial_scale=initial_scale, numerics="pytorch_1_13")
    return {"name": name, "variant": "rmsprop", "dtype": "float32", "hyperparameters": hyperparameters,
            "lr": defaults["lr"], "initial": initial, "steps": steps}


def write_trajectories(out_dir):
    cases = [trajectory(name, kwargs, scale, k) for k, (name, kwargs, scale) in enumerate(TRAJECTORY_CASES)]
    path = os.path.join(out_dir, "rmsprop_small.json")
    with open(path, "w") as f:
        json.dump({"format": "inertia-trajectory", "version": 1, "generator": "scripts/golden_rmsprop.py",
                   "source": f"torch {torch.__version__} torch.optim.RMSprop(foreach=False), one thread",
                   "cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}: {len(cases)} cases, {os.path.getsize(path)} bytes")


def main():
    torch.set_num_threads(1)
    major_minor = ".".join(torch.__version__.split(".")[:2])
    torch2 = int(torch.__version__.split(".")[0]) >= 2
    mkl_sqrt = "--mkl-sqrt" in sys.argv
    if torch2 and not mkl_sqrt:
        use_ieee_sqrt()
    cases = []
    for case_index, (name, kwargs) in enumerate(CASES):
        seed_case = SEED_CASE_OFFSET + case_index
        defaults = torch.optim.RMSprop([torch.nn.Parameter(torch.zeros(1))], **kwargs).defaults
        hyperparameters = {k: defaults[k] for k in KEYS}
        for dtype in ("float32", "float64"):
            for path in PATHS:
                cases.append({"variant": "rmsprop", "name": name, "path": path, "dtype": dtype,
                              "numerics": f"pytorch_{path}" if torch2 else "pytorch_1_13",
                              "seed_case": seed_case, "hyperparameters": hyperparameters,
                              "tensors": run(kwargs, path, dtype, seed_case)})
    backend = getattr(torch.backends, "cpu", None)
    capability = (backend.get_cpu_capability() if hasattr(backend, "get_cpu_capability")
                  else [line.split(":", 1)[1].strip() for line in torch.__config__.show().splitlines()
                        if "CPU capability usage" in line][0])
    doc = {"format": "inertia-torch2-golden", "version": 1, "torch": torch.__version__,
           "cpu_capability": capability, "torch_threads": 1,
           "sqrt": ("IEEE: tensor sqrt (MKL's on x86-64 wheels) replaced by numpy's" if torch2 and not mkl_sqrt
                    else "torch's own"),
           "steps": STEPS, "sizes": list(SIZES),
           "inputs": "splitmix64 values (scripts/golden_torch2.py `values`), tensor j of case k seeded "
                     "1000*(seed_case+1)+j: n initial params, then n gradients per step",
           "generator": "scripts/golden_rmsprop.py", "cases": cases}
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data")
    if "--out-dir" in sys.argv:
        out_dir = sys.argv[sys.argv.index("--out-dir") + 1]
        os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"rmsprop_torch{major_minor}.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}: {len(cases)} cases, {os.path.getsize(path)} bytes")
    if not torch2:
        write_trajectories(out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
