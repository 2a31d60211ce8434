#!/usr/bin/python3
"""Golden heavy-ball trajectories from PyTorch's CPU torch.optim.SGD (for-loop path).

Run with Debian's interpreter, which has python3-torch (1.13) and python3-numpy:

    /usr/bin/python3 scripts/golden_pytorch.py

Writes tests/data/heavy_ball_float32.json and tests/data/heavy_ball_float64.json
(format "inertia-trajectory", version 1). Each number is written as
repr(float(x)) through the json module, so it round-trips exactly.

Besides writing the files, the script checks that a scalar reimplementation of
the update with libm fma()/fmaf() (called through ctypes) reproduces torch with
0 ULP, and prints the max ULP difference between torch and a reference that
rounds every multiply and add separately (no FMA), to show what the FMA
placement changes.

The input generation (make_cases / make_inputs) is shared with
scripts/golden_pytorch_fused.py, which imports this module.
"""

import argparse
import ctypes
import ctypes.util
import itertools
import json
import math
import os
import sys

import numpy as np

N_ELEMENTS = 37
N_STEPS = 24
BASE_SEED = 20261124
DTYPES = ("float32", "float64")


# ---------------------------------------------------------------------------
# Cases and inputs (no torch needed here)
# ---------------------------------------------------------------------------

def make_cases():
    """Every valid combination, in a fixed order.

    momentum {0, 0.9} x dampening {0, 0.3} x nesterov x weight_decay {0, 0.01}
    x maximize; nesterov needs momentum > 0 and dampening == 0; with momentum 0
    only dampening 0 is kept (dampening is irrelevant there).
    """
    cases = []
    for momentum, dampening, nesterov, weight_decay, maximize in itertools.product(
            (0.0, 0.9), (0.0, 0.3), (False, True), (0.0, 0.01), (False, True)):
        if nesterov and (momentum <= 0 or dampening != 0):
            continue
        if momentum == 0 and dampening != 0:
            continue
        cases.append({
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        })
    return cases


def _fmt_hp(x):
    return repr(float(x)).rstrip("0").rstrip(".") if x != 0 else "0"


def case_name(hp):
    return "mu{}_damp{}_wd{}_nesterov{}_maximize{}".format(
        _fmt_hp(hp["momentum"]), _fmt_hp(hp["dampening"]), _fmt_hp(hp["weight_decay"]),
        int(hp["nesterov"]), int(hp["maximize"]))


def lr_schedule():
    """0.1 for the first half, then 0.013."""
    return [0.1] * (N_STEPS // 2) + [0.013] * (N_STEPS - N_STEPS // 2)


def _quantize(x, bits=8):
    """Round to `bits` significant bits.

    The results are exact in float32 (so the float32 and float64 files get the
    same inputs) and have shorter decimal reprs, which keeps the files small.
    """
    x = np.asarray(x, dtype=np.float64)
    m, e = np.frexp(x)
    return np.ldexp(np.round(np.ldexp(m, bits)), e - bits)


def make_inputs(case_index):
    """Initial parameter and per-step gradients for one case (float64 arrays
    whose values are exactly representable in float32).

    params ~ N(0,1), grads ~ N(0,1)*0.5, with some elements near zero (so that
    zero crossings happen) and some large (|x| ~ 1e3). Uses the legacy
    RandomState, whose stream numpy keeps stable across versions.
    """
    rs = np.random.RandomState(BASE_SEED + case_index)
    n = N_ELEMENTS
    w0 = rs.standard_normal(n)
    w0[0] = 1e3 * (1.0 + 0.5 * rs.standard_normal())        # large
    w0[1] = -1e3 * (1.0 + 0.5 * rs.standard_normal())       # large, negative
    w0[2] = 3e3 * rs.standard_normal()                      # large-ish, random sign
    w0[3:8] = rs.standard_normal(5) * np.array([1e-2, 1e-3, 1e-4, 1e-6, 1e-8])  # near zero
    grads = []
    for t in range(N_STEPS):
        g = 0.5 * rs.standard_normal(n)
        g[0] = 1e3 * rs.standard_normal()                   # large gradients
        g[8] = 1e3 * rs.standard_normal()
        g[9:13] = rs.standard_normal(4) * np.array([1e-3, 1e-5, 1e-7, 1e-9])  # near zero
        if t % 3 == 0:
            g[13] = 0.0                                     # exact zero (becomes -0.0 under maximize)
        # Elements 3..7 (parameters near zero) get gradients of a size that
        # pushes them across zero within a step or two.
        g[3:8] *= np.array([0.1, 0.05, 0.02, 0.01, 0.01])
        grads.append(_quantize(g))
    w0 = _quantize(w0)
    assert np.all(np.isfinite(w0))
    for g in grads:
        assert np.all(np.isfinite(g))
        assert np.array_equal(g.astype(np.float32).astype(np.float64), g)
    assert np.array_equal(w0.astype(np.float32).astype(np.float64), w0)
    return w0, grads


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------

def to_list(arr):
    """Exact Python floats (float32 values become the exact double)."""
    return [float(x) for x in np.asarray(arr).reshape(-1).tolist()]


def _dump(obj):
    # json writes floats with float.__repr__, which round-trips exactly.
    return json.dumps(obj, separators=(",", ":"), allow_nan=False)


def write_trajectory_file(path, source, generator, cases):
    """Write one inertia-trajectory file: compact arrays, one step per line."""
    for c in cases:
        for key in ("param",):
            for x in c["initial"][key]:
                assert math.isfinite(x)
        for s in c["steps"]:
            for key in ("grad", "param", "momentum_buffer"):
                if s[key] is not None:
                    for x in s[key]:
                        assert math.isfinite(x), (c["name"], key)
    lines = ["{"]
    lines.append('"format":"inertia-trajectory","version":1,')
    lines.append('"source":' + _dump(source) + ",")
    lines.append('"generator":' + _dump(generator) + ",")
    lines.append('"cases":[')
    for ci, c in enumerate(cases):
        lines.append("{")
        lines.append('"name":' + _dump(c["name"]) + ","
                     '"variant":' + _dump(c["variant"]) + ","
                     '"dtype":' + _dump(c["dtype"]) + ",")
        lines.append('"hyperparameters":' + _dump(c["hyperparameters"]) + ",")
        lines.append('"lr":' + _dump(c["lr"]) + ",")
        lines.append('"initial":' + _dump(c["initial"]) + ",")
        lines.append('"steps":[')
        for si, s in enumerate(c["steps"]):
            step = {"grad": s["grad"], "param": s["param"], "momentum_buffer": s["momentum_buffer"]}
            lines.append(_dump(step) + ("," if si + 1 < len(c["steps"]) else ""))
        lines.append("]")
        lines.append("}" + ("," if ci + 1 < len(cases) else ""))
    lines.append("]")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    json.loads(text)  # well-formed
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return len(text.encode())


def check_roundtrip(path, cases):
    """Re-read the file and compare every number bit for bit."""
    with open(path) as f:
        doc = json.load(f)
    assert doc["format"] == "inertia-trajectory" and doc["version"] == 1
    assert len(doc["cases"]) == len(cases)
    for a, b in zip(doc["cases"], cases):
        assert a["name"] == b["name"] and a["dtype"] == b["dtype"]
        assert a["lr"] == b["lr"]
        assert _bits_equal(a["initial"]["param"], b["initial"]["param"])
        for sa, sb in zip(a["steps"], b["steps"]):
            for key in ("grad", "param", "momentum_buffer"):
                if sb[key] is None:
                    assert sa[key] is None
                else:
                    assert _bits_equal(sa[key], sb[key]), (a["name"], key)


def _bits_equal(xs, ys):
    return len(xs) == len(ys) and all(
        np.float64(x).view(np.int64) == np.float64(y).view(np.int64) for x, y in zip(xs, ys))


# ---------------------------------------------------------------------------
# Scalar references (libm fma through ctypes) and ULP distances
# ---------------------------------------------------------------------------

_libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
_libm.fma.restype = ctypes.c_double
_libm.fma.argtypes = (ctypes.c_double, ctypes.c_double, ctypes.c_double)
_libm.fmaf.restype = ctypes.c_float
_libm.fmaf.argtypes = (ctypes.c_float, ctypes.c_float, ctypes.c_float)


def np_dtype(dtype):
    return np.float32 if dtype == "float32" else np.float64


def fma(a, x, y, dtype):
    """a*x + y rounded once, in dtype (inputs must already be dtype values)."""
    if dtype == "float32":
        return np.float32(_libm.fmaf(float(a), float(x), float(y)))
    return np.float64(_libm.fma(float(a), float(x), float(y)))


def mul(a, x, dtype):
    T = np_dtype(dtype)
    return T(T(a) * T(x))


def add(x, y, dtype):
    T = np_dtype(dtype)
    return T(T(x) + T(y))


def reference_step(w, g, buf, lr, hp, dtype, fused_ops):
    """One step, element by element, in the order of torch's for-loop path.

    fused_ops=True : every x.add_(y, alpha=a) is fma(a, y, x) (torch's CPU add).
    fused_ops=False: the multiply and the add are rounded separately.
    Scalars are rounded to dtype first, as torch does (alpha -> scalar_t).
    Returns (new_w, new_buf); buf None means absent.
    """
    T = np_dtype(dtype)
    mu, tau, wd, nest, maxi = (hp["momentum"], hp["dampening"], hp["weight_decay"],
                               hp["nesterov"], hp["maximize"])
    s_wd, s_mu, s_1mt, s_nlr = T(wd), T(mu), T(1 - tau), T(-lr)
    if fused_ops:
        axpy = lambda a, x, y: fma(a, x, y, dtype)
    else:
        axpy = lambda a, x, y: add(mul(a, x, dtype), y, dtype)
    new_w = np.empty_like(w)
    new_buf = None if mu == 0 else np.empty_like(w)
    for i in range(len(w)):
        d = -g[i] if maxi else g[i]
        if wd != 0:
            d = axpy(s_wd, w[i], d)
        if mu != 0:
            if buf is None:
                b = d
            else:
                b = axpy(s_1mt, d, mul(buf[i], s_mu, dtype))
            new_buf[i] = b
            d = axpy(s_mu, b, d) if nest else b
        new_w[i] = axpy(s_nlr, d, w[i])
    return new_w, new_buf


def ulp_diff(a, b, dtype):
    """Max distance in units in the last place between two arrays (ordered ints)."""
    a = np.asarray(a, dtype=np_dtype(dtype))
    b = np.asarray(b, dtype=np_dtype(dtype))
    it = np.int32 if dtype == "float32" else np.int64

    def ordered(x):
        i = x.view(it).astype(object)  # Python ints, no overflow
        top = 1 << (31 if dtype == "float32" else 63)
        return [(v if v >= 0 else -(v + top)) for v in i]  # -0.0 and +0.0 map to 0

    oa, ob = ordered(a), ordered(b)
    return max((abs(x - y) for x, y in zip(oa, ob)), default=0)


def replay_reference(case, dtype, fused_ops):
    """Run the scalar reference over a case's inputs; max ULP vs the case's outputs."""
    T = np_dtype(dtype)
    hp = case["hyperparameters"]
    w = np.array(case["initial"]["param"], dtype=T)
    buf = None
    worst_w = worst_b = 0
    for lr, s in zip(case["lr"], case["steps"]):
        g = np.array(s["grad"], dtype=T)
        w, buf = reference_step(w, g, buf, lr, hp, dtype, fused_ops)
        worst_w = max(worst_w, ulp_diff(w, s["param"], dtype))
        if buf is not None:
            worst_b = max(worst_b, ulp_diff(buf, s["momentum_buffer"], dtype))
        # Continue from the torch values, so each step's error is measured on its own.
        w = np.array(s["param"], dtype=T)
        if buf is not None:
            buf = np.array(s["momentum_buffer"], dtype=T)
    return worst_w, worst_b


def free_run_reference(case, dtype, fused_ops):
    """As replay_reference, but the reference runs on its own values (errors accumulate)."""
    T = np_dtype(dtype)
    hp = case["hyperparameters"]
    w = np.array(case["initial"]["param"], dtype=T)
    buf = None
    worst = 0
    worst_abs = 0.0
    for lr, s in zip(case["lr"], case["steps"]):
        g = np.array(s["grad"], dtype=T)
        w, buf = reference_step(w, g, buf, lr, hp, dtype, fused_ops)
        worst = max(worst, ulp_diff(w, s["param"], dtype))
        worst_abs = max(worst_abs, float(np.max(np.abs(w.astype(np.float64) - np.array(s["param"])))))
        if buf is not None:
            worst = max(worst, ulp_diff(buf, s["momentum_buffer"], dtype))
    return worst, worst_abs


# ---------------------------------------------------------------------------
# torch
# ---------------------------------------------------------------------------

def torch_trajectory(torch, w0, grads, lrs, hp, dtype, **sgd_kwargs):
    """Run torch.optim.SGD on one parameter; returns list of (param, buffer) per step."""
    tdtype = torch.float32 if dtype == "float32" else torch.float64
    p = torch.nn.Parameter(torch.tensor(np.asarray(w0), dtype=torch.float64).to(tdtype))
    opt = torch.optim.SGD([p], lr=lrs[0], momentum=hp["momentum"], dampening=hp["dampening"],
                          weight_decay=hp["weight_decay"], nesterov=hp["nesterov"],
                          maximize=hp["maximize"], **sgd_kwargs)
    out = []
    for lr, g in zip(lrs, grads):
        for group in opt.param_groups:
            group["lr"] = lr
        p.grad = torch.tensor(np.asarray(g), dtype=torch.float64).to(tdtype)
        opt.step()
        st = opt.state[p]
        buf = st.get("momentum_buffer") if hp["momentum"] != 0 else None
        out.append((p.detach().clone().numpy(), None if buf is None else buf.detach().clone().numpy()))
    return out


def build_cases(torch, dtype, **sgd_kwargs):
    cases = []
    lrs = lr_schedule()
    for ci, hp in enumerate(make_cases()):
        w0, grads = make_inputs(ci)
        T = np_dtype(dtype)
        traj = torch_trajectory(torch, w0, grads, lrs, hp, dtype, **sgd_kwargs)
        steps = []
        for g, (p, b) in zip(grads, traj):
            steps.append({
                "grad": to_list(g.astype(T)),
                "param": to_list(p),
                "momentum_buffer": None if b is None else to_list(b),
            })
        cases.append({
            "name": case_name(hp),
            "variant": "heavy_ball",
            "dtype": dtype,
            "hyperparameters": {
                "momentum": hp["momentum"], "dampening": hp["dampening"],
                "weight_decay": hp["weight_decay"], "nesterov": hp["nesterov"],
                "maximize": hp["maximize"],
            },
            "lr": list(lrs),
            "initial": {"param": to_list(w0.astype(T))},
            "steps": steps,
        })
    return cases


def verify_against_references(cases, dtype):
    """Print per-case ULP results; return (max ulp fma-ref, max ulp non-fused-ref)."""
    worst_fma = worst_sep = 0
    print(f"  {dtype}: per-step max ULP vs torch  [fma reference | separate mul+add reference"
          f" | separate, free-running over 24 steps (max abs)]")
    for c in cases:
        fw, fb = replay_reference(c, dtype, fused_ops=True)
        sw, sb = replay_reference(c, dtype, fused_ops=False)
        fr, fr_abs = free_run_reference(c, dtype, fused_ops=False)
        worst_fma = max(worst_fma, fw, fb)
        worst_sep = max(worst_sep, sw, sb, fr)
        print(f"    {c['name']:<45} fma: {max(fw, fb):>3}   separate: {max(sw, sb):>6}"
              f"   free-running: {fr:>8} ({fr_abs:.3g})")
    return worst_fma, worst_sep


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", default=os.path.join(repo, "tests", "data"))
    ap.add_argument("--no-verify", action="store_true", help="skip the ctypes fma reference check")
    args = ap.parse_args(argv)

    import torch
    torch.set_num_threads(1)
    cap = torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu") else "?"
    try:
        cap = [l.split(":", 1)[1].strip() for l in torch.__config__.show().splitlines()
               if "CPU capability usage" in l][0]
    except Exception:
        pass
    source = (f"PyTorch {torch.__version__} (CPU capability {cap}): torch.optim.SGD(..., foreach=False) "
              f"on CPU, one parameter tensor of {N_ELEMENTS} elements, {N_STEPS} steps, "
              f"p.grad assigned before each step, param_groups[0]['lr'] set per step")
    print(source)

    ok = True
    for dtype in DTYPES:
        cases = build_cases(torch, dtype, foreach=False)
        path = os.path.join(args.out_dir, f"heavy_ball_{dtype}.json")
        size = write_trajectory_file(path, source, "scripts/golden_pytorch.py", cases)
        check_roundtrip(path, cases)
        print(f"wrote {os.path.relpath(path, repo)}: {len(cases)} cases, {size} bytes")
        if not args.no_verify:
            wf, ws = verify_against_references(cases, dtype)
            print(f"  {dtype}: max ULP, torch vs fma-order reference (libm fma via ctypes): {wf}")
            print(f"  {dtype}: max ULP, torch vs non-fused (separate mul, add) reference:  {ws}")
            if wf != 0:
                ok = False
                print(f"  ERROR: the fma-order reference does not reproduce torch ({dtype})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
