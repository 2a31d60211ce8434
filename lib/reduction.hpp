#pragma once
// Deterministic reductions over whole spans and over every gradient of a
// call, built from the per-target chunk kernels in simd/reductions.hpp:
// chunk sums are added in double, in chunk order, so a result never depends
// on the target or on how chunks were shared among threads. The non-finite
// check is an "or", which has no order to keep: it needs no chunks.
#include <algorithm>
#include <cstddef>
#include <span>
#include <vector>

#include <omp.h>

#include "block_plan.hpp"
#include "dispatch.hpp"
#include "inertia/arch.hpp"

namespace inertia::detail {

inline constexpr std::size_t reduction_chunk = 4096;

inline std::size_t chunk_count(std::size_t size) {
  return (size + reduction_chunk - 1) / reduction_chunk;
}

/// Sum of squares of chunk c of data[0, size).
template <class T>
double chunk_sum_squares(sum_squares_kernel<T> kernel, const T* data, std::size_t size, std::size_t c) {
  const std::size_t begin = c * reduction_chunk;
  const std::size_t count = size - begin < reduction_chunk ? size - begin : reduction_chunk;
  return static_cast<double>(kernel(data + begin, count));
}

/// The whole span on the calling thread, chunk by chunk.
template <class T>
double sum_squares(sum_squares_kernel<T> kernel, const T* data, std::size_t size) {
  double total = 0.0;
  for (std::size_t c = 0; c < chunk_count(size); ++c) total += chunk_sum_squares(kernel, data, size, c);
  return total;
}

/// Calls visit(span index, chunk) for every chunk of every span, the chunks
/// of all spans dealt to threads as contiguous runs; then returns the per-chunk
/// results in order (span after span, chunk after chunk).
template <class T, class Result, class Visit>
std::vector<Result> over_all_chunks(std::span<const std::span<const T>> spans, const execution& exec, Visit visit) {
  std::vector<std::size_t> first_chunk{0};
  std::size_t elements = 0;
  for (const auto& s : spans) {
    first_chunk.push_back(first_chunk.back() + chunk_count(s.size()));
    elements += s.size();
  }
  const std::size_t chunks = first_chunk.back();
  std::vector<Result> results(chunks);
  const int threads = plan_blocks(elements, sizeof(T), elements * sizeof(T), exec).threads;
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const std::size_t team = static_cast<std::size_t>(omp_get_num_threads());
    const std::size_t thread = static_cast<std::size_t>(omp_get_thread_num());
    const std::size_t begin = chunks * thread / team, end = chunks * (thread + 1) / team;
    std::size_t k = static_cast<std::size_t>(
        std::upper_bound(first_chunk.begin(), first_chunk.end() - 1, begin) - first_chunk.begin()) - 1;
    for (std::size_t c = begin; c < end; ++c) {
      while (first_chunk[k + 1] <= c) ++k;
      results[c] = visit(k, c - first_chunk[k]);
    }
  }
  return results;
}

/// Sum of squares of every element of every span, in the fixed order.
template <class T>
double sum_squares_all(std::span<const std::span<const T>> spans, const execution& exec) {
  const auto kernel = sum_squares_kernel_for<T>(active_arch());
  const auto partials = over_all_chunks<T, double>(spans, exec, [&](std::size_t k, std::size_t c) {
    return chunk_sum_squares(kernel, spans[k].data(), spans[k].size(), c);
  });
  double total = 0.0;
  for (double partial : partials) total += partial;
  return total;
}

/// Whether any element of any span is NaN or Inf. Each thread checks one
/// contiguous share of the call's elements (the spans one after another), with
/// one kernel call per span it touches rather than one per 4096-element chunk:
/// ~5% faster with the gradients in cache (paired runs on the 2-core VM); from
/// DRAM the read bandwidth is the limit either way (a plain summing loop is no
/// faster).
template <class T>
bool any_non_finite_all(std::span<const std::span<const T>> spans, const execution& exec) {
  const auto kernel = any_non_finite_kernel_for<T>(active_arch());
  std::vector<std::size_t> starts{0};
  for (const auto& s : spans) starts.push_back(starts.back() + s.size());
  const std::size_t elements = starts.back();
  const int threads = plan_blocks(elements, sizeof(T), elements * sizeof(T), exec).threads;
  bool found = false;
#pragma omp parallel num_threads(threads) if (threads > 1) reduction(|| : found)
  {
    const auto share = [&](int t) {
      return static_cast<std::size_t>(static_cast<unsigned __int128>(elements) * static_cast<unsigned>(t) /
                                      static_cast<unsigned>(omp_get_num_threads()));
    };
    const int thread = omp_get_thread_num();
    const std::size_t begin = share(thread), end = share(thread + 1);
    std::size_t k = static_cast<std::size_t>(std::upper_bound(starts.begin(), starts.end() - 1, begin) -
                                             starts.begin()) - 1;
    for (std::size_t index = begin; index < end;) {
      while (starts[k + 1] <= index) ++k;  // skips empty spans
      const std::size_t piece_end = std::min(end, starts[k + 1]);
      found = kernel(spans[k].data() + (index - starts[k]), piece_end - index) || found;
      index = piece_end;
    }
  }
  return found;
}

}  // namespace inertia::detail
