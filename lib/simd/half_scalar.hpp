#pragma once
// Scalar conversions between float32 and the two 16-bit storage formats,
// bfloat16 (1 sign, 8 exponent, 7 mantissa bits: float32's upper half) and
// IEEE binary16 "fp16" (1, 5, 10; largest finite 65504, subnormals below
// 2^-14 in steps of 2^-24). Round-to-nearest-even, in integer arithmetic so
// that no floating-point environment (rounding mode, flush-to-zero) can touch
// the result. These are the references of the vector conversions.
//
// They equal PyTorch's c10::BFloat16 (round_to_nearest_even) and c10::Half
// (fp16_ieee_from_fp32_value / fp16_ieee_to_fp32_value) bit for bit on every
// finite value and on +-Inf: tests/test_stochastic_rounding.cpp compares them
// with those algorithms on a structured sweep, and
// scripts/check_half_rounding_torch.py with torch's own tensor conversions
// (.to(torch.bfloat16), .to(torch.float16)) on all 2^32 float32 patterns
// (torch 1.13: no mismatch among the 4278190082 non-NaN patterns).
// NaN (half_conversion.hpp, include/inertia/half.hpp): quiet, the sign and
// the top payload bits kept, as vcvtneps2bf16 and vcvtps2ph give; widening
// keeps the payload and sets the quiet bit (as vcvtph2ps). torch's NaN bits
// depend on the path (c10::BFloat16 gives 0x7FC0 whatever the sign, torch
// 1.13's vectorised conversion 0xFFFF, c10::Half sign | 0x7E00): NaN payloads
// are the one place these differ from torch. Stochastic rounding
// (stochastic_rounding.hpp) gives sign | 0x7FC0 / sign | 0x7E00.
#include <bit>
#include <cstdint>

#include "half_conversion.hpp"

namespace inertia::detail {

inline constexpr std::uint16_t bf16_quiet_nan = 0x7FC0;
inline constexpr std::uint16_t f16_quiet_nan = 0x7E00;
inline constexpr std::uint16_t f16_infinity = 0x7C00;

// Round-to-nearest-even and widening are the library's one definition
// (half_conversion.hpp, what every step stores), under the bit-pattern names
// the stochastic rounding code and its tests use.
static inline std::uint16_t round_to_bf16_rne(float x) { return narrow_to_bfloat16(x).bits; }
static inline std::uint16_t round_to_f16_rne(float x) { return narrow_to_float16(x).bits; }
static inline float bf16_to_float(std::uint16_t h) { return widen(bfloat16{h}); }
static inline float f16_to_float(std::uint16_t h) { return widen(float16{h}); }

}  // namespace inertia::detail
