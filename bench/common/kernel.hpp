#pragma once
// A kernel: anything that runs one step over step_buffers with a thread
// budget. The benchmark driver, the profiler and the roofline all take this,
// so the library, its peers and the roofline kernels plug in the same way.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/step_buffers.hpp"
#include "common/variant.hpp"
#include "inertia/execution.hpp"

namespace inertia::bench {

template <class T>
using kernel = std::function<void(const step_buffers<T>&, int threads)>;

template <class T>
struct named_kernel {
  std::string name;  ///< "inertia", "naive", "autovec", "eigen"
  kernel<T> run;
};

/// libinertia, through the variant's registry handle; `base` supplies every
/// execution setting but the thread count.
template <class T>
named_kernel<T> library_kernel(const variant& v, execution base = {});

/// The naive scalar baseline (tests/reference loop, vectorizer off). With more
/// than one thread it splits the span as at::parallel_for does
/// (common/parallel_chunks.hpp). None when the peer has no code for v.
template <class T>
std::optional<named_kernel<T>> naive_kernel(const variant& v);

/// The library, then every peer built into this binary that has code for v,
/// in report order.
template <class T>
std::vector<named_kernel<T>> variant_kernels(const variant& v);

}  // namespace inertia::bench
