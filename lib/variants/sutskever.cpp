// sutskever entry points: what a valid call is, and how options become a rule.
#include "variants/sutskever.hpp"

#include "inertia/multi_tensor.hpp"
#include "registry/optimizer.hpp"
#include "entry_points.hpp"
#include "step_groups.hpp"
#include "variants/velocity_tensor.hpp"

namespace inertia {
namespace {
using namespace detail::option_builders;
using detail::value_range;

// Buffers as every velocity tensor; its own check: no velocity without momentum.
struct sutskever_variant : detail::velocity_tensor_variant {
  static constexpr const char* function = "inertia::sutskever_step";
  static constexpr const char* name = "sutskever";
  using options_type = sutskever_options;

  static constexpr std::array options{number<&sutskever_options::lr>("lr", value_range::nonnegative),
                                      number<&sutskever_options::momentum>("momentum", value_range::unit_open),
                                      flag<&sutskever_options::nesterov>("nesterov")};
  /// Keras keeps no velocity without momentum.
  static constexpr std::array state{detail::state_buffer<sutskever_options>{
      "velocity", [](const sutskever_options& o) { return o.momentum != 0.0; }}};

  static void check_options(const detail::argument_checks& check, const sutskever_options& o) {
    detail::check_declared<options>(check, o);
    if (o.nesterov && o.momentum <= 0.0)
      check.fail(error_kind::hyperparameter, "nesterov", "nesterov requires momentum > 0");
  }

  template <class T>
  static void check_tensor(const detail::argument_checks& check, const velocity_tensor<T>& t,
                           const sutskever_options& o) {
    check.same_length("grad", t.grad.size(), "param", t.param.size());
    check.disjoint("param", t.param, "grad", t.grad);
    if (o.momentum == 0.0) return;  // Keras keeps no velocity without momentum
    check.same_length("velocity", t.velocity.size(), "param", t.param.size());
    check.disjoint("velocity", t.velocity, "param", t.param);
    check.disjoint("velocity", t.velocity, "grad", t.grad);
  }

  template <class T>
  static detail::sutskever_rule<T> make_rule(const velocity_tensor<T>& t, const sutskever_options& o, std::int64_t) {
    return detail::sutskever_rule<T>::make(t.param.data(), t.grad.data(),
                                           o.momentum == 0.0 ? nullptr : t.velocity.data(), o);
  }
};

}  // namespace

INERTIA_SPAN_ENTRY_POINTS(sutskever_step, sutskever_options, velocity_tensor, sutskever_variant)
INERTIA_GROUP_ENTRY_POINTS(sutskever_step, sutskever_group, sutskever_variant)

}  // namespace inertia

INERTIA_REGISTER_VARIANT(sutskever, sutskever_variant)
