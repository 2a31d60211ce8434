// heavy_ball entry points: what a valid call is, and how options become a rule.
#include "variants/heavy_ball.hpp"

#include "inertia/multi_tensor.hpp"
#include "step_groups.hpp"

namespace inertia {
namespace {

struct heavy_ball_variant {
  static constexpr const char* function = "inertia::heavy_ball_step";
  using options_type = heavy_ball_options;

  static void check_options(const detail::argument_checks& check, const heavy_ball_options& o) {
    check.at_least("lr", o.lr, 0.0);
    check.momentum("momentum", o.momentum);
    check.within("dampening", o.dampening, 0.0, 1.0);
    check.at_least("weight_decay", o.weight_decay, 0.0);
    if (o.nesterov && (o.momentum <= 0.0 || o.dampening != 0.0))
      check.fail(error_kind::hyperparameter, "nesterov", "nesterov requires momentum > 0 and dampening == 0");
  }

  template <class T>
  static void check_tensor(const detail::argument_checks& check, const heavy_ball_tensor<T>& t,
                           const heavy_ball_options& o) {
    check.same_length("grad", t.grad.size(), "param", t.param.size());
    check.disjoint("param", t.param, "grad", t.grad);
    if (o.momentum == 0.0) return;  // plain SGD keeps no buffer
    check.same_length("momentum_buffer", t.momentum_buffer.size(), "param", t.param.size());
    check.disjoint("momentum_buffer", t.momentum_buffer, "param", t.param);
    check.disjoint("momentum_buffer", t.momentum_buffer, "grad", t.grad);
  }

  template <class T, class Visit>
  static void for_each_buffer(const heavy_ball_tensor<T>& t, Visit visit) {
    visit("param", t.param);
    visit("grad", t.grad);
    visit("momentum_buffer", t.momentum_buffer);
  }

  template <class T>
  static detail::heavy_ball_rule<T> make_rule(const heavy_ball_tensor<T>& t, const heavy_ball_options& o, std::int64_t steps_taken) {
    return detail::heavy_ball_rule<T>::make(t.param.data(), t.grad.data(), o.momentum == 0.0 ? nullptr : t.momentum_buffer.data(),
                         t.param.size(), o, steps_taken == 0);
  }
};

}  // namespace

void heavy_ball_step(std::span<float> param, std::span<const float> grad, std::span<float> momentum_buffer,
                     const heavy_ball_options& options, bool first_step, const execution& exec) {
  detail::step_one<heavy_ball_variant>(heavy_ball_tensor<typename decltype(param)::element_type>{param, grad, momentum_buffer}, options, first_step ? 0 : 1, exec);
}

void heavy_ball_step(std::span<double> param, std::span<const double> grad, std::span<double> momentum_buffer,
                     const heavy_ball_options& options, bool first_step, const execution& exec) {
  detail::step_one<heavy_ball_variant>(heavy_ball_tensor<typename decltype(param)::element_type>{param, grad, momentum_buffer}, options, first_step ? 0 : 1, exec);
}

void heavy_ball_step(std::span<heavy_ball_group<float>> groups, const execution& exec) {
  detail::step_groups<heavy_ball_variant>(groups, exec);
}

void heavy_ball_step(std::span<heavy_ball_group<double>> groups, const execution& exec) {
  detail::step_groups<heavy_ball_variant>(groups, exec);
}

step_report heavy_ball_step(std::span<heavy_ball_group<float>> groups, const step_policy& policy, const execution& exec) {
  return detail::step_groups<heavy_ball_variant>(groups, exec, policy);
}

step_report heavy_ball_step(std::span<heavy_ball_group<double>> groups, const step_policy& policy, const execution& exec) {
  return detail::step_groups<heavy_ball_variant>(groups, exec, policy);
}

}  // namespace inertia
