#pragma once
// A variant's declaration: what lib/variants/<name>.cpp says once, in its
// <name>_variant struct, and what everything generic is derived from.
//
// Besides what step_groups.hpp needs (function, options_type, make_rule, the
// tensor checks), a registered variant declares:
//   name                      the C ABI / profiler name, e.g. "heavy_ball"
//   aliases                   other accepted names (std::array<const char*, N>), optional
//   options                   a constexpr array of option<options_type>: the
//                             frameworks' keys, each with its valid range;
//                             check_options() is check_declared() over it plus
//                             the relations between options (check_relations)
//   state                     a constexpr array of state_buffer<options_type>:
//                             the per-tensor buffers after param and grad, in
//                             the order the per-variant calls take them, each
//                             with the options that make it present
//   template tensor_type<T>   the C++ tensor struct, and
//   tensor_of<T>(param, grad, state, scratch)   one built from the generic pieces
//                             (or tensor_of<T>(param, grad, state, scratch, options), where which
//                             buffers are present depends on more than one option: rmsprop)
//   takes_policy              whether a step_policy applies (it is about gradients)
// and, where the shared group runner is not the variant's:
//   group_step<T>(options, scalars, tensors, steps_taken, policy, exec)
//   scalars_type, scalar_state  state kept per param group, not per tensor (NAdam's mu_product)
//   defaults()                the options a new handle starts with, when not options_type{}
//   uses_grad = false         the variant reads no gradient (weight_ema)
//   norm_pass_reads           arrays read in a pass before the update (LARS: 2, param and grad);
//                             a variant that declares it is not elementwise (inertia_optimizer_elementwise):
//                             a piece of a tensor does not step as the whole does
// lib/registry/optimizer.hpp turns such a struct into an inertia_optimizer;
// INERTIA_REGISTER_VARIANT(token, variant) in the variant's .cpp puts it in the
// registry (lib/registry/registry.cpp), from a list CMake generates.
#include <array>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

#include "validate.hpp"

namespace inertia::detail {

/// What a key holds: how the C ABI sets it (inertia_optimizer_set for number,
/// flag and the elements of an array via set_array; set_string for choice).
enum class option_kind { number, flag, choice, array };

/// The valid values of a number or of each element of an array.
enum class value_range {
  finite,       ///< any finite value
  nonnegative,  ///< >= 0, finite
  positive,     ///< > 0, finite
  unit_open,    ///< [0, 1): a momentum-like decay (argument_checks::momentum)
  unit_closed,  ///< [0, 1]
};

/// Whether value is valid for range: the inline test a valid call passes;
/// check_value says why not.
inline bool in_range(double value, value_range range) {
  switch (range) {
    case value_range::finite: return std::isfinite(value);
    case value_range::nonnegative: return std::isfinite(value) && value >= 0.0;
    case value_range::positive: return std::isfinite(value) && value > 0.0;
    case value_range::unit_open: return value >= 0.0 && value < 1.0;
    case value_range::unit_closed: return value >= 0.0 && value <= 1.0;
  }
  return false;
}

template <value_range Range>
[[gnu::always_inline]] inline bool in_range(double value) {
  if constexpr (Range == value_range::finite) return std::isfinite(value);
  if constexpr (Range == value_range::nonnegative) return std::isfinite(value) && value >= 0.0;
  if constexpr (Range == value_range::positive) return std::isfinite(value) && value > 0.0;
  if constexpr (Range == value_range::unit_open) return value >= 0.0 && value < 1.0;
  if constexpr (Range == value_range::unit_closed) return value >= 0.0 && value <= 1.0;
}

/// Checks value against range with argument_checks' messages; reason says why
/// a positive value must be positive.
void check_value(const argument_checks& check, const char* name, double value, value_range range, const char* reason);

template <class Options>
struct option {
  const char* key;
  option_kind kind;
  value_range range = value_range::finite;
  const char* reason = nullptr;  ///< for value_range::positive
  /// Element i (0 unless an array) as a double: a flag is 0 or 1, a choice its index.
  double (*get)(const Options&, std::size_t) = nullptr;
  /// Writes element i, already validated.
  void (*set)(Options&, std::size_t, double) = nullptr;
  /// An array's length: fixed arrays have min_count == max_count.
  std::size_t (*count)(const Options&) = nullptr;
  std::size_t min_count = 1, max_count = 1;
  /// A variable-length array: make the options view `stored` (the handle's copy).
  void (*view)(Options&, std::span<const double> stored) = nullptr;
  /// A fixed array's elements as the C++ options name them (beta1, beta2), for messages.
  std::span<const char* const> element_names = {};
  /// A choice's values, by index.
  std::span<const char* const> choices = {};
};

template <class Options>
struct state_buffer {
  const char* name;
  bool (*present)(const Options&);
  /// What the buffer holds before a tensor's first step, as the framework
  /// creates it: nullptr, zeros; else the option of this key, every element
  /// (adagrad's sum: initial_accumulator_value, as torch fills it). The step
  /// leaves creating the state to the caller; tools that replay a recording
  /// (inertia-check) read this.
  const char* initial_key = nullptr;
  /// The step with t == 1 writes the buffer without reading it (heavy_ball:
  /// buffer = gradient, as torch creates momentum_buffer on a parameter's first
  /// step), so a recording that holds the buffer was made after step 1.
  bool created_by_first_step = false;
};

template <class Options>
constexpr bool always(const Options&) {
  return true;
}

namespace option_builders {

template <class M>
struct member_of;
template <class C, class V>
struct member_of<V C::*> {
  using owner = C;
  using value = V;
};
template <auto Member>
using owner_of = typename member_of<decltype(Member)>::owner;
template <auto Member>
using value_of = typename member_of<decltype(Member)>::value;

/// A number option held in a double (or float) member.
template <auto Member>
constexpr option<owner_of<Member>> number(const char* key, value_range range, const char* reason = nullptr) {
  using O = owner_of<Member>;
  using V = value_of<Member>;
  return {.key = key,
          .kind = option_kind::number,
          .range = range,
          .reason = reason,
          .get = [](const O& o, std::size_t) { return static_cast<double>(o.*Member); },
          .set = [](O& o, std::size_t, double v) { o.*Member = static_cast<V>(v); }};
}

/// A flag held in a bool member: the C ABI sets it as 0 or 1.
template <auto Member>
constexpr option<owner_of<Member>> flag(const char* key) {
  using O = owner_of<Member>;
  return {.key = key,
          .kind = option_kind::flag,
          .get = [](const O& o, std::size_t) { return o.*Member ? 1.0 : 0.0; },
          .set = [](O& o, std::size_t, double v) { o.*Member = v != 0.0; }};
}

/// An enum member whose enumerators are 0, 1, ... in the order of names.
template <auto Member>
constexpr option<owner_of<Member>> choice(const char* key, std::span<const char* const> names) {
  using O = owner_of<Member>;
  using E = value_of<Member>;
  return {.key = key,
          .kind = option_kind::choice,
          .get = [](const O& o, std::size_t) { return static_cast<double>(static_cast<int>(o.*Member)); },
          .set = [](O& o, std::size_t, double v) { o.*Member = static_cast<E>(static_cast<int>(v)); },
          .choices = names};
}

/// Two double members set together as one array key, in the framework's
/// order (torch's betas = (beta1, beta2)).
template <auto First, auto Second>
constexpr option<owner_of<First>> pair(const char* key, std::span<const char* const> names, value_range range) {
  using O = owner_of<First>;
  return {.key = key,
          .kind = option_kind::array,
          .range = range,
          .get = [](const O& o, std::size_t i) { return i == 0 ? o.*First : o.*Second; },
          .set = [](O& o, std::size_t i, double v) { (i == 0 ? o.*First : o.*Second) = v; },
          .count = [](const O&) -> std::size_t { return 2; },
          .min_count = 2,
          .max_count = 2,
          .element_names = names};
}

/// A std::span<const double> member of min..max elements (AggMo's betas): the
/// handle keeps the values, the options view them.
template <auto Member>
constexpr option<owner_of<Member>> span(const char* key, value_range range, std::size_t min_count,
                                        std::size_t max_count) {
  using O = owner_of<Member>;
  return {.key = key,
          .kind = option_kind::array,
          .range = range,
          .get = [](const O& o, std::size_t i) { return (o.*Member)[i]; },
          .count = [](const O& o) { return (o.*Member).size(); },
          .min_count = min_count,
          .max_count = max_count,
          .view = [](O& o, std::span<const double> stored) { o.*Member = stored; }};
}

}  // namespace option_builders

/// "betas[2]"
std::string indexed(const char* name, std::size_t index);

/// The range of every declared number and array element of o; an array's
/// length too. What every variant's check_options does first.
template <class Options, std::size_t N>
void check_declared(const argument_checks& check, const std::array<option<Options>, N>& table, const Options& o) {
  for (const option<Options>& entry : table) {
    if (entry.kind == option_kind::number) {
      const double value = entry.get(o, 0);
      if (!in_range(value, entry.range)) check_value(check, entry.key, value, entry.range, entry.reason);
    } else if (entry.kind == option_kind::array) {
      const std::size_t count = entry.count(o);
      if (count < entry.min_count || count > entry.max_count)
        check.fail(error_kind::hyperparameter, entry.key,
                   std::string(entry.key) + " has " + std::to_string(count) + " elements; it takes " +
                       std::to_string(entry.min_count) +
                       (entry.min_count == entry.max_count ? "" : " to " + std::to_string(entry.max_count)));
      for (std::size_t i = 0; i < count; ++i) {
        if (in_range(entry.get(o, i), entry.range)) continue;  // names are built only for a message
        const std::string name = entry.element_names.empty() ? indexed(entry.key, i) : entry.element_names[i];
        check_value(check, name.c_str(), entry.get(o, i), entry.range, entry.reason);
      }
    } else if (entry.kind == option_kind::choice) {  // a C++ enum cast from an out-of-range integer
      const double index = entry.get(o, 0);
      if (!(index >= 0.0 && index < static_cast<double>(entry.choices.size())))
        check.fail(error_kind::hyperparameter, entry.key,
                   std::string(entry.key) + " is " + std::to_string(static_cast<long long>(index)) +
                       ", not one of its " + std::to_string(entry.choices.size()) + " enumerators");
    }
  }
}

/// check_declared over a table known at compile time (a variant's
/// `options`): the same checks, unrolled, with each option's getter inlined,
/// so a valid call spends a few instructions per option instead of an
/// indirect call and a switch (a 16-float step is mostly its checks).
template <const auto& Table, class Options>
void check_declared(const argument_checks& check, const Options& o) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    const auto check_one = [&]<std::size_t K>(std::integral_constant<std::size_t, K>) {
      constexpr const option<Options>& entry = Table[K];
      if constexpr (entry.kind == option_kind::number) {
        constexpr auto get = entry.get;
        const double value = get(o, 0);
        if (!in_range<entry.range>(value)) [[unlikely]]
          check_value(check, entry.key, value, entry.range, entry.reason);
      } else if constexpr (entry.kind == option_kind::choice) {  // an enum cast from an out-of-range integer
        constexpr auto get = entry.get;
        const double index = get(o, 0);
        if (!(index >= 0.0 && index < static_cast<double>(entry.choices.size()))) [[unlikely]]
          check_declared(check, std::array<option<Options>, 1>{entry}, o);
      } else if constexpr (entry.kind == option_kind::array) {
        check_declared(check, std::array<option<Options>, 1>{entry}, o);
      }
    };
    (check_one(std::integral_constant<std::size_t, I>{}), ...);
  }(std::make_index_sequence<std::tuple_size_v<std::remove_cvref_t<decltype(Table)>>>{});
}

}  // namespace inertia::detail
