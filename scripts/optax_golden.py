"""What scripts/golden_optax_{adan,lamb,rmsprop}.py share: run an Optax transform eagerly (JAX on CPU) on
scripts/golden_layout.py's splitmix64 inputs and write the result in scripts/golden_torch2.py's layout
(the final param's hash and bits per tensor, every element of the small tensors and 32 of a big one),
float32 with jax_enable_x64 off (JAX's default), float64 with it on. Each script keeps its cases, its
mapping to inertia's option names and its docstring (what is compared, within which bound)."""

import json
import os

import numpy as np

from golden_layout import HEAD, SIZES, STEPS, TAIL, bits_hex, fnv1a, tensor_seed, values


def run(jnp, optax, transform, kwargs, dtype, seed_case, sizes):
    """The final params after STEPS steps of optax.<transform>(**kwargs), as the layout stores them."""
    streams = [values(tensor_seed(seed_case, j), n * (STEPS + 1)) for j, n in enumerate(sizes)]
    params = [jnp.asarray(s[:n], dtype=dtype) for s, n in zip(streams, sizes)]
    tx = getattr(optax, transform)(**kwargs)
    state = tx.init(params)
    for step in range(STEPS):
        grads = [jnp.asarray(s[n * (step + 1): n * (step + 2)], dtype=dtype) for s, n in zip(streams, sizes)]
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


def record(variant, transform, cases, seed_case_offset, options_of, generator, out_name, sizes=SIZES, extra=None):
    """Every case in float32 and float64, written to tests/data/<out_name>. options_of(kwargs): the case's
    options by inertia's keys; extra: more fields of each case (e.g. its numerics mode)."""
    import jax
    import jax.numpy as jnp
    import optax
    records = []
    for dtype in ("float32", "float64"):
        jax.config.update("jax_enable_x64", dtype == "float64")
        for case_index, (name, kwargs) in enumerate(cases):
            seed_case = seed_case_offset + case_index
            with jax.disable_jit():
                tensors = run(jnp, optax, transform, kwargs, dtype, seed_case, sizes)
            records.append({"variant": variant, "name": name, "path": "eager", "dtype": dtype, **(extra or {}),
                            "seed_case": seed_case, "optax": kwargs, "hyperparameters": options_of(kwargs),
                            "tensors": tensors})
    doc = {"format": "inertia-torch2-golden", "version": 1, "optax": optax.__version__, "jax": jax.__version__,
           "mode": "eager (jax.disable_jit), CPU", "steps": STEPS, "sizes": list(sizes),
           "inputs": "splitmix64 values (scripts/golden_layout.py `values`), tensor j of case k seeded "
                     "1000*(seed_case+1)+j: n initial params, then n gradients per step",
           "generator": generator, "cases": records}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", out_name)
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}: {len(records)} cases, {os.path.getsize(path)} bytes")
    return 0
