#!/usr/bin/env python3
"""Golden Adam, AdamW, NAdam and Adagrad results from torch 2.x's three CPU paths.

Not part of CI: run it in a throwaway venv with the current PyPI torch,

    /usr/bin/python3 -m venv /tmp/torch2 && /tmp/torch2/bin/pip install torch numpy
    /tmp/torch2/bin/python scripts/golden_torch2.py

It writes tests/data/torch2_<variant>.json, replayed by tests/test_torch2_golden.cpp
(C++ API, per-variant C calls and the generic C ABI, every target and thread count, 0 ULP).

Each case steps five parameter tensors of 1, 7, 17, 33 and 1003 elements (sizes that are
no multiple of any vector width, so every tail of every kernel is exercised) for 30 steps
with constant hyperparameters, through one optimizer built with foreach=False ("loop"),
foreach=True ("foreach") or fused=True ("fused", where torch has it), on one torch thread
(the fused kernels split a tensor across threads at cache-line-aligned chunk boundaries,
and each chunk has its own scalar tail: the bits depend on torch's thread count).

The inputs are not stored: they come from splitmix64 (see `values`), exactly representable
in float32, so the C++ test regenerates them bit for bit. Stored per tensor: the FNV-1a
64-bit hash of the final param's bytes and of the final state's bytes (in the variant's
state order: exp_avg, exp_avg_sq, max_exp_avg_sq / sum), and the final param's bits as hex
for every element of the small tensors and the first 8 and last 24 elements of the big one
(so a failure says how many ULP, not only that a hash differs).

See use_ieee_sqrt for the one op that is not torch's own in the loop and foreach paths;
--mkl-sqrt records with torch's own (MKL) sqrt instead; with --out-dir DIR (not tests/data) that
measures how far it moves the bits.
"""

import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_layout import HEAD, SIZES, STEPS, TAIL, bits_hex, fnv1a, tensor_seed, values  # noqa: E402,F401

# (variant, case name, torch constructor kwargs beyond params)
CASES = [
    ("adam", "defaults", {"lr": 1e-2}),
    ("adam", "wd0.01_amsgrad_maximize", {"lr": 1e-2, "weight_decay": 0.01, "amsgrad": True, "maximize": True}),
    ("adam", "betas0.3,0.99_eps1e-3", {"lr": 5e-2, "betas": (0.3, 0.99), "eps": 1e-3}),
    ("adamw", "wd0.01", {"lr": 1e-2, "weight_decay": 0.01}),
    ("adamw", "wd0.1_amsgrad_maximize_betas0.8,0.99",
     {"lr": 1e-2, "weight_decay": 0.1, "amsgrad": True, "maximize": True, "betas": (0.8, 0.99)}),
    ("nadam", "defaults", {"lr": 2e-3}),
    ("nadam", "wd0.01_maximize_psi0.04", {"lr": 2e-3, "weight_decay": 0.01, "maximize": True,
                                         "momentum_decay": 0.04}),
    ("nadam", "decoupled_wd0.1_betas0.8,0.99", {"lr": 2e-3, "weight_decay": 0.1, "decoupled_weight_decay": True,
                                               "betas": (0.8, 0.99)}),
    ("adagrad", "defaults", {"lr": 1e-2}),
    ("adagrad", "lr_decay0.01_wd0.01_init0.1_maximize",
     {"lr": 1e-2, "lr_decay": 0.01, "weight_decay": 0.01, "initial_accumulator_value": 0.1, "maximize": True}),
]

PATHS = {"loop": {"foreach": False}, "foreach": {"foreach": True}, "fused": {"fused": True}}
HAS_FUSED = {"adam": True, "adamw": True, "nadam": False, "adagrad": True}
STATE = {"adam": ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"), "adamw": ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
         "nadam": ("exp_avg", "exp_avg_sq"), "adagrad": ("sum",)}
CLASSES = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "nadam": torch.optim.NAdam,
           "adagrad": torch.optim.Adagrad}


def ieee_sqrt(tensor):
    """Tensor.sqrt with IEEE (correctly rounded) results: numpy's."""
    return torch.from_numpy(np.sqrt(tensor.detach().numpy()))


def use_ieee_sqrt():
    """torch's x86-64 wheels take a tensor's sqrt from MKL's vector math (vsSqrt/vdSqrt in VML_HA mode:
    < 1 ULP, not correctly rounded, and different on AVX2 and AVX-512 machines), which no portable
    library reproduces; torch builds without MKL and the fused kernels use IEEE sqrt. The loop and
    foreach goldens are therefore recorded with IEEE sqrt in place of MKL's; every other op is torch's."""
    torch.Tensor.sqrt = ieee_sqrt
    torch._foreach_sqrt = lambda tensors: [ieee_sqrt(t) for t in tensors]


def run(variant, kwargs, path, dtype, case_index):
    tdtype = torch.float32 if dtype == "float32" else torch.float64
    streams = [values(tensor_seed(case_index, j), n * (STEPS + 1)) for j, n in enumerate(SIZES)]
    params = [torch.nn.Parameter(torch.tensor(s[:n]).to(tdtype)) for s, n in zip(streams, SIZES)]
    opt = CLASSES[variant](params, **kwargs, **PATHS[path])
    for step in range(STEPS):
        for p, s, n in zip(params, streams, SIZES):
            p.grad = torch.tensor(s[n * (step + 1): n * (step + 2)]).to(tdtype)
        opt.step()
    out = []
    for p in params:
        state = opt.state[p]
        final = p.detach().numpy().copy()
        buffers = [state[k].detach().numpy() for k in STATE[variant] if k in state]
        assert state["step"].dtype == torch.float32
        n = final.size
        sample = list(range(n)) if n <= HEAD + TAIL else list(range(HEAD)) + list(range(n - TAIL, n))
        out.append({"n": n, "param_hash": fnv1a(final.tobytes()),
                    "state_hash": fnv1a(b"".join(b.tobytes() for b in buffers)),
                    "sample_index": sample, "param_sample": bits_hex(final[sample]),
                    "param_full": final})
    return out


def hyperparameters(variant, kwargs):
    """The case's options by inertia's option names (those of the generic C ABI)."""
    defaults = CLASSES[variant]([torch.nn.Parameter(torch.zeros(1))], **kwargs).defaults
    keys = {"adam": ("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize"),
            "adamw": ("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize"),
            "nadam": ("lr", "betas", "eps", "weight_decay", "momentum_decay", "decoupled_weight_decay", "maximize"),
            "adagrad": ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps", "maximize")}[variant]
    out = {}
    for k in keys:
        v = defaults[k]
        out[k] = list(v) if isinstance(v, tuple) else v
    return out


def ulp(a, b):
    ia = a.view(np.int32 if a.dtype == np.float32 else np.int64).astype(object)
    ib = b.view(np.int32 if b.dtype == np.float32 else np.int64).astype(object)
    top = 1 << (31 if a.dtype == np.float32 else 63)
    fix = lambda i: top - i if i < 0 else i  # noqa: E731  (sign-magnitude to a monotone integer)
    return max(abs(fix(x) - fix(y)) for x, y in zip(ia, ib))


def main():
    torch.set_num_threads(1)
    if "--mkl-sqrt" not in sys.argv:
        use_ieee_sqrt()
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data")
    per_variant = {}
    matrix = {}
    for case_index, (variant, name, kwargs) in enumerate(CASES):
        for dtype in ("float32", "float64"):
            finals = {}
            for path in PATHS:
                if path == "fused" and not HAS_FUSED[variant]:
                    continue
                tensors = run(variant, kwargs, path, dtype, case_index)
                finals[path] = np.concatenate([t.pop("param_full") for t in tensors])
                per_variant.setdefault(variant, []).append(
                    {"variant": variant, "name": name, "path": path, "dtype": dtype, "seed_case": case_index,
                     "hyperparameters": hyperparameters(variant, kwargs), "tensors": tensors})
            for a in finals:
                for b in finals:
                    key = (variant, dtype, a, b)
                    matrix[key] = max(matrix.get(key, 0), ulp(finals[a], finals[b]))
    if "--out-dir" in sys.argv:
        out_dir = sys.argv[sys.argv.index("--out-dir") + 1]
        os.makedirs(out_dir, exist_ok=True)
    for variant, cases in per_variant.items():
        doc = {"format": "inertia-torch2-golden", "version": 1, "torch": torch.__version__,
               "cpu_capability": torch.backends.cpu.get_cpu_capability(), "torch_threads": 1,
               "sqrt": "torch's own (MKL's on x86-64 wheels)" if "--mkl-sqrt" in sys.argv else
                       "IEEE: tensor sqrt (MKL's on x86-64 wheels) replaced by numpy's in loop and foreach",
               "steps": STEPS, "sizes": list(SIZES),
               "inputs": "splitmix64 values (scripts/golden_torch2.py `values`), tensor j of case k seeded "
                         "1000*(k+1)+j: n initial params, then n gradients per step",
               "cases": cases}
        path = os.path.join(out_dir, f"torch2_{variant}.json")
        with open(path, "w") as f:
            json.dump(doc, f, separators=(",", ":"))
            f.write("\n")
        print(f"wrote {path}: {len(cases)} cases, {os.path.getsize(path)} bytes")
    print("worst ULP between torch's own paths (final params, all cases):")
    for (variant, dtype, a, b), u in sorted(matrix.items()):
        if a < b:
            print(f"  {variant:8} {dtype}  {a:8} vs {b:8}: {u}")


if __name__ == "__main__":
    sys.exit(main())
