// simplified_ademamix entry points and its declaration: options and state
// (Optax's names), rule.
#include "variants/simplified_ademamix.hpp"

#include <string>
#include <vector>

#include "entry_points.hpp"
#include "registry/optimizer.hpp"
#include "step_groups.hpp"

namespace inertia {
namespace {

using namespace detail::option_builders;
using detail::value_range;

struct simplified_ademamix_variant {
  static constexpr const char* function = "inertia::simplified_ademamix_step";
  static constexpr const char* name = "simplified_ademamix";
  using options_type = simplified_ademamix_options;
  using o = simplified_ademamix_options;
  static constexpr bool takes_policy = true;

  static constexpr std::array options{number<&o::lr>("lr", value_range::nonnegative),
                                      number<&o::b1>("b1", value_range::unit_open),
                                      number<&o::b2>("b2", value_range::unit_open),
                                      number<&o::alpha>("alpha", value_range::nonnegative),
                                      number<&o::eps>("eps", value_range::nonnegative),
                                      number<&o::eps_root>("eps_root", value_range::nonnegative),
                                      number<&o::weight_decay>("weight_decay", value_range::nonnegative)};
  /// Optax's ScaleBySimplifiedAdEMAMixState fields.
  static constexpr std::array state{detail::state_buffer<o>{"m", detail::always<o>},
                                    detail::state_buffer<o>{"n", detail::always<o>}};

  template <class T>
  using tensor_type = simplified_ademamix_tensor<T>;
  template <class T>
  static simplified_ademamix_tensor<T> tensor_of(std::span<T> param, std::span<const T> grad,
                                                 std::span<const std::span<T>> state, std::vector<std::span<T>>&) {
    return {param, grad, state[0], state[1]};
  }

  static void check_options(const detail::argument_checks& check, const o& options_value) {
    detail::check_declared<options>(check, options_value);
    if (options_value.eps == 0.0 && options_value.eps_root == 0.0)
      check.fail(error_kind::hyperparameter, "eps", "eps and eps_root are both 0: the denominator can be 0");
  }

  template <class T>
  static void check_tensor(const detail::argument_checks& check, const simplified_ademamix_tensor<T>& t, const o&) {
    check.same_length("grad", t.grad.size(), "param", t.param.size());
    check.same_length("m", t.m.size(), "param", t.param.size());
    check.same_length("n", t.n.size(), "param", t.param.size());
    check.disjoint("grad", t.grad, "param", t.param);
    check.disjoint("m", t.m, "param", t.param);
    check.disjoint("m", t.m, "grad", t.grad);
    check.disjoint("n", t.n, "param", t.param);
    check.disjoint("n", t.n, "grad", t.grad);
    check.disjoint("n", t.n, "m", t.m);
  }

  template <class T, class Visit>
  static void for_each_buffer(const simplified_ademamix_tensor<T>& t, Visit visit) {
    visit("param", t.param);
    visit("grad", t.grad);
    visit("m", t.m);
    visit("n", t.n);
  }

  /// This step is number steps_taken + 1 (the bias correction counts from 1).
  template <class T>
  static detail::simplified_ademamix_rule<T> make_rule(const simplified_ademamix_tensor<T>& t, const o& options_value,
                                                       std::int64_t steps_taken) {
    return detail::simplified_ademamix_rule<T>::make(t, options_value, steps_taken + 1);
  }
};

}  // namespace

INERTIA_TENSOR_ENTRY_POINTS(simplified_ademamix_step, simplified_ademamix_options, simplified_ademamix_tensor,
                            simplified_ademamix_variant)
INERTIA_GROUP_ENTRY_POINTS(simplified_ademamix_step, simplified_ademamix_group, simplified_ademamix_variant)

}  // namespace inertia

INERTIA_REGISTER_VARIANT(simplified_ademamix, simplified_ademamix_variant)
