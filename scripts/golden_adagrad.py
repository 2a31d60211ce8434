#!/usr/bin/env python3
"""Golden trajectories for adagrad: torch.optim.Adagrad on CPU, recorded bit for bit.

Writes tests/data/adagrad_{float32,float64}.json in the "inertia-trajectory" format of
scripts/golden_adam.py (one parameter tensor of gp.N_ELEMENTS elements, 16 steps,
torch.optim.Adagrad(..., foreach=False), p.grad assigned before each step,
param_groups[0]['lr'] set per step), replayed by tests/test_adagrad.cpp. Run with
Debian's torch 1.13: /usr/bin/python3 scripts/golden_adagrad.py

Before writing, each case is checked against the order include/inertia/adagrad.hpp
documents, computed here in numpy with a true fma (vfma, from scripts/golden_adam.py):
    g = fma(r(wd), w, g); sum = fma(g, g, sum); w = w + (r(-clr) * g) / (sqrt(sum) + r(eps))
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_pytorch as gp  # noqa: E402
from golden_adam import lr_schedule, vfma, write_file  # noqa: E402

N_STEPS = 16
SEED_OFFSET = 400
DTYPES = ("float32", "float64")
# (name, hyperparameters): torch's defaults, then each option that changes the arithmetic.
CASES = [
    ("defaults", {}),
    ("lr_decay 0.05, weight_decay 0.01", {"lr_decay": 0.05, "weight_decay": 0.01}),
    ("initial_accumulator_value 0.1, eps 1e-6, maximize", {"initial_accumulator_value": 0.1, "eps": 1e-6,
                                                            "maximize": True}),
]
DEFAULTS = {"lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10, "maximize": False}


def torch_trajectory(torch, hp, dtype, w0, grads, lrs):
    p = torch.nn.Parameter(torch.tensor(w0, dtype=getattr(torch, dtype)))
    opt = torch.optim.Adagrad([p], lr=lrs[0], foreach=False, **hp)
    out = []
    for g, lr in zip(grads, lrs):
        opt.param_groups[0]["lr"] = lr
        p.grad = torch.tensor(g, dtype=getattr(torch, dtype))
        opt.step()
        out.append({"param": p.detach().numpy().copy(), "sum": opt.state[p]["sum"].numpy().copy()})
    return out


def model_trajectory(hp, dtype, w0, grads, lrs):
    """The documented order, in numpy; returns the same records as torch_trajectory."""
    T = gp.np_dtype(dtype)
    w = w0.astype(T)
    s = np.full_like(w, T(hp["initial_accumulator_value"]))
    out = []
    for t, (g, lr) in enumerate(zip(grads, lrs), start=1):
        g = g.astype(T)
        if hp["maximize"]:
            g = -g
        if hp["weight_decay"] != 0:
            g = vfma(np.full_like(w, T(hp["weight_decay"])), w, g, dtype)
        clr = lr / (1 + (t - 1) * hp["lr_decay"])
        s = vfma(g, g, s, dtype)
        w = (w + (T(-clr) * g) / (np.sqrt(s) + T(hp["eps"]))).astype(T)
        out.append({"param": w.copy(), "sum": s.copy()})
    return out


def main(argv=None):
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", default=os.path.join(repo, "tests", "data"))
    args = ap.parse_args(argv)
    import torch
    torch.set_num_threads(1)
    capability = [line.split(":", 1)[1].strip() for line in torch.__config__.show().splitlines()
                  if "CPU capability usage" in line] or ["?"]
    source = (f"PyTorch {torch.__version__} (CPU capability {capability[0]}): torch.optim.Adagrad(..., foreach=False)"
              f" on CPU, one parameter tensor of {gp.N_ELEMENTS} elements, {N_STEPS} steps, p.grad assigned before"
              f" each step, param_groups[0]['lr'] set per step")
    print(source)
    ok = True
    lrs = lr_schedule()[:N_STEPS]
    for dtype in DTYPES:
        T = gp.np_dtype(dtype)
        cases = []
        for k, (name, overrides) in enumerate(CASES):
            hp = dict(DEFAULTS, **overrides)
            w0, grads = gp.make_inputs(SEED_OFFSET + k)
            grads = grads[:N_STEPS]
            recorded = torch_trajectory(torch, hp, dtype, w0, grads, lrs)
            modelled = model_trajectory(hp, dtype, w0, grads, lrs)
            for a, b in zip(recorded, modelled):
                for key in ("param", "sum"):
                    if not gp._bits_equal(list(a[key]), list(b[key])):
                        print(f"  {dtype} {name}: the documented order differs from torch in {key}")
                        ok = False
            steps = [{"grad": gp.to_list(g.astype(T)), "param": gp.to_list(r["param"]), "sum": gp.to_list(r["sum"])}
                     for g, r in zip(grads, recorded)]
            cases.append({"name": name, "variant": "adagrad", "dtype": dtype,
                          "hyperparameters": dict(hp, numerics="pytorch_1_13"), "lr": lrs,
                          "initial": {"param": gp.to_list(w0.astype(T))}, "steps": steps})
        path = os.path.join(args.out_dir, f"adagrad_{dtype}.json")
        size = write_file(path, {"format": "inertia-trajectory", "version": 1, "source": source,
                                 "generator": "scripts/golden_adagrad.py"}, cases)
        print(f"  wrote {os.path.relpath(path, repo)}: {len(cases)} cases, {size} bytes")
    if not ok:
        print("ERROR: the documented order does not reproduce torch")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
