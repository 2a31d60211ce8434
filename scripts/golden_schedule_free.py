#!/usr/bin/env python3
"""Golden trajectories for schedule_free_sgd and schedule_free_adamw: the authors' `schedulefree`
package (SGDScheduleFree, AdamWScheduleFree; PyPI, pure Python over torch) on CPU, bit for bit.

Run once per torch, in a throwaway environment (never in CI):
    /tmp/torch2/bin/python scripts/golden_schedule_free.py          (torch 2.x, pip install schedulefree)
    PYTHONPATH=<dir holding schedulefree/> /usr/bin/python3 scripts/golden_schedule_free.py   (Debian torch 1.13)
Writes tests/data/schedule_free_torch<major>_<minor>.json, replayed by tests/test_schedule_free.cpp, and
under torch 2.x also tests/data/schedule_free_check_tool.json (one case per variant and dtype, no swaps,
initial.z recorded), which inertia-check replays (tests/check_tool/test_check_tool.cpp).

Each case: one tensor of gp.N_ELEMENTS (37) elements, 8 steps, p.grad assigned before each step,
param_groups[0]['lr'] set per step (it rises once, so lr_max moves), and the evaluation swap
(optimizer.eval(), then optimizer.train()) after steps 4 and 8, each recorded. torch 2.x runs the
foreach path (the default) and checks that the loop path gives the same bits; torch 1.13 has no
_foreach_lerp_ and runs the loop path. torch's x86-64 wheels take Tensor.sqrt_ from MKL (not
correctly rounded, see scripts/golden_torch2.py): AdamW's sqrt_ is replaced by numpy's IEEE sqrt;
every other op is torch's.

Before writing, each recorded step is checked against the order include/inertia/schedule_free.hpp
documents, modelled here in numpy with a true fma (libm, through golden_pytorch.fma).
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_pytorch as gp  # noqa: E402

N_STEPS = 8
SWAP_AFTER = (4, 8)
SEED_OFFSET = 700
DTYPES = ("float32", "float64")
# lr per step: the caller's lr, which schedulefree scales by the warm-up.
LRS = [0.05] * 3 + [0.08] * 3 + [0.03] * 2
SGD_CASES = [
    ("defaults", {}),
    ("warmup_steps 5, weight_decay 0.01", {"warmup_steps": 5, "weight_decay": 0.01}),
    ("momentum 0.75, r 0.5, weight_lr_power 1", {"momentum": 0.75, "r": 0.5, "weight_lr_power": 1.0}),
]
ADAMW_CASES = [
    ("defaults", {}),
    ("warmup_steps 5, weight_decay 0.01", {"warmup_steps": 5, "weight_decay": 0.01}),
    ("betas (0.8, 0.99), eps 1e-6, r 1, weight_lr_power 0", {"betas": (0.8, 0.99), "eps": 1e-6, "r": 1.0,
                                                             "weight_lr_power": 0.0}),
]
SGD_DEFAULTS = {"momentum": 0.9, "weight_decay": 0.0, "warmup_steps": 0, "r": 0.0, "weight_lr_power": 2.0}
ADAMW_DEFAULTS = {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "warmup_steps": 0, "r": 0.0,
                  "weight_lr_power": 2.0}


def use_ieee_sqrt(torch):
    def sqrt_(t):
        t.copy_(torch.from_numpy(np.sqrt(t.detach().numpy())))
        return t

    def foreach_sqrt_(tensors):
        for t in tensors:
            sqrt_(t)

    torch.Tensor.sqrt_ = sqrt_
    torch._foreach_sqrt_ = foreach_sqrt_


def torch_trajectory(torch, schedulefree, variant, hp, dtype, w0, grads, foreach, swap_after=SWAP_AFTER):
    tdtype = getattr(torch, dtype)
    p = torch.nn.Parameter(torch.tensor(w0, dtype=tdtype))
    cls = schedulefree.SGDScheduleFree if variant == "schedule_free_sgd" else schedulefree.AdamWScheduleFree
    opt = cls([p], lr=LRS[0], foreach=foreach, **hp)
    opt.train()
    out = []
    for step, (g, lr) in enumerate(zip(grads, LRS), start=1):
        opt.param_groups[0]["lr"] = lr
        p.grad = torch.tensor(g, dtype=tdtype)
        opt.step()
        s = opt.state[p]
        group = opt.param_groups[0]
        r = {"param": p.detach().numpy().copy(), "z": s["z"].numpy().copy(),
             "lr_max": group["lr_max"], "weight_sum": group["weight_sum"]}
        if variant == "schedule_free_adamw":
            r["exp_avg_sq"] = s["exp_avg_sq"].numpy().copy()
        if step in swap_after:
            opt.eval()
            r["eval_param"] = p.detach().numpy().copy()
            opt.train()
            r["train_param"] = p.detach().numpy().copy()
        out.append(r)
    return out


def vfma(a, x, y, dtype):
    a, x, y = np.broadcast_arrays(a, x, y)
    return np.array([gp.fma(p, q, r, dtype) for p, q, r in zip(a, x, y)], dtype=gp.np_dtype(dtype))


def lerp(start, end, weight, dtype):
    """ATen's CPU lerp with a scalar weight: w = T(weight); fma(w, end - start, start) when |w| < 0.5,
    else fma(w - 1, end - start, end)."""
    T = gp.np_dtype(dtype)
    w = T(weight)
    if abs(w) < T(0.5):
        return vfma(w, end - start, start, dtype)
    return vfma(T(w - T(1)), end - start, end, dtype)


def model_trajectory(variant, hp, dtype, w0, grads, swap_after=SWAP_AFTER):
    """The documented order, in numpy: the same records as torch_trajectory."""
    T = gp.np_dtype(dtype)
    y = w0.astype(T)
    z = y.copy()
    v = np.zeros_like(y)
    lr_max, weight_sum = -1.0, 0.0
    beta1 = hp["momentum"] if variant == "schedule_free_sgd" else hp["betas"][0]
    out = []
    for step, (g, lr_in) in enumerate(zip(grads, LRS), start=1):
        k = step - 1
        g = g.astype(T)
        sched = (k + 1) / hp["warmup_steps"] if k < hp["warmup_steps"] else 1.0
        lr = lr_in * sched
        lr_max = max(lr, lr_max)
        weight = ((k + 1) ** hp["r"]) * (lr_max ** hp["weight_lr_power"])
        weight_sum = weight_sum + weight
        ckp1 = weight / weight_sum if weight_sum != 0 else 0.0
        if variant == "schedule_free_sgd":
            if hp["weight_decay"] != 0:
                g = vfma(T(hp["weight_decay"]), y, g, dtype)
        else:
            beta2 = hp["betas"][1]
            bias_correction2 = 1 - beta2 ** (k + 1)
            v = vfma(T(1 - beta2) * g, g, T(beta2) * v, dtype)
            denom = np.sqrt(v / T(bias_correction2)) + T(hp["eps"])
            g = g / denom
            if hp["weight_decay"] != 0:
                g = vfma(T(hp["weight_decay"]), y, g, dtype)
        y = lerp(y, z, ckp1, dtype)
        y = vfma(T(lr * (beta1 * (1 - ckp1) - 1)), g, y, dtype)
        z = vfma(T(-lr), g, z, dtype)
        r = {"param": y.copy(), "z": z.copy(), "lr_max": lr_max, "weight_sum": weight_sum}
        if variant == "schedule_free_adamw":
            r["exp_avg_sq"] = v.copy()
        if step in swap_after:
            y = lerp(y, z, 1 - 1 / beta1, dtype)
            r["eval_param"] = y.copy()
            y = lerp(y, z, 1 - beta1, dtype)
            r["train_param"] = y.copy()
        out.append(r)
    return out


def same(a, b):
    if isinstance(a, float):
        return a == b or (a != a and b != b)
    return gp._bits_equal(list(a), list(b))


def main(argv=None):
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", default=os.path.join(repo, "tests", "data"))
    args = ap.parse_args(argv)
    import torch
    import schedulefree
    torch.set_num_threads(1)
    major, minor = (int(x) for x in torch.__version__.split(".")[:2])
    torch2 = major >= 2
    if torch2:
        use_ieee_sqrt(torch)
    capability = [line.split(":", 1)[1].strip() for line in torch.__config__.show().splitlines()
                  if "CPU capability usage" in line] or ["?"]
    sf_version = getattr(schedulefree, "__version__", None)
    if sf_version is None:
        try:
            from importlib.metadata import version
            sf_version = version("schedulefree")
        except Exception:
            sf_version = "1.4.1 (source copied from the PyPI wheel)"
    source = (f"schedulefree {sf_version} on PyTorch {torch.__version__} (CPU capability {capability[0]}), "
              f"{'foreach' if torch2 else 'loop (foreach=False)'} path, one tensor of {gp.N_ELEMENTS} elements, "
              f"{N_STEPS} steps, p.grad assigned and param_groups[0]['lr'] set before each step, "
              f"eval() then train() after steps {list(SWAP_AFTER)}"
              + ("; Tensor.sqrt_ replaced by numpy's IEEE sqrt (torch's is MKL's)" if torch2 else ""))
    print(source)
    ok = True
    cases = []
    check_tool_cases = []  # no swaps, z recorded before step 1: what inertia-check replays
    for variant, table, defaults in (("schedule_free_sgd", SGD_CASES, SGD_DEFAULTS),
                                     ("schedule_free_adamw", ADAMW_CASES, ADAMW_DEFAULTS)):
        for k, (name, overrides) in enumerate(table):
            hp = dict(defaults, **overrides)
            w0, grads = gp.make_inputs(SEED_OFFSET + k)
            grads = grads[:N_STEPS]
            for dtype in DTYPES:
                T = gp.np_dtype(dtype)
                recorded = torch_trajectory(torch, schedulefree, variant, hp, dtype, w0, grads, foreach=torch2)
                checks = [("documented order", model_trajectory(variant, hp, dtype, w0, grads))]
                if torch2:
                    checks.append(("loop path", torch_trajectory(torch, schedulefree, variant, hp, dtype, w0, grads,
                                                                 foreach=False)))
                for label, other in checks:
                    for step, (a, b) in enumerate(zip(recorded, other), start=1):
                        for key in a:
                            if not same(a[key], b[key]):
                                print(f"  {variant} {dtype} {name}: the {label} differs from torch in {key} "
                                      f"at step {step}")
                                ok = False
                steps = []
                for g, r in zip(grads, recorded):
                    s = {"grad": gp.to_list(g.astype(T))}
                    for key, value in r.items():
                        s[key] = value if isinstance(value, float) else gp.to_list(value)
                    steps.append(s)
                hp_out = {key: (list(value) if isinstance(value, tuple) else value) for key, value in hp.items()}
                cases.append({"name": name, "variant": variant, "dtype": dtype, "hyperparameters": hp_out,
                              "lr": LRS, "initial": {"param": gp.to_list(w0.astype(T))}, "steps": steps})
                if k == 1 and torch2:
                    plain = torch_trajectory(torch, schedulefree, variant, hp, dtype, w0, grads, foreach=True,
                                             swap_after=())
                    modelled = model_trajectory(variant, hp, dtype, w0, grads, swap_after=())
                    for a, b in zip(plain, modelled):
                        ok = ok and all(same(a[key], b[key]) for key in a)
                    tool_steps = [dict({"grad": gp.to_list(g.astype(T))},
                                       **{key: (v if isinstance(v, float) else gp.to_list(v)) for key, v in r.items()})
                                  for g, r in zip(grads, plain)]
                    check_tool_cases.append({"name": f"{variant} {name} {dtype}", "variant": variant, "dtype": dtype,
                                             "hyperparameters": hp_out, "lr": LRS,
                                             "initial": {"param": gp.to_list(w0.astype(T)),
                                                         "z": gp.to_list(w0.astype(T))},
                                             "steps": tool_steps})
    dump = lambda obj: json.dumps(obj, separators=(",", ":"), allow_nan=False)
    header = {"format": "inertia-trajectory", "version": 1, "source": source,
              "generator": "scripts/golden_schedule_free.py"}
    text = "{\n" + "".join(f"{dump(k)}:{dump(v)},\n" for k, v in header.items()) + '"cases":[\n'
    bodies = []
    for c in cases:
        fields = "".join(f"{dump(k)}:{dump(c[k])},\n" for k in ("name", "variant", "dtype", "hyperparameters",
                                                                "lr", "initial"))
        bodies.append("{\n" + fields + '"steps":[\n' + ",\n".join(dump(s) for s in c["steps"]) + "\n]\n}")
    text += ",\n".join(bodies) + "\n]\n}\n"
    doc = json.loads(text)
    for read, written in zip(doc["cases"], cases):
        T = gp.np_dtype(written["dtype"])
        for a, b in zip(read["steps"], written["steps"]):
            for key, value in b.items():
                assert same(np.array(a[key], dtype=T) if isinstance(value, list) else a[key],
                            np.array(value, dtype=T) if isinstance(value, list) else value), (read["name"], key)
    path = os.path.join(args.out_dir, f"schedule_free_torch{major}_{minor}.json")
    if not ok:
        print("ERROR: the documented order does not reproduce schedulefree; nothing written")
        return 1
    with open(path, "w") as f:
        f.write(text)
    print(f"  wrote {os.path.relpath(path, repo)}: {len(cases)} cases, {len(text.encode())} bytes")
    if check_tool_cases:
        header = dict(header, source=source.split(", eval()")[0] + ", no eval()/train(); initial.z = the parameters")
        text = "{\n" + "".join(f"{dump(k)}:{dump(v)},\n" for k, v in header.items()) + '"cases":[\n'
        bodies = []
        for c in check_tool_cases:
            fields = "".join(f"{dump(k)}:{dump(c[k])},\n" for k in ("name", "variant", "dtype", "hyperparameters",
                                                                    "lr", "initial"))
            bodies.append("{\n" + fields + '"steps":[\n' + ",\n".join(dump(s) for s in c["steps"]) + "\n]\n}")
        text += ",\n".join(bodies) + "\n]\n}\n"
        path = os.path.join(args.out_dir, "schedule_free_check_tool.json")
        with open(path, "w") as f:
            f.write(text)
        print(f"  wrote {os.path.relpath(path, repo)}: {len(check_tool_cases)} cases, {len(text.encode())} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
