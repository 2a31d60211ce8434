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

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from optax_golden import record  # noqa: E402

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


def main():
    return record('rmsprop', 'rmsprop', CASES, SEED_CASE_OFFSET, inertia_options, "scripts/golden_optax_rmsprop.py",
                  'rmsprop_optax.json', extra={"numerics": "pytorch_1_13"})


if __name__ == "__main__":
    sys.exit(main())
