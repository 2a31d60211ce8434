#pragma once
// heavy_ball: torch.optim.SGD. Equations and rounding: include/inertia/heavy_ball.hpp.
#include <cstddef>
#include <type_traits>

#include "inertia/heavy_ball.hpp"
#include "gradient_source.hpp"
#include "simd/flags.hpp"
#include "simd/ops.hpp"
#include "storage_pointers.hpp"

namespace inertia::detail {

/// What heavy_ball's loop tests, in this order: bools as a rule is made,
/// std::bool_constant in the loops its specialize() asks for.
template <class Momentum = bool, class FirstStep = bool, class Nesterov = bool, class Maximize = bool,
          class WeightDecay = bool, class FusedTail = bool, class GradientTransforms = bool>
struct heavy_ball_flags {
  Momentum use_momentum;
  FirstStep first_step;
  Nesterov nesterov;
  Maximize maximize;
  WeightDecay use_weight_decay;
  FusedTail fused_tail;
  GradientTransforms transform_gradient;
};

/// T: the element type (the math type for mixed storage). Param, Grad,
/// State: a fused mixed-storage mode's weights, gradient and momentum buffer
/// (storage_pointers.hpp: float32 master weights beside a bf16 model copy, or
/// split bf16, with bf16 gradients; or bf16 weights and buffer rounded
/// stochastically); T*, T and T* otherwise.
template <class T, class Param = T*, class Grad = T, class State = T*>
struct heavy_ball_rule {
  using value_type = T;
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  /// A fused mixed-storage rule (range.hpp specialises it where it does half storage).
  static constexpr bool mixed_storage =
      !std::is_same_v<Param, T*> || !std::is_same_v<Grad, T> || !std::is_same_v<State, T*>;
  /// Half-precision steps run two vectors at a time (simd/lane_pairs.hpp).
  static constexpr bool pairs_vectors = true;
  /// A float32 master's bf16 model copy is rounded (dispatch.hpp; split bf16 is exact).
  static constexpr bool rounds_to_bfloat16 = std::is_same_v<Param, master_pointer<bfloat16>>;
  Param param;
  gradient_source<Grad> grad;
  State momentum_buffer;
  M neg_lr, momentum, one_minus_dampening, weight_decay;
  bool use_momentum, first_step, nesterov, maximize, use_weight_decay;
  /// pytorch_fused on a span whose size is not a multiple of fused_kernel_lanes:
  /// its last elements, from fused_tail_begin, take the fused kernel's tail order.
  bool fused_tail;
  /// pytorch_fused: elements from here on update the buffer in the fused
  /// kernel's tail order; the size of the span otherwise (never reached).
  std::size_t fused_tail_begin;

  /// The fused CPU kernel's own register width, whatever target runs here.
  static constexpr std::size_t fused_kernel_lanes = 32 / sizeof(T);

  static heavy_ball_rule make(Param param, const Grad* grad, State momentum_buffer, std::size_t size,
                              const heavy_ball_options& o, bool first_step) {
    const bool fused = o.numerics == heavy_ball_numerics::pytorch_fused;
    const std::size_t fused_tail_size = fused ? size % fused_kernel_lanes : 0;
    // Coefficients are rounded to M once, as torch casts a Python float alpha
    // to the tensor's dtype; 1 - dampening is formed in double first, as Python does.
    return {param, {grad}, momentum_buffer, M(-o.lr), M(o.momentum), M(1.0 - o.dampening), M(o.weight_decay),
            o.momentum != 0.0, first_step, o.nesterov, o.maximize, o.weight_decay != 0.0,
            fused_tail_size != 0, size - fused_tail_size};
  }

  auto anchor() const { return anchor_of(param); }
  /// Reads w, g (and v after the first step); writes w (and v).
  std::size_t bytes_per_element() const {
    return param_bytes(param) + sizeof(Grad) + element_bytes(momentum_buffer) * (use_momentum ? (first_step ? 1 : 2) : 0);
  }

  /// The buffers stored with stochastic rounding (simd/range.hpp).
  template <class F>
    requires(is_stochastic_pointer_v<Param> || is_stochastic_pointer_v<State>)
  void for_each_stochastic(F&& f) {
    if constexpr (is_stochastic_pointer_v<Param>) f(param);
    if constexpr (is_stochastic_pointer_v<State>)
      if (use_momentum) f(momentum_buffer);
  }

  /// Inlined always, as gradient_source::transforms(): the sanitizer build left it out of line in avx2 once.
  [[gnu::always_inline]] heavy_ball_flags<> runtime_flags() const {
    return {use_momentum, first_step, nesterov, maximize, use_weight_decay, fused_tail, grad.transforms()};
  }

  /// The loops run with these flags as constants (simd/flags.hpp): six
  /// loops. A first step (once per training), maximize, a fused tail and the
  /// step policy's gradient transforms run the rule as it is, testing its
  /// flags per vector as before: every constant combination is one more loop
  /// to compile per target and element type, and specialising the transforms
  /// too (GCC then unswitches their three tests inside every loop) made the
  /// target files, with sutskever and ema done alike, take 58% longer to
  /// compile instead of 8%.
  template <class Run>
  void specialize(Run&& run) const {
    if (first_step || maximize || fused_tail || grad.transforms()) return run(*this);
    const std::false_type off;
    if (!use_momentum)  // then nesterov is off too (it requires momentum)
      return run_specialised<heavy_ball_flags>(*this, run, off, off, off, off, use_weight_decay, off, off);
    run_specialised<heavy_ball_flags>(*this, run, std::true_type{}, off, nesterov, off, use_weight_decay, off, off);
  }

  template <class Lanes>
  void apply(std::size_t i) const {
    apply<Lanes>(i, runtime_flags());
  }

  template <class Lanes, class Flags>
  void apply(std::size_t i, const Flags& flags) const {
    using V = typename Lanes::vec;
    if constexpr (Lanes::width > 1) {
      if (flags.fused_tail && i + Lanes::width > fused_tail_begin) {  // a vector reaching into the fused tail
        for (std::size_t lane = 0; lane < Lanes::width; ++lane)
          apply<scalar_lanes<M, typename Lanes::arch_type>>(i + lane, flags);
        return;
      }
    }
    const V w = Lanes::load(param + i);
    V d = grad.template load<Lanes>(i, flags.transform_gradient);
    if (flags.maximize) d = negate(d);
    if (flags.use_weight_decay) d = fused_multiply_add(V(weight_decay), w, d);
    if (flags.use_momentum) {
      V v = d;
      if (!flags.first_step) {
        const V previous = Lanes::load(momentum_buffer + i);
        v = !flags.fused_tail || i < fused_tail_begin
                ? fused_multiply_add(V(one_minus_dampening), d, previous * V(momentum))
                : fused_multiply_add(previous, V(momentum), d * V(one_minus_dampening));
      }
      Lanes::store(momentum_buffer + i, v);
      d = flags.nesterov ? fused_multiply_add(V(momentum), v, d) : v;
    }
    Lanes::store(param + i, fused_multiply_add(V(neg_lr), d, w));
  }
};

/// The fused mixed-storage modes (registry/fused_storage.hpp): bf16 weights
/// and grads with a float32 master beside them, or split bf16.
using heavy_ball_bf16_master_rule = heavy_ball_rule<float, master_pointer<bfloat16>, bfloat16>;
using heavy_ball_split_bf16_rule = heavy_ball_rule<float, split_pointer, bfloat16>;
/// All-bf16 with stochastic rounding: the float32 step on the widened values,
/// weights and buffer each rounded with their elements' draws.
using heavy_ball_bf16_stochastic_rule =
    heavy_ball_rule<float, stochastic_pointer<bfloat16>, bfloat16, stochastic_pointer<bfloat16>>;

}  // namespace inertia::detail
