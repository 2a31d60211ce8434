// inertia-profile: what one optimizer step costs on this machine, and how close
// to the limit it runs.
//
//   inertia-profile                              GPT-2 small, f32, all threads, every variant
//   inertia-profile --workload resnet50 --variant heavy_ball --dtype f64 --threads 1
//   inertia-profile --flat 100000000 --json
//   inertia-profile --shapes my_model.txt        one `name dim0 dim1 ...` per line
//   inertia-profile --variant adam --state-dtype bf16          Adam, float32 params, bf16 moments
//   inertia-profile --variant heavy_ball --dtype bf16 --master f32   bf16 model, float32 master and state
//   inertia-profile --variant heavy_ball --dtype bf16 --rounding stochastic   all bf16, stochastically rounded
//
// Exit status: 0 done; 2 the command line or an input file is unusable (one
// line on stderr names the argument); 1 anything else went wrong.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <limits>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <unistd.h>
#include <omp.h>

#include "inertia/arch.hpp"
#include "profile/peer_channel.hpp"
#include "profile/profiler.hpp"
#include "profile/report.hpp"
#include "profile/step_strategy.hpp"
#include "profile/storage_mode.hpp"
#include "common/workload.hpp"

namespace {

using namespace inertia::bench;

std::vector<std::string> variant_choices() {
  std::vector<std::string> names{"all"};
  for (const variant& v : all_variants()) names.emplace_back(variant_name(v));
  return names;
}

// The most arrays per tensor any of the variants touches.
std::size_t arrays_for(const std::vector<variant>& variants) {
  std::size_t arrays = 2;
  for (const variant& v : variants) arrays = std::max(arrays, arrays_touched(variant_pattern(v)));
  return arrays;
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
  int threads = 0, rounds = 10, warmup = 2;
  bool json = false;
  std::string json_file, peer_fds;

  auto* workload_option = app.add_option("--workload", workload_name, "a built-in model")
                              ->check(CLI::IsMember(builtin_workload_names()))
                              ->capture_default_str();
  auto* flat_option = app.add_option("--flat", flat_elements, "one span of N elements instead of a model")
                         ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 40));
  auto* shapes_option = app.add_option("--shapes", shapes_file, "a shape file: '# comment' lines, then 'name d0 d1 ...'")
                            ->check(CLI::ExistingFile);
  workload_option->excludes(flat_option, shapes_option);
  flat_option->excludes(shapes_option);
  app.add_option("--variant", variant_choice, "one variant, or all (with a step policy: all that take one)")
      ->check(CLI::IsMember(variant_choices()))
      ->capture_default_str();
  app.add_option("--dtype", dtype_choice, "element type (bf16, f16: every buffer in it, the plain half step; all: f32 and f64)")
      ->check(CLI::IsMember({"f32", "f64", "all", "bf16", "f16"}))
      ->capture_default_str();
  std::string state_dtype_choice, master_choice = "none";
  app.add_option("--state-dtype", state_dtype_choice,
                 "storage mode: the state buffers' type (default: the param's; f32 with a master)")
      ->check(CLI::IsMember({"f32", "bf16"}));
  app.add_option("--master", master_choice,
                 "storage mode: master weights beside bf16/f16 params: f32 (a float32 copy) or split (bf16 halves)")
      ->check(CLI::IsMember({"none", "f32", "split"}))
      ->capture_default_str();
  std::string rounding_choice = "nearest";
  app.add_option("--rounding", rounding_choice,
                 "storage mode: how bf16/f16 values are stored: nearest (even) or stochastic (Philox draws, seed 2026)")
      ->check(CLI::IsMember({"nearest", "stochastic"}))
      ->capture_default_str();
  app.add_option("--threads", threads, "OpenMP threads; 0: all")->check(CLI::Range(0, 4096))->capture_default_str();
  app.add_option("--rounds", rounds,
                 "interleaved rounds; each takes one sample of the roofline, the library and the baseline")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()))
      ->capture_default_str();
  app.add_option("--steps", rounds, "the same as --rounds (its former name)")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()));
  app.add_option("--warmup", warmup, "untimed steps of each before the rounds")
      ->check(CLI::Range(0, std::numeric_limits<int>::max()))
      ->capture_default_str();
  std::vector<std::string> arch_choices = {"auto"};
  for (inertia::arch target : inertia::all_archs()) arch_choices.emplace_back(inertia::arch_name(target));
  app.add_option("--arch", arch_choice, "dispatch target: auto, or one the CPU runs")
      ->check(CLI::IsMember(arch_choices))
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
  app.add_option("--json-file", json_file, "also write the JSON array to this file");
  bool list_variants = false;
  app.add_flag("--list-variants", list_variants,
               "print the variants (from the library's registry: name, access pattern, state buffers, whether a "
               "step policy applies, settings) and exit");
  app.add_option("--peer-fds", peer_fds,
                 "REQUEST_FD,REPLY_FD: sample external peers in the same rounds (scripts/compare_pytorch.py)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "inertia-profile: " << e.what() << "\n";  // one line; CLI11's own message names the option
    return 2;
  }
  for (const std::string& why : skipped_variants()) std::cerr << "inertia-profile: not measured: " << why << "\n";
  if (list_variants) {
    std::cout << variant_table();
    return 0;
  }

  profile_request request;
  std::unique_ptr<peer_channel> peers;
  try {
    if (arch_choice != "auto") {
      const inertia::arch target = inertia::parse_arch(arch_choice);
      if (!inertia::arch_supported(target)) throw std::invalid_argument("--arch " + arch_choice + ": not supported on this CPU");
      inertia::set_arch(target);
    }
    request.model = *flat_option ? flat_workload(flat_elements)
                    : *shapes_option ? load_workload_file(shapes_file)
                                     : builtin_workload(workload_name);
    // A storage mode: half params, or a state type or master weights asked for.
    const bool half = dtype_choice == "bf16" || dtype_choice == "f16";
    const bool stochastic = rounding_choice == "stochastic";
    const bool storage_mode = half || !state_dtype_choice.empty() || master_choice != "none" || stochastic;
    if (storage_mode) {
      if (dtype_choice == "all")
        throw std::invalid_argument(std::string(!state_dtype_choice.empty() ? "--state-dtype"
                                                : master_choice != "none"   ? "--master"
                                                                            : "--rounding") +
                                    ": takes one --dtype, not all");
      if (!peer_fds.empty())
        throw std::invalid_argument("--peer-fds: the external peers measure f32 and f64 only, not the storage modes");
      const auto code = [](const std::string& name) {
        return name == "f64" ? INERTIA_FLOAT64 : name == "bf16" ? INERTIA_BFLOAT16 : name == "f16" ? INERTIA_FLOAT16 : INERTIA_FLOAT32;
      };
      inertia_storage storage{};
      storage.param_dtype = code(dtype_choice);
      storage.grad_dtype = storage.param_dtype;  // a model's gradients are in its weights' type
      storage.master_weights = master_choice == "f32"     ? INERTIA_MASTER_FLOAT32
                               : master_choice == "split" ? INERTIA_MASTER_SPLIT
                                                          : INERTIA_MASTER_NONE;
      // As inertia.torch: the param's type, float32 beside a master.
      storage.state_dtype = !state_dtype_choice.empty() ? code(state_dtype_choice)
                            : storage.master_weights != INERTIA_MASTER_NONE ? INERTIA_FLOAT32
                                                                          : storage.param_dtype;
      if (stochastic) {
        // Something must be rounded: a half model (a split master's top halves are cut, not rounded) or half state.
        const bool half_state = storage.state_dtype == INERTIA_BFLOAT16 || storage.state_dtype == INERTIA_FLOAT16;
        if (!(half && storage.master_weights != INERTIA_MASTER_SPLIT) && !half_state)
          throw std::invalid_argument(
              "--rounding stochastic: this mode stores nothing rounded to bf16/f16 (add --dtype bf16|f16 without a "
              "split master, or --state-dtype bf16)");
        storage.rounding = INERTIA_ROUND_STOCHASTIC;
        storage.seed = 2026;
      }
      request.storage = storage;
    } else {
      if (dtype_choice != "f64") request.dtypes.push_back(dtype::f32);
      if (dtype_choice != "f32") request.dtypes.push_back(dtype::f64);
    }
    request.threads = threads > 0 ? threads : omp_get_max_threads();
    request.rounds = rounds;
    request.warmup_steps = warmup;
    request.strategy = strategy;
    request.policy = policy;
    std::string first_policy_flag;
    const auto label = [&](bool on, const std::string& name, const char* flag) {
      if (!on) return;
      request.policy_label += "+" + name;
      if (first_policy_flag.empty()) first_policy_flag = flag;
    };
    label(policy.grad_scale != 1.0, "grad_scale", "--grad-scale");
    label(policy.skip_non_finite, "skip_non_finite", "--skip-non-finite");
    label(policy.clip_value > 0.0, "clip_value", "--clip-value");
    label(policy.max_norm > 0.0, "max_norm", "--max-norm");
    label(policy.flush_denormals, "flush_denormals", "--flush-denormals");
    const bool with_policy = !request.policy_label.empty();
    std::string first_refusal;
    std::vector<std::string> refusals;
    if (with_policy && strategy != "multi_tensor")
      throw std::invalid_argument(first_policy_flag + ": step policies apply to multi-tensor calls: add --strategy multi_tensor");
    for (const variant& v : all_variants()) {
      if (variant_choice != "all" && variant_choice != variant_name(v)) continue;
      if (with_policy && !variant_takes_policy(v)) {
        if (variant_choice == "all") continue;  // "all" under a policy: every variant a policy applies to
        throw std::invalid_argument(first_policy_flag + ": --variant " + std::string(variant_name(v)) +
                                    " takes no step policy");
      }
      if (request.storage) {
        // The library's own check of the combination (its message names the
        // field); under "all", a variant it refuses, or that a storage mode
        // cannot measure, is left out and said so.
        const std::string options = std::string("--dtype ") + dtype_choice +
                                    (state_dtype_choice.empty() ? "" : " --state-dtype " + state_dtype_choice) +
                                    (master_choice == "none" ? "" : " --master " + master_choice) +
                                    (stochastic ? " --rounding stochastic" : "");
        if (const std::string why = storage_unsupported(v); !why.empty()) {
          const std::string refused = options + ": " + std::string(variant_name(v)) + ": " + why;
          if (variant_choice != "all") throw std::invalid_argument(refused);
          refusals.push_back(refused);
          continue;
        }
        std::string refused;
        try {
          check_storage(v, *request.storage);
        } catch (const std::exception& error) {
          refused = options + ": " + error.what();
        }
        if (!refused.empty()) {
          if (variant_choice != "all") throw std::invalid_argument(refused);
          if (first_refusal.empty()) first_refusal = refused;
          refusals.push_back(refused);
          continue;
        }
      }
      request.variants.push_back(v);
    }
    if (request.storage && request.variants.empty()) throw std::invalid_argument(first_refusal);
    for (const std::string& why : refusals) std::cerr << "inertia-profile: not measured: " << why << "\n";
    // The model and the roofline's flat arrays live side by side, up to five arrays each.
    std::size_t model_bytes = 0;  // per element, the largest variant's
    if (request.storage) {
      for (const variant& v : request.variants) {
        std::size_t bytes = 0;
        for (const storage_stream& s : storage_streams(v, *request.storage)) bytes += s.access.width;
        model_bytes = std::max(model_bytes, bytes);
      }
    } else {
      model_bytes = arrays_for(request.variants) * (request.dtypes.back() == dtype::f64 ? 8 : 4);
    }
    const double needed = 2.0 * static_cast<double>(model_bytes) * static_cast<double>(request.model.elements());
    const double memory = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
    if (memory > 0 && needed > 0.9 * memory)
      throw std::invalid_argument((*flat_option ? "--flat " + std::to_string(flat_elements) : std::string("the workload")) +
                                  ": needs " + std::to_string(static_cast<long long>(needed / 1e9)) + " GB, the machine has " +
                                  std::to_string(static_cast<long long>(memory / 1e9)));
    if (!peer_fds.empty()) {
      int request_fd = -1, reply_fd = -1;
      char trailing = 0;
      if (std::sscanf(peer_fds.c_str(), "%d,%d%c", &request_fd, &reply_fd, &trailing) != 2 || request_fd < 0 || reply_fd < 0)
        throw std::invalid_argument("--peer-fds: expected REQUEST_FD,REPLY_FD, got '" + peer_fds + "'");
      peers = std::make_unique<peer_channel>(request_fd, reply_fd);
      request.peers = peers.get();
    }
  } catch (const std::exception& error) {  // workload_error, std::invalid_argument, inertia::invalid_argument
    std::cerr << "inertia-profile: " << error.what() << "\n";
    return 2;
  }

  try {
    progress progress;
    const std::vector<profile_result> results = run_profile(request, progress);
    if (!json_file.empty()) {
      std::ofstream file(json_file);
      file << to_json(results).dump(2) << "\n";
      if (!file) throw std::runtime_error("--json-file " + json_file + ": cannot write");
    }
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
