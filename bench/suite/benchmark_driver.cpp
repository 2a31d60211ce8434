#include "suite/benchmark_driver.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <tuple>
#include <vector>

#include <benchmark/benchmark.h>

#include "inertia/step_policy.hpp"
#include "profile/storage_mode.hpp"
#include "roofline/mixed_roofline.hpp"
#include "roofline/roofline.hpp"
#include "common/timing.hpp"
#include "suite/workspace.hpp"

namespace inertia::bench {
namespace {

// A timed batch of calls lasts at least this long.
constexpr double min_batch_seconds = 1e-3;

using roofline_key = std::tuple<access_pattern, std::size_t /*size*/, int /*threads*/>;

// Which roofline kernels (loop, prefetch, streaming, memcpy; the best on 1
// thread and the best on all) this pattern, element type, span and thread budget use: a short
// calibration the first time a benchmark needs it, in the workspace that
// benchmark runs in. Only the choice is kept; the roofline's bandwidth is
// measured in every run, beside the kernel (run_case).
template <class T>
const std::vector<roofline_choice<T>>& roofline_for(workspace& space, const benchmark_case<T>& c) {
  static std::map<roofline_key, std::vector<roofline_choice<T>>> chosen;
  const roofline_key key{c.pattern, c.size, c.threads};
  auto found = chosen.find(key);
  if (found == chosen.end()) {
    space.prepare<T>("roofline", c.size);
    found = chosen.emplace(key, calibrate_roofline(c.pattern, space.buffers<T>(c.size), c.threads, min_batch_seconds)).first;
    space.invalidate();
  }
  return found->second;
}

template <class T>
void run_plain(benchmark::State& state, const benchmark_case<T>& c, const step_buffers<T>& buffers) {
  for (auto _ : state) {
    c.run(buffers, c.threads);
    benchmark::ClobberMemory();
  }
}

// The kernel in timed batches of calls, each batch paired with a batch of
// each roofline candidate (the faster counts), right before or right after it
// (the order alternates), with Google Benchmark's clock paused.
// pct_of_roofline is the median over the pairs of roofline time / kernel
// time: both sides of the ratio come from the same moment, in every
// repetition, however the machine's bandwidth moves between benchmarks.
// `call()` is one kernel call; `roofline(k)` one call of candidate k of
// `candidates`; a roofline batch is an even number of calls (what the
// fixed-type roofline kernels need to leave their buffers as they found
// them). Templates, not std::function: the kernel's call costs what it did.
template <class Call, class Roofline>
void run_paired_batches(benchmark::State& state, const Call& call, std::size_t candidates, const Roofline& roofline,
                        double bytes_per_call) {
  call();  // untimed: warms the caches, sizes the batch
  const double single = std::max(seconds_of(call), 1e-9);
  const long batch = std::max(1L, static_cast<long>(std::ceil(min_batch_seconds / single)));
  const long roofline_calls = batch + batch % 2;
  std::vector<double> kernel_seconds, roofline_seconds;
  const auto roofline_batch = [&](bool in_loop) {
    if (in_loop) state.PauseTiming();
    // Every candidate, in an order that alternates too; the fastest is this pair's roofline.
    double best = 0.0;
    for (std::size_t k = 0; k < candidates; ++k) {
      const std::size_t candidate = (k + roofline_seconds.size()) % candidates;
      const double seconds = seconds_of([&] {
                               for (long c = 0; c < roofline_calls; ++c) roofline(candidate);
                             }) /
                             static_cast<double>(roofline_calls);
      best = k == 0 ? seconds : std::min(best, seconds);
    }
    roofline_seconds.push_back(best);
    if (in_loop) state.ResumeTiming();
  };
  // One iteration is one call, as Google Benchmark counts them (its
  // repetitions must run the same number), cut into batches here.
  long in_batch = 0;
  std::size_t pair = 0;
  auto start = std::chrono::steady_clock::now();
  const auto end_batch = [&] {
    kernel_seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() /
                             static_cast<double>(in_batch));
    in_batch = 0;
  };
  for (auto _ : state) {
    if (in_batch == 0) {
      if (pair % 2 == 1) roofline_batch(true);
      start = std::chrono::steady_clock::now();
    }
    call();
    benchmark::ClobberMemory();
    if (++in_batch == batch) {
      end_batch();
      if (pair % 2 == 0) roofline_batch(true);
      ++pair;
    }
  }
  if (in_batch > 0) {  // a last, shorter batch: its pair after it, the clock already stopped
    end_batch();
    if (pair % 2 == 0) roofline_batch(false);
  }
  std::vector<double> pct, roofline_rates;
  for (std::size_t k = 0; k < kernel_seconds.size(); ++k) {
    pct.push_back(100.0 * roofline_seconds[k] / kernel_seconds[k]);
    roofline_rates.push_back(bytes_per_call / roofline_seconds[k]);
  }
  const spread ratio = summarize(pct);
  const spread rates = summarize(roofline_rates);
  state.counters["roofline_gbps"] = rates.median / 1e9;
  state.counters["roofline_spread_pct"] = rates.relative_iqr_pct();
  state.counters["pct_of_roofline"] = ratio.median;
  state.counters["pct_of_roofline_q1"] = ratio.q1;
  state.counters["pct_of_roofline_q3"] = ratio.q3;
  state.counters["roofline_pairs"] = static_cast<double>(pct.size());
}

// A fixed-type row: its roofline candidates are the kernels calibrated for
// its pattern, on the same buffers. The roofline kernels flip the values back
// every second call (roofline/roofline_kernels.cpp), so the kernel finds its
// buffers as it left them, up to rounding, and in the cache (the same lines).
template <class T>
void run_paired(benchmark::State& state, const benchmark_case<T>& c, workspace& space,
                const step_buffers<T>& buffers) {
  const std::vector<roofline_choice<T>>& rooflines = roofline_for(space, c);
  space.prepare<T>(c.name, c.size);
  run_paired_batches(
      state, [&] { c.run(buffers, c.threads); }, rooflines.size(),
      [&](std::size_t k) { run_roofline(rooflines[k], buffers); },
      static_cast<double>(c.size * moved_elements(c.pattern) * sizeof(T)));
}

template <class T>
void run_case(benchmark::State& state, const benchmark_case<T>& c) {
  workspace& space = workspace::of_size(c.working_set_bytes);
  const step_buffers<T> buffers = space.buffers<T>(c.size);
  if (c.with_roofline) {
    run_paired(state, c, space, buffers);
  } else {
    space.prepare<T>(c.name, c.size);
    run_plain(state, c, buffers);
  }
  const double calls = static_cast<double>(state.iterations());
  const double bytes = calls * static_cast<double>(c.size * moved_elements(c.pattern) * sizeof(T));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(calls * static_cast<double>(c.size)));
  state.counters["elements"] = static_cast<double>(c.size);
  state.counters["bytes_per_element"] = static_cast<double>(moved_elements(c.pattern) * sizeof(T));
  state.counters["working_set_bytes"] = static_cast<double>(c.size * arrays_touched(c.pattern) * sizeof(T));
  state.counters["omp_threads"] = c.threads;  // "threads" is Google Benchmark's own field
}

// A storage row: the library's step_storage (or, for a roofline row, the
// mixed roofline kernel) on the row's model, paired as the fixed-type rows
// with the mixed roofline over the same streams, widths and span on the
// workspace's second model: its plain and its prefetching loop, each on 1
// thread and on the row's threads, all kept (no calibration), as
// inertia-profile does for its storage modes.
void run_storage_case(benchmark::State& state, const storage_case& c) {
  storage_workspace& space = storage_workspace::of_case(c);
  space.prepare(c.name);
  const storage_model& model = space.model();
  const std::vector<mixed_stream> streams = model.streams(0), roofline_streams = space.roofline().streams(0);
  struct candidate {
    int threads;
    bool prefetch;
  };
  std::vector<candidate> candidates;
  for (int threads : {1, c.threads}) {
    for (const bool prefetch : {false, true}) candidates.push_back({threads, prefetch});
    if (c.threads <= 1) break;
  }
  const auto roofline = [&](std::size_t k) {
    run_mixed_roofline(roofline_streams, c.size, candidates[k].threads, candidates[k].prefetch);
  };
  const double bytes_per_call = static_cast<double>(c.size * c.bytes_per_element());
  if (c.roofline_row) {
    run_paired_batches(
        state, [&] { run_mixed_roofline(streams, c.size, c.threads, c.prefetch); }, candidates.size(), roofline,
        bytes_per_call);
  } else {
    const auto step = storage_model_step("per_tensor", *c.v, c.mode.storage, step_policy{});
    run_paired_batches(state, [&] { step(model, c.threads); }, candidates.size(), roofline, bytes_per_call);
  }
  const double calls = static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(calls * bytes_per_call));
  state.SetItemsProcessed(static_cast<std::int64_t>(calls * static_cast<double>(c.size)));
  state.SetLabel(c.pattern);  // names the roofline row this row's pct_of_roofline is taken against
  state.counters["elements"] = static_cast<double>(c.size);
  state.counters["bytes_per_element"] = static_cast<double>(c.bytes_per_element());
  state.counters["working_set_bytes"] = static_cast<double>(c.size * c.footprint_per_element());
  state.counters["omp_threads"] = c.threads;
}

}  // namespace

void register_storage_case(storage_case c) {
  const std::string name = c.name;
  benchmark::RegisterBenchmark(name.c_str(), [c = std::move(c)](benchmark::State& state) { run_storage_case(state, c); })
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
}

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
