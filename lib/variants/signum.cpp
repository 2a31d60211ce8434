// signum entry points. Signum is Lion with beta1 = beta2 = beta and no weight
// decay, so it runs lion's rule (lib/variants/lion.hpp) with those options.
#include "inertia/signum.hpp"

#include "registry/optimizer.hpp"
#include "entry_points.hpp"
#include "step_groups.hpp"
#include "variants/lion.hpp"
#include "variants/velocity_tensor.hpp"

namespace inertia {
namespace {
using namespace detail::option_builders;
using detail::value_range;

struct signum_variant : detail::velocity_tensor_variant {
  static constexpr const char* function = "inertia::signum_step";
  using options_type = signum_options;

  static constexpr const char* name = "signum";
  static constexpr std::array options{number<&signum_options::lr>("lr", value_range::nonnegative),
                                      number<&signum_options::beta>("beta", value_range::unit_open)};
  static constexpr std::array state{
      detail::state_buffer<signum_options>{"momentum_buffer", detail::always<signum_options>}};

  static void check_options(const detail::argument_checks& check, const signum_options& o) {
    detail::check_declared<options>(check, o);
  }

  template <class T>
  static detail::lion_rule<T> make_rule(const signum_tensor<T>& t, const signum_options& o, std::int64_t) {
    return detail::lion_rule<T>::make(t.param.data(), t.grad.data(), t.velocity.data(),
                                      lion_options{o.lr, o.beta, o.beta, 0.0});
  }
};

}  // namespace

INERTIA_SPAN_ENTRY_POINTS(signum_step, signum_options, velocity_tensor, signum_variant)
INERTIA_GROUP_ENTRY_POINTS(signum_step, signum_group, signum_variant)

}  // namespace inertia

INERTIA_REGISTER_VARIANT(signum, signum_variant)
