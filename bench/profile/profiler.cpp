#include "profile/profiler.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <functional>
#include <thread>
#include <vector>

#include "common/aligned_array.hpp"
#include "inertia/arch.hpp"
#include "common/initial_values.hpp"
#include "profile/model_tensors.hpp"
#include "profile/peer_channel.hpp"
#include "profile/step_strategy.hpp"
#include "profile/storage_mode.hpp"
#include "roofline/mixed_roofline.hpp"
#include "roofline/roofline.hpp"

namespace inertia::bench {
namespace {

// A sample lasts at least this long: steps shorter than this are timed in
// batches (the clock's resolution and the call overhead would dominate).
constexpr double min_sample_seconds = 1e-3;

// The most arrays per tensor any requested variant touches.
std::size_t arrays_needed(const profile_request& request) {
  std::size_t arrays = 2;
  for (const variant& v : request.variants) arrays = std::max(arrays, arrays_touched(variant_pattern(v)));
  return arrays;
}

// The roofline's own arrays: one flat span per array, as large as the whole
// model, so that the roofline moves exactly the bytes a step moves.
template <class T>
struct flat_arrays {
  std::vector<aligned_array<T>> storage;
  step_buffers<T> view;
  flat_arrays(std::size_t size, std::size_t arrays) {
    std::array<T*, max_arrays_touched> pointers{};
    storage.reserve(arrays);
    for (std::size_t k = 0; k < arrays; ++k) pointers[k] = storage.emplace_back(size).data();
    view = {pointers[0], pointers[1], pointers[2], {pointers[3], pointers[4], pointers[5]}, size};
    fill_initial_values(view);
  }
};

// One party to the rounds: `sample` takes one sample and returns seconds per step.
struct contestant {
  std::string name;
  std::function<double()> sample;
  std::vector<double> seconds;
};

// Warm-up steps, then a contestant whose samples are batches of `step` lasting
// at least min_sample_seconds. A batched sample is preceded by one untimed
// step, so a contestant whose data another one evicted from the cache starts
// its sample warm (at DRAM sizes a step is one sample and this costs nothing).
contestant internal_contestant(std::string name, std::function<void()> step, int warmup_steps) {
  for (int s = 0; s < warmup_steps; ++s) step();
  const double single = std::max(seconds_of(step), 1e-9);
  const long batch = single >= min_sample_seconds ? 1 : static_cast<long>(std::ceil(min_sample_seconds / single));
  return {std::move(name), [step = std::move(step), batch] {
            if (batch > 1) step();
            return seconds_of([&] {
                     for (long b = 0; b < batch; ++b) step();
                   }) /
                   static_cast<double>(batch);
          }, {}};
}

std::vector<double> ratios(const std::vector<double>& numerators, const std::vector<double>& denominators) {
  std::vector<double> out;
  for (std::size_t r = 0; r < numerators.size(); ++r) out.push_back(numerators[r] / denominators[r]);
  return out;
}

// 3. The rounds: one sample of each contestant per round, the order rotated
// by one place from round to round, so that no contestant always follows the
// same one. contestants: the roofline candidates (labels in roofline_labels),
// "inertia", the baseline when has_baseline, then the external peers. The
// library and the baseline step the same tensors; small models (batched
// samples) are put back to their initial values every round (reset_each_round)
// so thousands of steps cannot drift them. Fills every field the samples
// give; the caller names the configuration.
profile_result run_rounds(const profile_request& request, std::vector<contestant>& contestants,
                          const std::vector<std::string>& roofline_labels, bool has_baseline, double bytes,
                          const std::string& phase, const std::function<void()>& reset_each_round, progress& progress) {
  const std::size_t first_internal = roofline_labels.size();
  const std::size_t first_peer = first_internal + (has_baseline ? 2 : 1);
  const bool external = request.peers != nullptr;
  profile_result r;
  for (int round = 0; round < request.rounds; ++round) {
    progress.update(phase, "round " + std::to_string(round + 1) + "/" + std::to_string(request.rounds));
    if (reset_each_round) reset_each_round();
    const std::size_t n = contestants.size();
    r.round_first.push_back(contestants[static_cast<std::size_t>(round) % n].name);
    for (std::size_t k = 0; k < n; ++k) {
      contestant& c = contestants[(static_cast<std::size_t>(round) + k) % n];
      // Another process's OpenMP workers spin for a while after their last
      // parallel region (libgomp: GOMP_SPINCOUNT = 300000 pauses, several ms
      // on Zen), and ours after ours: let them go to sleep before sampling,
      // so that neither process's samples compete with the other's spinning.
      if (external) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      c.seconds.push_back(c.sample());
    }
  }

  // Each round's roofline: the faster of its candidates in that round.
  std::vector<double> roof(static_cast<std::size_t>(request.rounds));
  std::vector<int> wins(first_internal);
  for (std::size_t round = 0; round < roof.size(); ++round) {
    std::size_t fastest = 0;
    for (std::size_t k = 1; k < first_internal; ++k)
      if (contestants[k].seconds[round] < contestants[fastest].seconds[round]) fastest = k;
    roof[round] = contestants[fastest].seconds[round];
    ++wins[fastest];
  }
  const std::vector<double>& lib = contestants[first_internal].seconds;
  const std::vector<double> no_baseline(lib.size(), std::nan(""));
  const std::vector<double>& base = has_baseline ? contestants[first_internal + 1].seconds : no_baseline;
  r.roofline_kernel = roofline_labels[static_cast<std::size_t>(std::max_element(wins.begin(), wins.end()) - wins.begin())];
  r.threads = request.threads;
  r.rounds = request.rounds;
  r.ms_per_step = median(lib) * 1e3;
  r.gbps = bytes / median(lib) / 1e9;
  r.roofline_ms_per_step = median(roof) * 1e3;
  r.roofline_gbps = bytes / median(roof) / 1e9;
  r.baseline_ms_per_step = median(base) * 1e3;
  r.baseline_gbps = bytes / median(base) / 1e9;
  // Every ratio pairs two samples of the same round; its median and IQR over
  // the rounds are what is reported.
  std::vector<double> pct = ratios(roof, lib);
  for (double& p : pct) p *= 100.0;
  r.pct_of_roofline = summarize(pct);
  r.speedup_vs_baseline = summarize(ratios(base, lib));
  std::vector<double> roof_rates;
  for (double s : roof) roof_rates.push_back(bytes / s);
  r.roofline_spread_pct = summarize(roof_rates).relative_iqr_pct();
  r.roofline_noisy = r.roofline_spread_pct > noisy_roofline_spread_pct;
  for (std::size_t k = first_peer; k < contestants.size(); ++k) {
    const contestant& c = contestants[k];
    r.peers.push_back({c.name, median(c.seconds) * 1e3, bytes / median(c.seconds) / 1e9, summarize(ratios(c.seconds, lib))});
  }
  r.samples.push_back({"roofline", roof});
  for (std::size_t k = first_internal; k < contestants.size(); ++k) r.samples.push_back({contestants[k].name, contestants[k].seconds});
  for (std::size_t k = 0; k < first_internal; ++k) r.roofline_candidates.push_back({roofline_labels[k], contestants[k].seconds});
  for (const contestant& c : contestants) r.round_order.push_back(c.name);
  return r;
}

template <class T>
profile_result profile_variant(const profile_request& request, const variant& v, model_tensors<T>& model,
                               const flat_arrays<T>& flat, progress& progress) {
  const std::string phase = request.model.name + " " + std::string(dtype_name<T>) + " " + std::string(variant_name(v));
  const access_pattern pattern = variant_pattern(v);
  const double bytes = static_cast<double>(request.model.elements() * moved_elements(pattern) * sizeof(T));

  // 1. The roofline kernels, chosen by a short calibration and then kept:
  // the best on one thread and the best on the whole budget.
  const std::vector<roofline_choice<T>> rooflines =
      calibrate_roofline(pattern, flat.view, request.threads, 2e-3, [&](std::string_view kernel, int threads) {
        progress.update(phase + ": calibrating the roofline", std::string(kernel) + " x" + std::to_string(threads));
      });

  // 2. The contestants, each warmed up and its batch size chosen.
  progress.update(phase + ": warm-up");
  model.reset();
  std::vector<contestant> contestants;
  for (const roofline_choice<T>& roofline : rooflines)
    contestants.push_back(internal_contestant("roofline " + roofline.label(), [&] { run_roofline(roofline, flat.view); },
                                              request.warmup_steps));
  const model_step<T> library = library_model_step<T>(request.strategy, v, request.policy);
  contestants.push_back(
      internal_contestant("inertia", [&] { library(model.tensors(), request.threads); }, request.warmup_steps));
  // The naive peer is the baseline; a variant it has no code for is measured without one.
  const model_step<T> baseline = baseline_model_step<T>(v);
  const bool has_baseline = static_cast<bool>(baseline);
  if (has_baseline)
    contestants.push_back(
        internal_contestant("baseline", [&] { baseline(model.tensors(), request.threads); }, request.warmup_steps));
  const bool external = request.peers != nullptr;
  if (external)
    for (const std::string& name :
         request.peers->prepare(variant_name(v), dtype_name<T>, request.threads, request.warmup_steps))
      contestants.push_back({name, [&request, name] { return request.peers->sample(name); }, {}});

  // 3. The rounds (run_rounds), then what the row says.
  const bool small_model = request.model.elements() * arrays_needed(request) * sizeof(T) < (std::size_t{64} << 20);
  std::vector<std::string> roofline_labels;
  for (const roofline_choice<T>& roofline : rooflines) roofline_labels.push_back(roofline.label());
  profile_result r = run_rounds(request, contestants, roofline_labels, has_baseline, bytes, phase,
                                small_model ? std::function<void()>([&] { model.reset(); }) : std::function<void()>(),
                                progress);
  r.workload = request.model.name;
  r.variant = variant_name(v);
  r.dtype = dtype_name<T>;
  r.arch = arch_name(active_arch());
  r.strategy = request.strategy + request.policy_label;
  r.pattern = pattern_name(pattern);
  r.elements = request.model.elements();
  r.tensors = request.model.tensors.size();
  r.bytes_per_step = r.elements * moved_elements(pattern) * sizeof(T);
  return r;
}

template <class T>
void profile_dtype(const profile_request& request, progress& progress, std::vector<profile_result>& results) {
  // Both live for the whole dtype: the roofline is sampled between the
  // library's steps, so its arrays and the model's coexist (twice the model's
  // memory).
  const flat_arrays<T> flat(request.model.elements(), arrays_needed(request));
  model_tensors<T> model(request.model, arrays_needed(request));
  for (const variant& v : request.variants) results.push_back(profile_variant(request, v, model, flat, progress));
}

// A storage mode's row: the library's step_storage on the model laid out in
// the mode's types, against the mixed roofline (roofline/mixed_roofline.hpp)
// over flat buffers of the same streams, widths and total size: its plain and
// its prefetching loop, each on 1 thread and on the whole budget, all four
// kept (no calibration), in the same rounds as the fixed-type rows. No baseline: the naive
// peer has no half types.
profile_result profile_storage_variant(const profile_request& request, const variant& v, progress& progress) {
  const inertia_storage& storage = *request.storage;
  const std::string label = storage_label(storage);
  const std::string phase = request.model.name + " " + label + " " + std::string(variant_name(v));
  const std::vector<storage_stream> layout = storage_streams(v, storage);
  std::vector<stream_access> accesses;
  std::size_t model_bytes_per_element = 0;
  for (const storage_stream& s : layout) {
    accesses.push_back(s.access);
    model_bytes_per_element += s.access.width;
  }
  const std::size_t per_element = moved_bytes(accesses);
  const double bytes = static_cast<double>(request.model.elements() * per_element);

  // The model and the roofline's flat buffers coexist, as for the fixed types.
  progress.update(phase + ": allocating");
  const storage_model flat(flat_workload(request.model.elements()), v, storage);
  storage_model model(request.model, v, storage);
  const std::vector<mixed_stream> flat_streams = flat.streams(0);

  progress.update(phase + ": warm-up");
  std::vector<contestant> contestants;
  std::vector<std::string> roofline_labels;
  for (int threads : {1, request.threads}) {
    for (const bool prefetch : {false, true}) {
      roofline_labels.push_back(std::string(prefetch ? "mixed_prefetch" : "mixed") + " x" + std::to_string(threads));
      contestants.push_back(internal_contestant(
          "roofline " + roofline_labels.back(),
          [&flat_streams, &flat, threads, prefetch] { run_mixed_roofline(flat_streams, flat.elements(), threads, prefetch); },
          request.warmup_steps));
    }
    if (request.threads <= 1) break;
  }
  const auto library = storage_model_step(request.strategy, v, storage, request.policy);
  contestants.push_back(
      internal_contestant("inertia", [&] { library(model, request.threads); }, request.warmup_steps));

  const bool small_model = request.model.elements() * model_bytes_per_element < (std::size_t{64} << 20);
  profile_result r = run_rounds(request, contestants, roofline_labels, false, bytes, phase,
                                small_model ? std::function<void()>([&] { model.reset(); }) : std::function<void()>(),
                                progress);
  r.workload = request.model.name;
  r.variant = variant_name(v);
  r.dtype = storage_dtype_name(storage.param_dtype);
  r.storage = storage;
  r.storage_label = label;
  r.arch = arch_name(active_arch());
  r.strategy = request.strategy + request.policy_label;
  r.pattern = storage_pattern_name(layout);
  r.elements = request.model.elements();
  r.tensors = request.model.tensors.size();
  r.bytes_per_step = r.elements * per_element;
  return r;
}

}  // namespace

std::vector<profile_result> run_profile(const profile_request& request, progress& progress) {
  std::vector<profile_result> results;
  if (request.storage) {
    for (const variant& v : request.variants) results.push_back(profile_storage_variant(request, v, progress));
    progress.finish();
    return results;
  }
  if (request.peers) request.peers->send_model(request.model);
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
