#pragma once
// The one driver every variant runs through, for one span or a whole model:
// plan the blocks over all tensors, open at most one OpenMP parallel region,
// and hand each thread its fixed run of blocks on the active target. Rules
// only say what happens to one element (or one vector) of one tensor.
#include <algorithm>
#include <cstdint>
#include <span>

#include <omp.h>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

#include "block_plan.hpp"
#include "dispatch.hpp"
#include "inertia/arch.hpp"
#include "inertia/execution.hpp"
#include "store_policy.hpp"

namespace inertia::detail {

/// Sets FTZ + DAZ on this thread for its lifetime when asked, and restores
/// the thread's previous MXCSR control bits (rounding, masks, FTZ, DAZ): the
/// caller's floating-point mode is theirs. The sticky exception flags (the
/// low six bits) are left as the step raised them, as any other arithmetic would.
class denormal_scope {
 public:
  explicit denormal_scope(bool flush) {
#if defined(__x86_64__) || defined(__i386__)
    if (!flush) return;
    saved_ = _mm_getcsr();
    active_ = true;
    _mm_setcsr(saved_ | 0x8040u);  // FTZ (bit 15) | DAZ (bit 6)
#else
    (void)flush;  // no such mode on this architecture: the flag is a no-op
#endif
  }
  ~denormal_scope() {
#if defined(__x86_64__) || defined(__i386__)
    if (active_) _mm_setcsr((saved_ & ~exception_flags) | (_mm_getcsr() & exception_flags));
#endif
  }
  denormal_scope(const denormal_scope&) = delete;
  denormal_scope& operator=(const denormal_scope&) = delete;

 private:
  static constexpr unsigned exception_flags = 0x3Fu;
  unsigned saved_ = 0;
  bool active_ = false;
};

/// How a call moving bytes_moved on target stores Rule's output: streaming
/// for a rule that allows it, on a target that has streaming stores, when its
/// data could not stay in cache anyway (store_policy.hpp); cached otherwise.
/// run_tensors asks this alone (and the tests ask it what run_tensors chose).
template <class Rule>
store_policy store_policy_for(arch target, std::size_t bytes_moved, const execution& exec) {
  return streams_output<Rule> && target_has_streaming_stores(target) && stream_outputs(bytes_moved, exec)
             ? store_policy::streaming
             : store_policy::cached;
}

/// A call too small to wake a second thread or to stream (most of a model's
/// small tensors, and every L1-sized call) runs each tensor as one kernel
/// call on this thread: no plan, no OpenMP queries, no block snapping. Pieces
/// never change a bit (rules are element-wise), only what a call costs.
template <class Rule>
bool runs_unplanned(std::size_t bytes_moved, const execution& exec) {
  const std::size_t per_thread = exec.min_bytes_per_thread ? exec.min_bytes_per_thread : default_min_bytes_per_thread;
  return bytes_moved < 2 * per_thread && (!streams_output<Rule> || !stream_outputs(bytes_moved, exec));
}

/// rules[k] updates tensor k, whose elements are [starts[k], starts[k+1]) of
/// the call's index space (starts has rules.size() + 1 entries, from 0).
template <class Rule>
void run_tensors(std::span<const Rule> rules, std::span<const std::size_t> starts, const execution& exec,
                 bool flush_denormals = false) {
  using T = typename Rule::value_type;
  const std::size_t total = starts.back();
  if (total == 0) return;
  std::size_t bytes_moved = 0;
  for (std::size_t k = 0; k < rules.size(); ++k) bytes_moved += (starts[k + 1] - starts[k]) * rules[k].bytes_per_element();
  const arch target = active_arch();
  if (runs_unplanned<Rule>(bytes_moved, exec)) {
    const range_kernel<Rule> kernel = kernel_for<Rule>(target, store_policy::cached);
    const denormal_scope floating_point(flush_denormals);
    for (std::size_t k = 0; k < rules.size(); ++k)
      if (starts[k + 1] != starts[k]) kernel(rules[k], 0, starts[k + 1] - starts[k]);
    return;
  }
  const block_plan plan = plan_blocks(total, sizeof(T), bytes_moved, exec);
  const bool streaming = store_policy_for<Rule>(target, bytes_moved, exec) == store_policy::streaming;
  const range_kernel<Rule> kernel =
      kernel_for<Rule>(target, streaming ? store_policy::streaming : store_policy::cached);

  const auto tensor_of = [&](std::size_t index) {  // the last tensor starting at or before index
    return static_cast<std::size_t>(std::upper_bound(starts.begin(), starts.end() - 1, index) - starts.begin()) - 1;
  };
  const auto block_start = [&](std::size_t b) {
    const std::size_t index = b * plan.block;
    if (b >= plan.blocks) return total;
    const std::size_t k = tensor_of(index);
    return snap_to_cache_line(index, index - starts[k], reinterpret_cast<std::uintptr_t>(rules[k].anchor()), sizeof(T));
  };
  const auto run_blocks = [&](int thread, int team) {
    const denormal_scope floating_point(flush_denormals);
    const auto [first, last] = plan.blocks_of_thread(thread, team);
    if (first == last) return;
    std::size_t index = block_start(first);
    std::size_t k = tensor_of(index);
    for (std::size_t b = first; b < last; ++b) {
      const std::size_t end = block_start(b + 1);
      while (index < end) {  // a block may cross into the next tensors
        while (starts[k + 1] <= index) ++k;  // skips empty tensors
        const std::size_t piece_end = std::min(end, starts[k + 1]);
        kernel(rules[k], index - starts[k], piece_end - starts[k]);
        index = piece_end;
      }
    }
#if defined(__x86_64__) || defined(__i386__)
    // Streaming stores are weakly ordered: make them visible before the region's
    // barrier (or the return) publishes the output to other threads.
    if (streaming) _mm_sfence();
#endif
  };
  if (plan.threads <= 1) {
    run_blocks(0, 1);
    return;
  }
#pragma omp parallel num_threads(plan.threads)
  run_blocks(omp_get_thread_num(), omp_get_num_threads());
}

/// One span: the one-tensor case of the same driver, with the small call's
/// shortcut taken before anything else (bench/suite/call_overhead.cpp).
template <class Rule>
void run(const Rule& rule, std::size_t size, const execution& exec, bool flush_denormals = false) {
  if (size != 0 && runs_unplanned<Rule>(size * rule.bytes_per_element(), exec)) {
    const denormal_scope floating_point(flush_denormals);
    kernel_for<Rule>(active_arch(), store_policy::cached)(rule, 0, size);
    return;
  }
  const std::size_t starts[2] = {0, size};
  run_tensors(std::span<const Rule>(&rule, 1), std::span<const std::size_t>(starts), exec, flush_denormals);
}

}  // namespace inertia::detail
