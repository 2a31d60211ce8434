#include "profile/profiler.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <vector>

#include "aligned_array.hpp"
#include "inertia/arch.hpp"
#include "initial_values.hpp"
#include "profile/model_tensors.hpp"
#include "profile/step_strategy.hpp"
#include "roofline.hpp"
#include "timing.hpp"

namespace inertia::bench {
namespace {

// The most arrays per tensor any requested variant touches.
std::size_t arrays_needed(const profile_request& request) {
  std::size_t arrays = 2;
  for (variant v : request.variants) arrays = std::max(arrays, arrays_touched(variant_pattern(v)));
  return arrays;
}

// The roofline of each pattern the request needs, over flat arrays as large
// as the model. Measured before the model is allocated and freed after, so
// the peak memory is one model's worth, not two.
template <class T>
std::map<access_pattern, roofline_measurement> measure_rooflines(const profile_request& request, progress& progress) {
  std::map<access_pattern, roofline_measurement> rooflines;
  const std::size_t size = request.model.elements();
  const std::size_t arrays = arrays_needed(request);
  std::vector<aligned_array<T>> storage;
  std::array<T*, max_arrays_touched> pointers{};
  for (std::size_t k = 0; k < arrays; ++k) pointers[k] = storage.emplace_back(size).data();
  const step_buffers<T> flat{pointers[0], pointers[1], pointers[2], {pointers[3], pointers[4]}, size};
  fill_initial_values(flat);
  for (variant v : request.variants) {
    const access_pattern pattern = variant_pattern(v);
    if (rooflines.contains(pattern)) continue;
    const std::string phase = request.model.name + " " + std::string(dtype_name<T>) + ": roofline " + std::string(pattern_name(pattern));
    rooflines[pattern] = measure_roofline(pattern, flat, request.threads, [&](std::string_view kernel, int threads) {
      progress.update(phase, std::string(kernel) + " x" + std::to_string(threads));
    });
  }
  return rooflines;
}

// Median seconds of one step: warm-up steps, then `steps` timed samples. A
// sample is one step, or for models so small that a step takes under a
// millisecond, a batch of steps (the clock's resolution would dominate).
template <class T>
double median_step_seconds(const model_step<T>& step, model_tensors<T>& model, const profile_request& request,
                           progress& progress, const std::string& phase) {
  model.reset();
  const auto one_step = [&] { step(model.tensors(), request.threads); };
  double last_warmup = 0.0;
  for (int s = 0; s < request.warmup_steps; ++s) {
    progress.update(phase, "warm-up " + std::to_string(s + 1) + "/" + std::to_string(request.warmup_steps));
    last_warmup = seconds_of(one_step);
  }
  constexpr double min_sample_seconds = 1e-3;
  const long batch = last_warmup >= min_sample_seconds ? 1 : static_cast<long>(min_sample_seconds / std::max(last_warmup, 1e-9)) + 1;
  std::vector<double> seconds;
  for (int s = 0; s < request.steps; ++s) {
    progress.update(phase, "step " + std::to_string(s + 1) + "/" + std::to_string(request.steps));
    seconds.push_back(seconds_of([&] {
                        for (long b = 0; b < batch; ++b) one_step();
                      }) / static_cast<double>(batch));
  }
  return median(seconds);
}

template <class T>
void profile_dtype(const profile_request& request, progress& progress, std::vector<profile_result>& results) {
  const auto rooflines = measure_rooflines<T>(request, progress);
  model_tensors<T> model(request.model, arrays_needed(request));
  for (variant v : request.variants) {
    const std::string phase = request.model.name + " " + std::string(dtype_name<T>) + " " + std::string(variant_name(v));
    const double seconds = median_step_seconds(library_model_step<T>(request.strategy, v, request.policy), model, request, progress,
                                               phase + ": inertia");
    const double baseline_seconds =
        median_step_seconds(baseline_model_step<T>(v), model, request, progress, phase + ": naive baseline");
    const roofline_measurement& roofline = rooflines.at(variant_pattern(v));

    profile_result r;
    r.workload = request.model.name;
    r.variant = variant_name(v);
    r.dtype = dtype_name<T>;
    r.arch = arch_name(active_arch());
    r.strategy = request.strategy + request.policy_label;
    r.pattern = pattern_name(variant_pattern(v));
    r.roofline_kernel = roofline.kernel + " x" + std::to_string(roofline.threads);
    r.threads = request.threads;
    r.steps = request.steps;
    r.elements = request.model.elements();
    r.tensors = request.model.tensors.size();
    r.bytes_per_step = r.elements * moved_elements(variant_pattern(v)) * sizeof(T);
    r.ms_per_step = seconds * 1e3;
    r.gbps = static_cast<double>(r.bytes_per_step) / seconds / 1e9;
    r.roofline_gbps = roofline.bytes_per_second / 1e9;
    r.pct_of_roofline = 100.0 * r.gbps / r.roofline_gbps;
    r.baseline_ms_per_step = baseline_seconds * 1e3;
    r.baseline_gbps = static_cast<double>(r.bytes_per_step) / baseline_seconds / 1e9;
    r.speedup_vs_baseline = baseline_seconds / seconds;
    results.push_back(r);
  }
}

}  // namespace

std::vector<profile_result> run_profile(const profile_request& request, progress& progress) {
  std::vector<profile_result> results;
  for (dtype type : request.dtypes) {
    if (type == dtype::f32)
      profile_dtype<float>(request, progress, results);
    else
      profile_dtype<double>(request, progress, results);
  }
  progress.finish();
  return results;
}

}  // namespace inertia::bench
