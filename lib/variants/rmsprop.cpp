// rmsprop entry points and its declaration: options, state, rule.
#include "variants/rmsprop.hpp"

#include <string>
#include <vector>

#include "registry/optimizer.hpp"
#include "entry_points.hpp"
#include "step_groups.hpp"

namespace inertia {
namespace {

using namespace detail::option_builders;
using detail::value_range;

/// rmsprop_numerics' order.
constexpr std::array<const char*, 3> numerics_names{"pytorch_loop", "pytorch_foreach", "pytorch_1_13"};

bool keeps_momentum(const rmsprop_options& o) { return o.momentum > 0.0; }
bool keeps_grad_avg(const rmsprop_options& o) { return o.centered; }

struct rmsprop_variant {
  static constexpr const char* function = "inertia::rmsprop_step";
  static constexpr const char* name = "rmsprop";
  using options_type = rmsprop_options;
  static constexpr bool takes_policy = true;

  static constexpr std::array options{
      number<&rmsprop_options::lr>("lr", value_range::nonnegative),
      number<&rmsprop_options::alpha>("alpha", value_range::unit_closed),
      number<&rmsprop_options::eps>("eps", value_range::positive, "it keeps the denominator from 0"),
      number<&rmsprop_options::weight_decay>("weight_decay", value_range::nonnegative),
      number<&rmsprop_options::momentum>("momentum", value_range::unit_open),
      flag<&rmsprop_options::centered>("centered"),
      flag<&rmsprop_options::maximize>("maximize"),
      flag<&rmsprop_options::nesterov>("nesterov"),
      flag<&rmsprop_options::eps_in_sqrt>("eps_in_sqrt"),
      number<&rmsprop_options::initial_scale>("initial_scale", value_range::nonnegative),
      choice<&rmsprop_options::numerics>("numerics", numerics_names)};
  /// torch's state names, present as torch keeps them: momentum_buffer when
  /// momentum > 0, grad_avg when centered.
  static constexpr std::array state{detail::state_buffer<rmsprop_options>{
                                        .name = "square_avg", .present = detail::always<rmsprop_options>,
                                        .initial_key = "initial_scale"},  // Optax's fill; torch's is 0
                                    detail::state_buffer<rmsprop_options>{"momentum_buffer", keeps_momentum},
                                    detail::state_buffer<rmsprop_options>{"grad_avg", keeps_grad_avg}};

  template <class T>
  using tensor_type = rmsprop_tensor<T>;
  /// The generic call passes only the buffers present, in state's order, so
  /// which one follows square_avg depends on the options.
  template <class T>
  static rmsprop_tensor<T> tensor_of(std::span<T> param, std::span<const T> grad, std::span<const std::span<T>> state,
                                     std::vector<std::span<T>>&, const rmsprop_options& o) {
    rmsprop_tensor<T> t{param, grad, state[0]};
    std::size_t next = 1;
    if (keeps_momentum(o)) t.momentum_buffer = state[next++];
    if (keeps_grad_avg(o)) t.grad_avg = state[next++];
    return t;
  }

  static void check_options(const detail::argument_checks& check, const rmsprop_options& o) {
    detail::check_declared<options>(check, o);
    if (o.nesterov && !keeps_momentum(o))
      check.fail(error_kind::hyperparameter, "nesterov", "nesterov requires momentum > 0");
  }

  template <class T>
  static void check_tensor(const detail::argument_checks& check, const rmsprop_tensor<T>& t,
                           const rmsprop_options& o) {
    check.same_length("grad", t.grad.size(), "param", t.param.size());
    check.same_length("square_avg", t.square_avg.size(), "param", t.param.size());
    if (keeps_momentum(o)) check.same_length("momentum_buffer", t.momentum_buffer.size(), "param", t.param.size());
    if (o.centered) check.same_length("grad_avg", t.grad_avg.size(), "param", t.param.size());
    detail::require_pairwise_disjoint<5>(check, [&](auto visit) { for_each_buffer(t, visit); });
  }

  template <class T, class Visit>
  static void for_each_buffer(const rmsprop_tensor<T>& t, Visit visit) {
    visit("param", t.param);
    visit("grad", t.grad);
    visit("square_avg", t.square_avg);
    visit("momentum_buffer", t.momentum_buffer);
    visit("grad_avg", t.grad_avg);
  }

  template <class T>
  static detail::rmsprop_rule<T> make_rule(const rmsprop_tensor<T>& t, const rmsprop_options& o, std::int64_t) {
    return detail::rmsprop_rule<T>::make(t, o);
  }
};

}  // namespace

INERTIA_TENSOR_ENTRY_POINTS(rmsprop_step, rmsprop_options, rmsprop_tensor, rmsprop_variant)
INERTIA_GROUP_ENTRY_POINTS(rmsprop_step, rmsprop_group, rmsprop_variant)

}  // namespace inertia

INERTIA_REGISTER_VARIANT(rmsprop, rmsprop_variant)
