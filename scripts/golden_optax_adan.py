#!/usr/bin/env python3
"""Golden optax.adan results, run eagerly (JAX on CPU), replayed by tests/test_adan.cpp within a bound.

Not part of CI: run it in a throwaway venv with jax and optax,

    python3 -m venv /tmp/optax && /tmp/optax/bin/pip install jax optax numpy
    /tmp/optax/bin/python scripts/golden_optax_adan.py

It writes tests/data/adan_optax.json in scripts/golden_torch2.py's layout (scripts/golden_layout.py:
splitmix64 inputs the C++ test regenerates; five tensors of 1, 7, 17, 33 and 1003 elements; 30
steps; per tensor the final param's hash and bits, every element of the small tensors and 32 of the
big one). float32 runs with jax_enable_x64 off (JAX's default), float64 with it on. inertia's order
is Optax's but for the bias corrections (multiplications by 1 / (1 - b^t), see include/inertia/adan.hpp),
so the params are compared within a bound, not bit for bit. Measured: 0.5 epsilons (absolute; the
params are of order 1) with Optax's defaults; 12.5 (float32) and 3.1 (float64) with b3 = 0.999, where
Optax's float32 1 - b3**t (computed in float32, x64 off) loses about four digits to cancellation:
against a long-double run of inertia's order on the same inputs, inertia's float32 params are 3.5e-7
off and Optax's 2.2e-6.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from optax_golden import record  # noqa: E402

CASES = [
    ("optax_defaults_lr1e-2", {"learning_rate": 1e-2}),
    ("b0.9,0.9,0.999_eps_root0_wd0.02",
     {"learning_rate": 1e-2, "b1": 0.9, "b2": 0.9, "b3": 0.999, "eps_root": 0.0, "weight_decay": 0.02}),
    ("eps1e-6_eps_root1e-4_wd0.1", {"learning_rate": 3e-3, "eps": 1e-6, "eps_root": 1e-4, "weight_decay": 0.1}),
]
SEED_CASE_OFFSET = 90
DEFAULTS = {"b1": 0.98, "b2": 0.92, "b3": 0.99, "eps": 1e-8, "eps_root": 1e-8, "weight_decay": 0.0}


def inertia_options(kwargs):
    """The case by inertia's keys: Optax's names, learning_rate as lr."""
    options = dict(DEFAULTS, **{k: v for k, v in kwargs.items() if k != "learning_rate"})
    options["lr"] = kwargs["learning_rate"]
    return options


def main():
    return record('adan', 'adan', CASES, SEED_CASE_OFFSET, inertia_options, "scripts/golden_optax_adan.py",
                  'adan_optax.json')


if __name__ == "__main__":
    sys.exit(main())
