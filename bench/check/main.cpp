// inertia-check: replays a recorded optimizer trajectory (yours, recorded from
// PyTorch, Keras, Optax or your own engine) through inertia and reports, after
// every step, the max ULP distance and max relative difference between the
// library and the recording, for the parameter and the optimizer state. Run it
// in CI to catch a numerical regression.
//
//   inertia-check run.json                        every case, the file's variant, 0 ULP allowed
//   inertia-check run.json --max-ulp 4 --json     machine-readable per-step report
//   inertia-check run_dir/ --variant sutskever --lr 0.01 --momentum 0.9
//
// Exit status: 0 every step of every case is within tolerance; 1 some step is
// not; 2 the input or the command line is unusable (the message says why).
//
// INPUT 1, a JSON file: format "inertia-trajectory", version 1
//   {"format": "inertia-trajectory", "version": 1,
//    "source": "free text: what recorded it",                  (optional)
//    "cases": [{
//      "name": "fc1.weight",                                   (optional)
//      "variant": "heavy_ball" | "sutskever" | "ema",          (or --variant)
//      "dtype": "float32" | "float64",
//      "numerics": "pytorch_loop" | "pytorch_fused",           (heavy_ball only; default pytorch_loop)
//      "hyperparameters": {...},                               (missing keys take the defaults below)
//         heavy_ball (torch.optim.SGD): momentum, dampening, weight_decay (0), nesterov, maximize (false)
//         sutskever (Keras SGD):        momentum (0), nesterov (false)
//         ema (Optax ema+scale(-lr)):   beta (0.9), bias_correction (false)
//      "lr": [the lr of step 1, of step 2, ...] or one number,
//      "initial": {"param": [n numbers],
//                  "<state>": [n numbers],                     (optional: the state before step 1)
//                  "step": k},                                 (optional: steps taken before; ema counts from k+1)
//      "steps": [{"grad": [n], "param": [n, after the step], "<state>": [n, after the step] or null}, ...]
//    }, ...]}
//   <state> is "momentum_buffer" for heavy_ball and "velocity" for sutskever and ema ("state" is read for
//   either). Without an initial state the velocity starts at zero, and heavy_ball's buffer is created on
//   step 1 as PyTorch does (buffer = gradient). A null or missing state is not compared. Numbers must be
//   finite; they are read as doubles and rounded to dtype, so write float32 values exactly (Python's
//   json.dumps of float(x) does). scripts/record_trajectory.py records a PyTorch SGD run in this format;
//   tests/data/*.json are examples.
//
// INPUT 2, a directory of .npy files (one tensor; '<f4' or '<f8', C order, .npy format 1.0 to 3.0):
//   param0.npy   the parameter before step 1, any shape, n elements
//   grads.npy    [steps, ...]: the gradient of each step, n elements per step
//   params.npy   [steps, ...]: the parameter after each step
//   state.npy    [steps, ...]: the state after each step                 (optional)
//   state0.npy   the state before step 1                                 (optional)
//   lr.npy       one learning rate per step, or a single one             (or --lr)
//   The variant (--variant) and the hyperparameters (--momentum, ...) come from the command line.
//
// REPLAY: the library starts from the initial values and steps on its own values with the recorded
// gradients and learning rates (errors accumulate, as in training); --resync restarts every step from the
// recorded values instead, so each step is judged on its own. After every step it compares, element by
// element, its parameter and state with the recorded ones:
//   ULP distance         the count of representable dtype values between the two (+0 and -0 are equal;
//                        a NaN against a number is unbounded)
//   relative difference  |a - b| / max(|a|, |b|), 0 when equal
// An element is within tolerance when its ULP distance <= --max-ulp, or, when --max-rel is given, its
// relative difference <= --max-rel. A step passes when every element of both arrays is within tolerance.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "inertia/arch.hpp"
#include "inertia/error.hpp"
#include "inertia/version.hpp"
#include "replay.hpp"
#include "trajectory.hpp"

namespace {

using namespace inertia::check;

constexpr const char* format_help = R"(INPUT 1, a JSON file: format "inertia-trajectory", version 1
  {"format": "inertia-trajectory", "version": 1,
   "source": "free text: what recorded it",                  (optional)
   "cases": [{
     "name": "fc1.weight",                                   (optional)
     "variant": "heavy_ball" | "sutskever" | "ema",          (or --variant)
     "dtype": "float32" | "float64",
     "numerics": "pytorch_loop" | "pytorch_fused",           (heavy_ball only; default pytorch_loop)
     "hyperparameters": {...},                               (missing keys take the defaults below)
        heavy_ball (torch.optim.SGD): momentum, dampening, weight_decay (0), nesterov, maximize (false)
        sutskever (Keras SGD):        momentum (0), nesterov (false)
        ema (Optax ema+scale(-lr)):   beta (0.9), bias_correction (false)
     "lr": [the lr of step 1, of step 2, ...] or one number,
     "initial": {"param": [n numbers],
                 "<state>": [n numbers],                     (optional: the state before step 1)
                 "step": k},                                 (optional: steps taken before; ema counts from k+1)
     "steps": [{"grad": [n], "param": [n, after the step], "<state>": [n, after the step] or null}, ...]
   }, ...]}
  <state> is "momentum_buffer" for heavy_ball and "velocity" for sutskever and ema ("state" is read for
  either). Without an initial state the velocity starts at zero, and heavy_ball's buffer is created on
  step 1 as PyTorch does (buffer = gradient). A null or missing state is not compared. Numbers must be
  finite; they are read as doubles and rounded to dtype, so write float32 values exactly (Python's
  json.dumps of float(x) does). scripts/record_trajectory.py records a PyTorch SGD run in this format.

INPUT 2, a directory of .npy files (one tensor; '<f4' or '<f8', C order, .npy format 1.0 to 3.0):
  param0.npy   the parameter before step 1, any shape, n elements
  grads.npy    [steps, ...]: the gradient of each step, n elements per step
  params.npy   [steps, ...]: the parameter after each step
  state.npy    [steps, ...]: the state after each step                 (optional)
  state0.npy   the state before step 1                                 (optional)
  lr.npy       one learning rate per step, or a single one             (or --lr)
  The variant (--variant) and the hyperparameters (--momentum, ...) come from the command line.

REPLAY: the library starts from the initial values and steps on its own values with the recorded
gradients and learning rates (errors accumulate, as in training); --resync restarts every step from the
recorded values instead. After every step it compares, element by element, its parameter and state with
the recorded ones:
  ULP distance         the count of representable dtype values between the two (+0 and -0 are equal;
                       a NaN against a number is unbounded)
  relative difference  |a - b| / max(|a|, |b|), 0 when equal
An element is within tolerance when its ULP distance <= --max-ulp, or, when --max-rel is given, its
relative difference <= --max-rel. A step passes when every element of both arrays is within tolerance.

EXIT STATUS: 0 every step of every case is within tolerance; 1 some step is not; 2 unusable input.)";

std::string ulp_text(std::uint64_t ulp) { return ulp == unbounded_ulp ? "unbounded" : std::to_string(ulp); }

std::string number_text(double x, int digits = 3) {
  if (std::isinf(x)) return "inf";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*g", digits, x);
  return buffer;
}

std::string exact_text(double x) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.17g", x);
  return buffer;
}

std::string describe_hyperparameters(const trajectory_case& c) {
  std::ostringstream out;
  const auto& h = c.hp;
  auto flag = [](bool b) { return b ? "true" : "false"; };
  if (c.variant == "heavy_ball")
    out << "momentum=" << h.momentum << " dampening=" << h.dampening << " weight_decay=" << h.weight_decay
        << " nesterov=" << flag(h.nesterov) << " maximize=" << flag(h.maximize) << " numerics=" << c.numerics;
  else if (c.variant == "sutskever")
    out << "momentum=" << h.momentum << " nesterov=" << flag(h.nesterov);
  else
    out << "beta=" << h.beta << " bias_correction=" << flag(h.bias_correction);
  if (c.initial_step) out << ", " << c.initial_step << " steps before the recording";
  return out.str();
}

nlohmann::json hyperparameters_json(const trajectory_case& c) {
  const auto& h = c.hp;
  if (c.variant == "heavy_ball")
    return {{"momentum", h.momentum}, {"dampening", h.dampening}, {"weight_decay", h.weight_decay},
            {"nesterov", h.nesterov}, {"maximize", h.maximize}};
  if (c.variant == "sutskever") return {{"momentum", h.momentum}, {"nesterov", h.nesterov}};
  return {{"beta", h.beta}, {"bias_correction", h.bias_correction}};
}

nlohmann::json comparison_json(const comparison& c) {
  if (!c.compared) return nullptr;
  return {{"max_ulp", c.max_ulp == unbounded_ulp ? nlohmann::json(nullptr) : nlohmann::json(c.max_ulp)},
          {"max_rel", std::isinf(c.max_rel) ? nlohmann::json(nullptr) : nlohmann::json(c.max_rel)},
          {"worst_index", c.worst_index},
          {"library", c.library_value},
          {"recorded", c.recorded_value},
          {"out_of_tolerance", c.out_of_tolerance}};
}

std::string comparison_columns(const comparison& c) {
  char buffer[128];
  if (!c.compared) {
    std::snprintf(buffer, sizeof buffer, "%12s %10s %7s", "-", "-", "");
  } else {
    std::snprintf(buffer, sizeof buffer, "%12s %10s %7s", ulp_text(c.max_ulp).c_str(), number_text(c.max_rel).c_str(),
                  c.max_ulp ? ("[" + std::to_string(c.worst_index) + "]").c_str() : "");
  }
  return buffer;
}

void print_case_text(const trajectory_case& c, const case_report& r, const tolerance& tol, bool brief) {
  std::cout << "\ncase '" << c.name << "': " << c.variant << ", " << c.dtype << ", " << c.initial_param.size()
            << " elements, " << c.steps.size() << " steps (" << describe_hyperparameters(c) << ")\n";
  const std::string state = state_key(c.variant);
  char header[256];
  std::snprintf(header, sizeof header, "  %5s  %12s %10s %7s  | %12s %10s %7s\n", "step", "param ULP", "max rel", "at",
                (state + " ULP").c_str(), "max rel", "at");
  bool header_printed = false;
  for (const step_report& s : r.steps) {
    if (brief && s.passed) continue;
    if (!header_printed) {
      std::cout << header;
      header_printed = true;
    }
    std::cout << "  " << std::string(5 - std::min<std::size_t>(5, std::to_string(s.step).size()), ' ') << s.step << "  "
              << comparison_columns(s.param) << "  | " << comparison_columns(s.state) << (s.passed ? "" : "   FAIL")
              << "\n";
  }
  std::size_t failing = 0;
  for (const step_report& s : r.steps) failing += !s.passed;
  const std::string within = "within " + std::to_string(tol.max_ulp) + " ULP" +
                             (tol.max_rel > 0 ? " or relative " + number_text(tol.max_rel) : "");
  if (r.passed) {
    std::cout << "  PASS: " << r.steps.size() << " steps " << within << " (max " << ulp_text(r.max_ulp)
              << " ULP, max relative " << number_text(r.max_rel) << ")\n";
  } else {
    const step_report& first = r.steps[*r.first_failing_step - 1];
    const comparison& worst = first.param.out_of_tolerance ? first.param : first.state;
    std::cout << "  FAIL: " << failing << " of " << r.steps.size() << " steps not " << within << "; first at step "
              << first.step << ": " << (first.param.out_of_tolerance ? "param" : state) << "[" << worst.worst_index
              << "] = " << exact_text(worst.library_value) << " (library) vs " << exact_text(worst.recorded_value)
              << " (recorded), " << ulp_text(worst.max_ulp) << " ULP\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"inertia-check " INERTIA_VERSION_STRING
               ": replays a recorded optimizer trajectory through inertia and reports, per step, the max ULP\n"
               "distance and max relative difference of the parameter and the state. Exit 0: within tolerance;\n"
               "1: not; 2: unusable input."};
  app.footer(format_help);
  std::string input, variant, numerics, arch_choice = "auto";
  std::vector<std::string> case_names;
  int threads = 0;
  std::uint64_t max_ulp = 0;
  double max_rel = 0.0, lr = 0, momentum = 0, dampening = 0, weight_decay = 0, beta = 0;
  bool nesterov = false, maximize = false, bias_correction = false, json = false, resync = false, brief = false;
  std::int64_t initial_step = 0;

  app.add_option("trajectory", input, "a trajectory JSON file, or a directory in the .npy layout")->required();
  auto* variant_option = app.add_option("--variant", variant, "heavy_ball, sutskever or ema (default: the file's)")
                             ->check(CLI::IsMember({"heavy_ball", "sutskever", "ema"}));
  auto* numerics_option = app.add_option("--numerics", numerics,
                                         "heavy_ball: pytorch_loop or pytorch_fused (default: the file's, else pytorch_loop)")
                              ->check(CLI::IsMember({"pytorch_loop", "pytorch_fused"}));
  app.add_option("--arch", arch_choice, "dispatch target: auto, scalar, sse2, avx2, avx512f")
      ->check(CLI::IsMember({"auto", "scalar", "sse2", "avx2", "avx512f"}))
      ->capture_default_str();
  app.add_option("--threads", threads, "OpenMP threads; 0: OpenMP's default")->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--max-ulp", max_ulp, "largest ULP distance allowed per element")->capture_default_str();
  app.add_option("--max-rel", max_rel, "also allow an element whose relative difference is at most this (0: off)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--case", case_names, "replay only the named case(s)");
  app.add_flag("--resync", resync, "restart every step from the recorded values (judge each step on its own)");
  app.add_flag("--json", json, "print a JSON report (per case, per step) instead of the table");
  app.add_flag("--brief", brief, "print only the failing steps and the summaries");
  auto* lr_option = app.add_option("--lr", lr, "learning rate of every step (overrides the recording's)")->check(CLI::NonNegativeNumber);
  auto* momentum_option = app.add_option("--momentum", momentum, "heavy_ball, sutskever: momentum");
  auto* dampening_option = app.add_option("--dampening", dampening, "heavy_ball: dampening");
  auto* weight_decay_option = app.add_option("--weight-decay", weight_decay, "heavy_ball: coupled weight decay");
  auto* nesterov_option = app.add_option("--nesterov", nesterov, "heavy_ball, sutskever: true or false");
  auto* maximize_option = app.add_option("--maximize", maximize, "heavy_ball: true or false");
  auto* beta_option = app.add_option("--beta", beta, "ema: beta");
  auto* bias_option = app.add_option("--bias-correction", bias_correction, "ema: true or false");
  auto* step_option = app.add_option("--initial-step", initial_step, "optimizer steps taken before the recording")
                          ->check(CLI::NonNegativeNumber);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "inertia-check: " << e.what() << "\n";  // one line: CLI11's message names the argument
    return 2;
  }

  load_options lo;
  if (*variant_option) lo.variant = variant;
  if (*numerics_option) lo.numerics = numerics;
  if (*lr_option) lo.lr = lr;
  if (*momentum_option) lo.momentum = momentum;
  if (*dampening_option) lo.dampening = dampening;
  if (*weight_decay_option) lo.weight_decay = weight_decay;
  if (*nesterov_option) lo.nesterov = nesterov;
  if (*maximize_option) lo.maximize = maximize;
  if (*beta_option) lo.beta = beta;
  if (*bias_option) lo.bias_correction = bias_correction;
  if (*step_option) lo.initial_step = initial_step;

  trajectory t;
  std::vector<std::string> warnings;
  try {
    t = load_trajectory(input, lo, warnings);
    if (!case_names.empty()) {
      std::vector<trajectory_case> kept;
      for (const std::string& name : case_names) {
        bool found = false;
        for (const auto& c : t.cases)
          if (c.name == name) {
            kept.push_back(c);
            found = true;
          }
        if (!found) throw input_error(input + ": no case named '" + name + "'");
      }
      t.cases = std::move(kept);
    }
  } catch (const input_error& e) {
    std::cerr << "inertia-check: " << e.what() << "\n";
    return 2;
  }
  for (const auto& w : warnings) std::cerr << "inertia-check: warning: " << w << "\n";

  if (arch_choice != "auto") {
    const inertia::arch target = inertia::parse_arch(arch_choice);
    if (!inertia::arch_supported(target)) {
      std::cerr << "inertia-check: --arch " << arch_choice << " is not supported by this build and CPU (supported:";
      for (inertia::arch a : inertia::supported_archs()) std::cerr << " " << inertia::arch_name(a);
      std::cerr << ")\n";
      return 2;
    }
    inertia::set_arch(target);
  }

  replay_options ro;
  ro.exec = inertia::execution{threads, 0, 0};
  ro.tol = tolerance{max_ulp, max_rel};
  ro.resync = resync;

  std::vector<case_report> reports;
  for (const auto& c : t.cases) {
    try {
      reports.push_back(replay(c, ro));
    } catch (const inertia::invalid_argument& e) {
      std::cerr << "inertia-check: " << input << ": case '" << c.name << "': the library rejects it: " << e.what() << "\n";
      return 2;
    }
  }
  bool passed = true;
  std::size_t total_steps = 0, failing_cases = 0;
  for (const auto& r : reports) {
    passed &= r.passed;
    failing_cases += !r.passed;
    total_steps += r.steps.size();
  }
  const std::string target(inertia::arch_name(inertia::active_arch()));

  if (json) {
    nlohmann::json out = {{"tool", "inertia-check"},
                          {"version", INERTIA_VERSION_STRING},
                          {"input", input},
                          {"source", t.source},
                          {"arch", target},
                          {"threads", threads},
                          {"max_ulp", max_ulp},
                          {"max_rel", max_rel},
                          {"resync", resync},
                          {"passed", passed},
                          {"cases", nlohmann::json::array()}};
    for (std::size_t k = 0; k < t.cases.size(); ++k) {
      const auto& c = t.cases[k];
      const auto& r = reports[k];
      nlohmann::json steps = nlohmann::json::array();
      for (const step_report& s : r.steps)
        steps.push_back({{"step", s.step},
                         {"passed", s.passed},
                         {"param", comparison_json(s.param)},
                         {"state", comparison_json(s.state)}});
      out["cases"].push_back({{"name", c.name},
                              {"variant", c.variant},
                              {"dtype", c.dtype},
                              {"numerics", c.variant == "heavy_ball" ? nlohmann::json(c.numerics) : nlohmann::json(nullptr)},
                              {"hyperparameters", hyperparameters_json(c)},
                              {"elements", c.initial_param.size()},
                              {"state_key", state_key(c.variant)},
                              {"passed", r.passed},
                              {"first_failing_step", r.first_failing_step ? nlohmann::json(*r.first_failing_step)
                                                                          : nlohmann::json(nullptr)},
                              {"max_ulp", r.max_ulp == unbounded_ulp ? nlohmann::json(nullptr) : nlohmann::json(r.max_ulp)},
                              {"max_rel", std::isinf(r.max_rel) ? nlohmann::json(nullptr) : nlohmann::json(r.max_rel)},
                              {"steps", steps}});
    }
    std::cout << out.dump(1) << "\n";
  } else {
    std::cout << "inertia-check " INERTIA_VERSION_STRING ": " << input << ": " << t.cases.size() << " case(s); target "
              << target << ", threads " << (threads ? std::to_string(threads) : "default") << ", "
              << (resync ? "resynchronized every step" : "free-running") << "\n";
    if (!t.source.empty()) std::cout << "recorded with: " << t.source << "\n";
    for (std::size_t k = 0; k < t.cases.size(); ++k) print_case_text(t.cases[k], reports[k], ro.tol, brief);
    std::cout << "\n"
              << (passed ? "PASS" : "FAIL") << ": " << t.cases.size() - failing_cases << " of " << t.cases.size()
              << " case(s) within tolerance (" << total_steps << " steps)\n";
  }
  return passed ? 0 : 1;
}
