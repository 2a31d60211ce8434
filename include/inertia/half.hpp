#pragma once
// Half-precision storage types: bfloat16 and IEEE binary16 (float16), as the
// 16 bits that are stored. A step on half-precision buffers (INERTIA_BFLOAT16
// and INERTIA_FLOAT16 in the generic C ABI, include/inertia/inertia.h) loads
// each element widened to float, computes every variant's rule in float
// exactly as the float32 step does, and rounds each value it stores back to
// the buffer's type, round-to-nearest-even: the semantics of torch 2.x's
// fused CPU optimizers on bf16/fp16 parameters and state ("opmath" float).
//
// Rounding, float -> storage, round to nearest, ties to even:
//   bfloat16: the top 16 bits of the float after adding 0x7FFF + (bit 16);
//             NaN stays NaN: the top 16 bits with the quiet bit set (sign and
//             the top payload bits kept, what AVX512-BF16's vcvtneps2bf16
//             gives), never Inf through the carry.
//   float16:  IEEE 754 binary16 with subnormals (no flush); values whose
//             magnitude rounds above 65504 become +-Inf; NaN stays NaN, quiet,
//             sign and the top 10 payload bits kept (what F16C's vcvtps2ph gives).
// Widening is exact. Every ISA target gives these bits (hardware conversions
// where the target has them, F16C and AVX-512, bit-identical to the portable
// integer code elsewhere).
#include <cstdint>
#include <span>

#include "inertia/execution.hpp"
#include "inertia/export.hpp"

namespace inertia {

/// bfloat16: float32's sign and 8-bit exponent, 7 mantissa bits.
struct bfloat16 {
  std::uint16_t bits;
};

/// IEEE 754 binary16: 5-bit exponent, 10 mantissa bits.
struct float16 {
  std::uint16_t bits;
};

/// The conversions of a step, for callers and tests (include/inertia/half.hpp's rounding above).
INERTIA_API float to_float(bfloat16 value);
INERTIA_API float to_float(float16 value);
INERTIA_API bfloat16 to_bfloat16(float value);
INERTIA_API float16 to_float16(float value);

/// Whole buffers, threaded and vectorised as a step is: destination[i] =
/// source[i] converted. The spans must have one length and not overlap
/// (inertia::invalid_argument otherwise, before anything is written).
INERTIA_API void convert(std::span<const float> source, std::span<bfloat16> destination, const execution& exec = {});
INERTIA_API void convert(std::span<const float> source, std::span<float16> destination, const execution& exec = {});
INERTIA_API void convert(std::span<const bfloat16> source, std::span<float> destination, const execution& exec = {});
INERTIA_API void convert(std::span<const float16> source, std::span<float> destination, const execution& exec = {});

}  // namespace inertia
