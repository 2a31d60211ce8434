// inertia-bench: every variant x {f32, f64} x working sets in L1..DRAM x
// threads {1, all}, for the library, its peers and the roofline kernels, plus
// the `threshold` family that measures where a parallel region starts to pay;
// on request, the half-precision and mixed-storage rows.
//
//   inertia-bench [google benchmark flags] [--inertia_sizes=levels|sweep] [--inertia_list_variants]
//                 [--inertia_dtypes=LIST]
//
// --inertia_dtypes: comma-separated, among f32, f64 and the storage modes
// bf16, f16, bf16+master_f32, f16+master_f32, bf16+master_split,
// bf16+state_f32, f32+state_bf16, bf16+stochastic (suite/storage_cases.hpp), or all; default
// f32,f64 (the storage rows would more than double a default run). The
// threshold family is f32's: it runs when f32 is listed.
//   e.g. --inertia_dtypes=bf16,bf16+master_f32 --benchmark_filter='^heavy_ball/bf16'
//
// The variants are the library registry's (common/variant.hpp):
// --inertia_list_variants prints them, one a line (name, access pattern,
// state buffers, whether a step policy applies, settings), and the JSON context's inertia_variants lists
// them in order, for scripts/plot_bench.py.
//   e.g. --benchmark_filter='^heavy_ball/f32/.*/(L1|DRAM)/' --benchmark_format=json
//
// Names: <variant>/<dtype>/<kernel>/<size class>/ws:<working set>/threads:<n>,
// <pattern>/<dtype>/<roofline kernel>/..., threshold/heavy_ball/f32/n:<n>/threads:<n>;
// storage rows <variant>/<mode>/inertia/..., and each stream pattern's mixed
// roofline, <streams>/mixed/{loop,prefetch}/... (e.g. param:rw2_grad:r2_state0:rw2),
// which a storage row names in its label.
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>
#include <omp.h>

#include "suite/benchmark_driver.hpp"
#include "suite/storage_cases.hpp"
#include "inertia/arch.hpp"
#include "inertia/version.hpp"
#include "common/parallel_chunks.hpp"
#include "roofline/roofline_kernels.hpp"
#include "suite/working_sets.hpp"

namespace inertia::bench {
namespace {

std::string case_prefix(std::string_view family, std::string_view dtype, std::string_view kernel) {
  return std::string(family) + "/" + std::string(dtype) + "/" + std::string(kernel) + "/";
}

std::string case_suffix(std::size_t working_set, const cache_sizes& caches, int threads) {
  return size_class(working_set, caches) + "/ws:" + size_label(working_set) + "/threads:" + std::to_string(threads);
}

template <class T>
void register_working_set(std::size_t working_set, int threads, const cache_sizes& caches) {
  const std::string suffix = case_suffix(working_set, caches, threads);
  for (const variant& v : all_variants()) {
    const std::size_t size = working_set / (arrays_touched(variant_pattern(v)) * sizeof(T));
    for (named_kernel<T>& k : variant_kernels<T>(v))
      register_case<T>({case_prefix(variant_name(v), dtype_name<T>, k.name) + suffix, std::move(k.run),
                        variant_pattern(v), size, working_set, threads});
  }
  for (const roofline_kernel<T>& k : roofline_kernels<T>()) {
    const std::size_t size = working_set / (arrays_touched(k.pattern) * sizeof(T));
    // Always on `threads` threads: these rows show each kernel as it is; the
    // roofline counter is the best of them on 1 or `threads` threads.
    kernel<T> run = [f = k.run](const step_buffers<T>& b, int team) {
      for_each_chunk(b.size, sizeof(T), team, [&](std::size_t begin, std::size_t end) { f(b, begin, end); });
    };
    register_case<T>({case_prefix(pattern_name(k.pattern), dtype_name<T>, k.name) + suffix, std::move(run),
                      k.pattern, size, working_set, threads});
  }
}

// The storage rows of one working set and thread count (suite/storage_cases.hpp).
void register_storage_working_set(const dtype_selection& dtypes, std::size_t working_set, int threads,
                                  const cache_sizes& caches) {
  for (storage_case& c : storage_cases(dtypes.modes, working_set, case_suffix(working_set, caches, threads), threads))
    register_storage_case(std::move(c));
}

// heavy_ball f32 on 1 thread and on all threads with the parallel region
// forced: min_bytes_per_thread = 1, and blocks of a half span, so even the
// smallest span has a block for each of two threads. Where the second curve
// drops below the first is the smallest span a parallel region pays for.
// Spans from 1Ki to 1Mi elements in half-octave steps (multiples of 16: whole
// cache lines).
void register_threshold(int all_threads) {
  const variant* found = find_variant("heavy_ball");
  if (found == nullptr) return;  // heavy_ball not registered: no threshold family
  const variant& reference_variant = *found;
  for (int half_octave = 0; half_octave <= 20; ++half_octave) {
    const double exact = 1024.0 * std::pow(2.0, half_octave / 2.0);
    const std::size_t size = static_cast<std::size_t>(exact / 16.0 + 0.5) * 16;
    execution forced_parallel;
    forced_parallel.min_bytes_per_thread = 1;
    forced_parallel.block_bytes = size * sizeof(float) / 2;
    for (int threads : {1, all_threads}) {
      register_case<float>({"threshold/heavy_ball/f32/n:" + std::to_string(size) + "/threads:" + std::to_string(threads),
                            library_kernel<float>(reference_variant, forced_parallel).run,
                            access_pattern::update_3r2w, size, size * 3 * sizeof(float), threads,
                            /*with_roofline=*/false});
      if (all_threads == 1) break;
    }
  }
}

}  // namespace
}  // namespace inertia::bench

int main(int argc, char** argv) {
  using namespace inertia::bench;
  benchmark::Initialize(&argc, argv);
  bool sweep = false, list = false;
  dtype_selection dtypes;  // f32, f64
  constexpr std::string_view dtypes_flag = "--inertia_dtypes=";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--inertia_sizes=sweep") {
      sweep = true;
    } else if (arg == "--inertia_list_variants") {
      list = true;
    } else if (arg.substr(0, dtypes_flag.size()) == dtypes_flag) {
      try {
        dtypes = parse_dtype_selection(arg.substr(dtypes_flag.size()));
      } catch (const std::invalid_argument& error) {
        std::fprintf(stderr, "inertia-bench: %s\n", error.what());
        return 2;
      }
    } else if (arg != "--inertia_sizes=levels") {
      std::fprintf(stderr,
                   "inertia-bench: unknown argument '%s' (--inertia_sizes=levels|sweep, --inertia_list_variants, "
                   "--inertia_dtypes=LIST)\n",
                   argv[i]);
      return 2;
    }
  }
  for (const std::string& why : skipped_variants()) std::fprintf(stderr, "inertia-bench: not measured: %s\n", why.c_str());
  if (list) {
    std::fputs(variant_table().c_str(), stdout);
    return 0;
  }
  std::string names;
  for (const variant& v : all_variants()) names += (names.empty() ? "" : ",") + v.name;
  const cache_sizes caches = read_cache_sizes();
  const int all_threads = omp_get_max_threads();
  benchmark::AddCustomContext("inertia_version", INERTIA_VERSION_STRING);
  benchmark::AddCustomContext("inertia_arch", std::string(inertia::arch_name(inertia::active_arch())));
  benchmark::AddCustomContext("inertia_threads_all", std::to_string(all_threads));
  benchmark::AddCustomContext("inertia_cache_l1d", std::to_string(caches.l1d));
  benchmark::AddCustomContext("inertia_cache_l2", std::to_string(caches.l2));
  benchmark::AddCustomContext("inertia_cache_l3", std::to_string(caches.l3));
  benchmark::AddCustomContext("inertia_variants", names);
  std::string modes;
  for (const storage_mode* mode : dtypes.modes) modes += (modes.empty() ? "" : ",") + mode->name;
  benchmark::AddCustomContext("inertia_storage_modes", modes);
  if (!dtypes.modes.empty()) {
    // Which (variant, mode) pairs have no rows, once: the same at every working set.
    std::vector<std::string> refused;
    storage_cases(dtypes.modes, 4096, "", 1, &refused);
    for (const std::string& why : refused) std::fprintf(stderr, "inertia-bench: not measured: %s\n", why.c_str());
  }
  for (std::size_t working_set : sweep ? sweep_working_sets() : level_working_sets(caches))
    for (int threads : {1, all_threads}) {
      if (dtypes.f32) register_working_set<float>(working_set, threads, caches);
      if (dtypes.f64) register_working_set<double>(working_set, threads, caches);
      register_storage_working_set(dtypes, working_set, threads, caches);
      if (all_threads == 1) break;
    }
  if (dtypes.f32) register_threshold(all_threads);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
