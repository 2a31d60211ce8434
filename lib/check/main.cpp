// inertia-check: replays a recorded optimizer trajectory (yours, recorded from
// PyTorch, Keras, Optax or your own engine) through inertia and reports, after
// every step, the max ULP distance and max relative difference between the
// library and the recording, for the parameter and the optimizer state. Run it
// in CI to catch a numerical regression.
//
//   inertia-check run.json                        every case, the file's variant, 0 ULP allowed
//   inertia-check run.json --max-ulp 4 --json     machine-readable per-step report
//   inertia-check run_dir/ --variant sutskever --lr 0.01 --momentum 0.9
//   inertia-check adam.json --set betas=0.9,0.95 --set amsgrad=true   any variant, keys as the library's
//
// Exit status: 0 every step of every case is within tolerance; 1 some step is
// not; 2 the input or the command line is unusable (the message says why).
//
// The input formats, the command-line hyperparameters and the replay rules are
// format_help below, the text --help prints: one copy, kept beside the code.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "inertia/arch.hpp"
#include "inertia/error.hpp"
#include "inertia/version.hpp"
#include "handle.hpp"
#include "replay.hpp"
#include "trajectory.hpp"

namespace {

using namespace inertia::check;

constexpr const char* format_help = R"(INPUT 1, a JSON file: format "inertia-trajectory", version 1
  {"format": "inertia-trajectory", "version": 1,
   "source": "free text: what recorded it",                  (optional)
   "cases": [{
     "name": "fc1.weight",                                   (optional)
     "variant": "adam",                                      (any of VARIANTS below; or --variant)
     "dtype": "float32" | "float64" | "bfloat16" | "float16",
                                                             (of param and grad, and of the state unless:)
     "state_dtype": "float32",                               (optional: the state buffers' type, see below)
     "hyperparameters": {"lr": ..., "betas": [0.9, 0.999], "amsgrad": true, ...},
                                                             (the library's keys; missing keys take its defaults)
     "numerics": "pytorch_fused",                            (optional: hyperparameters.numerics, heavy_ball's)
     "lr": [the lr of step 1, of step 2, ...] or one number, (set as "lr" before each step; none for weight_ema)
     "initial": {"param": [n numbers],
                 "<state>": [n numbers],                     (optional: each state buffer before step 1)
                 "mu_product": x,                            (optional: scalar state before step 1, nadam)
                 "step": k},                                 (optional: steps taken before; step 1 is t = k + 1)
     "steps": [{"grad": [n], "param": [n, after the step] or null (not compared),
                "<state>": [n, after the step] or null,      (each state buffer recorded; missing or null: not compared)
                "mu_product": x}, ...]                       (optional: scalar state after the step, compared)
   }, ...]}
  Hyperparameters are the library's keys (inertia.h, inertia_optimizer_set): a number is set as a number, true
  and false as a flag (1, 0), an array with set_array, a string with set_string. An unknown key, or a value of
  the wrong kind or out of range, is the library's error and exits 2. beta1 and beta2 are read as the two
  elements of betas where the variant has betas (adam, adamw, nadam, lion), as the golden files write them.
  <state> is each state buffer's name as the library gives it for these hyperparameters
  (inertia_optimizer_state_name, torch's state_dict names): momentum_buffer (heavy_ball with momentum, qhm,
  signum, lars), velocity (sutskever with momentum, ema), exp_avg, exp_avg_sq, max_exp_avg_sq (adam with
  amsgrad), sum (adagrad), average (weight_ema), velocities[0], velocities[1], ... (aggmo; or "velocities":
  [[n], [n], ...]). "state" is read for the first buffer. A buffer not given before step 1 starts at zero,
  adagrad's sum at initial_accumulator_value, and heavy_ball's is created by step 1 as PyTorch does
  (buffer = gradient). heavy_ball with an initial momentum_buffer and no initial step (or 0) replays
  from t = 2 (the buffer exists, so a step was taken); with an initial step but no buffer it is an error.
  weight_ema averages the model's weights and reads no gradient: "initial": {"average": [n], "step": k}
  (k: the updates the average has had), "steps": [{"weights": [n, the model's weights this update averages
  in], "average": [n, after the update]}, ...], and no "lr"; the report's param column stays empty.
  Numbers must be finite; they are read as doubles and rounded to their array's type, to nearest even
  (bfloat16 and float16 through float32, as torch's .to(torch.bfloat16) does), so write each value exactly:
  Python's json.dumps of float(x) of an element of a float32, bfloat16 or float16 tensor does. A value that
  is not exact is rounded and counted in a warning; one beyond the type's range (float16: 65504) is an error.
  bfloat16 and float16 cases step as torch 2.x's fused CPU optimizers do on such tensors: every element
  widened to float, the variant's float32 rule, every stored value rounded back to nearest even.
  "state_dtype" keeps every state buffer in another type than dtype, as inertia_optimizer_step_storage
  does (param and grad in dtype, no master weights): "float32" (bfloat16 or float16 parameters with float32
  optimizer state), or "bfloat16" (with float32 or float16 parameters: Adam's moments in 16 bits);
  float64 only with float64. scripts/record_trajectory.py records a torch.optim SGD, Adam, AdamW, NAdam or
  Adagrad run from your training loop in this format; tests/data/*.json are examples.

INPUT 2, a directory of .npy files (one tensor; C order, .npy format 1.0 to 3.0; every file of one type:
  '<f4' float32, '<f8' float64, '<f2' float16, or '<u2' 16-bit patterns with --dtype bfloat16 or --dtype
  float16: numpy has no bfloat16, so save a bf16 tensor as t.view(torch.int16).numpy().view('<u2')):
  param0.npy   the parameter before step 1, any shape, n elements
  grads.npy    [steps, ...]: the gradient of each step, n elements per step
  params.npy   [steps, ...]: the parameter after each step
  <state>.npy  [steps, ...]: that state buffer after each step           (optional; state.npy: the first)
  <state>0.npy that state buffer before step 1                           (optional; state0.npy: the first)
  lr.npy       one learning rate per step, or a single one               (or --lr)
  weight_ema: weights.npy [steps, ...] and average0.npy take the places of grads.npy and param0.npy, and
  there is no params.npy. The variant (--variant) and the hyperparameters (--set, --momentum, ...) come
  from the command line; --dtype, when given, is the type every file must hold (needed for '<u2'; a JSON
  file gives its own and takes no --dtype). The state is in the parameter's type.

COMMAND-LINE HYPERPARAMETERS: --set key=value (repeatable) sets a key on every case after the file's:
  true or false a flag, a number a number, comma-separated numbers an array ("0.9," an array of one),
  anything else a string (--set numerics=pytorch_fused). --momentum, --dampening, --weight-decay,
  --nesterov, --maximize, --beta, --bias-correction and --numerics are shorthands for --set of that key.
  A key the replayed variant does not have is an error (exit 2).

REPLAY: the library starts from the initial values and steps on its own values with the recorded
gradients and learning rates (errors accumulate, as in training); --resync restarts every step from the
recorded values instead, so each step is judged on its own. Every variant runs through the library's
generic call (inertia_optimizer_step, in the case's dtype; inertia_optimizer_step_storage when the
state_dtype differs) with t = initial step + 1, + 2, ... After every step it compares, element by element,
in the array's own type, its parameter and every recorded state buffer and scalar state with the recorded
ones (scalar state in float32; in float64 for float64):
  ULP distance         the count of representable values of that type between the two (+0 and -0 are
                       equal; a NaN against a number is unbounded): 1 is one bfloat16 step in a bfloat16
                       case
  relative difference  |a - b| / max(|a|, |b|), 0 when equal
An element is within tolerance when its ULP distance <= --max-ulp, or, when --max-rel is given, its
relative difference <= --max-rel. A step passes when every element of every compared array is within
tolerance. The report gives, per step, the largest ULP distance of the parameter and of the worst state,
the worst element (array[index]) with its recorded and replayed values, and a histogram of the ULP distances
of every compared element (buckets 0/1/2-3/4-15/16-255/>=256; --json: every state, "histogram"); per case
the histogram of all steps, the first step and element that differ ("first_divergence"), and a hint when
that step's distances match a known cause ("hints"): only the last n % 4, n % 8 or n % 16 elements differ
(a fused or vectorized kernel's tail order, as torch's fused=True path), or a quarter or more of the
elements differ by at most 3 ULP (another multiply-add contraction or operation order).

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

/// The settings as given (the variant's other keys hold the library's defaults).
std::string describe_hyperparameters(const trajectory_case& c) {
  std::string out;
  for (const setting& s : c.settings) out += (out.empty() ? "" : " ") + s.key + "=" + value_text(s.value);
  if (out.empty()) out = "the library's defaults";
  if (c.initial_step) out += ", " + std::to_string(c.initial_step) + " steps before the recording";
  if (c.first_step != c.initial_step + 1) out += ", from t = " + std::to_string(c.first_step);
  return out;
}

nlohmann::json hyperparameters_json(const trajectory_case& c) {
  nlohmann::json out = nlohmann::json::object();
  for (const setting& s : c.settings)
    std::visit([&](const auto& value) { out[s.key] = value; }, s.value);
  return out;
}

/// What the report calls the state column: the one buffer's name, else "state".
std::string state_column(const case_report& r) {
  std::string name;
  for (const step_report& s : r.steps)
    for (const named_comparison& n : s.states) {
      if (name.empty()) name = n.name;
      if (n.name != name) return "state";
    }
  return name.empty() ? "state" : name;
}

nlohmann::json ulp_json(std::uint64_t ulp) { return ulp == unbounded_ulp ? nlohmann::json(nullptr) : nlohmann::json(ulp); }

nlohmann::json comparison_json(const comparison& c) {
  if (!c.compared) return nullptr;
  return {{"max_ulp", ulp_json(c.max_ulp)},
          {"max_rel", std::isinf(c.max_rel) ? nlohmann::json(nullptr) : nlohmann::json(c.max_rel)},
          {"worst_index", c.worst_index},
          {"library", c.library_value},
          {"recorded", c.recorded_value},
          {"out_of_tolerance", c.out_of_tolerance},
          {"differing", c.differing}};
}

nlohmann::json first_divergence_json(const diagnosis& d) {
  if (d.step == 0) return nullptr;
  return {{"step", d.step},       {"array", d.array},       {"element", d.element},
          {"library", d.library_value}, {"recorded", d.recorded_value}, {"ulp", ulp_json(d.ulp)}};
}

std::string histogram_text(const ulp_histogram& h) {
  std::string out;
  for (std::size_t b = 0; b < histogram_buckets; ++b) out += (b ? "/" : "") + std::to_string(h[b]);
  return out;
}

std::string histogram_legend() {
  std::string out;
  for (std::size_t b = 0; b < histogram_buckets; ++b) out += (b ? "/" : "") + std::string(histogram_labels[b]);
  return out;
}

nlohmann::json histogram_json(const ulp_histogram& h) {
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t b = 0; b < histogram_buckets; ++b) out[histogram_labels[b]] = h[b];
  return out;
}

std::string ulp_column(const comparison& c) { return c.compared ? ulp_text(c.max_ulp) : "-"; }

/// The numerics option of a case's variant: its values and the one replayed
/// (none when the variant has no such choice), from the registry.
std::pair<std::vector<std::string>, std::string> numerics_of(const trajectory_case& c) {
  optimizer_handle handle(c.variant);
  for (const setting& s : c.settings) handle.apply(s);
  for (const auto& k : handle.keys())
    if (k.key == "numerics" && k.kind == "choice") return {k.choices, k.value};
  return {{}, {}};
}

void print_case_text(const trajectory_case& c, const case_report& r, const diagnosis& d, const tolerance& tol,
                     bool brief) {
  std::cout << "\ncase '" << c.name << "': " << c.variant << ", " << type_name(c.dtype)
            << (c.state_dtype != c.dtype ? std::string(" (state ") + type_name(c.state_dtype) + ")" : "") << ", "
            << (c.reads_weights ? c.initial_states.at(0)->size() : c.initial_param.size()) << " elements, "
            << c.steps.size() << " steps (" << describe_hyperparameters(c) << ")\n";
  const std::string state = state_column(r);
  // Per step: the worst ULP distance of the param and of the worst state,
  // where the worst element is, its recorded and replayed values, and how
  // the distances of every compared element fall into the buckets.
  char header[320];
  std::snprintf(header, sizeof header, "  %5s %10s %14s %9s  %-22s %-24s %-24s %s\n", "step", "param ULP",
                (state + " ULP").c_str(), "max rel", "worst element", "recorded", "replayed",
                ("ULP histogram " + histogram_legend()).c_str());
  bool header_printed = false;
  for (const step_report& s : r.steps) {
    if (brief && s.passed) continue;
    if (!header_printed) {
      std::cout << header;
      header_printed = true;
    }
    // The worst array: param, unless a state is further off.
    const bool state_worse = s.state.compared && (!s.param.compared || s.state.max_ulp > s.param.max_ulp);
    const comparison& worst = state_worse ? s.state : s.param;
    const std::string name = state_worse ? s.state_name : "param";
    std::string at = "-", recorded, replayed;
    if (worst.compared && worst.max_ulp > 0) {
      at = name + "[" + std::to_string(worst.worst_index) + "]";
      recorded = exact_text(worst.recorded_value);
      replayed = exact_text(worst.library_value);
    }
    char row[512];
    std::snprintf(row, sizeof row, "  %5zu %10s %14s %9s  %-22s %-24s %-24s %s%s\n", s.step, ulp_column(s.param).c_str(),
                  ulp_column(s.state).c_str(), number_text(std::max(s.param.max_rel, s.state.max_rel)).c_str(),
                  at.c_str(), recorded.c_str(), replayed.c_str(), histogram_text(s.histogram).c_str(),
                  s.passed ? "" : "   FAIL");
    std::cout << row;
  }
  std::size_t failing = 0;
  for (const step_report& s : r.steps) failing += !s.passed;
  const std::string within = "within " + std::to_string(tol.max_ulp) + " ULP" +
                             (tol.max_rel > 0 ? " or relative " + number_text(tol.max_rel) : "");
  std::size_t compared = 0;
  for (std::size_t n : r.histogram) compared += n;
  std::cout << "  ULP histogram over " << compared << " compared values: ";
  for (std::size_t b = 0; b < histogram_buckets; ++b)
    std::cout << (b ? ", " : "") << histogram_labels[b] << ": " << r.histogram[b];
  std::cout << "\n";
  if (r.passed) {
    std::cout << "  PASS: " << r.steps.size() << " steps " << within << " (max " << ulp_text(r.max_ulp)
              << " ULP, max relative " << number_text(r.max_rel) << ")\n";
  } else {
    const step_report& first = r.steps[*r.first_failing_step - 1];
    const bool param_failed = first.param.out_of_tolerance > 0;
    const comparison& worst = param_failed ? first.param : first.state;
    std::cout << "  FAIL: " << failing << " of " << r.steps.size() << " steps not " << within << "; first at step "
              << first.step << ": " << (param_failed ? "param" : first.state_name) << "[" << worst.worst_index
              << "] = " << exact_text(worst.library_value) << " (library) vs " << exact_text(worst.recorded_value)
              << " (recorded), " << ulp_text(worst.max_ulp) << " ULP\n";
  }
  if (d.step != 0 && (!r.passed || r.max_ulp > 0)) {
    std::cout << "  first divergence: step " << d.step << ", " << d.array << "[" << d.element
              << "] = " << exact_text(d.library_value) << " (library) vs " << exact_text(d.recorded_value)
              << " (recorded), " << ulp_text(d.ulp) << " ULP\n";
    for (const std::string& hint : d.hints) std::cout << "  " << hint << "\n";
  }
}

/// The footer of --help: the format, then, from the registry, every variant
/// with its keys (kind, default, a choice's values) and its state buffers.
std::string help_footer() {
  std::string out = format_help;
  out += "\n\nVARIANTS (this library's registry; \"sgd\" is read as heavy_ball). For each: its keys, as\n"
         "\"hyperparameters\" and --set take them, with the kind and the default (a choice lists its values: the\n"
         "numerics modes), and the state buffers it keeps with its default options, by torch's state_dict names\n"
         "(\"steps\" and \"initial\" record them under these names):\n";
  for (const std::string& name : variant_names()) {
    const optimizer_handle handle(name);
    out += "  " + name + (handle.reads_grad() ? "" : " (reads the model's weights, no gradient)") + "\n";
    std::string keys;
    for (const auto& k : handle.keys()) {
      std::string text = k.key + "=" + k.value;
      if (k.kind == "choice") {
        text = k.key + "=" + k.value + " (";
        for (std::size_t i = 0; i < k.choices.size(); ++i) text += (i ? "|" : "") + k.choices[i];
        text += ")";
      } else if (k.kind == "array" && k.min_count != k.max_count) {
        // A variable-length array is a buffer per value: inertia_tensor holds INERTIA_MAX_STATE.
        text += " (" + std::to_string(k.min_count) + " to " +
                std::to_string(std::min<std::size_t>(k.max_count, INERTIA_MAX_STATE)) + " values)";
      } else if (k.kind == "state") {
        text += " (scalar state)";
      }
      keys += (keys.empty() ? "" : ", ") + text;
    }
    out += "    keys: " + keys + "\n";
    std::string states;
    for (const auto& st : handle.declared_states()) {
      std::string text = st.name;
      if (!st.initial_key.empty()) text += " (starts at " + st.initial_key + ")";
      if (st.created_by_first_step) text += " (created by step 1)";
      if (!st.present) text += " (not with the defaults)";
      states += (states.empty() ? "" : ", ") + text;
    }
    out += "    state: " + (states.empty() ? std::string("none") : states) + "\n";
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"inertia-check " INERTIA_VERSION_STRING
               ": replays a recorded optimizer trajectory of any variant through inertia and reports, per step,\n"
               "the max ULP distance and max relative difference of the parameter and the state. Exit 0: within\n"
               "tolerance; 1: not; 2: unusable input."};
  app.footer(help_footer());
  std::string input, variant, arch_choice = "auto";
  std::vector<std::string> case_names, set_texts;
  int threads = 0;
  std::uint64_t max_ulp = 0;
  double max_rel = 0.0, lr = 0;
  bool json = false, resync = false, brief = false;
  std::int64_t initial_step = 0;

  app.add_option("trajectory", input, "a trajectory JSON file, or a directory in the .npy layout")->required();
  auto* variant_option = app.add_option("--variant", variant, "any registered variant (see VARIANTS; default: the file's)");
  std::vector<std::string> arch_choices = {"auto"};
  for (inertia::arch target : inertia::all_archs()) arch_choices.emplace_back(inertia::arch_name(target));
  app.add_option("--arch", arch_choice, "dispatch target: auto, or one the CPU runs")
      ->check(CLI::IsMember(arch_choices))
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
  app.add_option("--set", set_texts,
                 "key=value, repeatable: a hyperparameter of every case by the library's key, over the\n"
                 "file's: a number, true/false, comma-separated numbers (an array) or a string");
  // The shorthands the tool had before --set: each is --set of its key, in this order, before --set's.
  struct shorthand {
    const char* flag;
    const char* key;
    std::string value;
    CLI::Option* option = nullptr;
  };
  std::vector<shorthand> shorthands = {{"--momentum", "momentum", {}},   {"--dampening", "dampening", {}},
                                       {"--weight-decay", "weight_decay", {}}, {"--nesterov", "nesterov", {}},
                                       {"--maximize", "maximize", {}},   {"--beta", "beta", {}},
                                       {"--bias-correction", "bias_correction", {}}, {"--numerics", "numerics", {}}};
  for (shorthand& s : shorthands)
    s.option = app.add_option(s.flag, s.value, std::string("--set ") + s.key + "=VALUE");
  auto* step_option = app.add_option("--initial-step", initial_step, "optimizer steps taken before the recording")
                          ->check(CLI::NonNegativeNumber);
  std::string dtype_name;
  auto* dtype_option =
      app.add_option("--dtype", dtype_name,
                     "a .npy directory's element type, which every file must hold; needed for '<u2' bit patterns\n"
                     "(bfloat16, or float16). A JSON case gives its own \"dtype\"")
          ->check(CLI::IsMember({"float32", "float64", "bfloat16", "float16"}));

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
  if (*lr_option) lo.lr = lr;
  if (*step_option) lo.initial_step = initial_step;
  if (*dtype_option) lo.dtype = parse_element_type(dtype_name);  // one of the four: CLI11 checked it
  try {
    for (const shorthand& s : shorthands) {
      if (!*s.option) continue;
      setting parsed = parse_setting(std::string(s.key) + "=" + s.value);
      parsed.origin = s.flag;
      lo.overrides.push_back(std::move(parsed));
    }
    for (const std::string& text : set_texts) lo.overrides.push_back(parse_setting(text));
  } catch (const input_error& e) {
    std::cerr << "inertia-check: " << e.what() << "\n";
    return 2;
  }

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
  } catch (const std::exception& e) {  // a case the checks above missed: still one line, not a crash
    std::cerr << "inertia-check: " << input << ": unusable input: " << e.what() << "\n";
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

  inertia_set_num_threads(threads);
  replay_options ro;
  ro.tol = tolerance{max_ulp, max_rel};
  ro.resync = resync;

  std::vector<case_report> reports;
  std::vector<diagnosis> diagnoses;
  for (const auto& c : t.cases) {
    try {
      reports.push_back(replay(c, ro));
      const auto [choices, numerics] = numerics_of(c);
      diagnoses.push_back(diagnose(reports.back(), choices, numerics));
    } catch (const library_error& e) {
      std::cerr << "inertia-check: " << input << ": case '" << c.name << "': the library rejects it: " << e.what() << "\n";
      return 2;
    } catch (const std::exception& e) {
      std::cerr << "inertia-check: " << input << ": case '" << c.name << "': cannot replay it: " << e.what() << "\n";
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
      for (const step_report& s : r.steps) {
        nlohmann::json states = nlohmann::json::object();
        for (const named_comparison& n : s.states) states[n.name] = comparison_json(n.result);
        steps.push_back({{"step", s.step},
                         {"t", s.t},
                         {"passed", s.passed},
                         {"param", comparison_json(s.param)},
                         {"state", comparison_json(s.state)},
                         {"state_name", s.state.compared ? nlohmann::json(s.state_name) : nlohmann::json(nullptr)},
                         {"states", states},
                         {"histogram", histogram_json(s.histogram)}});
      }
      nlohmann::json numerics = nullptr;
      for (const setting& s : c.settings)
        if (const auto* name = std::get_if<std::string>(&s.value); name && s.key == "numerics") numerics = *name;
      out["cases"].push_back({{"name", c.name},
                              {"variant", c.variant},
                              {"dtype", type_name(c.dtype)},
                              {"state_dtype", type_name(c.state_dtype)},
                              {"numerics", numerics},
                              {"hyperparameters", hyperparameters_json(c)},
                              {"elements", c.reads_weights ? c.initial_states.at(0)->size() : c.initial_param.size()},
                              {"state_key", c.state_names.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.state_names[0])},
                              {"state_names", c.state_names},
                              {"first_t", c.first_step},
                              {"passed", r.passed},
                              {"first_failing_step", r.first_failing_step ? nlohmann::json(*r.first_failing_step)
                                                                          : nlohmann::json(nullptr)},
                              {"max_ulp", r.max_ulp == unbounded_ulp ? nlohmann::json(nullptr) : nlohmann::json(r.max_ulp)},
                              {"max_rel", std::isinf(r.max_rel) ? nlohmann::json(nullptr) : nlohmann::json(r.max_rel)},
                              {"histogram", histogram_json(r.histogram)},
                              {"first_divergence", first_divergence_json(diagnoses[k])},
                              {"hints", diagnoses[k].hints},
                              {"steps", steps}});
    }
    std::cout << out.dump(1) << "\n";
  } else {
    std::cout << "inertia-check " INERTIA_VERSION_STRING ": " << input << ": " << t.cases.size() << " case(s); target "
              << target << ", threads " << (threads ? std::to_string(threads) : "default") << ", "
              << (resync ? "resynchronized every step" : "free-running") << "\n";
    if (!t.source.empty()) std::cout << "recorded with: " << t.source << "\n";
    for (std::size_t k = 0; k < t.cases.size(); ++k) print_case_text(t.cases[k], reports[k], diagnoses[k], ro.tol, brief);
    std::cout << "\n"
              << (passed ? "PASS" : "FAIL") << ": " << t.cases.size() - failing_cases << " of " << t.cases.size()
              << " case(s) within tolerance (" << total_steps << " steps)\n";
  }
  return passed ? 0 : 1;
}
