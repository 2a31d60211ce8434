// qhm entry points: what a valid call is, and how options become a rule.
#include "variants/qhm.hpp"

#include "registry/optimizer.hpp"
#include "entry_points.hpp"
#include "step_groups.hpp"
#include "variants/velocity_tensor.hpp"

namespace inertia {
namespace {
using namespace detail::option_builders;
using detail::value_range;

struct qhm_variant : detail::velocity_tensor_variant {
  static constexpr const char* function = "inertia::qhm_step";
  using options_type = qhm_options;

  static constexpr const char* name = "qhm";
  static constexpr std::array options{number<&qhm_options::lr>("lr", value_range::nonnegative),
                                      number<&qhm_options::nu>("nu", value_range::unit_closed),
                                      number<&qhm_options::beta>("beta", value_range::unit_open),
                                      number<&qhm_options::weight_decay>("weight_decay", value_range::nonnegative)};
  /// qhoptim's QHM keeps it as state["momentum_buffer"].
  static constexpr std::array state{detail::state_buffer<qhm_options>{"momentum_buffer", detail::always<qhm_options>}};

  static void check_options(const detail::argument_checks& check, const qhm_options& o) {
    detail::check_declared<options>(check, o);
  }

  template <class T>
  static detail::qhm_rule<T> make_rule(const qhm_tensor<T>& t, const qhm_options& o, std::int64_t) {
    return detail::qhm_rule<T>::make(t.param.data(), t.grad.data(), t.velocity.data(), o);
  }
};

}  // namespace

INERTIA_SPAN_ENTRY_POINTS(qhm_step, qhm_options, velocity_tensor, qhm_variant)
INERTIA_GROUP_ENTRY_POINTS(qhm_step, qhm_group, qhm_variant)

}  // namespace inertia

INERTIA_REGISTER_VARIANT(qhm, qhm_variant)
