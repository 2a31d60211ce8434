#pragma once
// The one driver every variant runs through: plan the blocks, open at most one
// OpenMP parallel region, and hand each thread its fixed run of blocks on the
// active target. Rules only say what happens to one element (or one vector).
#include <cstdint>

#include <omp.h>

#include "block_plan.hpp"
#include "dispatch.hpp"
#include "inertia/arch.hpp"
#include "inertia/execution.hpp"

namespace inertia::detail {

template <class Rule>
void run(const Rule& rule, std::size_t size, const execution& exec) {
  if (size == 0) return;
  using T = typename Rule::value_type;
  const range_kernel<Rule> kernel = kernel_for<Rule>(active_arch());
  const block_plan plan = plan_blocks(size, sizeof(T), reinterpret_cast<std::uintptr_t>(rule.anchor()),
                                      rule.bytes_per_element(), exec);
  const auto run_blocks = [&](int thread, int team) {
    const auto [first, last] = plan.blocks_of_thread(thread, team);
    for (std::size_t b = first; b < last; ++b) {
      const auto [begin, end] = plan.block_range(b);
      kernel(rule, begin, end);
    }
  };
  if (plan.threads <= 1) {
    run_blocks(0, 1);
    return;
  }
#pragma omp parallel num_threads(plan.threads)
  run_blocks(omp_get_thread_num(), omp_get_num_threads());
}

}  // namespace inertia::detail
