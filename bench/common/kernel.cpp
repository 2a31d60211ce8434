#include "common/kernel.hpp"

#include "common/library_kernel.hpp"
#include "common/parallel_chunks.hpp"
#include "peers/peers.hpp"

namespace inertia::bench {
namespace {

template <class T>
using peer_range = void (*)(variant, const step_buffers<T>&, std::size_t, std::size_t);

// OpenMP for the peers: fair because every peer's loop is element-wise like
// the library's, and splitting it into per-thread chunks is what an engine
// (PyTorch's at::parallel_for) does with such loops.
template <class T>
named_kernel<T> peer_kernel(std::string name, variant v, peer_range<T> step_range) {
  return {std::move(name), [v, step_range](const step_buffers<T>& b, int threads) {
            for_each_chunk(b.size, sizeof(T), peer_threads(b.size, threads),
                           [&](std::size_t begin, std::size_t end) { step_range(v, b, begin, end); });
          }};
}

}  // namespace

template <class T>
named_kernel<T> library_kernel(variant v, execution base) {
  return {"inertia", [v, base](const step_buffers<T>& b, int threads) {
            execution exec = base;
            exec.threads = threads;
            library_step(v, b, exec);
          }};
}

template <class T>
named_kernel<T> naive_kernel(variant v) {
  return peer_kernel<T>("naive", v, &naive::step_range<T>);
}

template <class T>
std::vector<named_kernel<T>> variant_kernels(variant v) {
  std::vector<named_kernel<T>> kernels = {library_kernel<T>(v), naive_kernel<T>(v),
                                          peer_kernel<T>("autovec", v, &autovec::step_range<T>)};
#if defined(INERTIA_BENCH_HAVE_EIGEN)
  kernels.push_back(peer_kernel<T>("eigen", v, &eigen::step_range<T>));
#endif
  return kernels;
}

template named_kernel<float> library_kernel<float>(variant, execution);
template named_kernel<double> library_kernel<double>(variant, execution);
template named_kernel<float> naive_kernel<float>(variant);
template named_kernel<double> naive_kernel<double>(variant);
template std::vector<named_kernel<float>> variant_kernels<float>(variant);
template std::vector<named_kernel<double>> variant_kernels<double>(variant);

}  // namespace inertia::bench
