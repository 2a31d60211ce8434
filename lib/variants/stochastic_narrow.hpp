#pragma once
// Stochastic rounding as a store mode (inertia_storage.rounding =
// INERTIA_ROUND_STOCHASTIC): a staged step's float32 values rounded to
// bf16/fp16, each with its draw (simd/stochastic_draws.hpp: 16 bits of
// Philox4x32-10 keyed by the seed, the element's index within its tensor, the
// step number and the buffer as stream; 0 the parameter, 1 + j state j), so
// the bits are the same on every target, thread count, block size and
// chunking. Not a variant: no options.
//
// Two passes over a chunk: the target's fill_stochastic_draws writes the
// chunk's draws (one Philox evaluation per eight elements, which needs whole
// runs of counters: simd/stochastic_draws.hpp), then this rule rounds with
// them through the range loop. apply() is defined in
// stochastic_narrow_apply.hpp, which only the targets' translation units
// include (it pulls in xsimd).
#include <cstddef>
#include <cstdint>

#include "half_conversion.hpp"

namespace inertia::detail {

/// What keys a tensor buffer's draws at one step (simd/stochastic_draws.hpp).
struct stochastic_key {
  std::uint64_t seed;
  std::uint32_t step;
  std::uint32_t stream;  ///< the buffer: 0 the parameter, 1 + j state j
};

template <class T>
struct stochastic_narrow_rule {
  using value_type = T;
  using M = math_type_t<T>;
  const float* source;
  T* destination;
  const std::uint32_t* draws;  ///< draws[i]: element i's 16 random bits

  const T* anchor() const { return destination; }
  std::size_t bytes_per_element() const { return sizeof(float) + sizeof(T) + sizeof(std::uint32_t); }

  template <class Lanes>
  void apply(std::size_t i) const;
};

}  // namespace inertia::detail
