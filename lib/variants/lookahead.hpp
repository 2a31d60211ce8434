#pragma once
// nesterov_lookahead: w + momentum * v. See include/inertia/lookahead.hpp.
#include <cstddef>

#include "inertia/lookahead.hpp"
#include "simd/ops.hpp"

namespace inertia::detail {

template <class T>
struct lookahead_rule {
  using value_type = T;
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  const T* param;
  const T* velocity;
  T* lookahead;
  M momentum;

  /// A fresh output nothing here reads: above the last-level cache it is
  /// written with streaming stores (store_policy.hpp), so it is the anchor
  /// the range loop aligns.
  // Half-precision outputs are never streamed (simd/lanes.hpp).
  static constexpr bool streams_output = !is_half_v<T>;
  const T* anchor() const { return lookahead; }
  std::size_t bytes_per_element() const { return sizeof(T) * 3; }

  template <class Lanes>
  void apply(std::size_t i) const {
    using V = typename Lanes::vec;
    Lanes::store_output(lookahead + i, Lanes::load(param + i) + V(momentum) * Lanes::load(velocity + i));
  }
};

}  // namespace inertia::detail
