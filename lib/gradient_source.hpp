#pragma once
// How every rule reads its gradient: the raw element, or the element after
// the step policy's fused transforms (include/inertia/step_policy.hpp). The
// flags are loop-invariant, so the branches cost nothing measurable.
#include <cstddef>

#include "simd/ops.hpp"

namespace inertia::detail {

template <class T>
struct gradient_source {
  const T* data = nullptr;
  T grad_scale = 1, clip_coefficient = 1, clip_value = 0;
  bool unscale = false, rescale = false, clamp = false;

  template <class Lanes>
  typename Lanes::vec load(std::size_t i) const {
    using V = typename Lanes::vec;
    V g = Lanes::load(data + i);
    if (unscale) g = g / V(grad_scale);
    if (rescale) g = g * V(clip_coefficient);
    if (clamp) g = clamp_to(g, V(-clip_value), V(clip_value));
    return g;
  }
};

}  // namespace inertia::detail
