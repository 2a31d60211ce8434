// schedule_free_sgd and schedule_free_adamw: entry points, declarations, and
// the evaluation swap. Equations: include/inertia/schedule_free*.hpp.
#include "variants/schedule_free.hpp"

#include <string>
#include <vector>

#include "driver.hpp"
#include "registry/optimizer.hpp"
#include "step_groups.hpp"
#include "variants/weight_ema.hpp"

namespace inertia {
namespace {

using namespace detail::option_builders;
using detail::value_range;

constexpr std::array<const char*, 2> beta_names{"beta1", "beta2"};

/// A group's options as the shared group logic sees them: the options and
/// the group's scalars before this step.
template <class Options>
struct schedule_free_call {
  Options options;
  schedule_free_scalars scalars;
};

void check_scalars(const detail::argument_checks& check, const schedule_free_scalars& s) {
  check.finite("lr_max", s.lr_max);
  check.at_least("weight_sum", s.weight_sum, 0.0);
}

template <class Options>
schedule_free_schedule schedule_of(const Options& o, std::int64_t step, const schedule_free_scalars& before) {
  return detail::schedule_free_at(o.lr, o.warmup_steps, o.r, o.weight_lr_power, step, before);
}

struct schedule_free_sgd_variant {
  static constexpr const char* function = "inertia::schedule_free_sgd_step";
  using options_type = schedule_free_call<schedule_free_sgd_options>;
  static constexpr std::array options{
      number<&schedule_free_sgd_options::lr>("lr", value_range::nonnegative),
      number<&schedule_free_sgd_options::momentum>("momentum", value_range::unit_open),
      number<&schedule_free_sgd_options::weight_decay>("weight_decay", value_range::nonnegative),
      number<&schedule_free_sgd_options::warmup_steps>("warmup_steps", value_range::nonnegative),
      number<&schedule_free_sgd_options::r>("r", value_range::finite),
      number<&schedule_free_sgd_options::weight_lr_power>("weight_lr_power", value_range::finite)};

  static void check_options(const detail::argument_checks& check, const options_type& c) {
    detail::check_declared<options>(check, c.options);
    if (c.options.momentum == 0.0)  // SGDScheduleFree: "Momentum must be between 0 and 1 exclusive"
      check.fail(error_kind::hyperparameter, "momentum",
                 "momentum = 0 must be in (0, 1): Schedule-Free SGD interpolates with it (schedulefree requires it)");
    check_scalars(check, c.scalars);
  }

  template <class T>
  static void check_tensor(const detail::argument_checks& check, const schedule_free_sgd_tensor<T>& t,
                           const options_type&) {
    check.same_length("grad", t.grad.size(), "param", t.param.size());
    check.same_length("z", t.z.size(), "param", t.param.size());
    check.disjoint("grad", t.grad, "param", t.param);
    check.disjoint("z", t.z, "param", t.param);
    check.disjoint("z", t.z, "grad", t.grad);
  }

  template <class T, class Visit>
  static void for_each_buffer(const schedule_free_sgd_tensor<T>& t, Visit visit) {
    visit("param", t.param);
    visit("grad", t.grad);
    visit("z", t.z);
  }

  template <class T>
  static detail::schedule_free_sgd_rule<T> make_rule(const schedule_free_sgd_tensor<T>& t, const options_type& c,
                                                     std::int64_t steps_taken) {
    return detail::schedule_free_sgd_rule<T>::make(t, c.options, schedule_of(c.options, steps_taken + 1, c.scalars));
  }
};

struct schedule_free_adamw_variant {
  static constexpr const char* function = "inertia::schedule_free_adamw_step";
  using options_type = schedule_free_call<schedule_free_adamw_options>;
  static constexpr std::array options{
      number<&schedule_free_adamw_options::lr>("lr", value_range::nonnegative),
      pair<&schedule_free_adamw_options::beta1, &schedule_free_adamw_options::beta2>("betas", beta_names,
                                                                                     value_range::unit_open),
      number<&schedule_free_adamw_options::eps>("eps", value_range::positive, "it keeps the denominator from 0"),
      number<&schedule_free_adamw_options::weight_decay>("weight_decay", value_range::nonnegative),
      number<&schedule_free_adamw_options::warmup_steps>("warmup_steps", value_range::nonnegative),
      number<&schedule_free_adamw_options::r>("r", value_range::finite),
      number<&schedule_free_adamw_options::weight_lr_power>("weight_lr_power", value_range::finite)};

  static void check_options(const detail::argument_checks& check, const options_type& c) {
    detail::check_declared<options>(check, c.options);
    check_scalars(check, c.scalars);
  }

  template <class T>
  static void check_tensor(const detail::argument_checks& check, const schedule_free_adamw_tensor<T>& t,
                           const options_type&) {
    check.same_length("grad", t.grad.size(), "param", t.param.size());
    check.same_length("z", t.z.size(), "param", t.param.size());
    check.same_length("exp_avg_sq", t.exp_avg_sq.size(), "param", t.param.size());
    check.disjoint("grad", t.grad, "param", t.param);
    check.disjoint("z", t.z, "param", t.param);
    check.disjoint("z", t.z, "grad", t.grad);
    check.disjoint("exp_avg_sq", t.exp_avg_sq, "param", t.param);
    check.disjoint("exp_avg_sq", t.exp_avg_sq, "grad", t.grad);
    check.disjoint("exp_avg_sq", t.exp_avg_sq, "z", t.z);
  }

  template <class T, class Visit>
  static void for_each_buffer(const schedule_free_adamw_tensor<T>& t, Visit visit) {
    visit("param", t.param);
    visit("grad", t.grad);
    visit("z", t.z);
    visit("exp_avg_sq", t.exp_avg_sq);
  }

  template <class T>
  static detail::schedule_free_adamw_rule<T> make_rule(const schedule_free_adamw_tensor<T>& t, const options_type& c,
                                                       std::int64_t steps_taken) {
    const std::int64_t step = steps_taken + 1;
    return detail::schedule_free_adamw_rule<T>::make(t, c.options, step, schedule_of(c.options, step, c.scalars));
  }
};

/// Every group through one driver call; then each group's scalars and step
/// advance, unless the policy skipped the step (nothing written, nothing advanced).
template <class Variant, class Group>
step_report run_groups(std::span<Group> groups, const step_policy& policy, const execution& exec) {
  using tensor_type = std::remove_cvref_t<decltype(groups.front().tensors.front())>;
  std::vector<param_group<typename Variant::options_type, tensor_type>> calls;
  calls.reserve(groups.size());
  for (const Group& g : groups) calls.push_back({{g.options, g.scalars}, g.tensors, g.step});
  const step_report report = detail::step_groups<Variant>(std::span(calls), exec, policy);
  if (report.skipped) return report;
  for (std::size_t k = 0; k < groups.size(); ++k) {
    groups[k].scalars = schedule_of(groups[k].options, calls[k].step, groups[k].scalars).after;
    groups[k].step = calls[k].step;
  }
  return report;
}

template <class Variant, class Group, class Tensor, class Options>
step_report run_one(const Tensor& tensor, const Options& options, std::int64_t step, schedule_free_scalars& scalars,
                    const step_policy& policy, const execution& exec) {
  detail::check_step(Variant::function, step);
  Group group{options, std::span<const Tensor>(&tensor, 1), step - 1, scalars};
  const step_report report = run_groups<Variant>(std::span(&group, 1), policy, exec);
  scalars = group.scalars;
  return report;
}

/// The evaluation swap: param.lerp_(z, weight) with weight formed in double.
template <class T>
void swap(const char* function, std::span<T> param, std::span<const T> z, double beta, bool to_eval,
          const execution& exec) {
  const detail::argument_checks check(function);
  if (!(beta > 0.0 && beta < 1.0))
    check.fail(error_kind::hyperparameter, "beta",
               "beta = " + std::to_string(beta) + " must be in (0, 1): momentum (SGD) or betas[0] (AdamW)");
  check.same_length("z", z.size(), "param", param.size());
  check.disjoint("z", z, "param", param);
  const T weight = T(to_eval ? 1.0 - 1.0 / beta : 1.0 - beta);
  const bool small = std::abs(weight) < T(0.5);
  // average.lerp_(param, w) is weight_ema's rule: here average = param and param = z.
  detail::run(detail::weight_ema_rule<T>{param.data(), z.data(), small ? weight : T(weight - T(1)), T(0), true, small},
              param.size(), exec);
}

/// The generic handle: the options are the C++ options, and lr_max and
/// weight_sum are scalar state, as in schedulefree's param_groups.
template <class Variant, class Options, template <class> class Tensor, template <class> class Group>
struct schedule_free_descriptor_base {
  using options_type = Options;
  static constexpr bool takes_policy = true;
  using scalars_type = schedule_free_scalars;
  static constexpr std::array scalar_state{
      number<&schedule_free_scalars::lr_max>("lr_max", value_range::finite),
      number<&schedule_free_scalars::weight_sum>("weight_sum", value_range::nonnegative)};
  template <class T>
  using tensor_type = Tensor<T>;

  static constexpr bool group_step_declared = true;
  template <class T>
  static step_report group_step(Options& o, scalars_type& scalars, std::span<const Tensor<T>> tensors,
                                std::int64_t steps_taken, const step_policy* policy, const execution& exec) {
    Group<T> group{o, tensors, steps_taken, scalars};
    const step_report report =
        run_groups<Variant>(std::span(&group, 1), policy != nullptr ? *policy : step_policy{}, exec);
    scalars = group.scalars;
    return report;
  }
};

struct schedule_free_sgd_descriptor
    : schedule_free_descriptor_base<schedule_free_sgd_variant, schedule_free_sgd_options, schedule_free_sgd_tensor,
                                    schedule_free_sgd_group> {
  static constexpr const char* name = "schedule_free_sgd";
  static constexpr auto options = schedule_free_sgd_variant::options;
  static constexpr std::array state{
      detail::state_buffer<schedule_free_sgd_options>{"z", detail::always<schedule_free_sgd_options>}};
  template <class T>
  static schedule_free_sgd_tensor<T> tensor_of(std::span<T> param, std::span<const T> grad,
                                               std::span<const std::span<T>> state, std::vector<std::span<T>>&) {
    return {param, grad, state[0]};
  }
};

struct schedule_free_adamw_descriptor
    : schedule_free_descriptor_base<schedule_free_adamw_variant, schedule_free_adamw_options,
                                    schedule_free_adamw_tensor, schedule_free_adamw_group> {
  static constexpr const char* name = "schedule_free_adamw";
  static constexpr auto options = schedule_free_adamw_variant::options;
  static constexpr std::array state{
      detail::state_buffer<schedule_free_adamw_options>{"z", detail::always<schedule_free_adamw_options>},
      detail::state_buffer<schedule_free_adamw_options>{"exp_avg_sq", detail::always<schedule_free_adamw_options>}};
  template <class T>
  static schedule_free_adamw_tensor<T> tensor_of(std::span<T> param, std::span<const T> grad,
                                                 std::span<const std::span<T>> state, std::vector<std::span<T>>&) {
    return {param, grad, state[0], state[1]};
  }
};

}  // namespace

schedule_free_schedule schedule_free_schedule_at(double lr, double warmup_steps, double r, double weight_lr_power,
                                                 std::int64_t step, const schedule_free_scalars& before) {
  detail::check_step("inertia::schedule_free_schedule_at", step);
  return detail::schedule_free_at(lr, warmup_steps, r, weight_lr_power, step, before);
}

#define INERTIA_SCHEDULE_FREE_ENTRY_POINTS(name, T)                                                                \
  step_report name##_step(const name##_tensor<T>& tensor, const name##_options& options, std::int64_t step,        \
                          schedule_free_scalars& scalars, const step_policy& policy, const execution& exec) {      \
    return run_one<name##_variant, name##_group<T>>(tensor, options, step, scalars, policy, exec);                 \
  }                                                                                                                \
  step_report name##_step(std::span<name##_group<T>> groups, const step_policy& policy, const execution& exec) {  \
    return run_groups<name##_variant>(groups, policy, exec);                                                       \
  }
INERTIA_SCHEDULE_FREE_ENTRY_POINTS(schedule_free_sgd, float)
INERTIA_SCHEDULE_FREE_ENTRY_POINTS(schedule_free_sgd, double)
INERTIA_SCHEDULE_FREE_ENTRY_POINTS(schedule_free_adamw, float)
INERTIA_SCHEDULE_FREE_ENTRY_POINTS(schedule_free_adamw, double)
#undef INERTIA_SCHEDULE_FREE_ENTRY_POINTS

void schedule_free_eval(std::span<float> param, std::span<const float> z, double beta, const execution& exec) {
  swap("inertia::schedule_free_eval", param, z, beta, true, exec);
}
void schedule_free_eval(std::span<double> param, std::span<const double> z, double beta, const execution& exec) {
  swap("inertia::schedule_free_eval", param, z, beta, true, exec);
}
void schedule_free_train(std::span<float> param, std::span<const float> z, double beta, const execution& exec) {
  swap("inertia::schedule_free_train", param, z, beta, false, exec);
}
void schedule_free_train(std::span<double> param, std::span<const double> z, double beta, const execution& exec) {
  swap("inertia::schedule_free_train", param, z, beta, false, exec);
}

}  // namespace inertia

INERTIA_REGISTER_VARIANT(schedule_free_sgd, schedule_free_sgd_descriptor)
INERTIA_REGISTER_VARIANT(schedule_free_adamw, schedule_free_adamw_descriptor)
