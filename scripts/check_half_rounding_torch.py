#!/usr/bin/env python3
"""lib/simd/half_scalar.hpp against torch's own conversions, on every float32.

Compiles the header's round_to_bf16_rne / round_to_f16_rne / f16_to_float into a
throwaway shared library and compares them with torch's tensor conversions
(x.to(torch.bfloat16), x.to(torch.float16), h.to(torch.float32)):

  - narrowing: all 2^32 float32 bit patterns, in chunks of 2^26 (about five
    minutes on one core; --chunks N checks the first N chunks of a shuffled
    order instead). NaN inputs are left out: torch's NaN bits depend on the
    conversion path (see half_scalar.hpp); the script prints which it saw.
  - widening: all 2^16 fp16 patterns; NaNs equal up to the quiet bit, which
    torch sets on a signalling NaN and half_scalar.hpp leaves alone.

Debian's torch (/usr/bin/python3, torch 1.13) is enough; not part of CI:

    /usr/bin/python3 scripts/check_half_rounding_torch.py            # exhaustive
    /usr/bin/python3 scripts/check_half_rounding_torch.py --chunks 4  # a sample

Exits non-zero on any mismatch.
"""
import argparse
import ctypes
import pathlib
import random
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent

HELPER = r"""
#include <cstddef>
#include <cstdint>
#include <cstring>
#include "simd/half_scalar.hpp"
using namespace inertia::detail;
extern "C" void narrow_range(std::uint32_t first, std::size_t n, std::uint16_t* bf16, std::uint16_t* f16) {
  for (std::size_t k = 0; k < n; ++k) {
    const std::uint32_t bits = first + static_cast<std::uint32_t>(k);
    float x;
    std::memcpy(&x, &bits, sizeof x);
    bf16[k] = round_to_bf16_rne(x);
    f16[k] = round_to_f16_rne(x);
  }
}
extern "C" void widen_f16(std::uint32_t* out) {
  for (std::uint32_t h = 0; h < 0x10000u; ++h) {
    const float x = f16_to_float(static_cast<std::uint16_t>(h));
    std::memcpy(&out[h], &x, sizeof x);
  }
}
"""

CHUNK = 1 << 26


def build_helper(directory):
    source = pathlib.Path(directory) / "half_helper.cpp"
    library = pathlib.Path(directory) / "libhalf_helper.so"
    source.write_text(HELPER)
    subprocess.run(["c++", "-std=c++20", "-O2", "-shared", "-fPIC", f"-I{ROOT / 'lib'}", str(source), "-o",
                    str(library)], check=True)
    return ctypes.CDLL(str(library))


def as_u16(tensor):
    return tensor.view(torch.int16).numpy().view(np.uint16)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=(1 << 32) // CHUNK,
                        help="how many of the 64 chunks of 2^26 patterns (default: all)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        helper = build_helper(directory)
        failures = 0

        widened = np.empty(1 << 16, np.uint32)
        helper.widen_f16(widened.ctypes.data_as(ctypes.c_void_p))
        torch_widened = torch.from_numpy(np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.int16)) \
            .view(torch.float16).to(torch.float32).numpy().view(np.uint32)
        # NaN payloads are kept by both; torch also sets the quiet bit of a
        # signalling NaN (its conversion is an arithmetic one), this widening
        # keeps every bit.
        patterns = np.arange(1 << 16, dtype=np.uint32)
        nan = ((patterns & 0x7C00) == 0x7C00) & ((patterns & 0x03FF) != 0)
        widen_mismatches = int(np.count_nonzero((widened != torch_widened) & ~nan)) + \
            int(np.count_nonzero(((widened | 0x00400000) != torch_widened) & nan))
        print(f"fp16 -> float32: {widen_mismatches} mismatches among all 65536 fp16 patterns "
              f"(NaNs up to torch's quiet bit)")
        failures += widen_mismatches

        order = list(range((1 << 32) // CHUNK))
        if args.chunks < len(order):
            random.Random(16).shuffle(order)
        started = time.time()
        compared = bf16_mismatches = f16_mismatches = 0
        nan_bits_bf16, nan_bits_f16 = set(), set()
        for chunk in order[:args.chunks]:
            first = chunk * CHUNK
            bits = np.arange(first, first + CHUNK, dtype=np.uint64).astype(np.uint32)
            x = torch.from_numpy(bits.view(np.float32))
            torch_bf16, torch_f16 = as_u16(x.to(torch.bfloat16)), as_u16(x.to(torch.float16))
            ours_bf16, ours_f16 = np.empty(CHUNK, np.uint16), np.empty(CHUNK, np.uint16)
            helper.narrow_range(ctypes.c_uint32(first), ctypes.c_size_t(CHUNK),
                                ours_bf16.ctypes.data_as(ctypes.c_void_p), ours_f16.ctypes.data_as(ctypes.c_void_p))
            not_nan = (bits & 0x7FFFFFFF) <= 0x7F800000
            bf16_mismatches += int(np.count_nonzero((torch_bf16 != ours_bf16) & not_nan))
            f16_mismatches += int(np.count_nonzero((torch_f16 != ours_f16) & not_nan))
            compared += int(np.count_nonzero(not_nan))
            nan_bits_bf16.update(np.unique(torch_bf16[~not_nan]).tolist())
            nan_bits_f16.update(np.unique(torch_f16[~not_nan]).tolist())
        print(f"float32 -> bf16 / fp16, torch {torch.__version__}: {compared} non-NaN patterns in "
              f"{time.time() - started:.0f} s; bf16 mismatches {bf16_mismatches}, fp16 mismatches {f16_mismatches}")
        print("torch's NaN bits: bf16", sorted(hex(v) for v in nan_bits_bf16),
              "fp16", sorted(hex(v) for v in nan_bits_f16))
        failures += bf16_mismatches + f16_mismatches
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
