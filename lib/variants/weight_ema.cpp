// weight_ema entry points: what a valid call is, and how options become a rule.
#include "variants/weight_ema.hpp"

#include <vector>

#include "step_groups.hpp"

namespace inertia {
namespace {

struct weight_ema_variant {
  static constexpr const char* function = "inertia::weight_ema_step";
  using options_type = weight_ema_options;

  static void check_options(const detail::argument_checks& check, const weight_ema_options& o) {
    check.within("decay", o.decay, 0.0, 1.0);
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

template <class T>
void update(std::span<T> average, std::span<const T> param, const weight_ema_options& options, std::int64_t updates,
            const execution& exec) {
  if (updates < 0)
    detail::argument_checks(weight_ema_variant::function)
        .fail(error_kind::hyperparameter, "updates",
              "updates = " + std::to_string(updates) + " must be >= 0 (the earlier updates of this average)");
  detail::step_one<weight_ema_variant>(weight_ema_tensor<T>{average, param}, options, updates, exec);
}

/// detail::step_groups without its step policy, which is about gradients:
/// the same checks, one driver call, then every group's count advances.
template <class T>
void update_groups(std::span<weight_ema_group<T>> groups, const execution& exec) {
  std::vector<detail::weight_ema_rule<T>> rules;
  std::vector<std::size_t> starts{0};
  detail::check_groups<weight_ema_variant>(groups, [&](const weight_ema_group<T>& group, const weight_ema_tensor<T>& t) {
    rules.push_back(weight_ema_variant::make_rule(t, group.options, group.step));
    starts.push_back(starts.back() + t.param.size());
  });
  detail::run_tensors(std::span<const detail::weight_ema_rule<T>>(rules), std::span<const std::size_t>(starts), exec);
  for (weight_ema_group<T>& group : groups) ++group.step;
}

}  // namespace

void weight_ema_step(std::span<float> average, std::span<const float> param, const weight_ema_options& options,
                     std::int64_t updates, const execution& exec) {
  update(average, param, options, updates, exec);
}

void weight_ema_step(std::span<double> average, std::span<const double> param, const weight_ema_options& options,
                     std::int64_t updates, const execution& exec) {
  update(average, param, options, updates, exec);
}

void weight_ema_step(std::span<weight_ema_group<float>> groups, const execution& exec) { update_groups(groups, exec); }

void weight_ema_step(std::span<weight_ema_group<double>> groups, const execution& exec) { update_groups(groups, exec); }

}  // namespace inertia
