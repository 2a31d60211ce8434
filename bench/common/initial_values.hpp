#pragma once
// The values every kernel starts from. Deterministic, never zero, far from
// denormals and overflow for as many steps as a benchmark runs, so the data
// cannot make one kernel slower than another.
#include "common/step_buffers.hpp"

namespace inertia::bench {

/// Fills param, grad and whichever of state and the extra states are there (weight_ema has no state), splitting large spans over all OpenMP threads
/// so first-touch places the pages as the measured threads will use them.
template <class T>
void fill_initial_values(const step_buffers<T>& buffers);

extern template void fill_initial_values<float>(const step_buffers<float>&);
extern template void fill_initial_values<double>(const step_buffers<double>&);

}  // namespace inertia::bench
