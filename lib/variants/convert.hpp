#pragma once
// Conversion passes between float32 and the half-precision storage types, as
// rules for the one driver (threads, blocks, alignment, tails): the cast pass
// of an engine that steps in float32 and keeps a bf16/fp16 model copy, and the
// per-target check that every target's vector conversions give the bits of
// the one-element code (half_conversion.hpp). Not a variant: no options, no state.
#include <cstddef>
#include <cstdint>

#include "half_conversion.hpp"
#include "storage_pointers.hpp"

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

/// Split bf16 (IPEX's layout, storage_pointers.hpp): the float32 whose top
/// and bottom 16 bits are top[i] and bottom[i] (exact both ways).
struct join_split_rule {
  using value_type = float;
  using M = float;
  split_pointer source;  // read only
  float* destination;

  const float* anchor() const { return destination; }
  std::size_t bytes_per_element() const { return 2 * sizeof(std::uint16_t) + sizeof(float); }

  template <class Lanes>
  void apply(std::size_t i) const {
    Lanes::store(destination + i, Lanes::load(source + i));
  }
};

/// destination.top[i], destination.bottom[i] = the top and bottom 16 bits of source[i].
struct split_rule {
  using value_type = float;
  using M = float;
  const float* source;
  split_pointer destination;

  const std::uint16_t* anchor() const { return destination.top; }
  std::size_t bytes_per_element() const { return 2 * sizeof(std::uint16_t) + sizeof(float); }

  template <class Lanes>
  void apply(std::size_t i) const {
    Lanes::store(destination + i, Lanes::load(source + i));
  }
};

}  // namespace inertia::detail
