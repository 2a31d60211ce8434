#pragma once
// How every rule reads its gradient: the raw element, or the element after
// the step policy's fused transforms (include/inertia/step_policy.hpp).
// Rules that specialise their flags (simd/flags.hpp) pass whether any
// transform is on as a constant: with none, the load is a plain load.
#include <cstddef>
#include <type_traits>

#include "half_conversion.hpp"
#include "simd/ops.hpp"

namespace inertia::detail {

template <class T>
struct gradient_source {
  const T* data = nullptr;  ///< stored as T; the transforms compute in math_type_t<T>
  math_type_t<T> grad_scale = 1, clip_coefficient = 1, clip_value = 0;
  bool unscale = false, rescale = false, clamp = false;

  /// always_inline: the rules call it from their loops in the targets' translation units, and a body left
  /// there would be a symbol compiled with one target's flags (lib/targets/instantiate.hpp); the sanitizer
  /// build's inliner left one in the avx2 target once the new rules' loops made that object larger.
  [[gnu::always_inline]] bool transforms() const { return unscale || rescale || clamp; }

  /// `transform` false (a constant, in a specialised loop) skips every test:
  /// the caller knows transforms() is false.
  template <class Lanes, class Transform = std::true_type>
  typename Lanes::vec load(std::size_t i, Transform transform = {}) const {
    using V = typename Lanes::vec;
    V g = Lanes::load(data + i);
    if (!transform) return g;
    if (unscale) g = g / V(grad_scale);
    if (rescale) g = g * V(clip_coefficient);
    if (clamp) g = clamp_to(g, V(-clip_value), V(clip_value));
    return g;
  }
};

}  // namespace inertia::detail
