#pragma once
// Conversion passes between float32 and the half-precision storage types, as
// rules for the one driver (threads, blocks, alignment, tails): the cast pass
// of an engine that steps in float32 and keeps a bf16/fp16 model copy, and the
// per-target check that every target's vector conversions give the bits of
// the one-element code (half_conversion.hpp). Not a variant: no options, no state.
#include <cstddef>

#include "half_conversion.hpp"

namespace inertia::detail {

/// destination[i] = source[i] rounded to T (nearest even; NaN stays NaN).
template <class T>
struct narrow_rule {
  using value_type = T;
  using M = math_type_t<T>;
  const M* source;
  T* destination;

  const T* anchor() const { return destination; }
  std::size_t bytes_per_element() const { return sizeof(M) + sizeof(T); }

  template <class Lanes>
  void apply(std::size_t i) const {
    Lanes::store(destination + i, Lanes::load(source + i));
  }
};

/// destination[i] = source[i] widened to float (exact).
template <class T>
struct widen_rule {
  using value_type = T;
  using M = math_type_t<T>;
  const T* source;
  M* destination;

  const T* anchor() const { return source; }
  std::size_t bytes_per_element() const { return sizeof(M) + sizeof(T); }

  template <class Lanes>
  void apply(std::size_t i) const {
    Lanes::store(destination + i, Lanes::load(source + i));
  }
};

}  // namespace inertia::detail
