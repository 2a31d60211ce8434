#pragma once
// Stochastic rounding as a store mode (inertia_storage.rounding =
// INERTIA_ROUND_STOCHASTIC): a staged step's values rounded to bf16/fp16 with
// one Philox4x32-10 word per element (simd/philox.hpp, simd/stochastic_rounding.hpp),
// keyed by the seed; the counter is the element's index within its tensor, the
// step number and a stream per buffer, so the bits are the same on every
// target, thread count, block size and chunking. Not a variant: no options.
//
// Buffer b of a tensor (0: the parameter or its model copy, 1 + j: state j)
// takes word b % 4 of the words of stream b / 4: up to four buffers share one
// Philox evaluation's words, should one pass ever round them together.
// apply() is defined in stochastic_narrow_apply.hpp, which only the targets'
// translation units include (it pulls in xsimd).
#include <cstddef>
#include <cstdint>

#include "half_conversion.hpp"

namespace inertia::detail {

template <class T>
struct stochastic_narrow_rule {
  using value_type = T;
  using M = math_type_t<T>;
  const float* source;
  T* destination;
  std::uint64_t seed;
  std::uint64_t first_index;  ///< of element 0 within its tensor
  std::uint32_t step, stream, word;

  const T* anchor() const { return destination; }
  std::size_t bytes_per_element() const { return sizeof(float) + sizeof(T); }

  template <class Lanes>
  void apply(std::size_t i) const;
};

/// The stream and word of buffer b (see above).
constexpr std::uint32_t stochastic_stream_of(std::size_t buffer) { return static_cast<std::uint32_t>(buffer / 4); }
constexpr std::uint32_t stochastic_word_of(std::size_t buffer) { return static_cast<std::uint32_t>(buffer % 4); }

}  // namespace inertia::detail
