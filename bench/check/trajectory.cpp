#include "trajectory.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "npy.hpp"

namespace inertia::check {

namespace {

using nlohmann::json;

const std::set<std::string> known_variants = {"heavy_ball", "sutskever", "ema"};

std::set<std::string> hyperparameter_keys(const std::string& variant) {
  if (variant == "heavy_ball") return {"momentum", "dampening", "weight_decay", "nesterov", "maximize"};
  if (variant == "sutskever") return {"momentum", "nesterov"};
  return {"beta", "bias_correction"};
}

void check_variant(const std::string& variant, const std::string& where) {
  if (!known_variants.count(variant))
    throw input_error(where + ": unknown variant '" + variant + "' (heavy_ball, sutskever or ema)");
}

void check_numerics(const std::string& numerics, const std::string& where) {
  if (numerics != "pytorch_loop" && numerics != "pytorch_fused")
    throw input_error(where + ": unknown numerics '" + numerics + "' (pytorch_loop or pytorch_fused)");
}

double number(const json& value, const std::string& where) {
  if (!value.is_number()) throw input_error(where + ": expected a number, found " + std::string(value.type_name()));
  return value.get<double>();
}

bool boolean(const json& value, const std::string& where) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number_integer() && (value.get<long long>() == 0 || value.get<long long>() == 1))
    return value.get<long long>() == 1;
  throw input_error(where + ": expected true or false, found " + value.dump());
}

/// A finite number array of `expected` elements (any length when expected is 0).
std::vector<double> numbers(const json& value, const std::string& where, std::size_t expected, bool float32,
                            std::size_t& inexact) {
  if (!value.is_array()) throw input_error(where + ": expected an array of numbers, found " + std::string(value.type_name()));
  if (expected != 0 && value.size() != expected)
    throw input_error(where + ": " + std::to_string(value.size()) + " elements, expected " + std::to_string(expected));
  std::vector<double> out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    const double x = number(value[i], where + "[" + std::to_string(i) + "]");
    if (!std::isfinite(x)) throw input_error(where + "[" + std::to_string(i) + "]: not finite");
    if (float32 && static_cast<double>(static_cast<float>(x)) != x) ++inexact;
    out.push_back(x);
  }
  return out;
}

const json& member(const json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) throw input_error(where + ": missing \"" + key + "\"");
  return *it;
}

/// Applies the command line's hyperparameters over the file's.
void apply_overrides(hyperparameters& hp, const load_options& o) {
  if (o.momentum) hp.momentum = *o.momentum;
  if (o.dampening) hp.dampening = *o.dampening;
  if (o.weight_decay) hp.weight_decay = *o.weight_decay;
  if (o.nesterov) hp.nesterov = *o.nesterov;
  if (o.maximize) hp.maximize = *o.maximize;
  if (o.beta) hp.beta = *o.beta;
  if (o.bias_correction) hp.bias_correction = *o.bias_correction;
}

void read_hyperparameters(const json& object, const std::string& variant, bool overridden, hyperparameters& hp,
                          const std::string& where, std::vector<std::string>& warnings) {
  if (!object.is_object()) throw input_error(where + ": expected an object");
  const auto keys = hyperparameter_keys(variant);
  for (const auto& [key, value] : object.items()) {
    const std::string at = where + "." + key;
    if (!keys.count(key)) {
      if (overridden) {
        warnings.push_back(at + " does not apply to variant " + variant + " and is ignored");
        continue;
      }
      throw input_error(at + ": not a hyperparameter of " + variant);
    }
    if (key == "momentum") hp.momentum = number(value, at);
    else if (key == "dampening") hp.dampening = number(value, at);
    else if (key == "weight_decay") hp.weight_decay = number(value, at);
    else if (key == "beta") hp.beta = number(value, at);
    else if (key == "nesterov") hp.nesterov = boolean(value, at);
    else if (key == "maximize") hp.maximize = boolean(value, at);
    else if (key == "bias_correction") hp.bias_correction = boolean(value, at);
  }
}

/// The state array of a step or of "initial" for this variant, if present.
const json* state_entry(const json& object, const std::string& variant) {
  for (const char* key : {state_key(variant), "state"}) {
    const auto it = object.find(key);
    if (it != object.end()) return &*it;
  }
  return nullptr;
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
      file_variant = c["variant"];
      check_variant(file_variant, cw);
    }
    if (options.variant) {
      tc.variant = *options.variant;
      if (!file_variant.empty() && file_variant != tc.variant)
        warnings.push_back(cw + ": recorded as " + file_variant + ", replayed as " + tc.variant + " (--variant)");
    } else if (!file_variant.empty()) {
      tc.variant = file_variant;
    } else {
      throw input_error(cw + ": no \"variant\"; pass --variant");
    }
    const bool overridden = !file_variant.empty() && file_variant != tc.variant;

    const json& dtype = member(c, "dtype", cw);
    if (dtype != "float32" && dtype != "float64") throw input_error(cw + ": \"dtype\" must be \"float32\" or \"float64\"");
    tc.dtype = dtype;
    const bool f32 = tc.dtype == "float32";

    tc.numerics = "pytorch_loop";
    if (c.contains("numerics")) {
      if (!c["numerics"].is_string()) throw input_error(cw + ": \"numerics\" must be a string");
      tc.numerics = c["numerics"];
      check_numerics(tc.numerics, cw + ".numerics");
    }
    if (options.numerics) tc.numerics = *options.numerics;

    if (c.contains("hyperparameters"))
      read_hyperparameters(c["hyperparameters"], tc.variant, overridden, tc.hp, cw + ": hyperparameters", warnings);
    apply_overrides(tc.hp, options);

    const json& initial = member(c, "initial", cw);
    if (!initial.is_object()) throw input_error(cw + ": \"initial\" must be an object");
    tc.initial_param = numbers(member(initial, "param", cw + ": initial"), cw + ": initial.param", 0, f32, tc.inexact_values);
    const std::size_t n = tc.initial_param.size();
    if (const json* s = state_entry(initial, tc.variant); s && !s->is_null())
      tc.initial_state = numbers(*s, cw + ": initial state", n, f32, tc.inexact_values);
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
      rs.grad = numbers(member(step, "grad", sw), sw + ".grad", n, f32, tc.inexact_values);
      rs.param = numbers(member(step, "param", sw), sw + ".param", n, f32, tc.inexact_values);
      if (const json* st = state_entry(step, tc.variant); st && !st->is_null())
        rs.state = numbers(*st, sw + "." + state_key(tc.variant), n, f32, tc.inexact_values);
      else
        state_missing = true;
      tc.steps.push_back(std::move(rs));
    }
    if (state_missing && overridden)
      warnings.push_back(cw + ": no \"" + std::string(state_key(tc.variant)) +
                         "\" recorded for the replayed variant; only the parameter is compared");

    if (options.lr) {
      tc.lr.assign(tc.steps.size(), *options.lr);
    } else {
      const json& lr = member(c, "lr", cw);
      if (lr.is_number()) tc.lr.assign(tc.steps.size(), number(lr, cw + ": lr"));
      else tc.lr = numbers(lr, cw + ": lr", tc.steps.size(), false, tc.inexact_values);
    }
    if (tc.inexact_values)
      warnings.push_back(cw + ": " + std::to_string(tc.inexact_values) +
                         " values are not float32 numbers and were rounded to float32 (write float32 values with "
                         "9 significant digits, or as Python's repr(float(x)))");
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
  auto file = [&](const char* name) { return (fs::path(dir) / name).string(); };
  auto exists = [&](const char* name) { return fs::exists(file(name)); };
  for (const char* required : {"param0.npy", "grads.npy", "params.npy"})
    if (!exists(required)) throw input_error(dir + ": the .npy layout needs " + required + " (see --help)");
  if (!options.variant) throw input_error(dir + ": the .npy layout records no variant; pass --variant");

  trajectory out;
  out.path = dir;
  trajectory_case tc;
  tc.name = fs::path(dir).filename().string();
  if (tc.name.empty()) tc.name = fs::path(dir).parent_path().filename().string();
  tc.variant = *options.variant;
  tc.numerics = options.numerics.value_or("pytorch_loop");
  apply_overrides(tc.hp, options);
  tc.initial_step = options.initial_step.value_or(0);

  const npy_array param0 = read_npy(file("param0.npy"));
  tc.dtype = param0.dtype;
  const std::size_t n = param0.elements();
  if (n == 0) throw input_error(file("param0.npy") + ": no elements");
  tc.initial_param = param0.values;
  auto same_dtype = [&](const npy_array& a, const std::string& f) {
    if (a.dtype != tc.dtype) throw input_error(f + ": dtype " + a.dtype + ", but param0.npy is " + tc.dtype);
  };

  std::size_t steps = 0;
  const npy_array grads = read_npy(file("grads.npy"));
  same_dtype(grads, file("grads.npy"));
  check_stepped(grads, file("grads.npy"), n, steps);
  const npy_array params = read_npy(file("params.npy"));
  same_dtype(params, file("params.npy"));
  check_stepped(params, file("params.npy"), n, steps);
  std::optional<npy_array> state;
  if (exists("state.npy")) {
    state = read_npy(file("state.npy"));
    same_dtype(*state, file("state.npy"));
    check_stepped(*state, file("state.npy"), n, steps);
  }
  if (exists("state0.npy")) {
    const npy_array state0 = read_npy(file("state0.npy"));
    same_dtype(state0, file("state0.npy"));
    if (state0.elements() != n) throw input_error(file("state0.npy") + ": " + std::to_string(state0.elements()) + " elements, expected " + std::to_string(n));
    tc.initial_state = state0.values;
  }
  if (options.lr) {
    tc.lr.assign(steps, *options.lr);
    if (exists("lr.npy")) warnings.push_back(file("lr.npy") + " is ignored: --lr given");
  } else if (exists("lr.npy")) {
    const npy_array lr = read_npy(file("lr.npy"));
    if (lr.elements() == 1) tc.lr.assign(steps, lr.values[0]);
    else if (lr.elements() == steps && lr.shape.size() == 1) tc.lr = lr.values;
    else throw input_error(file("lr.npy") + ": expected one value or one per step (" + std::to_string(steps) + ")");
  } else {
    throw input_error(dir + ": no lr.npy; pass --lr");
  }
  for (std::size_t s = 0; s < steps; ++s) {
    recorded_step rs{row(grads, s, n), row(params, s, n), std::nullopt};
    if (state) rs.state = row(*state, s, n);
    for (const auto* v : {&rs.grad, &rs.param})
      for (double x : *v)
        if (!std::isfinite(x)) throw input_error(dir + ": step " + std::to_string(s + 1) + " holds a non-finite grad or param");
    tc.steps.push_back(std::move(rs));
  }
  out.cases.push_back(std::move(tc));
  return out;
}

}  // namespace

const char* state_key(const std::string& variant) { return variant == "heavy_ball" ? "momentum_buffer" : "velocity"; }

trajectory load_trajectory(const std::string& path, const load_options& options, std::vector<std::string>& warnings) {
  if (options.variant) check_variant(*options.variant, "--variant");
  if (options.numerics) check_numerics(*options.numerics, "--numerics");
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return load_npy_directory(path, options, warnings);
  if (!std::filesystem::exists(path, ec)) throw input_error(path + ": no such file or directory");
  return load_json(path, options, warnings);
}

}  // namespace inertia::check
