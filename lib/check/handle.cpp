#include "handle.hpp"

#include <cstdio>
#include <cstdlib>

// The handle's C++ interface, as the benchmarks use it: what the declaration
// says of a variant's keys and buffers (the C ABI exposes names and counts).
#include "registry/optimizer.hpp"

namespace inertia::check {

namespace {

void require_ok(inertia_status status) {
  if (status != INERTIA_OK) throw library_error(status, inertia_last_error());
}

std::string number_text(double x) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.17g", x);
  // The shortest of %.17g and %g that reads back the same, as a person would write it.
  char shorter[64];
  std::snprintf(shorter, sizeof shorter, "%g", x);
  return std::strtod(shorter, nullptr) == x ? shorter : buffer;
}

}  // namespace

std::string value_text(const setting_value& value) {
  if (const auto* x = std::get_if<double>(&value)) return number_text(*x);
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const auto* a = std::get_if<std::vector<double>>(&value)) {
    std::string out = "[";
    for (std::size_t i = 0; i < a->size(); ++i) out += (i ? ", " : "") + number_text((*a)[i]);
    return out + "]";
  }
  return "\"" + std::get<std::string>(value) + "\"";
}

std::vector<std::string> variant_names() {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < inertia_variant_count(); ++i) out.emplace_back(inertia_variant_name(i));
  return out;
}

optimizer_handle::optimizer_handle(const std::string& variant) {
  inertia_optimizer* opt = nullptr;
  require_ok(inertia_optimizer_create(variant.c_str(), &opt));
  handle_.reset(opt);
}

std::string optimizer_handle::variant() const { return inertia_optimizer_variant(handle_.get()); }

void optimizer_handle::apply(const setting& s) {
  if (const auto* x = std::get_if<double>(&s.value)) {
    // Only an array key takes this path: a number key keeps the library's own
    // error for an array value, and a number for a number key is plain set.
    if (is_array(s.key)) return set_array(s.key, {*x});
    return set(s.key, *x);
  }
  if (const auto* b = std::get_if<bool>(&s.value)) return set(s.key, *b ? 1.0 : 0.0);
  if (const auto* a = std::get_if<std::vector<double>>(&s.value)) return set_array(s.key, *a);
  set_string(s.key, std::get<std::string>(s.value));
}

void optimizer_handle::set(const std::string& key, double value) {
  require_ok(inertia_optimizer_set(handle_.get(), key.c_str(), value));
}

void optimizer_handle::set_array(const std::string& key, const std::vector<double>& values) {
  require_ok(inertia_optimizer_set_array(handle_.get(), key.c_str(), values.data(), values.size()));
}

void optimizer_handle::set_string(const std::string& key, const std::string& value) {
  require_ok(inertia_optimizer_set_string(handle_.get(), key.c_str(), value.c_str()));
}

double optimizer_handle::get(const std::string& key) const {
  double value = 0;
  require_ok(inertia_optimizer_get(handle_.get(), key.c_str(), &value));
  return value;
}

std::optional<double> optimizer_handle::try_get(const std::string& key) const {
  double value = 0;
  if (inertia_optimizer_get(handle_.get(), key.c_str(), &value) != INERTIA_OK) return std::nullopt;
  return value;
}

std::vector<std::string> optimizer_handle::state_names() const {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < inertia_optimizer_state_count(handle_.get()); ++i)
    out.emplace_back(inertia_optimizer_state_name(handle_.get(), i));
  return out;
}

std::vector<optimizer_handle::state_info> optimizer_handle::declared_states() const {
  std::vector<state_info> out;
  for (std::size_t i = 0; i < handle_->declared_state_count(); ++i) {
    const auto d = handle_->declared_state(i);
    out.push_back({d.name, d.initial_key ? d.initial_key : "", d.created_by_first_step, d.present});
  }
  return out;
}

/// Of the i-th kept buffer: found among the declared ones by its name.
std::string optimizer_handle::state_initial_key(std::size_t i) const {
  const std::string name = inertia_optimizer_state_name(handle_.get(), i);
  for (const state_info& s : declared_states())
    if (s.name == name) return s.initial_key;
  return {};
}

bool optimizer_handle::state_created_by_first_step(std::size_t i) const {
  const std::string name = inertia_optimizer_state_name(handle_.get(), i);
  for (const state_info& s : declared_states())
    if (s.name == name) return s.created_by_first_step;
  return false;
}

bool optimizer_handle::reads_grad() const { return handle_->reads_grad(); }

std::vector<optimizer_handle::key_info> optimizer_handle::keys() const {
  using inertia::detail::option_kind;
  std::vector<key_info> out;
  for (std::size_t i = 0; i < handle_->key_count(); ++i) {
    const auto d = handle_->key(i);
    key_info k;
    k.key = d.key;
    k.min_count = d.min_count;
    k.max_count = d.max_count;
    for (const char* c : d.choices) k.choices.emplace_back(c);
    if (d.scalar_state) {
      k.kind = "state";
      k.value = number_text(get(k.key));
    } else {
      switch (d.kind) {
        case option_kind::number: k.kind = "number"; k.value = number_text(get(k.key)); break;
        case option_kind::flag: k.kind = "flag"; k.value = get(k.key) != 0 ? "true" : "false"; break;
        case option_kind::choice: {
          k.kind = "choice";
          const auto index = static_cast<std::size_t>(get(k.key));
          k.value = index < k.choices.size() ? k.choices[index] : "?";
          break;
        }
        case option_kind::array: {
          k.kind = "array";
          std::vector<double> values;
          const auto count = static_cast<std::size_t>(get(k.key + "#"));
          for (std::size_t e = 0; e < count; ++e) values.push_back(get(k.key + "[" + std::to_string(e) + "]"));
          k.value = value_text(values);
          break;
        }
      }
    }
    out.push_back(std::move(k));
  }
  return out;
}

void optimizer_handle::step(inertia_dtype param_dtype, inertia_dtype state_dtype, void* param, const void* grad,
                            const std::vector<void*>& state, std::size_t n, long long t) {
  inertia_tensor tensor{};
  tensor.param = param;
  tensor.grad = grad;
  for (std::size_t i = 0; i < state.size() && i < INERTIA_MAX_STATE; ++i) tensor.state[i] = state[i];
  tensor.size = n;
  if (param_dtype == state_dtype) {
    require_ok(inertia_optimizer_step(handle_.get(), param_dtype, &tensor, 1, t, nullptr, nullptr));
    return;
  }
  inertia_storage storage{};  // nearest-even rounding, no master: param is the only copy of the weights
  storage.param_dtype = param_dtype;
  storage.grad_dtype = param_dtype;
  storage.state_dtype = state_dtype;
  storage.master_weights = INERTIA_MASTER_NONE;
  require_ok(inertia_optimizer_step_storage(handle_.get(), &storage, &tensor, nullptr, 1, t, nullptr, nullptr));
}

}  // namespace inertia::check
