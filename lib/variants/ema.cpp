// ema entry points: what a valid call is, and how options become a rule.
#include "variants/ema.hpp"

#include "inertia/multi_tensor.hpp"
#include "registry/optimizer.hpp"
#include "entry_points.hpp"
#include "step_groups.hpp"
#include "variants/velocity_tensor.hpp"

namespace inertia {
namespace {
using namespace detail::option_builders;
using detail::value_range;

struct ema_variant : detail::velocity_tensor_variant {
  static constexpr const char* function = "inertia::ema_step";
  using options_type = ema_options;

  static constexpr const char* name = "ema";
  static constexpr std::array options{number<&ema_options::lr>("lr", value_range::nonnegative),
                                      number<&ema_options::beta>("beta", value_range::unit_open),
                                      flag<&ema_options::bias_correction>("bias_correction")};
  static constexpr std::array state{detail::state_buffer<ema_options>{"velocity", detail::always<ema_options>}};

  static void check_options(const detail::argument_checks& check, const ema_options& o) {
    detail::check_declared<options>(check, o);
  }

  /// This step is number steps_taken + 1 (bias correction counts from 1).
  template <class T>
  static detail::ema_rule<T> make_rule(const velocity_tensor<T>& t, const ema_options& o, std::int64_t steps_taken) {
    return detail::ema_rule<T>::make(t.param.data(), t.grad.data(), t.velocity.data(), o, steps_taken + 1);
  }
};

}  // namespace

INERTIA_SPAN_ENTRY_POINTS(ema_step, ema_options, velocity_tensor, ema_variant)
INERTIA_GROUP_ENTRY_POINTS(ema_step, ema_group, ema_variant)

}  // namespace inertia

INERTIA_REGISTER_VARIANT(ema, ema_variant)
