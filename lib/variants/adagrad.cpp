// adagrad entry points and its declaration: options, state, rule.
#include "variants/adagrad.hpp"

#include <string>
#include <vector>

#include "registry/optimizer.hpp"
#include "entry_points.hpp"
#include "step_groups.hpp"

namespace inertia {
namespace {

using namespace detail::option_builders;
using detail::value_range;

/// adagrad_numerics' order.
constexpr std::array<const char*, 4> numerics_names{"pytorch_loop", "pytorch_foreach", "pytorch_fused",
                                                    "pytorch_1_13"};

struct adagrad_variant {
  static constexpr const char* function = "inertia::adagrad_step";
  static constexpr const char* name = "adagrad";
  using options_type = adagrad_options;
  static constexpr bool takes_policy = true;

  static constexpr std::array options{
      number<&adagrad_options::lr>("lr", value_range::nonnegative),
      number<&adagrad_options::lr_decay>("lr_decay", value_range::nonnegative),
      number<&adagrad_options::weight_decay>("weight_decay", value_range::nonnegative),
      number<&adagrad_options::initial_accumulator_value>("initial_accumulator_value", value_range::nonnegative),
      number<&adagrad_options::eps>("eps", value_range::positive, "it keeps the denominator from 0"),
      flag<&adagrad_options::maximize>("maximize"),
      choice<&adagrad_options::numerics>("numerics", numerics_names)};
  /// torch fills sum with initial_accumulator_value; the caller does here.
  static constexpr std::array state{detail::state_buffer<adagrad_options>{
      .name = "sum", .present = detail::always<adagrad_options>, .initial_key = "initial_accumulator_value"}};

  template <class T>
  using tensor_type = adagrad_tensor<T>;
  template <class T>
  static adagrad_tensor<T> tensor_of(std::span<T> param, std::span<const T> grad, std::span<const std::span<T>> state,
                                     std::vector<std::span<T>>&) {
    return {param, grad, state[0]};
  }

  static void check_options(const detail::argument_checks& check, const adagrad_options& o) {
    detail::check_declared<options>(check, o);
  }

  template <class T>
  static void check_tensor(const detail::argument_checks& check, const adagrad_tensor<T>& t, const adagrad_options&) {
    check.same_length("grad", t.grad.size(), "param", t.param.size());
    check.same_length("sum", t.sum.size(), "param", t.param.size());
    check.disjoint("grad", t.grad, "param", t.param);
    check.disjoint("sum", t.sum, "param", t.param);
    check.disjoint("sum", t.sum, "grad", t.grad);
  }

  template <class T, class Visit>
  static void for_each_buffer(const adagrad_tensor<T>& t, Visit visit) {
    visit("param", t.param);
    visit("grad", t.grad);
    visit("sum", t.sum);
  }

  /// This step is number steps_taken + 1.
  template <class T>
  static detail::adagrad_rule<T> make_rule(const adagrad_tensor<T>& t, const adagrad_options& o,
                                           std::int64_t steps_taken) {
    return detail::adagrad_rule<T>::make(t, o, steps_taken + 1);
  }
};

}  // namespace

INERTIA_TENSOR_ENTRY_POINTS(adagrad_step, adagrad_options, adagrad_tensor, adagrad_variant)
INERTIA_GROUP_ENTRY_POINTS(adagrad_step, adagrad_group, adagrad_variant)

}  // namespace inertia

INERTIA_REGISTER_VARIANT(adagrad, adagrad_variant)
