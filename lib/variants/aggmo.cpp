// aggmo entry points: what a valid call is, and how options become a rule.
#include "variants/aggmo.hpp"

#include <string>

#include "step_groups.hpp"

namespace inertia {
namespace {

std::string indexed(const char* name, std::size_t k) { return std::string(name) + "[" + std::to_string(k) + "]"; }

struct aggmo_variant {
  static constexpr const char* function = "inertia::aggmo_step";
  using options_type = aggmo_options;

  static void check_options(const detail::argument_checks& check, const aggmo_options& o) {
    check.at_least("lr", o.lr, 0.0);
    if (o.betas.empty()) check.fail(error_kind::hyperparameter, "betas", "betas is empty: AggMo needs at least one velocity");
    for (std::size_t k = 0; k < o.betas.size(); ++k) check.momentum(indexed("betas", k).c_str(), o.betas[k]);
    check.at_least("weight_decay", o.weight_decay, 0.0);
  }

  template <class T>
  static void check_tensor(const detail::argument_checks& check, const aggmo_tensor<T>& t, const aggmo_options& o) {
    check.same_length("grad", t.grad.size(), "param", t.param.size());
    check.disjoint("param", t.param, "grad", t.grad);
    if (t.velocities.size() != o.betas.size())
      check.fail(error_kind::length, "velocities",
                 "velocities has " + std::to_string(t.velocities.size()) + " buffers but betas has " +
                     std::to_string(o.betas.size()) + " decays: one velocity per beta");
    for (std::size_t k = 0; k < t.velocities.size(); ++k) {
      const std::string name = indexed("velocities", k);
      check.same_length(name.c_str(), t.velocities[k].size(), "param", t.param.size());
      check.disjoint(name.c_str(), t.velocities[k], "param", t.param);
      check.disjoint(name.c_str(), t.velocities[k], "grad", t.grad);
      for (std::size_t j = 0; j < k; ++j)
        check.disjoint(name.c_str(), t.velocities[k], indexed("velocities", j).c_str(), t.velocities[j]);
    }
  }

  /// The registry keeps names as pointers: every velocity is "velocities".
  template <class T, class Visit>
  static void for_each_buffer(const aggmo_tensor<T>& t, Visit visit) {
    visit("param", t.param);
    visit("grad", t.grad);
    for (const std::span<T>& velocity : t.velocities) visit("velocities", velocity);
  }

  template <class T>
  static detail::aggmo_rule<T> make_rule(const aggmo_tensor<T>& t, const aggmo_options& o, std::int64_t) {
    return detail::aggmo_rule<T>::make(t.param.data(), t.grad.data(), t.velocities, o);
  }
};

}  // namespace

void aggmo_step(std::span<float> param, std::span<const float> grad, std::span<const std::span<float>> velocities,
                const aggmo_options& options, const execution& exec) {
  detail::step_one<aggmo_variant>(aggmo_tensor<float>{param, grad, velocities}, options, 0, exec);
}

void aggmo_step(std::span<double> param, std::span<const double> grad, std::span<const std::span<double>> velocities,
                const aggmo_options& options, const execution& exec) {
  detail::step_one<aggmo_variant>(aggmo_tensor<double>{param, grad, velocities}, options, 0, exec);
}

void aggmo_step(std::span<aggmo_group<float>> groups, const execution& exec) {
  detail::step_groups<aggmo_variant>(groups, exec);
}

void aggmo_step(std::span<aggmo_group<double>> groups, const execution& exec) {
  detail::step_groups<aggmo_variant>(groups, exec);
}

step_report aggmo_step(std::span<aggmo_group<float>> groups, const step_policy& policy, const execution& exec) {
  return detail::step_groups<aggmo_variant>(groups, exec, policy);
}

step_report aggmo_step(std::span<aggmo_group<double>> groups, const step_policy& policy, const execution& exec) {
  return detail::step_groups<aggmo_variant>(groups, exec, policy);
}

}  // namespace inertia
