#!/usr/bin/env python3
"""Golden optax.lamb results, run eagerly (JAX on CPU), replayed by tests/test_lamb.cpp within a bound.

Not part of CI: run it in a throwaway venv with jax and optax,

    python3 -m venv /tmp/optax && /tmp/optax/bin/pip install jax optax numpy
    /tmp/optax/bin/python scripts/golden_optax_lamb.py

It writes tests/data/lamb_optax.json in scripts/golden_torch2.py's layout (scripts/golden_layout.py:
splitmix64 inputs the C++ test regenerates;
six tensors of 1, 7, 17, 33, 1003 and 9000 elements (the last spans three of the norms' 4096-element
chunks); 30 steps; per tensor the final param's hash and bits, every element of the small tensors and
32 of each big one). float32 runs with jax_enable_x64 off (JAX's default), float64 with it on.
inertia's order is Optax's but for the bias corrections (multiplications by 1 / (1 - b^t)), the norms
(a fixed-order sum in double, where Optax's are XLA's float reductions) and the trust ratio applied with
-lr in one multiplication (include/inertia/lamb.hpp), so the params are compared within a bound
(tests/test_lamb.cpp states it), not bit for bit.
"""

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_layout import HEAD, SIZES, STEPS, TAIL, bits_hex, fnv1a, tensor_seed, values  # noqa: E402

CASES = [
    ("optax_defaults_lr1e-2", {"learning_rate": 1e-2}),
    ("b0.8,0.99_wd0.01", {"learning_rate": 1e-2, "b1": 0.8, "b2": 0.99, "weight_decay": 0.01}),
    ("eps1e-8_eps_root1e-6_wd0.1", {"learning_rate": 3e-3, "eps": 1e-8, "eps_root": 1e-6, "weight_decay": 0.1}),
]
SEED_CASE_OFFSET = 100
SIZES = SIZES + (9000,)
DEFAULTS = {"b1": 0.9, "b2": 0.999, "eps": 1e-6, "eps_root": 0.0, "weight_decay": 0.0}


def run(jnp, optax, kwargs, dtype, seed_case):
    streams = [values(tensor_seed(seed_case, j), n * (STEPS + 1)) for j, n in enumerate(SIZES)]
    params = [jnp.asarray(s[:n], dtype=dtype) for s, n in zip(streams, SIZES)]
    tx = optax.lamb(**kwargs)
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
                tensors = run(jnp, optax, kwargs, dtype, seed_case)
            options = dict(DEFAULTS, **{k: v for k, v in kwargs.items() if k != "learning_rate"})
            options["lr"] = kwargs["learning_rate"]
            cases.append({"variant": "lamb", "name": name, "path": "eager", "dtype": dtype, "seed_case": seed_case,
                          "optax": kwargs, "hyperparameters": options, "tensors": tensors})
    doc = {"format": "inertia-torch2-golden", "version": 1, "optax": optax.__version__, "jax": jax.__version__,
           "mode": "eager (jax.disable_jit), CPU", "steps": STEPS, "sizes": list(SIZES),
           "inputs": "splitmix64 values (scripts/golden_layout.py `values`), tensor j of case k seeded "
                     "1000*(seed_case+1)+j: n initial params, then n gradients per step",
           "generator": "scripts/golden_optax_lamb.py", "cases": cases}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "lamb_optax.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}: {len(cases)} cases, {os.path.getsize(path)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
