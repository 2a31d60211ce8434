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

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_layout import SIZES  # noqa: E402
from optax_golden import record  # noqa: E402

CASES = [
    ("optax_defaults_lr1e-2", {"learning_rate": 1e-2}),
    ("b0.8,0.99_wd0.01", {"learning_rate": 1e-2, "b1": 0.8, "b2": 0.99, "weight_decay": 0.01}),
    ("eps1e-8_eps_root1e-6_wd0.1", {"learning_rate": 3e-3, "eps": 1e-8, "eps_root": 1e-6, "weight_decay": 0.1}),
]
SEED_CASE_OFFSET = 100
SIZES = SIZES + (9000,)
DEFAULTS = {"b1": 0.9, "b2": 0.999, "eps": 1e-6, "eps_root": 0.0, "weight_decay": 0.0}


def inertia_options(kwargs):
    """The case by inertia's keys: Optax's names, learning_rate as lr."""
    options = dict(DEFAULTS, **{k: v for k, v in kwargs.items() if k != "learning_rate"})
    options["lr"] = kwargs["learning_rate"]
    return options


def main():
    return record('lamb', 'lamb', CASES, SEED_CASE_OFFSET, inertia_options, "scripts/golden_optax_lamb.py",
                  'lamb_optax.json', sizes=SIZES)


if __name__ == "__main__":
    sys.exit(main())
