// inertia-profile: what one optimizer step costs on this machine, and how close
// to the limit it runs.
//
//   inertia-profile                              GPT-2 small, f32, all threads, every variant
//   inertia-profile --workload resnet50 --variant heavy_ball --dtype f64 --threads 1
//   inertia-profile --flat 100000000 --json
//   inertia-profile --shapes my_model.txt        one `name dim0 dim1 ...` per line
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <omp.h>

#include "inertia/arch.hpp"
#include "profile/profiler.hpp"
#include "profile/report.hpp"
#include "profile/step_strategy.hpp"
#include "workload.hpp"

namespace {

using namespace inertia::bench;

std::vector<std::string> variant_choices() {
  std::vector<std::string> names{"all"};
  for (variant v : all_variants) names.emplace_back(variant_name(v));
  return names;
}

std::vector<std::string> strategy_choices() {
  std::vector<std::string> names;
  for (const step_strategy_info& s : step_strategies()) names.emplace_back(s.name);
  return names;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"inertia-profile: the cost of one optimizer step on this machine, against its measured limit"};
  std::string workload_name = "gpt2_small", shapes_file, variant_choice = "all", dtype_choice = "f32";
  std::string arch_choice = "auto", strategy = std::string(step_strategies().front().name);
  std::size_t flat_elements = 0;
  int threads = 0, steps = 10, warmup = 2;
  bool json = false;

  auto* workload_option = app.add_option("--workload", workload_name, "a built-in model")
                              ->check(CLI::IsMember(builtin_workload_names()))
                              ->capture_default_str();
  auto* flat_option = app.add_option("--flat", flat_elements, "one span of N elements instead of a model");
  auto* shapes_option = app.add_option("--shapes", shapes_file, "a shape file: '# comment' lines, then 'name d0 d1 ...'")
                            ->check(CLI::ExistingFile);
  workload_option->excludes(flat_option, shapes_option);
  flat_option->excludes(shapes_option);
  app.add_option("--variant", variant_choice, "one variant, or all (with a step policy: all that take one)")
      ->check(CLI::IsMember(variant_choices()))
      ->capture_default_str();
  app.add_option("--dtype", dtype_choice, "element type")->check(CLI::IsMember({"f32", "f64", "all"}))->capture_default_str();
  app.add_option("--threads", threads, "OpenMP threads; 0: all")->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--steps", steps, "timed steps (median reported)")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--warmup", warmup, "untimed steps before timing")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--arch", arch_choice, "dispatch target: auto, scalar, sse2, avx2, avx512f")
      ->check(CLI::IsMember({"auto", "scalar", "sse2", "avx2", "avx512f"}))
      ->capture_default_str();
  app.add_option("--strategy", strategy, "how a step walks the tensors")
      ->check(CLI::IsMember(strategy_choices()))
      ->capture_default_str();
  inertia::step_policy policy;
  app.add_option("--grad-scale", policy.grad_scale, "step policy: the step uses g / grad_scale (AMP)")
      ->capture_default_str();
  app.add_flag("--skip-non-finite", policy.skip_non_finite, "step policy: skip the step on any NaN/Inf gradient");
  app.add_option("--clip-value", policy.clip_value, "step policy: clamp each gradient; 0 = off")->capture_default_str();
  app.add_option("--max-norm", policy.max_norm, "step policy: clip by global norm; 0 = off")->capture_default_str();
  app.add_flag("--flush-denormals", policy.flush_denormals, "step policy: FTZ + DAZ during the step");
  app.add_flag("--json", json, "print a JSON array, one object per configuration");
  CLI11_PARSE(app, argc, argv);

  try {
    if (arch_choice != "auto") inertia::set_arch(inertia::parse_arch(arch_choice));
    profile_request request;
    request.model = *flat_option ? flat_workload(flat_elements)
                    : *shapes_option ? load_workload_file(shapes_file)
                                     : builtin_workload(workload_name);
    if (dtype_choice != "f64") request.dtypes.push_back(dtype::f32);
    if (dtype_choice != "f32") request.dtypes.push_back(dtype::f64);
    request.threads = threads > 0 ? threads : omp_get_max_threads();
    request.steps = steps;
    request.warmup_steps = warmup;
    request.strategy = strategy;
    request.policy = policy;
    const auto label = [&](bool on, const std::string& name) {
      if (on) request.policy_label += "+" + name;
    };
    label(policy.grad_scale != 1.0, "grad_scale");
    label(policy.skip_non_finite, "skip_non_finite");
    label(policy.clip_value > 0.0, "clip_value");
    label(policy.max_norm > 0.0, "max_norm");
    label(policy.flush_denormals, "flush_denormals");
    const bool with_policy = !request.policy_label.empty();
    if (with_policy && strategy != "multi_tensor")
      throw std::invalid_argument("step policies apply to multi-tensor calls: add --strategy multi_tensor");
    for (variant v : all_variants) {
      if (variant_choice != "all" && variant_choice != variant_name(v)) continue;
      if (with_policy && !variant_takes_policy(v)) {
        if (variant_choice == "all") continue;  // "all" under a policy: every variant a policy applies to
        throw std::invalid_argument(std::string(variant_name(v)) + " takes no step policy");
      }
      request.variants.push_back(v);
    }

    progress progress;
    const std::vector<profile_result> results = run_profile(request, progress);
    if (json)
      std::cout << to_json(results).dump(2) << "\n";
    else
      print_table(std::cout, results);
  } catch (const std::exception& error) {
    std::cerr << "inertia-profile: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
