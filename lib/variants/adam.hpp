#pragma once
// adam, nadam: torch.optim.Adam / AdamW / NAdam (torch 2.x and 1.13 orders).
// Equations and rounding: include/inertia/adam.hpp.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "gradient_source.hpp"
#include "inertia/adam.hpp"
#include "simd/flags.hpp"
#include "simd/ops.hpp"
#include "storage_pointers.hpp"

namespace inertia::detail {

/// The moment updates every member of the family shares, in torch's orders:
/// the first moment as torch 2.x's exp_avg.lerp_(grad, 1 - beta1) or as torch
/// 1.13's exp_avg.mul_(beta1).add_(g, alpha=1-beta1); the second moment as
/// exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1-beta2), or, in the fused
/// kernel's scalar tail, as its contracted exp_avg_sq * beta2 + c * g * g.
/// Pointer: T*, or a fused mode's stochastically rounded buffer (storage_pointers.hpp).
template <class T, class Pointer = T*>
struct adam_moments {
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  Pointer exp_avg;
  Pointer exp_avg_sq;
  M beta1, one_minus_beta1, beta2, one_minus_beta2;
  /// ATen's lerp with weight w = r(1 - beta1): fma(coefficient, g - m, base),
  /// coefficient w and base m when |w| < 0.5, else w - 1 and base g.
  M lerp_coefficient;
  bool lerp_from_gradient;

  static adam_moments make(Pointer exp_avg, Pointer exp_avg_sq, double beta1, double beta2) {
    // 1 - beta is formed in double, as Python does, then rounded to M once.
    const M weight = M(1.0 - beta1);
    const bool small = std::abs(weight) < M(0.5);
    return {exp_avg, exp_avg_sq, M(beta1), weight, M(beta2), M(1.0 - beta2), small ? weight : M(weight - M(1)), !small};
  }
  static adam_moments make(const adam_tensor<T>& t, double beta1, double beta2) {
    return make(t.exp_avg.data(), t.exp_avg_sq.data(), beta1, beta2);
  }

  /// The new (m, v) at i, not yet stored. lerp: torch 2.x's first moment;
  /// fused_tail: the fused kernel's tail order for the second. Always inlined:
  /// the loops pass lerp and fused_tail as constants (adam_flags); GCC 12 called
  /// it out of line for bf16 moments on avx2 (the widening loads make it
  /// large), the flags then runtime branches and the vectors passed through
  /// memory: 4% of all-bf16 Adam's time in L2 on one Zen 2 core.
  template <class Lanes>
  [[gnu::always_inline]] std::pair<typename Lanes::vec, typename Lanes::vec> next(std::size_t i, typename Lanes::vec g, bool lerp,
                                                           bool fused_tail = false) const {
    using V = typename Lanes::vec;
    const V m_before = Lanes::load(exp_avg + i);
    const V m = lerp ? aten_lerp(m_before, g, lerp_coefficient, lerp_from_gradient)
                     : fused_multiply_add(V(one_minus_beta1), g, m_before * V(beta1));
    const V v_before = Lanes::load(exp_avg_sq + i);
    const V v = fused_tail ? fused_multiply_add(v_before, V(beta2), (V(one_minus_beta2) * g) * g)
                           : fused_multiply_add(V(one_minus_beta2) * g, g, v_before * V(beta2));
    return {m, v};
  }

  template <class Lanes>
  [[gnu::always_inline]] void store(std::size_t i, typename Lanes::vec m, typename Lanes::vec v) const {
    Lanes::store(exp_avg + i, m);
    Lanes::store(exp_avg_sq + i, v);
  }

  /// next() stored at once.
  template <class Lanes>
  [[gnu::always_inline]] std::pair<typename Lanes::vec, typename Lanes::vec> update(std::size_t i, typename Lanes::vec g, bool lerp,
                                                             bool fused_tail = false) const {
    const auto [m, v] = next<Lanes>(i, g, lerp, fused_tail);
    store<Lanes>(i, m, v);
    return {m, v};
  }
};

/// The fused CPU kernels' scalar tail, which the compiler vectorises with
/// 256-bit registers whatever target runs here: K = 8 floats or 4 doubles.
template <class T>
inline constexpr std::size_t fused_kernel_tail_lanes = 32 / sizeof(T);

/// What adam's loop tests, in this order: bools as a rule is made,
/// std::bool_constant in the loops its specialize() asks for.
template <class Maximize = bool, class CoupledDecay = bool, class DecoupledDecay = bool, class Amsgrad = bool,
          class GradientTransforms = bool, class Lerp = bool, class FusedTail = bool>
struct adam_flags {
  Maximize maximize;
  CoupledDecay coupled_decay;
  DecoupledDecay decoupled_decay;
  Amsgrad amsgrad;
  GradientTransforms transform_gradient;
  Lerp lerp;            ///< torch 2.x's first moment (every order but pytorch_1_13)
  FusedTail fused_tail; ///< pytorch_fused on a tensor whose size is no multiple of the tail lanes
};

/// State: the moments' storage type, T's but for the fused mixed-storage modes
/// (registry/fused_storage.hpp: float32 params with bf16 moments, and those
/// rounded stochastically). Param, Grad, StatePointer: the fused modes'
/// weights, gradient and moments (storage_pointers.hpp); T*, T and State*
/// otherwise.
template <class T, class State = T, class Param = T*, class Grad = T, class StatePointer = State*>
struct adam_rule {
  using value_type = T;
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  static_assert(std::is_same_v<M, math_type_t<State>>);
  /// A fused mixed-storage rule (range.hpp specialises it where it does half storage).
  static constexpr bool mixed_storage = !std::is_same_v<State, T> || !std::is_same_v<Param, T*> || !std::is_same_v<Grad, T>;
  /// Half-precision steps run two vectors at a time (simd/lane_pairs.hpp).
  static constexpr bool pairs_vectors = true;
  /// bf16 moments are rounded to nearest even (dispatch.hpp); stochastic rounding is integer arithmetic.
  static constexpr bool rounds_to_bfloat16 = std::is_same_v<StatePointer, bfloat16*>;
  Param param;
  gradient_source<Grad> grad;
  StatePointer max_exp_avg_sq;
  adam_moments<State, StatePointer> moments;
  M weight_decay, decay_factor, bias_correction2_sqrt, eps, neg_step_size;
  bool maximize, coupled_decay, decoupled_decay, amsgrad, lerp, fused_tail;
  /// pytorch_fused: elements from here on take the fused kernel's tail order.
  std::size_t fused_tail_begin;

  /// step: the 1-based count of this step.
  static adam_rule make(const adam_tensor<T>& t, const adam_options& o, std::int64_t step) {
    return make(t.param.data(), t.grad.data(), t.exp_avg.data(), t.exp_avg_sq.data(), t.max_exp_avg_sq.data(),
                t.param.size(), o, step);
  }
  static adam_rule make(Param param, const Grad* grad, StatePointer exp_avg, StatePointer exp_avg_sq,
                        StatePointer max_exp_avg_sq, std::size_t n, const adam_options& o, std::int64_t step) {
    const bool fused = o.numerics == adam_numerics::pytorch_fused;
    const bool torch2 = o.numerics != adam_numerics::pytorch_1_13;
    const double bias_correction1 = 1.0 - std::pow(o.beta1, static_cast<double>(step));
    const double bias_correction2 = 1.0 - std::pow(o.beta2, static_cast<double>(step));
    // torch 2.x's Python takes bias_correction2 ** 0.5 (libm pow); 1.13 math.sqrt
    // and the fused kernel std::sqrt. The kernel's 1 - lr * wd is contracted.
    const double bias_correction2_sqrt =
        torch2 && !fused ? std::pow(bias_correction2, 0.5) : std::sqrt(bias_correction2);
    const double decay_factor = fused ? std::fma(-o.lr, o.weight_decay, 1.0) : 1.0 - o.lr * o.weight_decay;
    const std::size_t tail = fused_kernel_tail_lanes<T>;
    return {param,
            {grad},
            o.amsgrad ? max_exp_avg_sq : StatePointer{},
            adam_moments<State, StatePointer>::make(exp_avg, exp_avg_sq, o.beta1, o.beta2),
            M(o.weight_decay),
            M(decay_factor),
            M(bias_correction2_sqrt),
            M(o.eps),
            M(-(o.lr / bias_correction1)),
            o.maximize,
            !o.decoupled_weight_decay && o.weight_decay != 0.0,
            o.decoupled_weight_decay,
            o.amsgrad,
            torch2,
            fused && n % tail != 0,
            fused ? n - n % tail : n};
  }

  auto anchor() const { return anchor_of(param); }
  /// Reads w, g, m, v (and v_max); writes w, m, v (and v_max).
  std::size_t bytes_per_element() const { return param_bytes(param) + sizeof(Grad) + sizeof(State) * (amsgrad ? 6 : 4); }

  /// The buffers stored with stochastic rounding (simd/range.hpp).
  template <class F>
    requires(is_stochastic_pointer_v<Param> || is_stochastic_pointer_v<StatePointer>)
  void for_each_stochastic(F&& f) {
    if constexpr (is_stochastic_pointer_v<Param>) f(param);
    if constexpr (is_stochastic_pointer_v<StatePointer>) {
      f(moments.exp_avg);
      f(moments.exp_avg_sq);
      if (amsgrad) f(max_exp_avg_sq);
    }
  }

  /// Inlined always, as gradient_source::transforms(): the sanitizer build left it out of line in avx2 once.
  [[gnu::always_inline]] adam_flags<> runtime_flags() const {
    return {maximize, coupled_decay, decoupled_decay, amsgrad, grad.transforms(), lerp, fused_tail};
  }

  /// The loops run with these flags as constants (simd/flags.hpp): three
  /// loops, torch 2.x's Adam with and without L2 decay and AdamW. maximize,
  /// amsgrad, the policy's gradient transforms, a fused tail and torch 1.13's
  /// order are rare and keep their tests: each would double the loops to
  /// compile for every target and element type.
  template <class Run>
  void specialize(Run&& run) const {
    if (maximize || amsgrad || grad.transforms() || !lerp || fused_tail) return run(*this);
    const std::false_type off;
    const std::true_type on;
    if (decoupled_decay)  // AdamW: never coupled as well
      return run_specialised<adam_flags>(*this, run, off, off, on, off, off, on, off);
    run_specialised<adam_flags>(*this, run, off, coupled_decay, off, off, off, on, off);
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
    V w = Lanes::load(param + i);
    V g = grad.template load<Lanes>(i, flags.transform_gradient);
    if (flags.maximize) g = negate(g);
    if (flags.decoupled_decay) w = w * V(decay_factor);
    if (flags.coupled_decay) g = fused_multiply_add(V(weight_decay), w, g);
    const auto [m, v] = moments.template next<Lanes>(i, g, flags.lerp, flags.fused_tail && i >= fused_tail_begin);
    V second_moment = v;
    if (flags.amsgrad) second_moment = maximum(Lanes::load(max_exp_avg_sq + i), v);
    const V denom = square_root(second_moment) / V(bias_correction2_sqrt) + V(eps);
    // The moments are stored once the square root and division are issued: in half precision their
    // roundings then run while those take their time (simd/lane_pairs.hpp says more).
    moments.template store<Lanes>(i, m, v);
    if (flags.amsgrad) Lanes::store(max_exp_avg_sq + i, second_moment);
    Lanes::store(param + i, w + (V(neg_step_size) * m) / denom);
  }
};

/// The fused mixed-storage mode (registry/fused_storage.hpp): float32 params
/// and grads, bf16 moments.
using adam_bf16_moments_rule = adam_rule<float, bfloat16>;
/// Stochastic rounding: all-bf16 (weights and moments rounded), and float32
/// weights with bf16 moments (the moments rounded).
using adam_bf16_stochastic_rule =
    adam_rule<float, bfloat16, stochastic_pointer<bfloat16>, bfloat16, stochastic_pointer<bfloat16>>;
using adam_bf16_moments_stochastic_rule = adam_rule<float, bfloat16, float*, float, stochastic_pointer<bfloat16>>;

/// NAdam's per-step scalars as torch computes them: Python floats (double),
/// and mu_product in a float32 tensor.
struct nadam_schedule {
  double mu, mu_next;
  float mu_product;        ///< after this step
  double mu_product_next;  ///< torch 2.x: mu_product * mu_next in double; 1.13: f32(mu_product * mu * mu_next)

  static nadam_schedule at(const nadam_options& o, std::int64_t step, float mu_product_before) {
    const double t = static_cast<double>(step);
    const double mu = o.beta1 * (1.0 - 0.5 * std::pow(0.96, t * o.momentum_decay));
    const double mu_next = o.beta1 * (1.0 - 0.5 * std::pow(0.96, (t + 1.0) * o.momentum_decay));
    const float mu_product = mu_product_before * static_cast<float>(mu);
    const double next = o.numerics == nadam_numerics::pytorch_1_13
                            ? static_cast<double>(mu_product * static_cast<float>(mu) * static_cast<float>(mu_next))
                            : static_cast<double>(mu_product) * mu_next;
    return {mu, mu_next, mu_product, next};
  }
};

template <class T>
struct nadam_rule {
  using value_type = T;
  using M = math_type_t<T>;  ///< the type the rule computes in (float for half storage)
  T* param;
  gradient_source<T> grad;
  adam_moments<T> moments;
  M weight_decay, decay_factor, bias_correction2, eps, grad_step, momentum_step;
  bool maximize, coupled_decay, decoupled_decay, lerp;
  /// foreach: sqrt(v) / r(sqrt(c2)) instead of sqrt(v / r(c2)); the divisor is bias_correction2 either way.
  bool divide_after_sqrt;

  /// step: the 1-based count of this step; schedule: nadam_schedule::at that step.
  static nadam_rule make(const adam_tensor<T>& t, const nadam_options& o, std::int64_t step,
                         const nadam_schedule& s) {
    const double bias_correction2 = 1.0 - std::pow(o.beta2, static_cast<double>(step));
    const bool foreach = o.numerics == nadam_numerics::pytorch_foreach;
    return {t.param.data(),
            {t.grad.data()},
            adam_moments<T>::make(t, o.beta1, o.beta2),
            M(o.weight_decay),
            M(1.0 - o.lr * o.weight_decay),
            M(foreach ? std::pow(bias_correction2, 0.5) : bias_correction2),
            M(o.eps),
            M(-o.lr * (1.0 - s.mu) / (1.0 - static_cast<double>(s.mu_product))),
            M(-o.lr * s.mu_next / (1.0 - s.mu_product_next)),
            o.maximize,
            !o.decoupled_weight_decay && o.weight_decay != 0.0,
            o.decoupled_weight_decay && o.weight_decay != 0.0,
            o.numerics != nadam_numerics::pytorch_1_13,
            foreach};
  }

  const T* anchor() const { return param; }
  /// Reads w, g, m, v; writes w, m, v.
  std::size_t bytes_per_element() const { return sizeof(T) * 7; }

  template <class Lanes>
  void apply(std::size_t i) const {
    using V = typename Lanes::vec;
    V w = Lanes::load(param + i);
    V g = grad.template load<Lanes>(i);
    if (maximize) g = negate(g);
    if (decoupled_decay) w = w * V(decay_factor);
    if (coupled_decay) g = fused_multiply_add(V(weight_decay), w, g);
    const auto [m, v] = moments.template update<Lanes>(i, g, lerp);
    const V denom = (divide_after_sqrt ? square_root(v) / V(bias_correction2) : square_root(v / V(bias_correction2))) +
                    V(eps);
    const V after_grad = w + (V(grad_step) * g) / denom;
    Lanes::store(param + i, after_grad + (V(momentum_step) * m) / denom);
  }
};

}  // namespace inertia::detail
