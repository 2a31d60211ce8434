// adan entry points and its declaration: options (Optax's names), state, rule.
#include "variants/adan.hpp"

#include <string>
#include <vector>

#include "registry/optimizer.hpp"
#include "entry_points.hpp"
#include "step_groups.hpp"

namespace inertia {
namespace {

using namespace detail::option_builders;
using detail::value_range;

struct adan_variant {
  static constexpr const char* function = "inertia::adan_step";
  static constexpr const char* name = "adan";
  using options_type = adan_options;
  static constexpr bool takes_policy = true;

  static constexpr std::array options{number<&adan_options::lr>("lr", value_range::nonnegative),
                                      number<&adan_options::b1>("b1", value_range::unit_open),
                                      number<&adan_options::b2>("b2", value_range::unit_open),
                                      number<&adan_options::b3>("b3", value_range::unit_open),
                                      number<&adan_options::eps>("eps", value_range::nonnegative),
                                      number<&adan_options::eps_root>("eps_root", value_range::nonnegative),
                                      number<&adan_options::weight_decay>("weight_decay", value_range::nonnegative)};
  /// Optax's ScaleByAdanState fields; g is the previous step's gradient.
  static constexpr std::array state{detail::state_buffer<adan_options>{"m", detail::always<adan_options>},
                                    detail::state_buffer<adan_options>{"v", detail::always<adan_options>},
                                    detail::state_buffer<adan_options>{"n", detail::always<adan_options>},
                                    detail::state_buffer<adan_options>{"g", detail::always<adan_options>}};

  template <class T>
  using tensor_type = adan_tensor<T>;
  template <class T>
  static adan_tensor<T> tensor_of(std::span<T> param, std::span<const T> grad, std::span<const std::span<T>> state,
                                  std::vector<std::span<T>>&) {
    return {param, grad, state[0], state[1], state[2], state[3]};
  }

  static void check_options(const detail::argument_checks& check, const adan_options& o) {
    detail::check_declared<options>(check, o);
    if (o.eps == 0.0 && o.eps_root == 0.0)
      check.fail(error_kind::hyperparameter, "eps", "eps and eps_root are both 0: the denominator can be 0");
  }

  template <class T>
  static void check_tensor(const detail::argument_checks& check, const adan_tensor<T>& t, const adan_options&) {
    check.same_length("grad", t.grad.size(), "param", t.param.size());
    check.same_length("m", t.m.size(), "param", t.param.size());
    check.same_length("v", t.v.size(), "param", t.param.size());
    check.same_length("n", t.n.size(), "param", t.param.size());
    check.same_length("g", t.prev_grad.size(), "param", t.param.size());
    detail::require_pairwise_disjoint<6>(check, [&](auto visit) { for_each_buffer(t, visit); });
  }

  template <class T, class Visit>
  static void for_each_buffer(const adan_tensor<T>& t, Visit visit) {
    visit("param", t.param);
    visit("grad", t.grad);
    visit("m", t.m);
    visit("v", t.v);
    visit("n", t.n);
    visit("g", t.prev_grad);
  }

  /// This step is number steps_taken + 1 (bias corrections count from 1; step 1 has no difference).
  template <class T>
  static detail::adan_rule<T> make_rule(const adan_tensor<T>& t, const adan_options& o, std::int64_t steps_taken) {
    return detail::adan_rule<T>::make(t, o, steps_taken + 1);
  }
};

}  // namespace

INERTIA_TENSOR_ENTRY_POINTS(adan_step, adan_options, adan_tensor, adan_variant)
INERTIA_GROUP_ENTRY_POINTS(adan_step, adan_group, adan_variant)

}  // namespace inertia

INERTIA_REGISTER_VARIANT(adan, adan_variant)
