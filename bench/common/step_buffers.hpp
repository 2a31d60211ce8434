#pragma once
// The arrays one kernel call works on. Every kernel in bench/ (the library,
// the peers, the roofline kernels) takes this, so all of them can run on the
// same memory.
#include <array>
#include <cstddef>
#include <string_view>

namespace inertia::bench {

template <class T>
struct step_buffers {
  T* param = nullptr;  ///< read and written by every update (the weight EMA: the model's weights, read only)
  /// Read by the updates. The look-ahead, triad and copy write their output
  /// here: the look-ahead point is where the next gradient is evaluated, and
  /// reusing the slot keeps every variant's working set at three arrays. A
  /// variant that reads no gradient (the weight EMA) has its first state here:
  /// the library's generic tensor takes the slots in order (param, grad when
  /// read, state; common/library_kernel.hpp).
  T* grad = nullptr;
  T* state = nullptr;  ///< momentum buffer / velocity / first moment: read and written
  /// Further state for the variants that keep more than one buffer per
  /// parameter: Adam's second moment, AggMo's second and third velocities,
  /// Adan's v, n and previous gradient. Null where the pattern touches fewer arrays.
  std::array<T*, 3> extra_state{};
  std::size_t size = 0;
};

/// How reports name the element type.
template <class T>
inline constexpr std::string_view dtype_name = sizeof(T) == 4 ? "f32" : "f64";

}  // namespace inertia::bench
