#!/usr/bin/env python3
"""Golden trajectories for simplified_ademamix: optax.contrib.simplified_ademamix, run eagerly on CPU.

    /tmp/optax/bin/python scripts/golden_simplified_ademamix.py      (a venv with jax and optax; never in CI)

Writes tests/data/simplified_ademamix_{float32,float64}.json ("inertia-trajectory"), replayed by
tests/test_simplified_ademamix.cpp (scripts/golden_ademamix.py's layout and checks). float32 runs with jax_enable_x64 off (JAX's default), float64 with it on.
One tensor of gp.N_ELEMENTS (37) elements, 10 steps, tx.update + optax.apply_updates called eagerly,
the transformation rebuilt each step with that step's lr (its state carried over).

Before writing, each step is checked against the order include/inertia/simplified_ademamix.hpp documents,
in numpy, given XLA's bias correction 1 - b2^t, which each step records (bias_correction2): numpy's
power is not XLA's, while libm's pow/powf (what inertia calls) gives XLA's values; the script checks that too.
"""

import argparse
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_pytorch as gp  # noqa: E402

N_STEPS = 10
SEED_OFFSET = 850
LRS = [1e-2] * 5 + [3e-3] * 5
CASES = [
    ("defaults", {}),
    ("alpha 5, b1 0.999, weight_decay 0.01, eps_root 1e-12", {"alpha": 5.0, "b1": 0.999, "weight_decay": 0.01,
                                                              "eps_root": 1e-12}),
    ("alpha 2, b2 0.99, eps 1e-6", {"alpha": 2.0, "b2": 0.99, "eps": 1e-6}),
]
DEFAULTS = {"b1": 0.99, "b2": 0.95, "alpha": 0.0, "eps": 1e-8, "eps_root": 0.0, "weight_decay": 0.0}
KEYS = ("param", "m", "n")


def optax_trajectory(jnp, optax, hp, dtype, w0, grads):
    p = jnp.asarray(w0, dtype=dtype)
    make = lambda lr: optax.contrib.simplified_ademamix(lr, b1=hp["b1"], b2=hp["b2"], alpha=hp["alpha"],
                                                        eps=hp["eps"], eps_root=hp["eps_root"],
                                                        weight_decay=hp["weight_decay"])
    state = make(LRS[0]).init(p)
    out = []
    for g, lr in zip(grads, LRS):
        u, state = make(lr).update(jnp.asarray(g, dtype=dtype), state, p)
        p = optax.apply_updates(p, u)
        s = state[0]
        out.append({"param": np.asarray(p).copy(), "m": np.asarray(s.m).copy(), "n": np.asarray(s.n).copy()})
    return out


def model_trajectory(hp, dtype, w0, grads, corrections):
    """corrections[t-1] = 1 - b2^t as XLA computes it (not libm's pow: see xla_corrections)."""
    T = gp.np_dtype(dtype)
    w = w0.astype(T)
    m, n = np.zeros_like(w), np.zeros_like(w)
    out = []
    for t, (g, lr) in enumerate(zip(grads, LRS), start=1):
        g = g.astype(T)
        m = g + T(hp["b1"]) * m
        square = g * g
        n = square + T(hp["b2"]) * (n - square)
        inv2 = T(1) / corrections[t - 1]
        u = (m + T(hp["alpha"]) * g) / (np.sqrt(n * inv2 + T(hp["eps_root"])) + T(hp["eps"]))
        if hp["weight_decay"] != 0:
            u = u + T(hp["weight_decay"]) * w
        w = w + T(-lr) * u
        out.append({"param": w.copy(), "m": m.copy(), "n": n.copy()})
    return out


def libm_pow(b, t, dtype):
    """T(b) ** t with libm's powf (float32) or pow (float64), as inertia's rule calls it."""
    import ctypes
    import ctypes.util
    libm = ctypes.CDLL(ctypes.util.find_library("m"))
    function = libm.powf if dtype == "float32" else libm.pow
    kind = ctypes.c_float if dtype == "float32" else ctypes.c_double
    function.restype, function.argtypes = kind, [kind, kind]
    T = gp.np_dtype(dtype)
    return T(function(float(T(b)), float(t)))


def xla_corrections(jax, jnp, hp, dtype):
    """Optax's bias correction 1 - b2^t (optax.tree.bias_correction, jitted): XLA's pow, which is not libm's;
    recorded so that the replay can tell the steps where inertia's libm pow agrees (and must be bit-exact)."""
    T = gp.np_dtype(dtype)
    f = jax.jit(lambda count, decay: 1 - decay ** count, static_argnums=1, inline=True)
    return [np.asarray(f(jnp.asarray(t, jnp.int32), hp["b2"])).astype(T) for t in range(1, N_STEPS + 1)]


def main(argv=None):
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", default=os.path.join(repo, "tests", "data"))
    args = ap.parse_args(argv)
    import jax
    import jax.numpy as jnp
    import optax
    jax.config.update("jax_platforms", "cpu")
    source = (f"Optax {optax.__version__}, jax {jax.__version__}, CPU, eager: optax.contrib.simplified_ademamix "
              f"tx.update + optax.apply_updates, one tensor of {gp.N_ELEMENTS} elements, {N_STEPS} steps, lr per step")
    print(source)
    ok = True
    for dtype in ("float32", "float64"):
        jax.config.update("jax_enable_x64", dtype == "float64")
        T = gp.np_dtype(dtype)
        cases = []
        for k, (name, overrides) in enumerate(CASES):
            hp = dict(DEFAULTS, **overrides)
            w0, grads = gp.make_inputs(SEED_OFFSET + k)
            grads = grads[:N_STEPS]
            recorded = optax_trajectory(jnp, optax, hp, dtype, w0, grads)
            corrections = xla_corrections(jax, jnp, hp, dtype)
            modelled = model_trajectory(hp, dtype, w0, grads, corrections)
            libm = sum(c2 == T(1) - libm_pow(hp["b2"], t, dtype) for t, c2 in enumerate(corrections, start=1))
            if libm != N_STEPS:
                print(f"  {dtype} {name}: libm's pow gives XLA's 1 - b^t in only {libm} of {N_STEPS} steps")
                ok = False
            for step, (a, b) in enumerate(zip(recorded, modelled), start=1):
                for key in a:
                    if a[key].dtype != T or not gp._bits_equal(list(a[key]), list(b[key])):
                        print(f"  {dtype} {name}: the documented order differs from Optax in {key} at step {step}")
                        ok = False
            steps = [dict({"grad": gp.to_list(g.astype(T))}, **{key: gp.to_list(v) for key, v in r.items()},
                          bias_correction2=float(c))
                     for g, r, c in zip(grads, recorded, corrections)]
            cases.append({"name": name, "variant": "simplified_ademamix", "dtype": dtype, "hyperparameters": hp, "lr": LRS,
                          "initial": {"param": gp.to_list(w0.astype(T))}, "steps": steps})
        if not ok:
            continue
        dump = lambda obj: json.dumps(obj, separators=(",", ":"), allow_nan=False)
        header = {"format": "inertia-trajectory", "version": 1, "source": source,
                  "generator": "scripts/golden_simplified_ademamix.py"}
        text = "{\n" + "".join(f"{dump(k)}:{dump(v)},\n" for k, v in header.items()) + '"cases":[\n'
        bodies = []
        for c in cases:
            fields = "".join(f"{dump(k)}:{dump(c[k])},\n" for k in ("name", "variant", "dtype", "hyperparameters",
                                                                    "lr", "initial"))
            bodies.append("{\n" + fields + '"steps":[\n' + ",\n".join(dump(s) for s in c["steps"]) + "\n]\n}")
        text += ",\n".join(bodies) + "\n]\n}\n"
        doc = json.loads(text)
        for read, written in zip(doc["cases"], cases):
            for a, b in zip(read["steps"], written["steps"]):
                for key in b:
                    assert gp._bits_equal(np.array(a[key], dtype=T).reshape(-1).tolist(),
                                          np.array(b[key], dtype=T).reshape(-1).tolist())
        path = os.path.join(args.out_dir, f"simplified_ademamix_{dtype}.json")
        with open(path, "w") as f:
            f.write(text)
        print(f"  wrote {os.path.relpath(path, repo)}: {len(cases)} cases, {len(text.encode())} bytes")
    if not ok:
        print("ERROR: the documented order does not reproduce Optax")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
