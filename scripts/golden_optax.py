#!/usr/bin/env python3
"""Golden ema trajectories from Optax: chain(ema(decay, debias), scale(-lr)) + apply_updates.

JAX and Optax are large; install them in a throwaway virtual environment, never
in the project's test environment:

    python3 -m venv /tmp/fw && /tmp/fw/bin/pip install jax optax keras numpy
    /tmp/fw/bin/python scripts/golden_optax.py

Writes, in the "inertia-trajectory" format of scripts/golden_pytorch.py
(variant "ema", hyperparameters {beta, bias_correction}, state "velocity" =
Optax's EmaState.ema, never debiased), for float32 and float64:

  tests/data/ema_<dtype>.json      tx.update + optax.apply_updates called
                                   eagerly (JAX dispatches every op on its own)
  tests/data/ema_xla_<dtype>.json  the same function under jax.jit, as every
                                   training loop runs it: XLA fuses the update
                                   and contracts multiply-adds to FMA

Cases: decay {0.9, 0.999} x debias {False, True}; lr 0.1 for 12 steps, then
0.013 (scale(-lr) is stateless, so the chain is rebuilt with the step's lr
around the same state). float32 runs with jax_enable_x64 off (JAX's default,
what a float32 user has): Optax's `1 - decay**count` is then computed in
float32 from float32(decay). float64 runs with jax_enable_x64 on. The script
also measures float32 parameters with jax_enable_x64 on (not written).

The inputs are those of scripts/golden_pytorch.py (make_inputs, case indices
200..203). Besides writing the files, the script replays every trajectory with
numpy models of candidate operation orders and prints the max ULP of each, per
step (restarting from the framework's values) and free-running (what
tests/test_framework_golden.cpp sees through inertia::ema_step, which follows
the documented order).
"""

import argparse
import ctypes
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import golden_pytorch as gp  # noqa: E402
import golden_keras as gk  # noqa: E402  (writer, comparison tables)

DTYPES = ("float32", "float64")
CASES = [  # (decay, debias)
    (0.9, False),
    (0.9, True),
    (0.999, False),
    (0.999, True),
]
SEED_OFFSET = 200

_libm = ctypes.CDLL("libm.so.6")
_libm.powf.restype = ctypes.c_float
_libm.powf.argtypes = (ctypes.c_float, ctypes.c_float)


def correction(beta, t, how, dtype):
    """1 - beta^t, rounded to dtype, computed as:
      'double' : in double with libm pow, rounded once (inertia's order for float64)
      'float32': in float32 from float32(beta) with libm powf (JAX without x64; inertia's order for float32)
    """
    T = gp.np_dtype(dtype)
    if how == "double":
        return T(1.0 - math.pow(beta, t))
    b = np.float32(beta)
    return T(np.float32(1) - np.float32(_libm.powf(float(b), float(t))))


def ema_model(dtype, lr, beta, bias_correction, t, order, grad):
    """One step in the given order; returns step(w, v).

    order: (velocity, division, param, correction)
      velocity 'sep'  : r((1-b)*g) + r(b*v)      'fma_g': fma(1-b, g, r(b*v))   'fma_v': fma(b, v, r((1-b)*g))
      division 'div'  : v / c                    'recip': v * r(1/c)
      param    'sep'  : w + r(-lr * v_hat)       'fma'  : fma(-lr, v_hat, w)
      correction: see correction()
    """
    T = gp.np_dtype(dtype)
    a, b, nlr = T(1.0 - beta), T(beta), T(-lr)
    v_order, div, w_order, corr = order
    c = correction(beta, t, corr, dtype)
    rc = T(T(1) / c)
    fma = lambda x, y, z: gp.fma(x, y, z, dtype)

    def step(w, v):
        w = w.copy()
        v = v.copy()
        for i in range(len(w)):
            g = grad[i]
            if v_order == "sep":
                v[i] = T(T(a * g) + T(b * v[i]))
            elif v_order == "fma_g":
                v[i] = fma(a, g, T(b * v[i]))
            else:
                v[i] = fma(b, v[i], T(a * g))
            vh = v[i]
            if bias_correction:
                vh = T(v[i] / c) if div == "div" else T(v[i] * rc)
            w[i] = T(w[i] + T(nlr * vh)) if w_order == "sep" else fma(nlr, vh, w[i])
        return w, v
    return step


V_NAMES = {"sep": "v = r((1-b)*g) + r(b*v)", "fma_g": "v = fma(1-b, g, r(b*v))", "fma_v": "v = fma(b, v, r((1-b)*g))"}
DIV_NAMES = {"div": "v/c", "recip": "v*r(1/c)"}
W_NAMES = {"sep": "w + r(-lr*v_hat)", "fma": "fma(-lr, v_hat, w)"}
C_NAMES = {"double": "c in double", "float32": "c in float32"}


def label(order, bias_correction):
    v, d, w, c = order
    parts = [V_NAMES[v]]
    if bias_correction:
        parts.append(DIV_NAMES[d] + ", " + C_NAMES[c])
    parts.append(W_NAMES[w])
    return "; ".join(parts)


def ema_orders(bias_correction):
    out = {}
    for v in ("sep", "fma_g", "fma_v"):
        for w in ("sep", "fma"):
            for d in (("div", "recip") if bias_correction else ("div",)):
                for c in (("double", "float32") if bias_correction else ("double",)):
                    order = (v, d, w, c)
                    out[label(order, bias_correction)] = order
    return out


def optax_trajectory(jax, jnp, optax, dtype, decay, debias, w0, grads, lrs, mode):
    T = gp.np_dtype(dtype)
    p = jnp.asarray(w0.astype(T))

    def update(g, state, p, lr):
        tx = optax.chain(optax.ema(decay, debias=debias), optax.scale(-lr))
        u, state = tx.update(g, state, p)
        return optax.apply_updates(p, u), state

    state = optax.chain(optax.ema(decay, debias=debias), optax.scale(-lrs[0])).init(p)
    f = update if mode == "eager" else jax.jit(update, static_argnums=3)
    out = []
    for lr, g in zip(lrs, grads):
        p, state = f(jnp.asarray(g.astype(T)), state, p, lr)
        assert p.dtype == T and state[0].ema.dtype == T
        out.append((np.asarray(p).copy(), np.asarray(state[0].ema).copy()))
    return out


def case_name(decay, debias):
    return "beta{}_bias_correction{}".format(gp._fmt_hp(decay), int(debias))


def expected_order(mode, debias, x64, dtype):
    """The order measured to reproduce Optax bit for bit (checked below)."""
    v, w = ("sep", "sep") if mode == "eager" else ("fma_g", "fma")
    c = "float32" if (dtype == "float32" and not x64) else "double"
    return (v, "recip", w, c) if debias else (v, "div", w, "double")


def run_cases(jax, jnp, optax, dtype, x64, mode, lrs, report):
    T = gp.np_dtype(dtype)
    cases, ok = [], True
    for ci, (decay, debias) in enumerate(CASES):
        w0, grads = gp.make_inputs(SEED_OFFSET + ci)
        traj = optax_trajectory(jax, jnp, optax, dtype, decay, debias, w0, grads, lrs,
                                "eager" if mode == "eager" else "jit")
        orders = ema_orders(debias)
        step_fn = lambda order, w, v, t: ema_model(dtype, lrs[t - 1], decay, debias, t, order,
                                                   grads[t - 1].astype(T))(w, v)
        results = gk.compare(orders, traj, w0, dtype, step_fn)
        documented = label(("sep", "recip", "sep", "float32" if dtype == "float32" else "double"), debias)
        expected = label(expected_order(mode, debias, x64, dtype), debias)
        name = case_name(decay, debias)
        gk.print_table(name, results, documented, expected)
        if results[expected] != (0, 0):
            ok = False
            print(f"    ERROR: {expected!r} does not reproduce Optax ({mode}) bit for bit")
        report.append((dtype, x64, mode, name, results[documented]))
        cases.append({
            "name": name, "variant": "ema", "dtype": dtype,
            "hyperparameters": {"beta": decay, "bias_correction": debias},
            "lr": list(lrs),
            "initial": {"param": gk.to_list(w0.astype(T))},
            "steps": [{"grad": gk.to_list(g.astype(T)), "param": gk.to_list(p), "velocity": gk.to_list(v)}
                      for g, (p, v) in zip(grads, traj)],
        })
    return cases, ok


def main(argv=None):
    repo = os.path.dirname(HERE)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", default=os.path.join(repo, "tests", "data"))
    args = ap.parse_args(argv)

    import jax
    import jax.numpy as jnp
    import optax

    lrs = gp.lr_schedule()
    versions = f"Optax {optax.__version__}, jax {jax.__version__}, numpy {np.__version__}"
    print(versions)
    print(f"CPU: {gk.cpu_name()}")
    ok = True
    report = []
    for dtype, x64, write in (("float32", False, True), ("float64", True, True), ("float32", True, False)):
        jax.config.update("jax_enable_x64", x64)
        for mode in ("eager", "xla"):
            print(f"\n{dtype}, jax_enable_x64={x64}, {mode}:")
            cases, case_ok = run_cases(jax, jnp, optax, dtype, x64, mode, lrs, report)
            ok &= case_ok
            if not write:
                continue
            how = ("tx.update() and optax.apply_updates() called eagerly (every op dispatched on its own)"
                   if mode == "eager" else
                   "tx.update() and optax.apply_updates() inside one jax.jit function")
            source = (f"{versions}; tx = optax.chain(optax.ema(decay, debias), optax.scale(-lr)); {how}; "
                      f"{dtype} parameters, jax_enable_x64={x64}; CPU {gk.cpu_name()}; one parameter of "
                      f"{gp.N_ELEMENTS} elements, {gp.N_STEPS} steps, the chain rebuilt with each step's lr")
            c_how = ("c = 1 - powf(float32(b), t) in float32 (jax_enable_x64 off)" if dtype == "float32"
                     else "c = 1 - pow(b, t) in float64")
            if mode == "eager":
                notes = ("Every op rounded on its own: v = r((1-b)*g) + r(b*v); " + c_how + "; v_hat = v * r(1/c) "
                         "(XLA turns the division by the scalar into a multiplication by its reciprocal); "
                         "w = w + r(-lr*v_hat). This is inertia's documented order, bit for bit.")
            else:
                notes = ("XLA (CPU with FMA) contracts: v = fma(1-b, g, r(b*v)); " + c_how + "; v_hat = v * r(1/c); "
                         "w = fma(-lr, v_hat, w). inertia's documented order differs by a few ULP per step.")
            suffix = "" if mode == "eager" else "_xla"
            path = os.path.join(args.out_dir, f"ema{suffix}_{dtype}.json")
            size = gk.write_trajectory(path, source, "scripts/golden_optax.py", notes, cases, "velocity")
            print(f"  wrote {os.path.relpath(path, repo)}: {len(cases)} cases, {size} bytes")

    print("\nSummary: documented order (inertia::ema_step) vs Optax, max ULP per step / free-running:")
    for dtype, x64, mode, name, (ps, fr) in report:
        print(f"  {dtype} x64={int(x64)} {mode:<5} {name:<28} {ps:>8} / {fr}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
