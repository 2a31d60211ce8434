// weight_ema entry points: what a valid call is, and how options become a rule.
#include "variants/weight_ema.hpp"

#include <vector>

#include "registry/optimizer.hpp"
#include "entry_points.hpp"
#include "step_groups.hpp"

namespace inertia {
namespace {

using namespace detail::option_builders;
using detail::value_range;

constexpr std::array<const char*, 2> rounding_names{"torch_lerp", "mul_add"};  // weight_ema_rounding's order

struct weight_ema_variant {
  static constexpr const char* function = "inertia::weight_ema_step";
  static constexpr const char* name = "weight_ema";
  using options_type = weight_ema_options;
  /// It reads the parameters, not a gradient: a step policy has nothing to act on.
  static constexpr bool takes_policy = false;
  static constexpr bool uses_grad = false;

  static constexpr std::array options{number<&weight_ema_options::decay>("decay", value_range::unit_closed),
                                      flag<&weight_ema_options::warmup>("warmup"),
                                      choice<&weight_ema_options::rounding>("rounding", rounding_names)};
  /// The generic call's param is the model's weights (read); the average is state.
  static constexpr std::array state{
      detail::state_buffer<weight_ema_options>{"average", detail::always<weight_ema_options>}};

  template <class T>
  using tensor_type = weight_ema_tensor<T>;
  template <class T>
  static weight_ema_tensor<T> tensor_of(std::span<T> param, std::span<const T>, std::span<const std::span<T>> state,
                                        std::vector<std::span<T>>&) {
    return {state[0], param};
  }

  static void check_options(const detail::argument_checks& check, const weight_ema_options& o) {
    detail::check_declared<options>(check, o);
  }

  template <class T>
  static void check_tensor(const detail::argument_checks& check, const weight_ema_tensor<T>& t,
                           const weight_ema_options&) {
    check.same_length("param", t.param.size(), "average", t.average.size());
    check.disjoint("average", t.average, "param", t.param);
  }

  template <class T, class Visit>
  static void for_each_buffer(const weight_ema_tensor<T>& t, Visit visit) {
    visit("average", t.average);
    visit("param", t.param);
  }

  template <class T>
  static detail::weight_ema_rule<T> make_rule(const weight_ema_tensor<T>& t, const weight_ema_options& o,
                                              std::int64_t updates) {
    return detail::weight_ema_rule<T>::make(t.average.data(), t.param.data(), o, updates);
  }
};

}  // namespace

step_report weight_ema_step(std::span<float> average, std::span<const float> param, const weight_ema_options& options,
                            std::int64_t step, const step_policy& policy, const execution& exec) {
  return detail::step_one<weight_ema_variant>(weight_ema_tensor<float>{average, param}, options, step, policy, exec);
}

step_report weight_ema_step(std::span<double> average, std::span<const double> param,
                            const weight_ema_options& options, std::int64_t step, const step_policy& policy,
                            const execution& exec) {
  return detail::step_one<weight_ema_variant>(weight_ema_tensor<double>{average, param}, options, step, policy, exec);
}

INERTIA_GROUP_ENTRY_POINTS(weight_ema_step, weight_ema_group, weight_ema_variant)

}  // namespace inertia

INERTIA_REGISTER_VARIANT(weight_ema, weight_ema_variant)
