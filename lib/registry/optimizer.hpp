#pragma once
// inertia_optimizer, the C ABI's handle (include/inertia/inertia.h), for any
// variant declared as lib/registry/descriptor.hpp says. One class template,
// variant_optimizer<Variant>, does for every variant what the generic calls
// do: look keys up (only in set and get: a step looks up no string), check
// each value against its declared range as it is set, and turn generic
// tensors into the variant's C++ tensors for one call of its group runner.
// Every failure throws inertia::invalid_argument before anything changes.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "inertia/error.hpp"
#include "inertia/execution.hpp"
#include "inertia/inertia.h"
#include "inertia/multi_tensor.hpp"
#include "inertia/step_policy.hpp"
#include "registry/descriptor.hpp"
#include "registry/fused_storage.hpp"
#include "small_vector.hpp"
#include "staged_storage.hpp"
#include "step_groups.hpp"

/// The handle: a param group of one variant. Abstract; variant_optimizer below.
struct inertia_optimizer {
  virtual ~inertia_optimizer() = default;
  virtual const char* variant() const noexcept = 0;
  virtual void set(std::string_view key, double value) = 0;
  virtual void set_array(std::string_view key, std::span<const double> values) = 0;
  virtual void set_string(std::string_view key, std::string_view value) = 0;
  virtual double get(std::string_view key) const = 0;
  virtual std::size_t state_count() const noexcept = 0;
  virtual const char* state_name(std::size_t index) const noexcept = 0;
  /// What the declaration says of the step, for callers that lay out or
  /// measure buffers generically (bench/common/variant.cpp):
  virtual bool takes_policy() const noexcept = 0;
  /// false: the generic param is read only (weight_ema's model weights) and grad must be NULL.
  virtual bool reads_grad() const noexcept = 0;
  /// Arrays read once more before the update pass (LARS: param and grad, for their norms).
  virtual std::size_t norm_pass_reads() const noexcept = 0;
  /// What the declaration says of its keys and buffers, for tools that list
  /// or replay any variant (inertia-check --help): every option in declaration
  /// order, then every scalar state key (NAdam's mu_product).
  struct key_description {
    const char* key;
    inertia::detail::option_kind kind;
    bool scalar_state;                    ///< per-group state set like a number, not an option
    std::span<const char* const> choices;  ///< a choice's values, by index
    std::size_t min_count, max_count;      ///< an array's length
  };
  virtual std::size_t key_count() const noexcept = 0;
  virtual key_description key(std::size_t index) const noexcept = 0;
  /// Every state buffer the variant declares, kept with the options set now
  /// or not (state_name numbers only the kept ones): the option whose value
  /// fills it before a tensor's first step (nullptr: zeros), and whether
  /// step 1 writes it unread (descriptor.hpp's state_buffer).
  struct state_description {
    const char* name;
    const char* initial_key;
    bool created_by_first_step;
    bool present;  ///< kept with the options set now
  };
  virtual std::size_t declared_state_count() const noexcept = 0;
  virtual state_description declared_state(std::size_t index) const noexcept = 0;
  /// dtype is a valid inertia_dtype; step >= 1 checked here.
  virtual inertia::step_report step(inertia_dtype dtype, std::span<const inertia_tensor> tensors, long long step,
                                    const inertia::step_policy* policy, const inertia::execution& exec) = 0;
  /// inertia_optimizer_step_storage: mixed types and master weights (lib/staged_storage.hpp).
  virtual inertia::step_report step_storage(const inertia_storage& storage, std::span<const inertia_tensor> tensors,
                                            void* const* master, long long step, const inertia::step_policy* policy,
                                            const inertia::execution& exec) = 0;
};

namespace inertia::detail {

/// For variants without per-group scalar state.
struct no_scalars {};

/// The message for an unknown key: every key the variant has.
[[noreturn]] void fail_unknown_key(const argument_checks& check, std::string_view key, const std::string& keys);
[[noreturn]] void fail_wrong_kind(const argument_checks& check, std::string_view key, const char* holds,
                                  const char* call);

template <class Variant>
concept has_scalars = requires { typename Variant::scalars_type; };
template <class Variant>
concept has_group_step = requires { Variant::group_step_declared; };

template <class Variant>
struct scalars_of {
  using type = no_scalars;
  static constexpr std::array<option<no_scalars>, 0> table{};
};
template <has_scalars Variant>
struct scalars_of<Variant> {
  using type = typename Variant::scalars_type;
  static constexpr auto table = Variant::scalar_state;
};

template <class Variant>
typename Variant::options_type default_options() {
  if constexpr (requires { Variant::defaults(); })
    return Variant::defaults();
  else
    return typename Variant::options_type{};
}

template <class Variant>
constexpr bool uses_grad() {
  if constexpr (requires { Variant::uses_grad; })
    return Variant::uses_grad;
  else
    return true;
}

template <class Variant>
class variant_optimizer final : public inertia_optimizer {
 public:
  using options_type = typename Variant::options_type;
  using scalars_type = typename scalars_of<Variant>::type;

  variant_optimizer() : options_(default_options<Variant>()) { refresh_state(); }

  const char* variant() const noexcept override { return Variant::name; }

  void set(std::string_view key, double value) override {
    const argument_checks check("inertia_optimizer_set", Variant::name);
    if (auto* entry = find(Variant::options, key)) return set_value(check, *entry, options_, value);
    if (auto* entry = find(scalars_of<Variant>::table, key)) return set_value(check, *entry, scalars_, value);
    fail_unknown_key(check, key, keys());
  }

  void set_array(std::string_view key, std::span<const double> values) override {
    const argument_checks check("inertia_optimizer_set_array", Variant::name);
    const auto* entry = find(Variant::options, key);
    if (entry == nullptr) {
      if (find(scalars_of<Variant>::table, key) != nullptr) fail_wrong_kind(check, key, "a number", "inertia_optimizer_set");
      fail_unknown_key(check, key, keys());
    }
    if (entry->kind != option_kind::array) fail_wrong_kind(check, key, kind_name(entry->kind), setter_of(entry->kind));
    // Validate a copy, commit only when every element and the whole passed.
    options_type trial = options_;
    std::vector<double> stored(values.begin(), values.end());
    if (entry->view != nullptr) {
      entry->view(trial, stored);
    } else if (values.size() != entry->max_count) {
      check.fail(error_kind::hyperparameter, std::string(key),
                 std::string(key) + " takes " + std::to_string(entry->max_count) + " values, not " +
                     std::to_string(values.size()));
    } else {
      for (std::size_t i = 0; i < values.size(); ++i) entry->set(trial, i, values[i]);
    }
    check_declared(check, std::array<option<options_type>, 1>{*entry}, trial);
    // A variable-length array is one state buffer per element (AggMo's
    // velocities), and an inertia_tensor holds INERTIA_MAX_STATE.
    if (entry->view != nullptr && values.size() > INERTIA_MAX_STATE)
      check.fail(error_kind::hyperparameter, std::string(key),
                 std::string(key) + " has " + std::to_string(values.size()) +
                     " values, each a state buffer per tensor; inertia_tensor holds " +
                     std::to_string(INERTIA_MAX_STATE));
    if (entry->view != nullptr) {
      array_storage_ = std::move(stored);
      entry->view(trial, array_storage_);
    }
    options_ = trial;
    refresh_state();
  }

  void set_string(std::string_view key, std::string_view value) override {
    const argument_checks check("inertia_optimizer_set_string", Variant::name);
    const auto* entry = find(Variant::options, key);
    if (entry == nullptr) {
      if (find(scalars_of<Variant>::table, key) != nullptr) fail_wrong_kind(check, key, "a number", "inertia_optimizer_set");
      fail_unknown_key(check, key, keys());
    }
    if (entry->kind != option_kind::choice) fail_wrong_kind(check, key, kind_name(entry->kind), setter_of(entry->kind));
    for (std::size_t i = 0; i < entry->choices.size(); ++i) {
      if (value == entry->choices[i]) {
        entry->set(options_, 0, static_cast<double>(i));
        refresh_state();
        return;
      }
    }
    std::string known;
    for (const char* choice : entry->choices) known += (known.empty() ? "" : ", ") + std::string(choice);
    check.fail(error_kind::unknown_name, std::string(key),
               std::string(key) + " = \"" + std::string(value) + "\" is not one of " + known);
  }

  double get(std::string_view key) const override {
    const argument_checks check("inertia_optimizer_get", Variant::name);
    std::size_t index = 0;
    bool length = false, element = false;
    std::string_view base = key;
    if (!key.empty() && key.back() == '#') {  // "betas#": an array's length
      base = key.substr(0, key.size() - 1);
      length = true;
    } else if (const auto open = key.find('['); open != std::string_view::npos && key.back() == ']') {
      base = key.substr(0, open);
      const std::string digits(key.substr(open + 1, key.size() - open - 2));
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 3)
        fail_unknown_key(check, key, keys());
      index = std::stoul(digits);
      element = true;
    }
    if (const auto* entry = find(Variant::options, base)) {
      const bool array = entry->kind == option_kind::array;
      if (array != (length || element))
        fail_wrong_kind(check, key, kind_name(entry->kind), array ? "inertia_optimizer_get with \"key[i]\"" : "inertia_optimizer_get with the plain key");
      if (length) return static_cast<double>(entry->count(options_));
      if (array && index >= entry->count(options_))
        check.fail(error_kind::hyperparameter, std::string(key),
                   std::string(key) + ": " + std::string(base) + " has " + std::to_string(entry->count(options_)) +
                       " elements");
      return entry->get(options_, index);
    }
    if (!length && !element)
      if (const auto* entry = find(scalars_of<Variant>::table, key)) return entry->get(scalars_, 0);
    fail_unknown_key(check, key, keys());
  }

  std::size_t state_count() const noexcept override { return state_count_; }

  const char* state_name(std::size_t index) const noexcept override {
    return index < state_count_ ? Variant::state[state_index_[index]].name : nullptr;
  }

  std::size_t key_count() const noexcept override {
    return Variant::options.size() + scalars_of<Variant>::table.size();
  }
  key_description key(std::size_t index) const noexcept override {
    const auto describe = [](const auto& entry, bool scalar) {
      return key_description{entry.key, entry.kind, scalar, entry.choices, entry.min_count, entry.max_count};
    };
    if (index < Variant::options.size()) return describe(Variant::options[index], false);
    return describe(scalars_of<Variant>::table[index - Variant::options.size()], true);
  }
  std::size_t declared_state_count() const noexcept override { return Variant::state.size(); }
  state_description declared_state(std::size_t index) const noexcept override {
    const auto& entry = Variant::state[index];
    return {entry.name, entry.initial_key, entry.created_by_first_step, entry.present(options_)};
  }

  bool takes_policy() const noexcept override { return Variant::takes_policy; }
  bool reads_grad() const noexcept override { return uses_grad<Variant>(); }
  std::size_t norm_pass_reads() const noexcept override {
    if constexpr (requires { Variant::norm_pass_reads; })
      return Variant::norm_pass_reads;
    else
      return 0;
  }

  step_report step(inertia_dtype dtype, std::span<const inertia_tensor> tensors, long long step,
                   const step_policy* policy, const execution& exec) override {
    switch (dtype) {
      case INERTIA_FLOAT32: return step_typed<float>(scalars_, tensors, step, policy, exec);
      case INERTIA_BFLOAT16: return step_typed<bfloat16>(scalars_, tensors, step, policy, exec);
      case INERTIA_FLOAT16: return step_typed<float16>(scalars_, tensors, step, policy, exec);
      default: return step_typed<double>(scalars_, tensors, step, policy, exec);
    }
  }

  step_report step_storage(const inertia_storage& storage, std::span<const inertia_tensor> tensors, void* const* master,
                           long long step, const step_policy* policy, const execution& exec) override {
    const argument_checks check("inertia_optimizer_step_storage", Variant::name);
    if (is_single_dtype(storage)) {
      check_master_pointers(check, storage, master, tensors.size());
      return this->step(storage.param_dtype, tensors, step, policy, exec);
    }
    const char* names[INERTIA_MAX_STATE] = {};
    std::uint32_t written_unread = 0;
    for (std::size_t j = 0; j < state_count_; ++j) {
      const auto& declared = Variant::state[state_index_[j]];
      names[j] = declared.name;
      if (declared.created_by_first_step && step == 1) written_unread |= 1u << j;
    }
    const staged_layout layout{storage, state_count_, names, written_unread, uses_grad<Variant>(), norm_pass_reads() == 0};
    check_staged_call(check, layout, tensors, master);
    // A step of no tensors checks the options, the step number and the policy
    // (nothing a chunk's step could then refuse), and advances the scalar state
    // as this step does.
    scalars_type committed = scalars_;
    step_typed<float>(committed, {}, step, policy, exec);
    if constexpr (requires { Variant::fuses(fused_mode::none); }) {
      static_assert(!has_scalars<Variant>, "a fused mode would have to advance the scalar state");
      const auto fused = [&]<fused_mode Mode>() -> std::optional<step_report> {
        if constexpr (Variant::fuses(Mode)) return step_fused<Mode>(storage, tensors, master, step, policy, exec);
        return std::nullopt;
      };
      std::optional<step_report> report;
      switch (fused_mode_of(storage)) {
        case fused_mode::bf16_master_f32: report = fused.template operator()<fused_mode::bf16_master_f32>(); break;
        case fused_mode::split_bf16: report = fused.template operator()<fused_mode::split_bf16>(); break;
        case fused_mode::bf16_moments: report = fused.template operator()<fused_mode::bf16_moments>(); break;
        case fused_mode::bf16_stochastic: report = fused.template operator()<fused_mode::bf16_stochastic>(); break;
        case fused_mode::bf16_moments_stochastic:
          report = fused.template operator()<fused_mode::bf16_moments_stochastic>();
          break;
        case fused_mode::none: break;
      }
      if (report) return *report;
    }
    struct context_type {
      const variant_optimizer* self;
      long long step;
      const step_policy* policy;
    } context{this, step, policy};
    const auto inner = [](void* raw, std::span<const inertia_tensor> pieces, const execution& one_thread) {
      const auto& c = *static_cast<const context_type*>(raw);
      scalars_type scalars = c.self->scalars_;  // every chunk steps from the call's scalars
      c.self->template step_typed<float>(scalars, pieces, c.step, c.policy, one_thread);
    };
    const step_report report = run_staged(layout, tensors, master, step, policy, exec, {inner, &context});
    if (!report.skipped) scalars_ = committed;
    return report;
  }

 private:
  template <class Table>
  static auto find(const Table& table, std::string_view key) -> const typename Table::value_type* {
    for (const auto& entry : table)
      if (key == entry.key) return &entry;
    return nullptr;
  }

  static const char* kind_name(option_kind kind) {
    switch (kind) {
      case option_kind::number: return "a number";
      case option_kind::flag: return "a flag";
      case option_kind::choice: return "a string";
      case option_kind::array: return "an array";
    }
    return "?";
  }
  static const char* setter_of(option_kind kind) {
    return kind == option_kind::array    ? "inertia_optimizer_set_array"
           : kind == option_kind::choice ? "inertia_optimizer_set_string"
                                         : "inertia_optimizer_set";
  }

  static std::string keys() {
    std::string out;
    for (const auto& entry : Variant::options) out += (out.empty() ? "" : ", ") + std::string(entry.key);
    for (const auto& entry : scalars_of<Variant>::table) out += ", " + std::string(entry.key);
    return out;
  }

  template <class Target>
  void set_value(const argument_checks& check, const option<Target>& entry, Target& target, double value) {
    if (entry.kind == option_kind::array || entry.kind == option_kind::choice)
      fail_wrong_kind(check, entry.key, kind_name(entry.kind), setter_of(entry.kind));
    if (entry.kind == option_kind::flag) {
      if (value != 0.0 && value != 1.0)
        check.fail(error_kind::hyperparameter, entry.key,
                   std::string(entry.key) + " is a flag: set it to 0 or 1, not " + std::to_string(value));
    } else {
      check_value(check, entry.key, value, entry.range, entry.reason);
    }
    entry.set(target, 0, value);
    refresh_state();
  }

  void refresh_state() {
    state_count_ = 0;
    for (std::size_t i = 0; i < Variant::state.size(); ++i)
      if (Variant::state[i].present(options_) && state_count_ < INERTIA_MAX_STATE) state_index_[state_count_++] = i;
  }

  /// A checked call in a mode the variant fuses (registry/fused_storage.hpp):
  /// one rule per tensor, through the driver as a one-dtype step is.
  template <fused_mode Mode>
  step_report step_fused(const inertia_storage& storage, std::span<const inertia_tensor> tensors, void* const* master,
                         long long step, const step_policy* policy, const execution& exec) const {
    using rule_type = decltype(Variant::template make_fused_rule<Mode>(inertia_tensor{}, nullptr, options_, 0, storage));
    using grad_type = std::remove_cvref_t<decltype(*rule_type{}.grad.data)>;
    small_vector<rule_type, 4> rules;
    small_vector<std::size_t, 5> starts;
    small_vector<std::span<const grad_type>, 4> grads;
    starts.push_back(0);
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      const inertia_tensor& t = tensors[i];
      rules.push_back(
          Variant::template make_fused_rule<Mode>(t, master != nullptr ? master[i] : nullptr, options_, step - 1, storage));
      starts.push_back(starts.back() + t.size);
      grads.push_back(std::span<const grad_type>(static_cast<const grad_type*>(t.grad), t.size));
    }
    const step_policy given = policy != nullptr ? *policy : step_policy{};
    step_report report;
    if (!apply_call_policy(std::span<rule_type>(rules.data(), rules.size()),
                           std::span<const std::span<const grad_type>>(grads.data(), grads.size()), given, exec, report))
      return report;
    run_tensors(std::span<const rule_type>(rules.data(), rules.size()),
                std::span<const std::size_t>(starts.data(), starts.size()), exec, given.flush_denormals);
    return report;
  }

  /// Reads the handle's options and writes only `scalars` (the handle's, or a
  /// staged chunk's copy): staged chunks call it from several threads at once.
  template <class T>
  step_report step_typed(scalars_type& scalars, std::span<const inertia_tensor> tensors, long long step,
                         const step_policy* policy, const execution& exec) const {
    using tensor_type = typename Variant::template tensor_type<T>;
    const argument_checks check("inertia_optimizer_step", Variant::name);
    if (step < 1)
      check.fail(error_kind::hyperparameter, "step",
                 "step = " + std::to_string(step) + " must be >= 1 (the 1-based number of this step)");
    if (policy != nullptr && !Variant::takes_policy)
      check.fail(error_kind::hyperparameter, "policy",
                 std::string("policy must be NULL: ") + Variant::name + " takes no step policy");
    // The pieces of every tensor, checked for NULL and for unused state.
    small_vector<tensor_type, 4> converted;  // a call of up to four tensors allocates nothing here
    converted.reserve(tensors.size());
    // For variants whose tensors hold a span of spans (AggMo). Thread-local and
    // reused, so that a step allocates nothing once the capacity is there (an
    // allocation per call made AggMo's 4 KiB step 20% slower); reserved before
    // the loop, so the spans the tensors keep into it stay valid.
    static thread_local std::vector<std::span<T>> scratch_storage;
    std::vector<std::span<T>>& scratch = scratch_storage;
    scratch.clear();
    if constexpr (requires { Variant::keeps_state_views; })
      scratch.reserve(tensors.size() * state_count_);
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      const inertia_tensor& t = tensors[i];
      const std::size_t n = t.size;
      const auto require = [&](const void* pointer, const char* name) {
        if (pointer == nullptr && n != 0)
          check.fail(error_kind::null_pointer, name,
                     "tensor " + std::to_string(i) + " " + name + " is NULL but size = " + std::to_string(n));
      };
      require(t.param, "param");
      if constexpr (uses_grad<Variant>()) {
        require(t.grad, "grad");
      } else if (t.grad != nullptr) {
        check.fail(error_kind::unused_state, "grad",
                   "tensor " + std::to_string(i) + " grad must be NULL: " + Variant::name + " reads no gradient");
      }
      std::span<T> state[INERTIA_MAX_STATE];
      for (std::size_t j = 0; j < INERTIA_MAX_STATE; ++j) {
        if (j < state_count_) {
          require(t.state[j], Variant::state[state_index_[j]].name);
          state[j] = std::span<T>(static_cast<T*>(t.state[j]), n);
        } else if (t.state[j] != nullptr) {
          check.fail(error_kind::unused_state, "state[" + std::to_string(j) + "]",
                     "tensor " + std::to_string(i) + " state[" + std::to_string(j) + "] is given, but " +
                         Variant::name + " with these options keeps " + std::to_string(state_count_) +
                         " state buffer(s) per tensor");
        }
      }
      const std::span<T> param(static_cast<T*>(t.param), n);
      const std::span<const T> grad(static_cast<const T*>(t.grad), n);
      const std::span<const std::span<T>> present(state, state_count_);
      if constexpr (requires { Variant::template tensor_of<T>(param, grad, present, scratch, options_); })
        converted.push_back(Variant::template tensor_of<T>(param, grad, present, scratch, options_));
      else
        converted.push_back(Variant::template tensor_of<T>(param, grad, present, scratch));
    }
    const std::span<const tensor_type> view(converted.data(), tensors.size());
    if constexpr (has_group_step<Variant>) {
      options_type options = options_;  // group_step takes its options by reference
      return Variant::template group_step<T>(options, scalars, view, step - 1, policy, exec);
    } else {
      param_group<options_type, tensor_type> group{options_, view, step - 1};
      return step_groups<Variant>(std::span(&group, 1), exec, policy != nullptr ? *policy : step_policy{});
    }
  }

  options_type options_;
  scalars_type scalars_{};
  std::vector<double> array_storage_;  ///< what a variable-length array option views
  std::size_t state_count_ = 0;
  std::size_t state_index_[INERTIA_MAX_STATE] = {};
};

/// One registered variant: its names and how to make a handle.
struct variant_entry {
  const char* name;
  std::span<const char* const> aliases;
  inertia_optimizer* (*create)();
};

template <class Variant>
constexpr std::span<const char* const> aliases_of() {
  if constexpr (requires { Variant::aliases; })
    return Variant::aliases;
  else
    return {};
}

template <class Variant>
inertia_optimizer* create_optimizer() {
  return new variant_optimizer<Variant>();
}

template <class Variant>
constexpr variant_entry entry_of() {
  return {Variant::name, aliases_of<Variant>(), &create_optimizer<Variant>};
}

/// Every registered variant (lib/registry/registry.cpp).
std::span<const variant_entry* const> registered_variants();
/// By name or alias; nullptr when unknown.
const variant_entry* find_variant(std::string_view name);

}  // namespace inertia::detail

/// In a variant's .cpp, at namespace scope: puts Variant in the registry.
/// CMake collects the tokens of these lines (lib/CMakeLists.txt).
#define INERTIA_REGISTER_VARIANT(token, Variant)                                  \
  namespace inertia::detail {                                                     \
  const variant_entry* registered_variant_##token() {                             \
    static constexpr variant_entry entry = entry_of<Variant>();                   \
    return &entry;                                                                \
  }                                                                               \
  }
