// adam and nadam entry points: what a valid call is, and how options become a rule.
#include "variants/adam.hpp"

#include <array>
#include <string>
#include <vector>

#include "step_groups.hpp"

namespace inertia {
namespace {

/// The hyperparameters Adam and NAdam share (torch's checks, with eps > 0).
template <class Options>
void check_shared_options(const detail::argument_checks& check, const Options& o) {
  check.at_least("lr", o.lr, 0.0);
  check.momentum("beta1", o.beta1);
  check.momentum("beta2", o.beta2);
  check.finite("eps", o.eps);
  if (o.eps <= 0.0) check.fail(error_kind::hyperparameter, "eps", "eps must be > 0 (it keeps the denominator from 0)");
  check.at_least("weight_decay", o.weight_decay, 0.0);
}

/// No two of the buffers for_each visits may share memory; the later one of a
/// pair is named.
template <class ForEach>
void check_pairwise_disjoint(const detail::argument_checks& check, ForEach for_each) {
  std::array<std::pair<const char*, std::span<const std::byte>>, 5> earlier;
  std::size_t count = 0;
  for_each([&](const char* name, auto span) {
    const auto bytes = std::as_bytes(span);
    for (std::size_t k = 0; k < count; ++k) check.disjoint(name, bytes, earlier[k].first, earlier[k].second);
    earlier[count++] = {name, bytes};
  });
}

/// param, grad and the two moments: the buffers of every member of the family.
template <class T, class Visit>
void visit_moment_buffers(const adam_tensor<T>& t, Visit& visit) {
  visit("param", t.param);
  visit("grad", t.grad);
  visit("exp_avg", t.exp_avg);
  visit("exp_avg_sq", t.exp_avg_sq);
}

template <class T>
void check_moment_lengths(const detail::argument_checks& check, const adam_tensor<T>& t) {
  check.same_length("grad", t.grad.size(), "param", t.param.size());
  check.same_length("exp_avg", t.exp_avg.size(), "param", t.param.size());
  check.same_length("exp_avg_sq", t.exp_avg_sq.size(), "param", t.param.size());
}

void check_step_count(const char* function, std::int64_t step) {
  if (step < 1)
    detail::argument_checks(function).fail(error_kind::hyperparameter, "step",
                                           "step = " + std::to_string(step) + " must be >= 1 (it counts from 1)");
}

struct adam_variant {
  static constexpr const char* function = "inertia::adam_step";
  using options_type = adam_options;

  static void check_options(const detail::argument_checks& check, const adam_options& o) {
    check_shared_options(check, o);
  }

  template <class T>
  static void check_tensor(const detail::argument_checks& check, const adam_tensor<T>& t, const adam_options& o) {
    check_moment_lengths(check, t);
    if (o.amsgrad) check.same_length("max_exp_avg_sq", t.max_exp_avg_sq.size(), "param", t.param.size());
    check_pairwise_disjoint(check, [&](auto visit) { for_each_buffer(t, visit); });
  }

  template <class T, class Visit>
  static void for_each_buffer(const adam_tensor<T>& t, Visit visit) {
    visit_moment_buffers(t, visit);
    visit("max_exp_avg_sq", t.max_exp_avg_sq);
  }

  /// This step is number steps_taken + 1 (bias corrections count from 1).
  template <class T>
  static detail::adam_rule<T> make_rule(const adam_tensor<T>& t, const adam_options& o, std::int64_t steps_taken) {
    return detail::adam_rule<T>::make(t, o, steps_taken + 1);
  }
};

/// A NAdam group's options as the shared group logic sees them: the options
/// and the group's mu_product before this step.
struct nadam_call_options {
  nadam_options options;
  float mu_product;
};

struct nadam_variant {
  static constexpr const char* function = "inertia::nadam_step";
  using options_type = nadam_call_options;

  static void check_options(const detail::argument_checks& check, const nadam_call_options& c) {
    check_shared_options(check, c.options);
    check.at_least("momentum_decay", c.options.momentum_decay, 0.0);
    check.within("mu_product", c.mu_product, 0.0, 1.0);
  }

  template <class T>
  static void check_tensor(const detail::argument_checks& check, const adam_tensor<T>& t, const nadam_call_options&) {
    check_moment_lengths(check, t);
    check_pairwise_disjoint(check, [&](auto visit) { for_each_buffer(t, visit); });
  }

  template <class T, class Visit>
  static void for_each_buffer(const adam_tensor<T>& t, Visit visit) {
    visit_moment_buffers(t, visit);  // max_exp_avg_sq is not NAdam's
  }

  template <class T>
  static detail::nadam_rule<T> make_rule(const adam_tensor<T>& t, const nadam_call_options& c,
                                         std::int64_t steps_taken) {
    const std::int64_t step = steps_taken + 1;
    return detail::nadam_rule<T>::make(t, c.options, step, detail::nadam_schedule::at(c.options, step, c.mu_product));
  }
};

template <class T>
void adam_one(const adam_tensor<T>& tensor, const adam_options& options, std::int64_t step, const execution& exec) {
  check_step_count(adam_variant::function, step);
  detail::step_one<adam_variant>(tensor, options, step - 1, exec);
}

template <class T>
void nadam_one(const adam_tensor<T>& tensor, const nadam_options& options, std::int64_t step, float& mu_product,
               const execution& exec) {
  check_step_count(nadam_variant::function, step);
  detail::step_one<nadam_variant>(tensor, nadam_call_options{options, mu_product}, step - 1, exec);
  mu_product = detail::nadam_schedule::at(options, step, mu_product).mu_product;
}

template <class T>
step_report nadam_groups(std::span<nadam_group<T>> groups, const step_policy& policy, const execution& exec) {
  std::vector<param_group<nadam_call_options, adam_tensor<T>>> calls;
  calls.reserve(groups.size());
  for (const nadam_group<T>& g : groups) calls.push_back({{g.options, g.mu_product}, g.tensors, g.step});
  const step_report report = detail::step_groups<nadam_variant>(std::span(calls), exec, policy);
  if (report.skipped) return report;  // nothing written, nothing advanced
  for (std::size_t k = 0; k < groups.size(); ++k) {
    groups[k].mu_product = detail::nadam_schedule::at(groups[k].options, calls[k].step, groups[k].mu_product).mu_product;
    groups[k].step = calls[k].step;
  }
  return report;
}

}  // namespace

void adam_step(const adam_tensor<float>& tensor, const adam_options& options, std::int64_t step,
               const execution& exec) {
  adam_one(tensor, options, step, exec);
}

void adam_step(const adam_tensor<double>& tensor, const adam_options& options, std::int64_t step,
               const execution& exec) {
  adam_one(tensor, options, step, exec);
}

void adam_step(std::span<adam_group<float>> groups, const execution& exec) {
  detail::step_groups<adam_variant>(groups, exec);
}

void adam_step(std::span<adam_group<double>> groups, const execution& exec) {
  detail::step_groups<adam_variant>(groups, exec);
}

void nadam_step(const adam_tensor<float>& tensor, const nadam_options& options, std::int64_t step, float& mu_product,
                const execution& exec) {
  nadam_one(tensor, options, step, mu_product, exec);
}

void nadam_step(const adam_tensor<double>& tensor, const nadam_options& options, std::int64_t step,
                float& mu_product, const execution& exec) {
  nadam_one(tensor, options, step, mu_product, exec);
}

void nadam_step(std::span<nadam_group<float>> groups, const execution& exec) { nadam_groups(groups, {}, exec); }

void nadam_step(std::span<nadam_group<double>> groups, const execution& exec) { nadam_groups(groups, {}, exec); }

step_report adam_step(std::span<adam_group<float>> groups, const step_policy& policy, const execution& exec) {
  return detail::step_groups<adam_variant>(groups, exec, policy);
}

step_report adam_step(std::span<adam_group<double>> groups, const step_policy& policy, const execution& exec) {
  return detail::step_groups<adam_variant>(groups, exec, policy);
}

step_report nadam_step(std::span<nadam_group<float>> groups, const step_policy& policy, const execution& exec) {
  return nadam_groups(groups, policy, exec);
}

step_report nadam_step(std::span<nadam_group<double>> groups, const step_policy& policy, const execution& exec) {
  return nadam_groups(groups, policy, exec);
}

}  // namespace inertia
