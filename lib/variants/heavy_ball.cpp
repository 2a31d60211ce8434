// heavy_ball entry points: what a valid call is, and how options become a rule.
#include "variants/heavy_ball.hpp"

#include "inertia/multi_tensor.hpp"
#include "registry/optimizer.hpp"
#include "entry_points.hpp"
#include "step_groups.hpp"

namespace inertia {
namespace {
using namespace detail::option_builders;
using detail::value_range;

constexpr std::array<const char*, 2> numerics_names{"pytorch_loop", "pytorch_fused"};  // heavy_ball_numerics' order

struct heavy_ball_variant {
  static constexpr const char* function = "inertia::heavy_ball_step";
  static constexpr const char* name = "heavy_ball";
  static constexpr std::array<const char*, 1> aliases{"sgd"};
  using options_type = heavy_ball_options;
  static constexpr bool takes_policy = true;

  static constexpr std::array options{
      number<&heavy_ball_options::lr>("lr", value_range::nonnegative),
      number<&heavy_ball_options::momentum>("momentum", value_range::unit_open),
      number<&heavy_ball_options::dampening>("dampening", value_range::unit_closed),
      number<&heavy_ball_options::weight_decay>("weight_decay", value_range::nonnegative),
      flag<&heavy_ball_options::nesterov>("nesterov"),
      flag<&heavy_ball_options::maximize>("maximize"),
      choice<&heavy_ball_options::numerics>("numerics", numerics_names)};
  /// Plain SGD (momentum 0) keeps no buffer, as torch's state holds none.
  /// Step 1 creates it (buffer = gradient), as torch does.
  static constexpr std::array state{detail::state_buffer<heavy_ball_options>{
      .name = "momentum_buffer",
      .present = [](const heavy_ball_options& o) { return o.momentum != 0.0; },
      .created_by_first_step = true}};

  template <class T>
  using tensor_type = heavy_ball_tensor<T>;
  template <class T>
  static heavy_ball_tensor<T> tensor_of(std::span<T> param, std::span<const T> grad,
                                        std::span<const std::span<T>> state, std::vector<std::span<T>>&) {
    return {param, grad, state.empty() ? std::span<T>() : state[0]};
  }

  static void check_options(const detail::argument_checks& check, const heavy_ball_options& o) {
    detail::check_declared<options>(check, o);
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

  /// Fused mixed storage (registry/fused_storage.hpp): bf16 weights and grads
  /// with a float32 master or split bf16, float32 momentum; and all-bf16 with
  /// stochastic rounding.
  static constexpr bool fuses(detail::fused_mode mode) {
    return mode == detail::fused_mode::bf16_master_f32 || mode == detail::fused_mode::split_bf16 ||
           mode == detail::fused_mode::bf16_stochastic;
  }
  template <detail::fused_mode Mode>
  static auto make_fused_rule(const inertia_tensor& t, void* master, const heavy_ball_options& o,
                              std::int64_t steps_taken, const inertia_storage& storage) {
    const auto* grad = static_cast<const bfloat16*>(t.grad);
    const bool first_step = steps_taken == 0;
    if constexpr (Mode == detail::fused_mode::bf16_stochastic) {
      const auto stochastic = [&](void* values, std::uint32_t stream) {
        return detail::stochastic_bfloat16_buffer(values, storage, steps_taken + 1, stream);
      };
      return detail::heavy_ball_bf16_stochastic_rule::make(
          stochastic(t.param, 0), grad, stochastic(o.momentum == 0.0 ? nullptr : t.state[0], 1), t.size, o, first_step);
    } else {
      float* buffer = o.momentum == 0.0 ? nullptr : static_cast<float*>(t.state[0]);
      if constexpr (Mode == detail::fused_mode::bf16_master_f32)
        return detail::heavy_ball_bf16_master_rule::make({static_cast<float*>(master), static_cast<bfloat16*>(t.param)},
                                                        grad, buffer, t.size, o, first_step);
      else
        return detail::heavy_ball_split_bf16_rule::make(
            {static_cast<std::uint16_t*>(t.param), static_cast<std::uint16_t*>(master)}, grad, buffer, t.size, o,
            first_step);
    }
  }

  template <class T>
  static detail::heavy_ball_rule<T> make_rule(const heavy_ball_tensor<T>& t, const heavy_ball_options& o, std::int64_t steps_taken) {
    return detail::heavy_ball_rule<T>::make(t.param.data(), t.grad.data(), o.momentum == 0.0 ? nullptr : t.momentum_buffer.data(),
                         t.param.size(), o, steps_taken == 0);
  }
};

}  // namespace

INERTIA_SPAN_ENTRY_POINTS(heavy_ball_step, heavy_ball_options, heavy_ball_tensor, heavy_ball_variant)
INERTIA_GROUP_ENTRY_POINTS(heavy_ball_step, heavy_ball_group, heavy_ball_variant)

}  // namespace inertia

INERTIA_REGISTER_VARIANT(heavy_ball, heavy_ball_variant)
