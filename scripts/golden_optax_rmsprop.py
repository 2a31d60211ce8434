#!/usr/bin/env python3
"""Golden optax.rmsprop results, run eagerly (JAX on CPU), for inertia's rmsprop with Optax's options.

Not part of CI: run it in a throwaway venv with jax and optax,

    python3 -m venv /tmp/optax && /tmp/optax/bin/pip install jax optax numpy
    /tmp/optax/bin/python scripts/golden_optax_rmsprop.py

It writes tests/data/rmsprop_optax.json in scripts/golden_torch2.py's layout (splitmix64 inputs the
C++ test regenerates; five tensors of 1, 7, 17, 33 and 1003 elements; 30 steps; the final param's
hash and bits, every element of the small tensors and 32 of the big one), replayed by
tests/test_rmsprop.cpp within a pinned ULP bound. float32 runs with jax_enable_x64 off (JAX's
default), float64 with it on.

Optax's order is not inertia's (torch's): it squares g before scaling it (`(1 - decay) * g**2`), forms
`scaling = 1 / (sqrt(nu) + eps)` (or `rsqrt(nu + eps)`) and multiplies g by it, then by -lr, and
its trace holds the lr-scaled update where torch's momentum_buffer holds the unscaled one (the same
with a constant lr, as here). So only the parameters are compared, and within a bound. Optax's
centred first moment is a mul-add, `(1 - decay) * g + decay * mu`: inertia's pytorch_1_13 order.
"""

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_layout import HEAD, SIZES, STEPS, TAIL, bits_hex, fnv1a, tensor_seed, values  # noqa: E402

# (case name, optax.rmsprop kwargs): Optax's defaults, then its options one group at a time.
CASES = [
    ("optax_defaults", {"learning_rate": 1e-2}),
    ("eps_outside_centered_initial_scale0.1",
     {"learning_rate": 1e-2, "eps_in_sqrt": False, "centered": True, "initial_scale": 0.1}),
    ("momentum0.9_nesterov", {"learning_rate": 1e-3, "momentum": 0.9, "nesterov": True}),
    ("centered_momentum0.5_decay0.99_eps_outside",
     {"learning_rate": 1e-3, "decay": 0.99, "centered": True, "momentum": 0.5, "eps_in_sqrt": False}),
]
SEED_CASE_OFFSET = 70
OPTAX_DEFAULTS = {"decay": 0.9, "eps": 1e-8, "initial_scale": 0.0, "eps_in_sqrt": True, "centered": False,
                  "momentum": None, "nesterov": False}


def inertia_options(kwargs):
    """The case by inertia's rmsprop keys (torch's names; Optax's decay is alpha)."""
    o = dict(OPTAX_DEFAULTS, **kwargs)
    return {"lr": o["learning_rate"], "alpha": o["decay"], "eps": o["eps"], "initial_scale": o["initial_scale"],
            "eps_in_sqrt": o["eps_in_sqrt"], "centered": o["centered"], "momentum": o["momentum"] or 0.0,
            "nesterov": o["nesterov"]}


def run(jax, jnp, optax, kwargs, dtype, seed_case):
    streams = [values(tensor_seed(seed_case, j), n * (STEPS + 1)) for j, n in enumerate(SIZES)]
    params = [jnp.asarray(s[:n], dtype=dtype) for s, n in zip(streams, SIZES)]
    tx = optax.rmsprop(**kwargs)
    state = tx.init(params)
    for step in range(STEPS):
        grads = [jnp.asarray(s[n * (step + 1): n * (step + 2)], dtype=dtype) for s, n in zip(streams, SIZES)]
        updates, state = tx.update(grads, state, params)
        params = optax.apply_updates(params, updates)
    out = []
    for p in params:
        final = np.asarray(p).copy()
        assert final.dtype == np.dtype(dtype)
        n = final.size
        sample = list(range(n)) if n <= HEAD + TAIL else list(range(HEAD)) + list(range(n - TAIL, n))
        out.append({"n": n, "param_hash": fnv1a(final.tobytes()), "sample_index": sample,
                    "param_sample": bits_hex(final[sample])})
    return out


def main():
    import jax
    import jax.numpy as jnp
    import optax
    cases = []
    for dtype in ("float32", "float64"):
        jax.config.update("jax_enable_x64", dtype == "float64")
        for case_index, (name, kwargs) in enumerate(CASES):
            seed_case = SEED_CASE_OFFSET + case_index
            with jax.disable_jit():
                tensors = run(jax, jnp, optax, kwargs, dtype, seed_case)
            cases.append({"variant": "rmsprop", "name": name, "path": "eager", "dtype": dtype,
                          "numerics": "pytorch_1_13", "seed_case": seed_case, "optax": kwargs,
                          "hyperparameters": inertia_options(kwargs), "tensors": tensors})
    doc = {"format": "inertia-torch2-golden", "version": 1, "optax": optax.__version__, "jax": jax.__version__,
           "mode": "eager (jax.disable_jit), CPU", "steps": STEPS, "sizes": list(SIZES),
           "inputs": "splitmix64 values (scripts/golden_torch2.py `values`), tensor j of case k seeded "
                     "1000*(seed_case+1)+j: n initial params, then n gradients per step",
           "generator": "scripts/golden_optax_rmsprop.py", "cases": cases}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "rmsprop_optax.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}: {len(cases)} cases, {os.path.getsize(path)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
