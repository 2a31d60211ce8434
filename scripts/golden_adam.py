#!/usr/bin/python3
"""Golden Adam, AdamW and NAdam trajectories from PyTorch's CPU optimizers (for-loop path).

Run with Debian's interpreter, which has python3-torch (1.13) and python3-numpy:

    /usr/bin/python3 scripts/golden_adam.py

Writes tests/data/{adam,adamw,nadam}_{float32,float64}.json in the "inertia-trajectory" format of
scripts/golden_pytorch.py (version 1): per case the hyperparameters, the lr of every step, the
initial parameter, and per step the gradient, the parameter and the optimizer state after the step
(exp_avg, exp_avg_sq, and max_exp_avg_sq with amsgrad; NAdam also mu_product and the scalars of the
step). Every number is written with repr(), so it round-trips exactly. One parameter tensor of 37
elements, 16 steps, torch.optim.{Adam,AdamW,NAdam}(..., foreach=False), p.grad assigned before each
step and param_groups[0]['lr'] set per step.

The script also replays every trajectory through an element-wise model of the operation order that
inertia implements (libm fma/fmaf through ctypes, numpy for the IEEE ops) and requires 0 ULP, and
prints the max ULP of the nearest alternative orders, to show what each placement changes.

The order, found by testing each torch op on its own and then whole trajectories (torch 1.13.1,
CPU capability AVX2; its AVX512 kernels give the same bits, its no-AVX ones do not fuse and differ;
T is the parameter dtype, r() rounds to T, f32() to float32):

  Adam / AdamW, step t (torch keeps t in a float32 tensor; exact up to 2^24):
    g = maximize ? -g : g
    AdamW:             w = w * r(1 - lr*wd)                 # param.mul_(1 - lr*wd), scalar in double
    Adam, wd != 0:     g = fma(r(wd), w, g)                 # grad.add(param, alpha=wd)
    m = fma(r(1-b1), g, m * r(b1))                          # exp_avg.mul_(b1).add_(g, alpha=1-b1)
    v = fma(r(1-b2) * g, g, v * r(b2))                      # addcmul_: (value*g) rounded, then one fma
    amsgrad:           v_max = max(v_max, v);  v' = v_max
    denom = sqrt(v') / r(sqrt(1 - b2^t)) + r(eps)           # IEEE sqrt and division, then the add
    w = w + (r(-lr / (1 - b1^t)) * m) / denom               # addcdiv_: value*m, /denom, +w, each rounded
  with 1 - b^t, lr / (1 - b1^t) and the sqrt computed in Python double (libm pow).

  NAdam (torch 1.13 has no maximize and no decoupled weight decay):
    wd != 0:           g = fma(r(wd), w, g)
    mu   = b1 * (1 - 0.5 * 0.96^(t*psi));  mu_next = b1 * (1 - 0.5 * 0.96^((t+1)*psi))   (double)
    mu_product = f32(mu_product * f32(mu))                  # a float32 tensor whatever T is
    mu_product_next = f32(f32(mu_product * f32(mu)) * f32(mu_next))   # torch 1.13 multiplies by mu twice
    m, v as Adam
    denom = sqrt(v / r(1 - b2^t)) + r(eps)
    w = w + (r(-lr * (1 - mu) / (1 - mu_product)) * g) / denom
    w = w + (r(-lr * mu_next / (1 - mu_product_next)) * m) / denom
"""

import argparse
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_pytorch as gp  # noqa: E402  (inputs, fma through ctypes, ULP distance)

N_STEPS = 16
SEED_OFFSET = 300
DTYPES = ("float32", "float64")


def lr_schedule():
    """0.05 for the first half, then 0.01."""
    return [0.05] * (N_STEPS // 2) + [0.01] * (N_STEPS - N_STEPS // 2)


ADAM_DEFAULTS = {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False, "maximize": False}
NADAM_DEFAULTS = {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "momentum_decay": 4e-3}

# (optimizer, name, hyperparameters beyond the defaults)
CASES = {
    "adam": [
        ("defaults", {}),
        ("wd0.01", {"weight_decay": 0.01}),
        ("maximize_amsgrad", {"maximize": True, "amsgrad": True}),
        ("wd0.01_maximize_amsgrad_betas0.8,0.99_eps1e-3",
         {"weight_decay": 0.01, "maximize": True, "amsgrad": True, "betas": (0.8, 0.99), "eps": 1e-3}),
    ],
    "adamw": [
        ("wd0.01", {"weight_decay": 0.01}),
        ("wd0.1_maximize", {"weight_decay": 0.1, "maximize": True}),
        ("wd0.01_amsgrad_betas0.8,0.99_eps1e-6",
         {"weight_decay": 0.01, "amsgrad": True, "betas": (0.8, 0.99), "eps": 1e-6}),
    ],
    "nadam": [
        ("defaults", {}),
        ("wd0.01", {"weight_decay": 0.01}),
        ("psi0.04_betas0.8,0.99_eps1e-6", {"momentum_decay": 0.04, "betas": (0.8, 0.99), "eps": 1e-6}),
    ],
}


def hyperparameters(optimizer, overrides):
    hp = dict(NADAM_DEFAULTS if optimizer == "nadam" else ADAM_DEFAULTS)
    hp.update(overrides)
    beta1, beta2 = hp.pop("betas")
    return {"beta1": beta1, "beta2": beta2, **hp}


def state_keys(optimizer, hp):
    if optimizer == "nadam":
        return ("exp_avg", "exp_avg_sq", "mu_product")
    return ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if hp["amsgrad"] else ())


# ---------------------------------------------------------------------------
# torch
# ---------------------------------------------------------------------------

def torch_trajectory(torch, optimizer, hp, dtype, w0, grads, lrs):
    """Steps one parameter tensor; returns, per step, the param and the state as numpy / floats."""
    tdtype = torch.float32 if dtype == "float32" else torch.float64
    p = torch.nn.Parameter(torch.tensor(w0, dtype=torch.float64).to(tdtype))
    kwargs = {"lr": lrs[0], "betas": (hp["beta1"], hp["beta2"]), "eps": hp["eps"],
              "weight_decay": hp["weight_decay"], "foreach": False}
    if optimizer == "nadam":
        opt = torch.optim.NAdam([p], momentum_decay=hp["momentum_decay"], **kwargs)
    else:
        cls = torch.optim.Adam if optimizer == "adam" else torch.optim.AdamW
        opt = cls([p], amsgrad=hp["amsgrad"], maximize=hp["maximize"], **kwargs)
    out = []
    for lr, g in zip(lrs, grads):
        opt.param_groups[0]["lr"] = lr
        p.grad = torch.tensor(g, dtype=torch.float64).to(tdtype)
        opt.step()
        state = opt.state[p]
        record = {"param": p.detach().numpy().copy()}
        for key in state_keys(optimizer, hp):
            value = state[key]
            record[key] = float(value.item()) if key == "mu_product" else value.detach().numpy().copy()
        assert state["step"].dtype == torch.float32  # the step counter is a float32 tensor in 1.13
        if optimizer == "nadam":
            assert state["mu_product"].dtype == torch.float32  # whatever the parameter dtype
        out.append(record)
    return out


# ---------------------------------------------------------------------------
# Element-wise models of the step (the order inertia implements, and alternatives)
# ---------------------------------------------------------------------------

DOCUMENTED = {"addcmul": "fma(s*g,g,v)", "addcdiv": "(s*m)/d", "mu_product_next": "1.13"}
# (label, order, optimizers it applies to)
ALTERNATIVES = [
    ("addcmul fma(s,g*g,v)", dict(DOCUMENTED, addcmul="fma(s,g*g,v)"), ("adam", "adamw", "nadam")),
    ("addcmul v+(s*g)*g", dict(DOCUMENTED, addcmul="v+(s*g)*g"), ("adam", "adamw", "nadam")),
    ("addcdiv fma(s,m/d,w)", dict(DOCUMENTED, addcdiv="fma(s,m/d,w)"), ("adam", "adamw", "nadam")),
    ("addcdiv w+s*(m/d)", dict(DOCUMENTED, addcdiv="s*(m/d)"), ("adam", "adamw", "nadam")),
    # torch >= 2.0 (pytorch/pytorch#92699) and 1.13's foreach path: mu_product * mu_next, in double
    ("mu_product_next without the second mu", dict(DOCUMENTED, mu_product_next="2.0"), ("nadam",)),
]


def vfma(a, x, y, dtype):
    """Element-wise a*x + y rounded once (libm fma/fmaf)."""
    a, x, y = np.broadcast_arrays(a, x, y)
    return np.array([gp.fma(p, q, r, dtype) for p, q, r in zip(a, x, y)], dtype=gp.np_dtype(dtype))


def addcmul(v, s, g, order, dtype):
    """exp_avg_sq.addcmul_(g, g, value=s) with v already multiplied by beta2."""
    T = gp.np_dtype(dtype)
    if order == "fma(s*g,g,v)":
        return vfma(T(s) * g, g, v, dtype)
    if order == "fma(s,g*g,v)":
        return vfma(T(s), g * g, v, dtype)
    return v + (T(s) * g) * g


def addcdiv(w, s, m, d, order, dtype):
    """param.addcdiv_(m, d, value=s)."""
    T = gp.np_dtype(dtype)
    if order == "(s*m)/d":
        return w + (T(s) * m) / d
    if order == "fma(s,m/d,w)":
        return vfma(T(s), m / d, w, dtype)
    return w + T(s) * (m / d)


def moments(m, v, g, hp, order, dtype):
    T = gp.np_dtype(dtype)
    b1, b2 = hp["beta1"], hp["beta2"]
    m = vfma(T(1 - b1), g, m * T(b1), dtype)
    v = addcmul(v * T(b2), 1 - b2, g, order["addcmul"], dtype)
    return m, v


def adam_step(optimizer, hp, order, dtype, t, lr, w, g, state):
    T = gp.np_dtype(dtype)
    wd = hp["weight_decay"]
    if hp["maximize"]:
        g = -g
    if optimizer == "adamw":
        w = w * T(1 - lr * wd)
    elif wd != 0:
        g = vfma(T(wd), w, g, dtype)
    m, v = moments(state["exp_avg"], state["exp_avg_sq"], g, hp, order, dtype)
    new = {"exp_avg": m, "exp_avg_sq": v}
    if hp["amsgrad"]:
        v = new["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], v)
    step_size = lr / (1 - hp["beta1"] ** t)
    denom = np.sqrt(v) / T(math.sqrt(1 - hp["beta2"] ** t)) + T(hp["eps"])
    return addcdiv(w, -step_size, m, denom, order["addcdiv"], dtype), new


def nadam_step(hp, order, dtype, t, lr, w, g, state):
    T = gp.np_dtype(dtype)
    f32 = np.float32
    b1, psi = hp["beta1"], hp["momentum_decay"]
    if hp["weight_decay"] != 0:
        g = vfma(T(hp["weight_decay"]), w, g, dtype)
    mu = b1 * (1. - 0.5 * (0.96 ** (t * psi)))
    mu_next = b1 * (1. - 0.5 * (0.96 ** ((t + 1) * psi)))
    mu_product = f32(f32(state["mu_product"]) * f32(mu))
    if order["mu_product_next"] == "1.13":
        mu_product_next = f32(f32(mu_product * f32(mu)) * f32(mu_next))
    else:
        mu_product_next = float(mu_product) * mu_next
    m, v = moments(state["exp_avg"], state["exp_avg_sq"], g, hp, order, dtype)
    denom = np.sqrt(v / T(1 - hp["beta2"] ** t)) + T(hp["eps"])
    w = addcdiv(w, -lr * (1. - mu) / (1. - float(mu_product)), g, denom, order["addcdiv"], dtype)
    w = addcdiv(w, -lr * mu_next / (1. - float(mu_product_next)), m, denom, order["addcdiv"], dtype)
    return w, {"exp_avg": m, "exp_avg_sq": v, "mu_product": float(mu_product)}


def model_max_ulp(case, order):
    """Free-running replay of a case through the model: max ULP over every step, param and state."""
    dtype, optimizer, hp = case["dtype"], case["variant"], case["hyperparameters"]
    T = gp.np_dtype(dtype)
    w = np.array(case["initial"]["param"], dtype=T)
    state = {key: np.zeros_like(w) for key in state_keys(optimizer, hp)}
    state["mu_product"] = 1.0
    worst = 0
    for t, (lr, recorded) in enumerate(zip(case["lr"], case["steps"]), start=1):
        g = np.array(recorded["grad"], dtype=T)
        if optimizer == "nadam":
            w, new = nadam_step(hp, order, dtype, t, lr, w, g, state)
        else:
            w, new = adam_step(optimizer, hp, order, dtype, t, lr, w, g, state)
        state.update(new)
        worst = max(worst, gp.ulp_diff(w, recorded["param"], dtype))
        for key in state_keys(optimizer, hp):
            if key == "mu_product":
                worst = max(worst, gp.ulp_diff([state[key]], [recorded[key]], "float32"))
            else:
                worst = max(worst, gp.ulp_diff(state[key], recorded[key], dtype))
    return worst


# ---------------------------------------------------------------------------
# Cases and writing
# ---------------------------------------------------------------------------

def build_cases(torch, optimizer, dtype):
    T = gp.np_dtype(dtype)
    lrs = lr_schedule()
    cases = []
    for k, (name, overrides) in enumerate(CASES[optimizer]):
        hp = hyperparameters(optimizer, overrides)
        w0, grads = gp.make_inputs(SEED_OFFSET + 10 * list(CASES).index(optimizer) + k)
        grads = grads[:N_STEPS]
        trajectory = torch_trajectory(torch, optimizer, hp, dtype, w0, grads, lrs)
        steps = []
        for g, record in zip(grads, trajectory):
            step = {"grad": gp.to_list(g.astype(T)), "param": gp.to_list(record["param"])}
            for key in state_keys(optimizer, hp):
                step[key] = record[key] if key == "mu_product" else gp.to_list(record[key])
            steps.append(step)
        cases.append({"name": name, "variant": optimizer, "dtype": dtype,
                      # inertia's order for these bits (inertia-check sets it by name)
                      "hyperparameters": dict(hp, numerics="pytorch_1_13"),
                      "lr": lrs, "initial": {"param": gp.to_list(w0.astype(T))}, "steps": steps})
    return cases


def write_file(path, header, cases):
    """One inertia-trajectory file: compact arrays, one step per line; checked to round-trip bit for bit."""
    dump = lambda obj: json.dumps(obj, separators=(",", ":"), allow_nan=False)
    head = {key: value for key, value in header.items()}
    text = "{\n" + "".join(f"{dump(k)}:{dump(v)},\n" for k, v in head.items()) + '"cases":[\n'
    bodies = []
    for c in cases:
        fields = "".join(f"{dump(k)}:{dump(c[k])},\n" for k in ("name", "variant", "dtype", "hyperparameters",
                                                                "lr", "initial"))
        bodies.append("{\n" + fields + '"steps":[\n' + ",\n".join(dump(s) for s in c["steps"]) + "\n]\n}")
    text += ",\n".join(bodies) + "\n]\n}\n"
    doc = json.loads(text)
    for read, written in zip(doc["cases"], cases):
        for a, b in zip(read["steps"], written["steps"]):
            for key, value in b.items():
                assert gp._bits_equal(a[key] if isinstance(value, list) else [a[key]],
                                      value if isinstance(value, list) else [value]), (path, read["name"], key)
    with open(path, "w") as f:
        f.write(text)
    return len(text.encode())


def main(argv=None):
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", default=os.path.join(repo, "tests", "data"))
    args = ap.parse_args(argv)

    import torch
    torch.set_num_threads(1)
    capability = [line.split(":", 1)[1].strip() for line in torch.__config__.show().splitlines()
                  if "CPU capability usage" in line] or ["?"]
    ok = True
    for optimizer in CASES:
        source = (f"PyTorch {torch.__version__} (CPU capability {capability[0]}): torch.optim."
                  f"{ {'adam': 'Adam', 'adamw': 'AdamW', 'nadam': 'NAdam'}[optimizer] }(..., foreach=False) "
                  f"on CPU, one parameter tensor of {gp.N_ELEMENTS} elements, {N_STEPS} steps, p.grad assigned "
                  f"before each step, param_groups[0]['lr'] set per step")
        print(source)
        for dtype in DTYPES:
            cases = build_cases(torch, optimizer, dtype)
            path = os.path.join(args.out_dir, f"{optimizer}_{dtype}.json")
            size = write_file(path, {"format": "inertia-trajectory", "version": 1, "source": source,
                                     "generator": "scripts/golden_adam.py"}, cases)
            print(f"  wrote {os.path.relpath(path, repo)}: {len(cases)} cases, {size} bytes")
            for c in cases:
                documented = model_max_ulp(c, DOCUMENTED)
                others = [f"{label}: {model_max_ulp(c, order)}"
                          for label, order, applies in ALTERNATIVES if optimizer in applies]
                print(f"    {c['name']:<48} documented order: {documented} ULP; instead " + ", ".join(others))
                ok &= documented == 0
    if not ok:
        print("ERROR: the documented order does not reproduce torch")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
