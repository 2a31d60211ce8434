#include "common/initial_values.hpp"

#include <omp.h>

#include "common/parallel_chunks.hpp"

namespace inertia::bench {

template <class T>
void fill_initial_values(const step_buffers<T>& b) {
  for_each_chunk(b.size, sizeof(T), peer_threads(b.size, omp_get_max_threads()),
                 [&](std::size_t begin, std::size_t end) {
                   for (std::size_t i = begin; i < end; ++i) {
                     b.param[i] = T(1) + T(i % 97) * T(1e-3);
                     b.grad[i] = (T(i % 89) - T(44)) * T(1e-2) + T(5e-3);
                     // Positive, as every other state: the state in this slot may be a
                     // running sum of g^2 (Adagrad's sum, whose square root is taken).
                     if (b.state) b.state[i] = T(i % 83) * T(1e-3) + T(5e-4);
                     // Positive: Adam's second moment is a running mean of g^2.
                     for (T* extra : b.extra_state)
                       if (extra) extra[i] = T(i % 79) * T(1e-5) + T(1e-6);
                   }
                 });
}

template void fill_initial_values<float>(const step_buffers<float>&);
template void fill_initial_values<double>(const step_buffers<double>&);

}  // namespace inertia::bench
