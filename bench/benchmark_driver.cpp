#include "benchmark_driver.hpp"

#include <chrono>
#include <map>
#include <tuple>

#include <benchmark/benchmark.h>

#include "roofline.hpp"
#include "workspace.hpp"

namespace inertia::bench {
namespace {

using roofline_key = std::tuple<access_pattern, std::size_t /*sizeof(T)*/, std::size_t /*size*/, int /*threads*/>;

// Measured once per pattern, element type, span and thread budget, the first
// time a benchmark needs it, in the workspace that benchmark runs in and on
// the same initial values.
template <class T>
double roofline_bytes_per_second(workspace& space, const benchmark_case<T>& c) {
  static std::map<roofline_key, double> measured;
  const roofline_key key{c.pattern, sizeof(T), c.size, c.threads};
  auto found = measured.find(key);
  if (found == measured.end()) {
    space.prepare<T>("roofline", c.size);
    const roofline_measurement m = measure_roofline(c.pattern, space.buffers<T>(c.size), c.threads);
    space.invalidate();
    found = measured.emplace(key, m.bytes_per_second).first;
  }
  return found->second;
}

template <class T>
void run_case(benchmark::State& state, const benchmark_case<T>& c) {
  workspace& space = workspace::of_size(c.working_set_bytes);
  const step_buffers<T> buffers = space.buffers<T>(c.size);
  const double roofline = c.with_roofline ? roofline_bytes_per_second(space, c) : 0.0;
  space.prepare<T>(c.name, c.size);
  // Timed here too (the same span as Google Benchmark's real time) so that
  // pct_of_roofline can be a plain number rather than a per-second rate.
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    c.run(buffers, c.threads);
    benchmark::ClobberMemory();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double calls = static_cast<double>(state.iterations());
  const double bytes = calls * static_cast<double>(c.size * moved_elements(c.pattern) * sizeof(T));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(calls * static_cast<double>(c.size)));
  state.counters["elements"] = static_cast<double>(c.size);
  state.counters["working_set_bytes"] = static_cast<double>(c.size * arrays_touched(c.pattern) * sizeof(T));
  state.counters["omp_threads"] = c.threads;  // "threads" is Google Benchmark's own field
  if (c.with_roofline) {
    state.counters["roofline_gbps"] = roofline / 1e9;
    state.counters["pct_of_roofline"] = 100.0 * bytes / seconds / roofline;
  }
}

}  // namespace

template <class T>
void register_case(benchmark_case<T> c) {
  const std::string name = c.name;
  benchmark::RegisterBenchmark(name.c_str(), [c = std::move(c)](benchmark::State& state) { run_case(state, c); })
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
}

template void register_case<float>(benchmark_case<float>);
template void register_case<double>(benchmark_case<double>);

}  // namespace inertia::bench
