// What the robustness features cost, for the README and issue notes:
//   robustness/denormals: heavy_ball on a buffer decaying toward zero (zero
//     gradients, momentum 0.9: ~840 steps from 1.0 into the subnormal range),
//     per step, with and without flush_denormals, against the same steps on a
//     buffer that stays normal (constant gradient);
//   robustness/non_finite_check: a DRAM-sized heavy_ball step with and without
//     skip_non_finite (one extra read of every gradient).
#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

#include <benchmark/benchmark.h>

#include "inertia/multi_tensor.hpp"

namespace {

using inertia::heavy_ball_group;
using inertia::heavy_ball_tensor;

/// One group of one tensor over the given arrays, momentum 0.9, lr 0.01.
struct one_tensor_step {
  std::vector<heavy_ball_tensor<float>> tensors;
  std::vector<heavy_ball_group<float>> groups;
  one_tensor_step(std::vector<float>& w, const std::vector<float>& g, std::vector<float>& v)
      : tensors{{std::span<float>(w), std::span<const float>(g), std::span<float>(v)}},
        groups{{{0.01, 0.9}, tensors, 1}} {}
  void operator()(const inertia::step_policy& policy) { inertia::heavy_ball_step(std::span(groups), policy); }
};

/// Arguments: 0 = normal values, 1 = subnormal buffer, 2 = subnormal buffer with flush_denormals.
/// Each iteration resets the buffer (untimed) and times 100 steps: from 1e-39
/// a 0.9-decay stays subnormal for all of them (1e-39 * 0.9^100 = 2.7e-44).
void denormals(benchmark::State& state) {
  constexpr std::size_t n = 1 << 14;  // 320 KiB moved per step: cache-resident, so arithmetic shows
  constexpr int steps = 100;
  const int mode = static_cast<int>(state.range(0));
  const float start = mode == 0 ? 1.0f : 1e-39f;
  std::vector<float> w(n, 0.0f), g(n, mode == 0 ? 1.0f : 0.0f), v(n, start);
  one_tensor_step step(w, g, v);
  inertia::step_policy policy;
  policy.flush_denormals = mode == 2;
  for (auto _ : state) {
    state.PauseTiming();
    std::fill(v.begin(), v.end(), start);
    state.ResumeTiming();
    for (int k = 0; k < steps; ++k) step(policy);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * steps));  // items = steps
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * steps * n * 20));
}
BENCHMARK(denormals)->Name("robustness/denormals")->ArgName("normal0_subnormal1_flushed2")->Arg(0)->Arg(1)->Arg(2)
    ->UseRealTime();

/// Arguments: 0 = no policy, 1 = skip_non_finite.
void non_finite_check(benchmark::State& state) {
  constexpr std::size_t n = std::size_t(1) << 24;  // 320 MiB moved per step: DRAM
  std::vector<float> w(n, 0.5f), g(n, 0.25f), v(n, 0.0f);
  one_tensor_step step(w, g, v);
  inertia::step_policy policy;
  policy.skip_non_finite = state.range(0) == 1;
  for (auto _ : state) step(policy);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n * 20));  // the step's own bytes
}
BENCHMARK(non_finite_check)->Name("robustness/non_finite_check")->ArgName("skip_non_finite")->Arg(0)->Arg(1)
    ->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
