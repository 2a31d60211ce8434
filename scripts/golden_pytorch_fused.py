#!/usr/bin/env python3
"""Golden heavy-ball trajectories from PyTorch 2.x's fused CPU SGD (torch.optim.SGD(..., fused=True)).

Needs a PyTorch with the fused CPU SGD kernel (2.4 or later); Debian's 1.13 has none. For example:

    /usr/bin/python3 -m venv /tmp/torch2 && /tmp/torch2/bin/pip install torch numpy
    /tmp/torch2/bin/python scripts/golden_pytorch_fused.py

The inputs (cases, initial params, gradients, lr schedule) are the ones of scripts/golden_pytorch.py,
which this script imports. For each dtype the script runs the same cases through the for-loop path
(foreach=False) and the fused path of the same torch, and writes
tests/data/heavy_ball_fused_<dtype>.json only if the two differ (same format as the for-loop files).

It also
  * replays tests/data/heavy_ball_<dtype>.json (the 1.13 for-loop goldens), when present, through this
    torch's foreach=False and foreach=True paths and prints the max ULP difference;
  * checks an element-wise model of the fused kernel (libm fma through ctypes) against torch with 0 ULP
    and prints the max ULP of alternative operation orders.

Model of the fused CPU kernel (aten/src/ATen/native/cpu/FusedSGDKernel.cpp, sgd_math, compiled for the
AVX2 or AVX512 CPU capability; the DEFAULT capability has no FMA and rounds every * and + on its own):
    g = maximize ? -g : g
    if wd != 0:  g = fma(w, wd, g)
    if mu != 0:
        b = first ? g : fma(g, 1-tau, b*mu)     # elements [0, n - n % K)   (b*mu rounded, as in the loop path)
        b = first ? g : fma(b, mu, g*(1-tau))   # last n % K elements       (g*(1-tau) rounded)
        g = nesterov ? fma(b, mu, g) : b
    w = fma(g, -lr, w)
with K = 32 bytes / sizeof(T) (8 for float32, 4 for float64), for tensors whose chunks the kernel
splits only at multiples of K. The explicit Vectorized<T> loop and the part of the scalar tail loop that
the compiler vectorizes with 256-bit registers contract `b*mu + g*c` as fma(g, c, b*mu); the
remaining scalar iterations contract it as fma(b, mu, g*c). All other products are contracted to FMA
everywhere, with the same placement as the for-loop path.
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_pytorch as gp  # noqa: E402


def fused_reference_step(w, g, buf, lr, hp, dtype, mom_order):
    """One fused-kernel step, element by element.

    mom_order(i) -> 'g' : b = fma(g, 1-tau, round(b*mu))   (the for-loop path's order)
                    'b' : b = fma(b, mu, round(g*(1-tau)))
                    's' : b = round(b*mu) + round(g*(1-tau))
    All other operations are FMAs. (For mom_order 's' everywhere plus separate products elsewhere,
    use gp.reference_step(..., fused_ops=False).)
    """
    T = gp.np_dtype(dtype)
    mu, tau, wd = hp["momentum"], hp["dampening"], hp["weight_decay"]
    s_wd, s_mu, s_c, s_nlr = T(wd), T(mu), T(1 - tau), T(-lr)
    fma = lambda a, x, y: gp.fma(a, x, y, dtype)
    mul = lambda a, x: gp.mul(a, x, dtype)
    add = lambda a, x: gp.add(a, x, dtype)
    n = len(w)
    new_w = np.empty_like(w)
    new_buf = None if mu == 0 else np.empty_like(w)
    for i in range(n):
        d = T(-g[i]) if hp["maximize"] else g[i]
        if wd != 0:
            d = fma(w[i], s_wd, d)
        if mu != 0:
            if buf is None:
                b = d
            else:
                o = mom_order(i)
                if o == "g":
                    b = fma(d, s_c, mul(buf[i], s_mu))
                elif o == "b":
                    b = fma(buf[i], s_mu, mul(d, s_c))
                else:
                    b = add(mul(buf[i], s_mu), mul(d, s_c))
            new_buf[i] = b
            d = fma(b, s_mu, d) if hp["nesterov"] else b
        new_w[i] = fma(d, s_nlr, w[i])
    return new_w, new_buf


def orders(dtype, n):
    k = 8 if dtype == "float32" else 4
    cut = n - n % k
    return {
        "model (fma(g,1-tau,b*mu) on [0,n-n%K), fma(b,mu,g*(1-tau)) on the last n%K)":
            lambda i: "g" if i < cut else "b",
        "for-loop order everywhere: fma(g,1-tau,b*mu)": lambda i: "g",
        "fma(b,mu,g*(1-tau)) everywhere": lambda i: "b",
        "b*mu + g*(1-tau) separately rounded, other ops fma": lambda i: "s",
        "everything separately rounded (no FMA at all)": None,
    }


def check_model(cases, dtype):
    """Teacher-forced (each step starts from torch's previous values): max ULP per order."""
    T = gp.np_dtype(dtype)
    res = {}
    for name, order in orders(dtype, gp.N_ELEMENTS).items():
        worst = 0
        per_case = {}
        for c in cases:
            hp = c["hyperparameters"]
            w = np.array(c["initial"]["param"], dtype=T)
            buf = None
            cw = 0
            for lr, s in zip(c["lr"], c["steps"]):
                g = np.array(s["grad"], dtype=T)
                if order is None:
                    nw, nb = gp.reference_step(w, g, buf, lr, hp, dtype, fused_ops=False)
                else:
                    nw, nb = fused_reference_step(w, g, buf, lr, hp, dtype, order)
                cw = max(cw, gp.ulp_diff(nw, s["param"], dtype))
                if nb is not None:
                    cw = max(cw, gp.ulp_diff(nb, s["momentum_buffer"], dtype))
                w = np.array(s["param"], dtype=T)
                buf = None if s["momentum_buffer"] is None else np.array(s["momentum_buffer"], dtype=T)
            per_case[c["name"]] = cw
            worst = max(worst, cw)
        res[name] = (worst, per_case)
    return res


def max_ulp_between(cases_a, cases_b, dtype):
    worst = 0
    for a, b in zip(cases_a, cases_b):
        assert a["name"] == b["name"]
        for sa, sb in zip(a["steps"], b["steps"]):
            worst = max(worst, gp.ulp_diff(sa["param"], sb["param"], dtype))
            if sa["momentum_buffer"] is not None:
                worst = max(worst, gp.ulp_diff(sa["momentum_buffer"], sb["momentum_buffer"], dtype))
    return worst


def replay_golden(torch, path, dtype, **kw):
    with open(path) as f:
        doc = json.load(f)
    T = gp.np_dtype(dtype)
    worst = 0
    for c in doc["cases"]:
        traj = gp.torch_trajectory(torch, np.array(c["initial"]["param"], dtype=T),
                                   [np.array(s["grad"], dtype=T) for s in c["steps"]],
                                   c["lr"], c["hyperparameters"], dtype, **kw)
        for s, (p, b) in zip(c["steps"], traj):
            worst = max(worst, gp.ulp_diff(p, s["param"], dtype))
            if b is not None:
                worst = max(worst, gp.ulp_diff(b, s["momentum_buffer"], dtype))
    return worst, doc["source"]


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", default=os.path.join(repo, "tests", "data"))
    args = ap.parse_args(argv)

    import torch
    if not hasattr(torch, "_fused_sgd_"):
        print(f"torch {torch.__version__} has no fused SGD kernel (torch._fused_sgd_); use torch >= 2.4")
        return 2
    torch.set_num_threads(1)
    cap = torch.backends.cpu.get_cpu_capability()
    source = (f"PyTorch {torch.__version__} (CPU capability {cap}): torch.optim.SGD(..., fused=True) on CPU "
              f"(torch._fused_sgd_, is_first_step=True on step 1, so the buffer starts as the gradient), "
              f"one parameter tensor of {gp.N_ELEMENTS} elements, {gp.N_STEPS} steps, p.grad assigned "
              f"before each step, param_groups[0]['lr'] set per step; same inputs as "
              f"scripts/golden_pytorch.py")
    print(source)
    if cap == "DEFAULT":
        print("WARNING: CPU capability DEFAULT: the kernels have no FMA; results differ from AVX2/AVX512 ones")

    status = 0
    for dtype in gp.DTYPES:
        print(f"\n== {dtype}")
        golden = os.path.join(args.out_dir, f"heavy_ball_{dtype}.json")
        if os.path.exists(golden):
            for kw in ({"foreach": False}, {"foreach": True}, {"fused": True}):
                u, src = replay_golden(torch, golden, dtype, **kw)
                print(f"  replay of {os.path.relpath(golden, repo)} ({src.split(':')[0]}) with {kw}: max ULP {u}")
        loop = gp.build_cases(torch, dtype, foreach=False)
        fused = gp.build_cases(torch, dtype, fused=True)
        for a, b in zip(loop, fused):  # identical inputs
            assert a["initial"] == b["initial"] and [s["grad"] for s in a["steps"]] == [s["grad"] for s in b["steps"]]
        diff = max_ulp_between(loop, fused, dtype)
        print(f"  fused vs for-loop path of torch {torch.__version__}, free-running 24 steps: max ULP {diff}")
        for c_l, c_f in zip(loop, fused):
            print(f"    {c_f['name']:<45} {max_ulp_between([c_l], [c_f], dtype):>6} ULP")

        res = check_model(fused, dtype)
        print("  fused path vs element-wise models (per step, teacher-forced), max ULP:")
        for name, (worst, _) in res.items():
            print(f"    {worst:>6}  {name}")
        model_name = next(iter(res))
        if res[model_name][0] != 0:
            status = 1
            print("  ERROR: the model does not reproduce the fused kernel bit for bit")

        path = os.path.join(args.out_dir, f"heavy_ball_fused_{dtype}.json")
        if diff == 0:
            print(f"  fused == for-loop for {dtype}: not writing {os.path.relpath(path, repo)}")
            if os.path.exists(path):
                print(f"  (an old {os.path.relpath(path, repo)} exists; it is redundant)")
            continue
        size = gp.write_trajectory_file(path, source, "scripts/golden_pytorch_fused.py", fused)
        gp.check_roundtrip(path, fused)
        print(f"  wrote {os.path.relpath(path, repo)}: {len(fused)} cases, {size} bytes")
    return status


if __name__ == "__main__":
    sys.exit(main())
