#include "common/kernel.hpp"

#include "common/library_kernel.hpp"
#include "common/parallel_chunks.hpp"
#include "peers/peers.hpp"

namespace inertia::bench {
namespace {

// OpenMP for the peers: fair because every peer's loop is element-wise like
// the library's, and splitting it into per-thread chunks is what an engine
// (PyTorch's at::parallel_for) does with such loops.
template <class T>
std::optional<named_kernel<T>> peer_kernel(std::string name, range_step<T> step) {
  if (!step) return std::nullopt;  // no peer of this kind for the variant
  return named_kernel<T>{std::move(name), [step = std::move(step)](const step_buffers<T>& b, int threads) {
                           for_each_chunk(b.size, sizeof(T), peer_threads(b.size, threads),
                                          [&](std::size_t begin, std::size_t end) { step(b, begin, end); });
                         }};
}

}  // namespace

template <class T>
named_kernel<T> library_kernel(const variant& v, execution base) {
  return {"inertia", library_step<T>(v, base)};
}

template <class T>
std::optional<named_kernel<T>> naive_kernel(const variant& v) {
  return peer_kernel<T>("naive", naive::step_for<T>(v));
}

template <class T>
std::vector<named_kernel<T>> variant_kernels(const variant& v) {
  std::vector<named_kernel<T>> kernels = {library_kernel<T>(v)};
  std::optional<named_kernel<T>> peers[] = {
      naive_kernel<T>(v), peer_kernel<T>("autovec", autovec::step_for<T>(v)),
#if defined(INERTIA_BENCH_HAVE_EIGEN)
      peer_kernel<T>("eigen", eigen::step_for<T>(v)),
#endif
  };
  for (std::optional<named_kernel<T>>& peer : peers)
    if (peer) kernels.push_back(std::move(*peer));
  return kernels;
}

template named_kernel<float> library_kernel<float>(const variant&, execution);
template named_kernel<double> library_kernel<double>(const variant&, execution);
template std::optional<named_kernel<float>> naive_kernel<float>(const variant&);
template std::optional<named_kernel<double>> naive_kernel<double>(const variant&);
template std::vector<named_kernel<float>> variant_kernels<float>(const variant&);
template std::vector<named_kernel<double>> variant_kernels<double>(const variant&);

}  // namespace inertia::bench
