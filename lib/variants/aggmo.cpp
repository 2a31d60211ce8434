// aggmo entry points: what a valid call is, and how options become a rule.
#include "variants/aggmo.hpp"

#include <string>

#include "registry/optimizer.hpp"
#include "entry_points.hpp"
#include "step_groups.hpp"

namespace inertia {
namespace {

using detail::indexed;
using namespace detail::option_builders;
using detail::value_range;

/// Velocity I exists when there are more than I decays.
template <std::size_t I>
constexpr bool has_velocity(const aggmo_options& o) {
  return o.betas.size() > I;
}

struct aggmo_variant {
  static constexpr const char* function = "inertia::aggmo_step";
  static constexpr const char* name = "aggmo";
  using options_type = aggmo_options;
  static constexpr bool takes_policy = true;

  static constexpr std::array options{
      number<&aggmo_options::lr>("lr", value_range::nonnegative),
      span<&aggmo_options::betas>("betas", value_range::unit_open, 1, static_cast<std::size_t>(-1)),
      number<&aggmo_options::weight_decay>("weight_decay", value_range::nonnegative)};
  /// One velocity per decay; the generic call's tensors hold up to INERTIA_MAX_STATE.
  static constexpr std::array state{
      detail::state_buffer<aggmo_options>{"velocities[0]", has_velocity<0>},
      detail::state_buffer<aggmo_options>{"velocities[1]", has_velocity<1>},
      detail::state_buffer<aggmo_options>{"velocities[2]", has_velocity<2>},
      detail::state_buffer<aggmo_options>{"velocities[3]", has_velocity<3>},
      detail::state_buffer<aggmo_options>{"velocities[4]", has_velocity<4>},
      detail::state_buffer<aggmo_options>{"velocities[5]", has_velocity<5>},
      detail::state_buffer<aggmo_options>{"velocities[6]", has_velocity<6>},
      detail::state_buffer<aggmo_options>{"velocities[7]", has_velocity<7>}};
  static_assert(state.size() == INERTIA_MAX_STATE);

  template <class T>
  using tensor_type = aggmo_tensor<T>;
  /// An aggmo_tensor views a list of velocity spans: the list lives in scratch,
  /// reserved by the caller for every tensor of the call, so it never moves.
  static constexpr bool keeps_state_views = true;
  template <class T>
  static aggmo_tensor<T> tensor_of(std::span<T> param, std::span<const T> grad, std::span<const std::span<T>> state,
                                   std::vector<std::span<T>>& scratch) {
    const std::size_t first = scratch.size();
    scratch.insert(scratch.end(), state.begin(), state.end());
    return {param, grad, std::span<const std::span<T>>(scratch.data() + first, state.size())};
  }

  static void check_options(const detail::argument_checks& check, const aggmo_options& o) {
    detail::check_declared<options>(check, o);
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

step_report aggmo_step(std::span<float> param, std::span<const float> grad, std::span<const std::span<float>> velocities,
                       const aggmo_options& options, std::int64_t step, const step_policy& policy,
                       const execution& exec) {
  return detail::step_one<aggmo_variant>(aggmo_tensor<float>{param, grad, velocities}, options, step, policy, exec);
}

step_report aggmo_step(std::span<double> param, std::span<const double> grad,
                       std::span<const std::span<double>> velocities, const aggmo_options& options, std::int64_t step,
                       const step_policy& policy, const execution& exec) {
  return detail::step_one<aggmo_variant>(aggmo_tensor<double>{param, grad, velocities}, options, step, policy, exec);
}
INERTIA_GROUP_ENTRY_POINTS(aggmo_step, aggmo_group, aggmo_variant)

}  // namespace inertia

INERTIA_REGISTER_VARIANT(aggmo, aggmo_variant)
