#pragma once
// nesterov_lookahead: w + momentum * v. See include/inertia/lookahead.hpp.
#include <cstddef>

#include "inertia/lookahead.hpp"
#include "simd/ops.hpp"

namespace inertia::detail {

template <class T>
struct lookahead_rule {
  using value_type = T;
  const T* param;
  const T* velocity;
  T* lookahead;
  T momentum;

  const T* anchor() const { return lookahead; }
  std::size_t bytes_per_element() const { return sizeof(T) * 3; }

  template <class Lanes>
  void apply(std::size_t i) const {
    using V = typename Lanes::vec;
    Lanes::store(lookahead + i, Lanes::load(param + i) + V(momentum) * Lanes::load(velocity + i));
  }
};

}  // namespace inertia::detail
