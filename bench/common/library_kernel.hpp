#pragma once
// The library as the suite and the profiler call it: through the registry's
// generic handle (inertia_optimizer), so every registered variant is stepped
// by the same code, with the settings of common/variant.cpp.
#include <functional>

#include "common/step_buffers.hpp"
#include "common/variant.hpp"
#include "inertia/execution.hpp"
#include "inertia/inertia.h"

namespace inertia::bench {

/// The generic tensor over b, in step_buffers' slot order: param, grad (when
/// the variant reads one), then its state buffers.
template <class T>
inertia_tensor handle_tensor(const variant& v, const step_buffers<T>& b);

/// One library step of the buffers per call, on `threads` threads: a handle
/// of v's own (its scalar state put back before each call, so every call is
/// the same step), or, for the look-ahead, nesterov_lookahead.
template <class T>
std::function<void(const step_buffers<T>&, int threads)> library_step(const variant& v, execution base);

extern template inertia_tensor handle_tensor<float>(const variant&, const step_buffers<float>&);
extern template inertia_tensor handle_tensor<double>(const variant&, const step_buffers<double>&);
extern template std::function<void(const step_buffers<float>&, int)> library_step<float>(const variant&, execution);
extern template std::function<void(const step_buffers<double>&, int)> library_step<double>(const variant&, execution);

}  // namespace inertia::bench
