#!/usr/bin/env python3
"""Golden results of torch 2.x's fused CPU SGD, Adam and AdamW on bfloat16 and float16 parameters.

Not part of CI: run it in a throwaway venv with the current PyPI torch,

    /usr/bin/python3 -m venv /tmp/torch2 && /tmp/torch2/bin/pip install torch numpy
    /tmp/torch2/bin/python scripts/golden_torch2_half.py

It writes tests/data/torch2_half.json, replayed by tests/test_half_golden.cpp through the generic C ABI
(INERTIA_BFLOAT16 / INERTIA_FLOAT16) on every target and thread count, at 0 ULP.

torch 2.x's fused=True optimizers keep their state in the parameter's dtype and compute in float ("opmath"):
each element is widened, updated in float, and every stored value rounded back to nearest even. That is
inertia's half-precision step. (The loop and foreach paths compute op by op in the half type itself: other
bits, not recorded here.)

Each case steps five tensors of 1, 7, 17, 33 and 1003 elements (no multiple of any vector width) for 30 steps
on one torch thread (the fused kernels cut a tensor into per-thread chunks, each with its own tail). Inputs:
splitmix64 values (scripts/golden_layout.py), exact in float32, rounded to the half type by torch (nearest
even), which the C++ test repeats. Stored: every element's final bits, of the parameter and of each state
buffer, as 4 hex digits per element.
"""

import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_layout import SIZES, STEPS, tensor_seed, values  # noqa: E402

# (variant as inertia names it, case name, torch class, constructor kwargs beyond params and fused)
CASES = [
    ("heavy_ball", "momentum0.9", torch.optim.SGD, {"lr": 1e-2, "momentum": 0.9}),
    ("heavy_ball", "momentum0.9_nesterov_wd0.01", torch.optim.SGD,
     {"lr": 1e-2, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("heavy_ball", "momentum0.5_dampening0.3_maximize", torch.optim.SGD,
     {"lr": 5e-2, "momentum": 0.5, "dampening": 0.3, "maximize": True}),
    ("heavy_ball", "plain_wd0.1", torch.optim.SGD, {"lr": 1e-2, "weight_decay": 0.1}),
    ("adam", "defaults", torch.optim.Adam, {"lr": 1e-2}),
    ("adam", "wd0.01_amsgrad_maximize", torch.optim.Adam,
     {"lr": 1e-2, "weight_decay": 0.01, "amsgrad": True, "maximize": True}),
    ("adamw", "wd0.01", torch.optim.AdamW, {"lr": 1e-2, "weight_decay": 0.01}),
    ("adamw", "wd0.1_amsgrad_betas0.8,0.99", torch.optim.AdamW,
     {"lr": 1e-2, "weight_decay": 0.1, "amsgrad": True, "betas": (0.8, 0.99)}),
]
STATE = {"heavy_ball": ("momentum_buffer",), "adam": ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
         "adamw": ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")}
KEYS = {"heavy_ball": ("lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize"),
        "adam": ("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize"),
        "adamw": ("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize")}
DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16}




def bits_string(tensor):
    """4 hex digits per element, most significant first."""
    return "".join(f"{int(x):04x}" for x in tensor.detach().contiguous().view(torch.int16).numpy().view(np.uint16))


def run(case_index, cls, kwargs, dtype):
    streams = [values(tensor_seed(case_index, j), n * (STEPS + 1)) for j, n in enumerate(SIZES)]
    params = [torch.nn.Parameter(torch.tensor(s[:n], dtype=torch.float32).to(dtype)) for s, n in zip(streams, SIZES)]
    opt = cls(params, fused=True, **kwargs)
    for step in range(STEPS):
        for p, s, n in zip(params, streams, SIZES):
            p.grad = torch.tensor(s[n * (step + 1): n * (step + 2)], dtype=torch.float32).to(dtype)
        opt.step()
    return params, opt


def main():
    torch.set_num_threads(1)
    cases = []
    for case_index, (variant, name, cls, kwargs) in enumerate(CASES):
        defaults = cls([torch.nn.Parameter(torch.zeros(1))], **kwargs).defaults
        hyper = {k: (list(defaults[k]) if isinstance(defaults[k], tuple) else defaults[k]) for k in KEYS[variant]}
        for dtype_name, dtype in DTYPES.items():
            params, opt = run(case_index, cls, kwargs, dtype)
            tensors = []
            for p in params:
                state = opt.state[p]
                assert all(state[k].dtype == dtype for k in STATE[variant] if k in state)
                tensors.append({"n": p.numel(), "param": bits_string(p),
                                "state": {k: bits_string(state[k]) for k in STATE[variant] if k in state}})
            cases.append({"variant": variant, "name": name, "dtype": dtype_name, "seed_case": case_index,
                          "hyperparameters": hyper, "tensors": tensors})
    doc = {"format": "inertia-torch2-half-golden", "version": 1, "torch": torch.__version__,
           "cpu_capability": torch.backends.cpu.get_cpu_capability(), "torch_threads": 1, "path": "fused=True",
           "steps": STEPS, "sizes": list(SIZES),
           "inputs": "splitmix64 values (scripts/golden_layout.py `values`), tensor j of case k seeded "
                     "1000*(k+1)+j: n initial params, then n gradients per step; float32, then rounded to the "
                     "dtype by torch (nearest even)",
           "cases": cases}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "torch2_half.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}: {len(cases)} cases, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    sys.exit(main())
