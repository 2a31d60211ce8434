"""The layout of the goldens scripts/golden_torch2.py, golden_rmsprop.py and golden_optax_rmsprop.py
write (no framework imported here): their splitmix64 inputs, hashes and hex bits, which the C++ replays
(tests/torch2_golden_support.hpp) regenerate and compare."""

import numpy as np

STEPS = 30
SIZES = (1, 7, 17, 33, 1003)
HEAD, TAIL = 8, 24
M64 = (1 << 64) - 1


def values(seed, count):
    """count numbers in [-1, 1), multiples of 2^-23 (exact in float32), from splitmix64 seeded with seed."""
    out = np.empty(count, dtype=np.float64)
    state = seed & M64
    for k in range(count):
        state = (state + 0x9E3779B97F4A7C15) & M64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        z ^= z >> 31
        out[k] = ((z >> 40) - (1 << 23)) * 2.0 ** -23
    return out


def tensor_seed(case_index, tensor_index):
    """The stream of tensor j of case k: its n initial values, then n gradient values per step."""
    return 1000 * (case_index + 1) + tensor_index


def fnv1a(data: bytes) -> str:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & M64
    return f"{h:016x}"


def bits_hex(array):
    return [f"{x:08x}" for x in array.view(np.uint32)] if array.dtype == np.float32 else \
           [f"{x:016x}" for x in array.view(np.uint64)]
