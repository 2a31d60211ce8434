// signum entry points. Signum is Lion with beta1 = beta2 = beta and no weight
// decay, so it runs lion's rule (lib/variants/lion.hpp) with those options.
#include "inertia/signum.hpp"

#include "registry/optimizer.hpp"
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
    detail::check_declared(check, options, o);
  }

  template <class T>
  static detail::lion_rule<T> make_rule(const signum_tensor<T>& t, const signum_options& o, std::int64_t) {
    return detail::lion_rule<T>::make(t.param.data(), t.grad.data(), t.velocity.data(),
                                      lion_options{o.lr, o.beta, o.beta, 0.0});
  }
};

}  // namespace

void signum_step(std::span<float> param, std::span<const float> grad, std::span<float> velocity,
                 const signum_options& options, const execution& exec) {
  detail::step_one<signum_variant>(signum_tensor<float>{param, grad, velocity}, options, 0, exec);
}

void signum_step(std::span<double> param, std::span<const double> grad, std::span<double> velocity,
                 const signum_options& options, const execution& exec) {
  detail::step_one<signum_variant>(signum_tensor<double>{param, grad, velocity}, options, 0, exec);
}

void signum_step(std::span<signum_group<float>> groups, const execution& exec) {
  detail::step_groups<signum_variant>(groups, exec);
}

void signum_step(std::span<signum_group<double>> groups, const execution& exec) {
  detail::step_groups<signum_variant>(groups, exec);
}

step_report signum_step(std::span<signum_group<float>> groups, const step_policy& policy, const execution& exec) {
  return detail::step_groups<signum_variant>(groups, exec, policy);
}

step_report signum_step(std::span<signum_group<double>> groups, const step_policy& policy, const execution& exec) {
  return detail::step_groups<signum_variant>(groups, exec, policy);
}

}  // namespace inertia

INERTIA_REGISTER_VARIANT(signum, signum_variant)
