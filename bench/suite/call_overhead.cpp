// What a call costs beyond its arithmetic, and what many small tensors cost:
//   call_overhead/<entry>: one heavy_ball step (momentum 0.9) of 16 floats
//     through each entry point: the C++ single-span call, a C++ one-group
//     multi-tensor call, the per-variant C call and the generic
//     inertia_optimizer_step. 16 floats are 320 bytes: the time is the call.
//   many_small/<layout>: one multi-tensor heavy_ball step over 1000
//     separately allocated tensors of 1,000-10,000 floats, against one flat
//     span of the same total; compare the two rows of one interleaved run
//     (--benchmark_enable_random_interleaving=true), as their ratio.
#include <random>
#include <span>
#include <vector>

#include <benchmark/benchmark.h>

#include "inertia/heavy_ball.hpp"
#include "inertia/inertia.h"
#include "inertia/multi_tensor.hpp"

namespace {

constexpr std::size_t small = 16;

struct small_step {
  std::vector<float> w = std::vector<float>(small, 1.0f), g = std::vector<float>(small, 1e-3f),
                     v = std::vector<float>(small, 0.0f);
  inertia::heavy_ball_options options{.lr = 1e-3, .momentum = 0.9};
};

void cpp_span(benchmark::State& state) {
  small_step s;
  std::int64_t t = 0;
  for (auto _ : state) {
    inertia::heavy_ball_step(std::span(s.w), std::span<const float>(s.g), std::span(s.v), s.options, ++t);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(cpp_span)->Name("call_overhead/cpp_span/16");

void cpp_group(benchmark::State& state) {
  small_step s;
  const inertia::heavy_ball_tensor<float> tensor{s.w, s.g, s.v};
  inertia::heavy_ball_group<float> group{s.options, std::span(&tensor, 1), 0};
  for (auto _ : state) {
    inertia::heavy_ball_step(std::span(&group, 1));
    benchmark::ClobberMemory();
  }
}
BENCHMARK(cpp_group)->Name("call_overhead/cpp_group/16");

void c_sgd(benchmark::State& state) {
  small_step s;
  const inertia_sgd_options o{1e-3, 0.9, 0.0, 0.0, 0, 0};
  int first = 1;
  for (auto _ : state) {
    inertia_sgd_step_f32(s.w.data(), s.g.data(), s.v.data(), small, &o, first);
    first = 0;
    benchmark::ClobberMemory();
  }
}
BENCHMARK(c_sgd)->Name("call_overhead/c_sgd/16");

void c_generic(benchmark::State& state) {
  small_step s;
  inertia_optimizer* opt = nullptr;
  inertia_optimizer_create("heavy_ball", &opt);
  inertia_optimizer_set(opt, "lr", 1e-3);
  inertia_optimizer_set(opt, "momentum", 0.9);
  const inertia_tensor tensor{s.w.data(), s.g.data(), {s.v.data()}, small};
  long long t = 0;
  for (auto _ : state) {
    if (inertia_optimizer_step(opt, INERTIA_FLOAT32, &tensor, 1, ++t, nullptr, nullptr) != INERTIA_OK)
      state.SkipWithError(inertia_last_error());
    benchmark::ClobberMemory();
  }
  inertia_optimizer_destroy(opt);
}
BENCHMARK(c_generic)->Name("call_overhead/c_generic/16");

/// 1000 tensors of 1,000-10,000 floats (fixed seed), each its own allocation.
struct many_tensors {
  std::vector<std::vector<float>> w, g, v;
  std::vector<inertia::heavy_ball_tensor<float>> tensors;
  std::size_t total = 0;
  many_tensors() {
    std::mt19937 engine(7);
    std::uniform_int_distribution<std::size_t> size(1000, 10000);
    for (int k = 0; k < 1000; ++k) {
      const std::size_t n = size(engine);
      w.emplace_back(n, 1.0f), g.emplace_back(n, 1e-3f), v.emplace_back(n, 0.0f);
      total += n;
    }
    for (std::size_t k = 0; k < w.size(); ++k) tensors.push_back({w[k], g[k], v[k]});
  }
};

void many_small(benchmark::State& state) {
  static many_tensors data;  // built once: both rows step the same totals
  const inertia::heavy_ball_options options{.lr = 1e-3, .momentum = 0.9};
  std::vector<float> w, g, v;
  std::vector<inertia::heavy_ball_tensor<float>> flat;
  const bool one_span = state.range(0) == 1;
  if (one_span) {
    w.assign(data.total, 1.0f), g.assign(data.total, 1e-3f), v.assign(data.total, 0.0f);
    flat.push_back({w, g, v});
  }
  inertia::heavy_ball_group<float> group{options, one_span ? std::span<const inertia::heavy_ball_tensor<float>>(flat)
                                                           : std::span<const inertia::heavy_ball_tensor<float>>(data.tensors),
                                         1};
  for (auto _ : state) {
    inertia::heavy_ball_step(std::span(&group, 1));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.total * 20));
}
BENCHMARK(many_small)->Name("many_small")->ArgName("flat")->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
