#include "common/variant.hpp"

#include <cstdio>
#include <stdexcept>
#include <tuple>

#include "registry/optimizer.hpp"
#include "reference/adam.hpp"

namespace inertia::bench {
namespace {

// The settings the suite measures a variant with, where its registry defaults
// are not what an engine would run: each a framework's call, at a steady-state
// step. A registered variant not named here is measured with its defaults at
// step 10 (late enough to be a steady-state step, early enough that bias
// corrections still divide every element).
constexpr long long default_step = 10;

setting number(std::string key, double value) { return {std::move(key), {value}, {}, false}; }

std::vector<variant> named_settings() {
  std::vector<variant> out;
  const auto add = [&](std::string name, std::string registry, std::vector<setting> settings, long long step,
                       std::string note) {
    variant v;
    v.name = std::move(name);
    v.registry_name = std::move(registry);
    v.settings = std::move(settings);
    v.step = step;
    v.note = std::move(note);
    out.push_back(std::move(v));
  };
  // Step 2 for heavy_ball: its first step copies the gradient into the buffer.
  add("heavy_ball", "heavy_ball", {number("lr", 0.01), number("momentum", 0.9)}, 2, "torch SGD");
  add("heavy_ball_nesterov_wd", "heavy_ball",
      {number("lr", 0.01), number("momentum", 0.9), number("nesterov", 1), number("weight_decay", 0.01)}, 2,
      "torch SGD");
  add("sutskever", "sutskever", {number("lr", 0.01), number("momentum", 0.9)}, 1, "Keras SGD");
  add("ema", "ema", {number("lr", 0.01), number("beta", 0.9), number("bias_correction", 1)}, default_step,
      "Optax ema(debias) + scale(-lr)");
  add("lookahead", "", {number("momentum", 0.9)}, 1, "nesterov_lookahead: w + momentum v");
  add("qhm", "qhm", {number("lr", 1e-3), number("nu", 0.7), number("beta", 0.999)}, 1, "qhoptim QHM");
  add("aggmo", "aggmo", {number("lr", 1e-3)}, 1, "AggMo, betas {0, 0.9, 0.99}");
  add("lion", "lion", {}, 1, "Optax's defaults");
  add("signum", "signum", {number("lr", 0.01), number("beta", 0.9)}, 1, "Signum");
  add("lars", "lars", {number("lr", 0.1), number("momentum", 0.9), number("weight_decay", 1e-4), number("eta", 1e-3)},
      1, "LARS");
  add("weight_ema", "weight_ema", {number("decay", 0.9999)}, 101, "timm ModelEmaV3, torch lerp");
  add("adam", "adam", {}, default_step, "torch Adam");
  add("adamw", "adamw", {number("weight_decay", 0.01)}, default_step, "torch AdamW");
  // mu_product as torch holds it before step 10.
  setting mu_product = number("mu_product", reference::nadam_mu_product(nadam_options{}, default_step - 1));
  mu_product.every_call = true;
  add("nadam", "nadam", {mu_product}, default_step, "torch NAdam");
  // rmsprop's defaults are torch's plain RMSprop (one buffer); the second keeps all three.
  add("rmsprop", "rmsprop", {}, default_step, "torch RMSprop");
  add("rmsprop_centered_momentum", "rmsprop", {number("momentum", 0.9), number("centered", 1)}, default_step,
      "torch RMSprop");
  // Schedule-Free's group scalars as schedulefree holds them before step 10
  // at a constant lr (lr_max = lr, weight_sum = 9 lr^2: ckp1 = 1/10), put
  // back before every call as NAdam's mu_product is.
  for (const auto& [name, lr, note] : {std::tuple{"schedule_free_sgd", 1.0, "schedulefree SGDScheduleFree"},
                                       std::tuple{"schedule_free_adamw", 0.0025, "schedulefree AdamWScheduleFree"}}) {
    setting lr_max = number("lr_max", lr), weight_sum = number("weight_sum", (default_step - 1) * lr * lr);
    lr_max.every_call = weight_sum.every_call = true;
    add(name, name, {number("lr", lr), lr_max, weight_sum}, default_step, note);
  }
  return out;
}

void apply(inertia_optimizer& handle, const setting& s) {
  if (!s.text.empty())
    handle.set_string(s.key, s.text);
  else if (s.values.size() == 1)
    handle.set(s.key, s.values[0]);
  else
    handle.set_array(s.key, s.values);
}

std::shared_ptr<inertia_optimizer> create(const std::string& registry_name) {
  inertia_optimizer* raw = nullptr;
  if (inertia_optimizer_create(registry_name.c_str(), &raw) != INERTIA_OK)
    throw std::invalid_argument("inertia-bench: " + registry_name + " is not a registered variant");
  return std::shared_ptr<inertia_optimizer>(raw, &inertia_optimizer_destroy);
}

// The arrays a step moves, from what the registry declares: param (and grad,
// when read), the state buffers, and a norms pass before the update.
std::optional<access_pattern> pattern_of(const variant& v) {
  if (v.norm_pass_reads == 2 && v.reads_grad && v.state_buffers == 1) return access_pattern::norms_update_5r2w;
  if (v.norm_pass_reads == 4 && v.reads_grad && v.state_buffers == 2) return access_pattern::moments_update_7r3w;
  if (v.norm_pass_reads != 0) return std::nullopt;
  // Without a gradient, param is read and the state updated (weight_ema):
  // two arrays read, one written, as plain SGD.
  const std::size_t arrays = 1 + (v.reads_grad ? 1 : 0) + v.state_buffers;
  switch (arrays) {
    case 2: return access_pattern::update_2r1w;
    case 3: return v.reads_grad ? std::optional(access_pattern::update_3r2w) : std::nullopt;
    case 4: return access_pattern::update_4r3w;
    case 5: return access_pattern::update_5r4w;
    case 6: return access_pattern::update_6r5w;
  }
  return std::nullopt;
}

}  // namespace

struct variant_list {
  std::vector<variant> variants;
  std::vector<std::string> skipped;

  variant_list() {
    std::vector<variant> candidates = named_settings();
    const std::size_t named = candidates.size();
    for (std::size_t i = 0; i < inertia_variant_count(); ++i) {
      const std::string registry = inertia_variant_name(i);
      bool listed = false;
      for (std::size_t k = 0; k < named; ++k) listed = listed || candidates[k].registry_name == registry;
      if (listed) continue;
      variant v;
      v.name = v.registry_name = registry;
      v.step = default_step;
      v.note = "registry defaults";
      candidates.push_back(std::move(v));
    }
    for (variant& v : candidates) {
      if (v.is_lookahead()) {
        v.reads_grad = false;
        v.pattern = access_pattern::triad_2r1w;
        variants.push_back(std::move(v));
        continue;
      }
      v.options_ = create(v.registry_name);
      for (const setting& s : v.settings) apply(*v.options_, s);
      v.state_buffers = v.options_->state_count();
      v.reads_grad = v.options_->reads_grad();
      v.takes_policy = v.options_->takes_policy();
      v.norm_pass_reads = v.options_->norm_pass_reads();
      const std::optional<access_pattern> pattern = pattern_of(v);
      if (!pattern) {
        skipped.push_back(v.name + ": " + std::to_string(v.state_buffers) +
                          " state buffers per tensor (and these reads) have no access pattern in "
                          "bench/common/access_pattern.hpp, whose buffers hold up to 4");
        continue;
      }
      v.pattern = *pattern;
      variants.push_back(std::move(v));
    }
  }
};

namespace {
const variant_list& the_list() {
  static const variant_list list;
  return list;
}
}  // namespace

const std::vector<variant>& all_variants() { return the_list().variants; }
const std::vector<std::string>& skipped_variants() { return the_list().skipped; }

const variant* find_variant(std::string_view name) {
  for (const variant& v : all_variants())
    if (v.name == name) return &v;
  return nullptr;
}

std::shared_ptr<inertia_optimizer> variant::make_handle() const {
  if (is_lookahead()) throw std::logic_error("the look-ahead has no optimizer handle");
  std::shared_ptr<inertia_optimizer> handle = create(registry_name);
  for (const setting& s : settings) apply(*handle, s);
  return handle;
}

double variant::option(std::string_view key) const {
  if (is_lookahead()) {
    for (const setting& s : settings)
      if (s.key == key) return s.values.at(0);
    throw std::invalid_argument("the look-ahead has no setting " + std::string(key));
  }
  return options_->get(key);
}

std::vector<double> variant::array_option(std::string_view key) const {
  const std::string base(key);
  const auto count = static_cast<std::size_t>(option(base + "#"));
  std::vector<double> values;
  for (std::size_t i = 0; i < count; ++i) values.push_back(option(base + "[" + std::to_string(i) + "]"));
  return values;
}

std::string variant_settings_text(const variant& v) {
  std::string text = v.is_lookahead() ? v.note : v.registry_name + ": " + v.note;
  std::string listed;
  for (const setting& s : v.settings) {
    listed += listed.empty() ? "" : ", ";
    listed += s.key + " ";
    if (!s.text.empty()) {
      listed += s.text;
      continue;
    }
    for (std::size_t i = 0; i < s.values.size(); ++i) {
      char number[32];
      std::snprintf(number, sizeof number, "%g", s.values[i]);
      if (i != 0) listed += "/";
      listed += number;
    }
  }
  if (!listed.empty()) text += ", " + listed;
  return text + " (step " + std::to_string(v.step) + ")";
}

std::string variant_table() {
  std::string out;
  for (const variant& v : all_variants()) {
    char line[160];
    std::snprintf(line, sizeof line, "%-24s %-18s %zu %-9s  ", v.name.c_str(), std::string(pattern_name(v.pattern)).c_str(),
                  v.state_buffers, v.takes_policy ? "policy" : "no_policy");
    out += line + variant_settings_text(v) + "\n";
  }
  return out;
}

}  // namespace inertia::bench
