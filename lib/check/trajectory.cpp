#include "trajectory.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "npy.hpp"

namespace inertia::check {

namespace {

using nlohmann::json;

double number(const json& value, const std::string& where) {
  if (!value.is_number()) throw input_error(where + ": expected a number, found " + std::string(value.type_name()));
  return value.get<double>();
}

/// A finite number array of `expected` elements (any length when expected is 0),
/// each finite also as `type` stores it: a value is rounded to its array's type
/// by the replay, so one that is not such a number is counted in `inexact`, and
/// one that overflows it (float16 above 65504) is an error, not an infinity.
std::vector<double> numbers(const json& value, const std::string& where, std::size_t expected, element_type type,
                            std::size_t& inexact) {
  if (!value.is_array()) throw input_error(where + ": expected an array of numbers, found " + std::string(value.type_name()));
  if (expected != 0 && value.size() != expected)
    throw input_error(where + ": " + std::to_string(value.size()) + " elements, expected " + std::to_string(expected));
  std::vector<double> out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    const double x = number(value[i], where + "[" + std::to_string(i) + "]");
    if (!std::isfinite(x)) throw input_error(where + "[" + std::to_string(i) + "]: not finite");
    const double stored = stored_value(type, x);
    if (!std::isfinite(stored))
      throw input_error(where + "[" + std::to_string(i) + "] = " + value_text(x) + ": overflows " + type_name(type));
    if (stored != x) ++inexact;
    out.push_back(x);
  }
  return out;
}

/// A JSON "dtype" or "state_dtype": one of the four element types' names.
element_type case_dtype(const json& value, const std::string& where) {
  const auto t = value.is_string() ? parse_element_type(value.get<std::string>()) : std::nullopt;
  if (!t)
    throw input_error(where + " must be \"float32\", \"float64\", \"bfloat16\" or \"float16\", found " + value.dump());
  return *t;
}

/// The pairs inertia_optimizer_step_storage takes (inertia.h): state float32,
/// bfloat16 or the parameter's type; float64 only with float64. Checked here
/// so the message names the field, not a step.
void check_state_dtype(element_type dtype, element_type state, const std::string& where) {
  const bool allowed = dtype == element_type::float64
                           ? state == element_type::float64
                           : state == element_type::float32 || state == element_type::bfloat16 || state == dtype;
  if (!allowed)
    throw input_error(where + " = \"" + type_name(state) + "\" with dtype \"" + type_name(dtype) +
                      "\": the library keeps state in float32, bfloat16 or the parameter's type (float64 only with "
                      "float64 parameters)");
}

const json& member(const json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) throw input_error(where + ": missing \"" + key + "\"");
  return *it;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

/// The library's handle for `variant`; a name the registry lacks is the input's error.
optimizer_handle make_handle(const std::string& variant, const std::string& where) {
  try {
    return optimizer_handle(variant);
  } catch (const library_error&) {
    throw input_error(where + ": unknown variant '" + variant + "' (the library's variants: " + joined(variant_names()) +
                      ")");
  }
}

/// Applies one setting to the handle and records it, as the library's keys
/// have it, in `applied` (the replay applies that list to its own handle).
/// An unknown key is skipped with a warning when `tolerate_unknown` (a file's
/// hyperparameters for another variant than the one replayed), else an error.
void apply_setting(optimizer_handle& handle, setting s, bool tolerate_unknown, std::vector<setting>& applied,
                   std::vector<std::string>& warnings) {
  // The golden files (and torch's C++ API) write Adam's and Lion's decays as
  // beta1 and beta2; the library's key is torch's Python one, betas = (beta1, beta2).
  if ((s.key == "beta1" || s.key == "beta2") && !handle.has_key(s.key) && handle.is_array("betas") &&
      handle.get("betas#") == 2) {
    const auto* x = std::get_if<double>(&s.value);
    if (x == nullptr) throw input_error(s.origin + ": expected a number (an element of betas)");
    std::vector<double> betas = {handle.get("betas[0]"), handle.get("betas[1]")};
    betas[s.key == "beta2" ? 1 : 0] = *x;
    s = setting{"betas", betas, s.origin};
  }
  try {
    handle.apply(s);
  } catch (const library_error& e) {
    if (!handle.has_key(s.key)) {
      if (tolerate_unknown) {
        warnings.push_back(s.origin + " does not apply to variant " + handle.variant() + " and is ignored");
        return;
      }
      throw input_error(s.origin + ": not a hyperparameter of " + handle.variant() + " (the library: " + e.what() + ")");
    }
    throw input_error(s.origin + " = " + value_text(s.value) + ": the library rejects it: " + e.what());
  }
  // The last value of a key is the one that holds: keep one entry per key.
  for (setting& earlier : applied)
    if (earlier.key == s.key) {
      earlier = std::move(s);
      return;
    }
  applied.push_back(std::move(s));
}

/// A JSON hyperparameter as the setting of its kind.
setting_value setting_of(const json& value, const std::string& where) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::vector<double> out;
    for (std::size_t i = 0; i < value.size(); ++i) out.push_back(number(value[i], where + "[" + std::to_string(i) + "]"));
    return out;
  }
  throw input_error(where + ": expected a number, true/false, an array of numbers or a string, found " +
                    std::string(value.type_name()));
}

/// The array a state buffer is recorded under in a step or in "initial": its
/// library name (momentum_buffer, velocity, exp_avg, sum, average, ...); for
/// "velocities[k]" also element k of a "velocities" array of arrays; for the
/// first buffer also "state", the name the first version of the format read.
const json* state_entry(const json& object, const std::string& name, std::size_t index) {
  if (const auto it = object.find(name); it != object.end()) return &*it;
  if (const auto open = name.find('['); open != std::string::npos && name.back() == ']') {
    const auto it = object.find(name.substr(0, open));
    const std::size_t k = std::stoul(name.substr(open + 1, name.size() - open - 2));
    if (it != object.end() && it->is_array() && k < it->size() && (*it)[k].is_array()) return &(*it)[k];
  }
  if (index == 0)
    if (const auto it = object.find("state"); it != object.end()) return &*it;
  return nullptr;
}

/// Every element of state buffer i when the recording does not give it
/// before step 1: as the variant's declaration says the framework creates it,
/// zero, or the value of an option (adagrad's sum: initial_accumulator_value).
double unrecorded_initial_state(const optimizer_handle& handle, std::size_t i) {
  const std::string key = handle.state_initial_key(i);
  return key.empty() ? 0.0 : handle.get(key);
}

/// What is common to both layouts once the variant, the settings, the initial
/// state and step are known: the state buffers the recording lacks, and t of
/// the first recorded step, t = initial step + 1, but for a buffer that step 1
/// creates (below).
void settle_initial_state(trajectory_case& tc, const optimizer_handle& handle, const std::string& where) {
  const std::size_t n = tc.reads_weights ? tc.initial_states.at(0).value().size() : tc.initial_param.size();
  tc.first_step = tc.initial_step + 1;
  // A buffer that the step with t == 1 creates (heavy_ball's momentum_buffer:
  // buffer = gradient, as torch does on a parameter's first step) and that
  // the recording holds before its first step was made by an earlier step.
  // So a recording that gives it but no step count (or 0) starts after torch's
  // first step, at t = 2, as this tool replayed such files before it counted
  // steps; one that gives a step count but no buffer cannot be replayed.
  std::vector<bool> created(tc.state_names.size());
  for (std::size_t i = 0; i < tc.state_names.size(); ++i) {
    created[i] = handle.state_created_by_first_step(i);
    if (!created[i]) continue;
    if (tc.initial_states[i] && tc.initial_step == 0) tc.first_step = 2;
    if (!tc.initial_states[i] && tc.initial_step > 0)
      throw input_error(where + ": " + tc.variant + " after " + std::to_string(tc.initial_step) + " step(s) has a " +
                        tc.state_names[i] + "; record it as initial." + tc.state_names[i] +
                        " (only step 1 creates one)");
  }
  for (std::size_t i = 0; i < tc.state_names.size(); ++i) {
    if (tc.initial_states[i]) continue;
    // One that step 1 creates is never read before it is written: NaN says so.
    const double fill = created[i] ? std::nan("") : unrecorded_initial_state(handle, i);
    tc.initial_states[i] = std::vector<double>(n, fill);
  }
}

void check_lr(const trajectory_case& tc, optimizer_handle& handle, const std::string& where);

/// The learning rates of every step, each checked by the library as it will be set.
void read_lr(trajectory_case& tc, optimizer_handle& handle, const json* recorded, const load_options& options,
             const std::string& where) {
  const bool has_lr = handle.has_key("lr");
  if (options.lr) {
    tc.lr.assign(tc.steps.size(), *options.lr);
  } else if (recorded != nullptr) {
    if (recorded->is_number()) tc.lr.assign(tc.steps.size(), number(*recorded, where + ": lr"));
    else tc.lr = numbers(*recorded, where + ": lr", tc.steps.size(), element_type::float64, tc.inexact_values);  // set as a double
  } else if (has_lr) {
    throw input_error(where + ": missing \"lr\"");
  }
  check_lr(tc, handle, where);
}

/// Each step's lr, set as the replay will set it: the library's range check now.
void check_lr(const trajectory_case& tc, optimizer_handle& handle, const std::string& where) {
  const bool has_lr = handle.has_key("lr");
  for (std::size_t s = 0; s < tc.lr.size(); ++s) {
    try {
      handle.set("lr", tc.lr[s]);
    } catch (const library_error& e) {
      if (!has_lr) throw input_error(where + ": lr: " + tc.variant + " takes no learning rate (the library: " + e.what() + ")");
      throw input_error(where + ": lr[" + std::to_string(s) + "] = " + value_text(tc.lr[s]) +
                        ": the library rejects it: " + e.what());
    }
  }
}
trajectory load_json(const std::string& path, const load_options& options, std::vector<std::string>& warnings) {
  std::ifstream in(path);
  if (!in) throw input_error(path + ": cannot open");
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::exception& e) {
    throw input_error(path + ": not valid JSON: " + e.what());
  }
  if (!doc.is_object()) throw input_error(path + ": the top level must be an object");
  const auto format = doc.find("format");
  if (format == doc.end() || *format != "inertia-trajectory")
    throw input_error(path + ": \"format\" must be \"inertia-trajectory\"");
  const auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_integer() || version->get<long long>() != 1)
    throw input_error(path + ": \"version\" must be 1 (this inertia-check reads version 1)");
  trajectory out;
  out.path = path;
  if (doc.contains("source") && doc["source"].is_string()) out.source = doc["source"];
  const json& cases = member(doc, "cases", path);
  if (!cases.is_array() || cases.empty()) throw input_error(path + ": \"cases\" must be a non-empty array");

  for (std::size_t k = 0; k < cases.size(); ++k) {
    const json& c = cases[k];
    const std::string where = path + ": cases[" + std::to_string(k) + "]";
    if (!c.is_object()) throw input_error(where + ": expected an object");
    trajectory_case tc;
    tc.name = c.contains("name") && c["name"].is_string() ? c["name"].get<std::string>() : "case" + std::to_string(k);
    const std::string cw = path + ": case '" + tc.name + "'";

    std::string file_variant;
    if (c.contains("variant")) {
      if (!c["variant"].is_string()) throw input_error(cw + ": \"variant\" must be a string");
      file_variant = make_handle(c["variant"].get<std::string>(), cw).variant();
    }
    if (options.variant) {
      tc.variant = make_handle(*options.variant, "--variant").variant();
      if (!file_variant.empty() && file_variant != tc.variant)
        warnings.push_back(cw + ": recorded as " + file_variant + ", replayed as " + tc.variant + " (--variant)");
    } else if (!file_variant.empty()) {
      tc.variant = file_variant;
    } else {
      throw input_error(cw + ": no \"variant\"; pass --variant");
    }
    const bool overridden = !file_variant.empty() && file_variant != tc.variant;
    optimizer_handle handle = make_handle(tc.variant, cw);
    tc.reads_weights = !handle.reads_grad();  // weight_ema: param is the model's weights

    tc.dtype = case_dtype(member(c, "dtype", cw), cw + ": \"dtype\"");
    tc.state_dtype = tc.dtype;
    if (const auto it = c.find("state_dtype"); it != c.end()) {
      tc.state_dtype = case_dtype(*it, cw + ": \"state_dtype\"");
      check_state_dtype(tc.dtype, tc.state_dtype, cw + ": \"state_dtype\"");
    }
    const element_type type = tc.dtype, state_type = tc.state_dtype;  // of param and grad; of the state

    // The file's settings, then the command line's: the library checks each
    // key and value as it is set.
    if (c.contains("numerics")) {
      if (!c["numerics"].is_string()) throw input_error(cw + ": \"numerics\" must be a string");
      apply_setting(handle, {"numerics", c["numerics"].get<std::string>(), cw + ".numerics"}, overridden, tc.settings,
                    warnings);
    }
    if (c.contains("hyperparameters")) {
      const json& hp = c["hyperparameters"];
      const std::string hw = cw + ": hyperparameters";
      if (!hp.is_object()) throw input_error(hw + ": expected an object");
      for (const auto& [key, value] : hp.items()) {
        const std::string at = hw + "." + key;
        apply_setting(handle, {key, setting_of(value, at), at}, overridden, tc.settings, warnings);
      }
    }
    for (const setting& s : options.overrides) apply_setting(handle, s, false, tc.settings, warnings);
    tc.state_names = handle.state_names();

    const json& initial = member(c, "initial", cw);
    if (!initial.is_object()) throw input_error(cw + ": \"initial\" must be an object");
    tc.initial_states.resize(tc.state_names.size());
    std::size_t n = 0;
    if (tc.reads_weights) {
      const json* average = state_entry(initial, tc.state_names.at(0), 0);
      if (average == nullptr || average->is_null())
        throw input_error(cw + ": " + tc.variant + " needs initial." + tc.state_names.at(0) + ", the " +
                          tc.state_names.at(0) + " before step 1 (it reads the model's weights, no gradient)");
      tc.initial_states[0] = numbers(*average, cw + ": initial." + tc.state_names.at(0), 0, state_type, tc.inexact_values);
      n = tc.initial_states[0]->size();
      if (n == 0) throw input_error(cw + ": initial." + tc.state_names.at(0) + ": no elements");
    } else {
      tc.initial_param = numbers(member(initial, "param", cw + ": initial"), cw + ": initial.param", 0, type, tc.inexact_values);
      n = tc.initial_param.size();
    }
    for (std::size_t i = tc.reads_weights ? 1 : 0; i < tc.state_names.size(); ++i)
      if (const json* s = state_entry(initial, tc.state_names[i], i); s && !s->is_null())
        tc.initial_states[i] = numbers(*s, cw + ": initial." + tc.state_names[i], n, state_type, tc.inexact_values);
    // Scalar state before step 1 (NAdam's mu_product after initial.step steps).
    for (const auto& [key, value] : initial.items()) {
      if (key == "step" || !value.is_number() || !handle.has_key(key)) continue;
      // State, not an option: checked here, set by the replay from initial_scalars.
      std::vector<setting> checked;
      apply_setting(handle, {key, value.get<double>(), cw + ": initial." + key}, false, checked, warnings);
      tc.initial_scalars.emplace_back(key, value.get<double>());
    }
    if (initial.contains("step")) {
      if (!initial["step"].is_number_integer() || initial["step"].get<long long>() < 0)
        throw input_error(cw + ": initial.step must be an integer >= 0");
      tc.initial_step = initial["step"].get<long long>();
    }
    if (options.initial_step) tc.initial_step = *options.initial_step;

    const json& steps = member(c, "steps", cw);
    if (!steps.is_array() || steps.empty()) throw input_error(cw + ": \"steps\" must be a non-empty array");
    bool state_missing = false;
    for (std::size_t s = 0; s < steps.size(); ++s) {
      const std::string sw = cw + ": steps[" + std::to_string(s) + "]";
      const json& step = steps[s];
      if (!step.is_object()) throw input_error(sw + ": expected an object");
      recorded_step rs;
      if (tc.reads_weights) {
        rs.grad = numbers(member(step, "weights", sw), sw + ".weights", n, type, tc.inexact_values);
      } else {
        rs.grad = numbers(member(step, "grad", sw), sw + ".grad", n, type, tc.inexact_values);
        // null: not recorded at this step (not compared), as a state buffer may be.
        if (const json& param = member(step, "param", sw); !param.is_null())
          rs.param = numbers(param, sw + ".param", n, type, tc.inexact_values);
      }
      rs.states.resize(tc.state_names.size());
      for (std::size_t i = 0; i < tc.state_names.size(); ++i) {
        if (const json* st = state_entry(step, tc.state_names[i], i); st && !st->is_null())
          rs.states[i] = numbers(*st, sw + "." + tc.state_names[i], n, state_type, tc.inexact_values);
        else
          state_missing = true;
      }
      for (const auto& [key, value] : step.items())
        if (value.is_number() && handle.has_key(key)) rs.scalars.emplace_back(key, value.get<double>());
      tc.steps.push_back(std::move(rs));
    }
    if (state_missing && overridden)
      warnings.push_back(cw + ": not every state buffer of the replayed variant (" + joined(tc.state_names) +
                         ") is recorded; what is missing is not compared");

    read_lr(tc, handle, c.contains("lr") ? &c["lr"] : nullptr, options, cw);
    settle_initial_state(tc, handle, cw);
    if (tc.inexact_values)
      warnings.push_back(cw + ": " + std::to_string(tc.inexact_values) + " values are not " + type_name(tc.dtype) +
                         (tc.state_dtype != tc.dtype ? std::string(" (state: ") + type_name(tc.state_dtype) + ")" : "") +
                         " numbers and were rounded to nearest even (write each value exactly: Python's "
                         "repr(float(x)) of the recorded tensor's element does)");
    out.cases.push_back(std::move(tc));
  }
  return out;
}

// --- The .npy directory layout ---------------------------------------------

/// Elements per step of a [steps, ...] array.
void check_stepped(const npy_array& a, const std::string& file, std::size_t n, std::size_t& steps) {
  if (a.shape.size() < 2) throw input_error(file + ": expected shape [steps, ...], found " + std::to_string(a.shape.size()) + " dimension(s)");
  if (steps == 0) steps = a.shape[0];
  if (a.shape[0] != steps)
    throw input_error(file + ": " + std::to_string(a.shape[0]) + " steps, expected " + std::to_string(steps));
  if (steps == 0 || a.elements() / steps != n)
    throw input_error(file + ": " + std::to_string(steps ? a.elements() / steps : 0) +
                      " elements per step, expected " + std::to_string(n) + " (the size of param0.npy)");
}

std::vector<double> row(const npy_array& a, std::size_t s, std::size_t n) {
  return {a.values.begin() + static_cast<std::ptrdiff_t>(s * n), a.values.begin() + static_cast<std::ptrdiff_t>((s + 1) * n)};
}

trajectory load_npy_directory(const std::string& dir, const load_options& options, std::vector<std::string>& warnings) {
  namespace fs = std::filesystem;
  auto file = [&](const std::string& name) { return (fs::path(dir) / name).string(); };
  auto exists = [&](const std::string& name) { return fs::exists(file(name)); };
  if (!options.variant) throw input_error(dir + ": the .npy layout records no variant; pass --variant");

  trajectory out;
  out.path = dir;
  trajectory_case tc;
  tc.name = fs::path(dir).filename().string();
  if (tc.name.empty()) tc.name = fs::path(dir).parent_path().filename().string();
  optimizer_handle handle = make_handle(*options.variant, "--variant");
  tc.variant = handle.variant();
  tc.reads_weights = !handle.reads_grad();  // weight_ema: param is the model's weights
  for (const setting& s : options.overrides) apply_setting(handle, s, false, tc.settings, warnings);
  tc.state_names = handle.state_names();
  tc.initial_step = options.initial_step.value_or(0);

  // A variant that reads the model's weights and no gradient (weight_ema,
  // whose first buffer is the average): weights.npy and <state>0.npy take the
  // places of grads.npy and param0.npy.
  if (tc.reads_weights && tc.state_names.empty())
    throw input_error(dir + ": " + tc.variant + " reads no gradient and keeps no state: nothing to replay");
  const std::string inputs = tc.reads_weights ? "weights.npy" : "grads.npy";
  const std::string start = tc.reads_weights ? tc.state_names[0] + "0.npy" : "param0.npy";
  std::vector<std::string> required = {start, inputs};
  if (!tc.reads_weights) required.push_back("params.npy");
  for (const std::string& name : required)
    if (!exists(name)) throw input_error(dir + ": the .npy layout needs " + name + " for " + tc.variant + " (see --help)");

  // Every file holds the element type of the first: '<f4', '<f8', '<f2', or
  // with --dtype bfloat16 or float16 '<u2', the 16-bit patterns (numpy has no
  // bfloat16; a recorder writes tensor.view(torch.int16).numpy().view('<u2')).
  // --dtype, when given, is what every file must hold.
  auto resolve = [&](npy_array& a, const std::string& f) {
    if (a.dtype == "uint16") {
      if (!options.dtype || (*options.dtype != element_type::bfloat16 && *options.dtype != element_type::float16))
        throw input_error(f + ": dtype '<u2' holds raw 16-bit patterns; say which type they are with --dtype bfloat16 "
                              "(or --dtype float16)" +
                          (options.dtype ? std::string(", not --dtype ") + type_name(*options.dtype) : ""));
      for (double& x : a.values) {
        const auto bits = static_cast<std::uint16_t>(x);
        x = *options.dtype == element_type::bfloat16 ? to_float(bfloat16{bits}) : to_float(float16{bits});
      }
      a.dtype = type_name(*options.dtype);
    } else if (options.dtype && a.dtype != type_name(*options.dtype)) {
      throw input_error(f + ": dtype " + a.dtype + ", but --dtype " + type_name(*options.dtype) +
                        (*options.dtype == element_type::bfloat16 ? " (read from '<u2' bit patterns)" : ""));
    }
  };
  npy_array first = read_npy(file(start));
  resolve(first, file(start));
  tc.dtype = *parse_element_type(first.dtype);
  tc.state_dtype = tc.dtype;  // one type for every file of the layout
  const std::size_t n = first.elements();
  if (n == 0) throw input_error(file(start) + ": no elements");
  auto same_dtype = [&](npy_array& a, const std::string& f) {
    resolve(a, f);
    if (a.dtype != first.dtype) throw input_error(f + ": dtype " + a.dtype + ", but " + start + " is " + first.dtype);
  };
  tc.initial_states.resize(tc.state_names.size());
  if (tc.reads_weights) tc.initial_states.at(0) = first.values;
  else tc.initial_param = first.values;

  std::size_t steps = 0;
  npy_array grads = read_npy(file(inputs));
  same_dtype(grads, file(inputs));
  check_stepped(grads, file(inputs), n, steps);
  std::optional<npy_array> params;
  if (!tc.reads_weights) {
    params = read_npy(file("params.npy"));
    same_dtype(*params, file("params.npy"));
    check_stepped(*params, file("params.npy"), n, steps);
  }
  // Each state buffer as <name>.npy (after each step) and <name>0.npy (before
  // step 1); the first also as state.npy and state0.npy.
  auto state_file = [&](std::size_t i, const std::string& suffix) -> std::optional<std::string> {
    const std::string named = tc.state_names[i] + suffix + ".npy";
    if (exists(named)) return named;
    if (i == 0 && exists("state" + suffix + ".npy")) return "state" + suffix + ".npy";
    return std::nullopt;
  };
  std::vector<std::optional<npy_array>> state(tc.state_names.size());
  for (std::size_t i = 0; i < tc.state_names.size(); ++i) {
    if (const auto name = state_file(i, "")) {
      state[i] = read_npy(file(*name));
      same_dtype(*state[i], file(*name));
      check_stepped(*state[i], file(*name), n, steps);
    }
    if (tc.reads_weights && i == 0) continue;  // average0.npy, read above
    if (const auto name = state_file(i, "0")) {
      npy_array state0 = read_npy(file(*name));
      same_dtype(state0, file(*name));
      if (state0.elements() != n)
        throw input_error(file(*name) + ": " + std::to_string(state0.elements()) + " elements, expected " +
                          std::to_string(n));
      tc.initial_states[i] = state0.values;
    }
  }
  if (options.lr) {
    tc.lr.assign(steps, *options.lr);
    if (exists("lr.npy")) warnings.push_back(file("lr.npy") + " is ignored: --lr given");
  } else if (exists("lr.npy")) {
    const npy_array lr = read_npy(file("lr.npy"));
    if (lr.dtype == "uint16")  // a learning rate is a number, set as a double whatever the parameters' type
      throw input_error(file("lr.npy") + ": dtype '<u2': the learning rates are numbers ('<f4', '<f8' or '<f2')");
    if (lr.elements() == 1) tc.lr.assign(steps, lr.values[0]);
    else if (lr.elements() == steps && lr.shape.size() == 1) tc.lr = lr.values;
    else throw input_error(file("lr.npy") + ": expected one value or one per step (" + std::to_string(steps) + ")");
  } else if (handle.has_key("lr")) {
    throw input_error(dir + ": no lr.npy; pass --lr");
  }
  for (std::size_t s = 0; s < steps; ++s) {
    recorded_step rs{row(grads, s, n), params ? row(*params, s, n) : std::vector<double>{}, {}, {}};
    rs.states.resize(tc.state_names.size());
    for (std::size_t i = 0; i < tc.state_names.size(); ++i)
      if (state[i]) rs.states[i] = row(*state[i], s, n);
    for (const auto* v : {&rs.grad, &rs.param})
      for (double x : *v)
        if (!std::isfinite(x)) throw input_error(dir + ": step " + std::to_string(s + 1) + " holds a non-finite " + (v == &rs.grad ? inputs.substr(0, inputs.size() - 4) : "param"));
    tc.steps.push_back(std::move(rs));
  }
  check_lr(tc, handle, dir);
  settle_initial_state(tc, handle, dir);
  out.cases.push_back(std::move(tc));
  return out;
}

}  // namespace

setting parse_setting(const std::string& text) {
  const std::string origin = "--set " + text.substr(0, text.find('='));  // messages add the value
  const auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0)
    throw input_error(origin + ": expected key=value (a number, true/false, comma-separated numbers or a string)");
  const std::string key = text.substr(0, equals), value = text.substr(equals + 1);
  auto parse_number = [](const std::string& s) -> std::optional<double> {
    if (s.empty() || std::isspace(static_cast<unsigned char>(s.front()))) return std::nullopt;
    char* end = nullptr;
    const double x = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size()) return std::nullopt;
    return x;
  };
  if (value == "true" || value == "false") return {key, value == "true", origin};
  if (value.find(',') != std::string::npos) {
    std::vector<double> values;
    std::size_t begin = 0;
    while (begin < value.size()) {
      const std::size_t comma = std::min(value.find(',', begin), value.size());
      const std::string element = value.substr(begin, comma - begin);
      const auto x = parse_number(element);
      if (!x) throw input_error(origin + ": '" + element + "' is not a number (an array is comma-separated numbers)");
      values.push_back(*x);
      begin = comma + 1;
    }
    return {key, values, origin};
  }
  if (const auto x = parse_number(value)) return {key, *x, origin};
  if (value.empty()) throw input_error(origin + ": no value");
  return {key, value, origin};
}

trajectory load_trajectory(const std::string& path, const load_options& options, std::vector<std::string>& warnings) {
  if (options.variant) make_handle(*options.variant, "--variant");
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return load_npy_directory(path, options, warnings);
  if (!std::filesystem::exists(path, ec)) throw input_error(path + ": no such file or directory");
  if (options.dtype)
    throw input_error("--dtype " + std::string(type_name(*options.dtype)) + ": for a .npy directory only; " + path +
                      " is a JSON file, whose cases give their own \"dtype\"");
  return load_json(path, options, warnings);
}

}  // namespace inertia::check
