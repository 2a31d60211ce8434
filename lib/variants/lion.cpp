// lion entry points: what a valid call is, and how options become a rule.
#include "variants/lion.hpp"

#include "registry/optimizer.hpp"
#include "entry_points.hpp"
#include "step_groups.hpp"
#include "variants/velocity_tensor.hpp"

namespace inertia {
namespace {
using namespace detail::option_builders;
using detail::value_range;

struct lion_variant : detail::velocity_tensor_variant {
  static constexpr const char* function = "inertia::lion_step";
  using options_type = lion_options;

  static constexpr const char* name = "lion";
  static constexpr std::array<const char*, 2> beta_names{"beta1", "beta2"};
  static constexpr std::array options{
      number<&lion_options::lr>("lr", value_range::nonnegative),
      pair<&lion_options::beta1, &lion_options::beta2>("betas", beta_names, value_range::unit_open),
      number<&lion_options::weight_decay>("weight_decay", value_range::nonnegative)};
  /// The momentum m; lion-pytorch's state["exp_avg"].
  static constexpr std::array state{detail::state_buffer<lion_options>{"exp_avg", detail::always<lion_options>}};

  static void check_options(const detail::argument_checks& check, const lion_options& o) {
    detail::check_declared<options>(check, o);
  }

  template <class T>
  static detail::lion_rule<T> make_rule(const lion_tensor<T>& t, const lion_options& o, std::int64_t) {
    return detail::lion_rule<T>::make(t.param.data(), t.grad.data(), t.velocity.data(), o);
  }
};

}  // namespace

INERTIA_SPAN_ENTRY_POINTS(lion_step, lion_options, velocity_tensor, lion_variant)
INERTIA_GROUP_ENTRY_POINTS(lion_step, lion_group, lion_variant)

}  // namespace inertia

INERTIA_REGISTER_VARIANT(lion, lion_variant)
