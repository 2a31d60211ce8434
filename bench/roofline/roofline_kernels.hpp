#pragma once
// The kernels the roofline is the best of: each pattern written a few honest
// ways, none doing more than the pattern needs. Each runs over elements
// [begin, end) on the calling thread; threads are added by the caller.
#include <cstddef>
#include <span>
#include <string_view>

#include "common/access_pattern.hpp"
#include "common/step_buffers.hpp"

namespace inertia::bench {

template <class T>
using range_function = void (*)(const step_buffers<T>&, std::size_t begin, std::size_t end);

template <class T>
struct roofline_kernel {
  access_pattern pattern;
  std::string_view name;  ///< "loop", "prefetch", "streaming", "memcpy"
  range_function<T> run;
};

template <class T>
std::span<const roofline_kernel<T>> roofline_kernels();

extern template std::span<const roofline_kernel<float>> roofline_kernels<float>();
extern template std::span<const roofline_kernel<double>> roofline_kernels<double>();

}  // namespace inertia::bench
