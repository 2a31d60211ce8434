#pragma once
// One library call per step_buffers, with the variant's settings.
#include "inertia/execution.hpp"
#include "common/step_buffers.hpp"
#include "common/variant.hpp"

namespace inertia::bench {

template <class T>
void library_step(variant v, const step_buffers<T>& buffers, const execution& exec);

extern template void library_step<float>(variant, const step_buffers<float>&, const execution&);
extern template void library_step<double>(variant, const step_buffers<double>&, const execution&);

}  // namespace inertia::bench
