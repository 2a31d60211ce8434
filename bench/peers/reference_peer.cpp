// The scalar reference loops of tests/reference/ as a peer. This one source is
// compiled twice (bench/CMakeLists.txt) so the loops are not written again:
//   INERTIA_BENCH_PEER=naive    -O2 -march=native -fno-tree-vectorize -fno-tree-slp-vectorize
//   INERTIA_BENCH_PEER=autovec  -O3 -march=native
// Both with -ffp-contract=off, as libinertia: the same arithmetic, so only
// the code generation differs. One function per variant, found by registry
// name in `steps` below; the buffers in the generic handle's order
// (common/library_kernel.hpp, handle_tensor): param, grad when read, state.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "peers/peers.hpp"
#include "reference/adagrad.hpp"
#include "reference/adam.hpp"
#include "reference/adan.hpp"
#include "reference/ademamix.hpp"
#include "reference/aggmo.hpp"
#include "reference/ema.hpp"
#include "reference/heavy_ball.hpp"
#include "reference/lamb.hpp"
#include "reference/lars.hpp"
#include "reference/simplified_ademamix.hpp"
#include "reference/lion.hpp"
#include "reference/lookahead.hpp"
#include "reference/qhm.hpp"
#include "reference/rmsprop.hpp"
#include "reference/schedule_free.hpp"
#include "reference/signum.hpp"
#include "reference/sutskever.hpp"
#include "reference/weight_ema.hpp"

#if !defined(INERTIA_BENCH_PEER)
#error "define INERTIA_BENCH_PEER (naive or autovec)"
#endif

namespace inertia::bench::INERTIA_BENCH_PEER {
namespace {

// Each step takes its settings by value and copies them into a local before
// the loop: a store through a T* could otherwise alias the options, and the
// loops would reload them every element.
bool flag(const variant& v, const char* key) { return v.option(key) != 0.0; }

template <class T>
range_step<T> heavy_ball(const variant& v) {
  heavy_ball_options o;
  o.lr = v.option("lr");
  o.momentum = v.option("momentum");
  o.dampening = v.option("dampening");
  o.weight_decay = v.option("weight_decay");
  o.nesterov = flag(v, "nesterov");
  o.maximize = flag(v, "maximize");
  o.numerics = static_cast<heavy_ball_numerics>(static_cast<int>(v.option("numerics")));
  return [o, first_step = v.step == 1](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    const heavy_ball_options options = o;
    reference::heavy_ball(b.param + begin, b.grad + begin, b.state + begin, end - begin, options, first_step);
  };
}

template <class T>
range_step<T> sutskever(const variant& v) {
  const sutskever_options o{.lr = v.option("lr"), .momentum = v.option("momentum"), .nesterov = flag(v, "nesterov")};
  return [o](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    const sutskever_options options = o;
    reference::sutskever(b.param + begin, b.grad + begin, b.state + begin, end - begin, options);
  };
}

template <class T>
range_step<T> ema(const variant& v) {
  const ema_options o{.lr = v.option("lr"), .beta = v.option("beta"), .bias_correction = flag(v, "bias_correction")};
  return [o, step = v.step](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    const ema_options options = o;
    reference::ema(b.param + begin, b.grad + begin, b.state + begin, end - begin, options, step);
  };
}

template <class T>
range_step<T> lookahead(const variant& v) {
  return [momentum = v.option("momentum")](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    reference::nesterov_lookahead(b.param + begin, b.state + begin, end - begin, momentum, /*lookahead=*/b.grad + begin);
  };
}

template <class T>
range_step<T> qhm(const variant& v) {
  const qhm_options o{
      .lr = v.option("lr"), .nu = v.option("nu"), .beta = v.option("beta"), .weight_decay = v.option("weight_decay")};
  return [o](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    const qhm_options options = o;
    reference::qhm(b.param + begin, b.grad + begin, b.state + begin, end - begin, options);
  };
}

template <class T>
range_step<T> aggmo(const variant& v) {
  const std::vector<double> betas = v.array_option("betas");
  if (betas.size() > 3) return {};  // step_buffers holds three velocities
  return [betas, lr = v.option("lr"), weight_decay = v.option("weight_decay")](const step_buffers<T>& b,
                                                                                std::size_t begin, std::size_t end) {
    const aggmo_options options{.lr = lr, .betas = betas, .weight_decay = weight_decay};
    T* const velocities[3] = {b.state + begin, b.extra_state[0] ? b.extra_state[0] + begin : nullptr,
                              b.extra_state[1] ? b.extra_state[1] + begin : nullptr};
    reference::aggmo(b.param + begin, b.grad + begin, velocities, end - begin, options);
  };
}

template <class T>
range_step<T> lion(const variant& v) {
  const lion_options o{.lr = v.option("lr"),
                       .beta1 = v.option("betas[0]"),
                       .beta2 = v.option("betas[1]"),
                       .weight_decay = v.option("weight_decay")};
  return [o](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    const lion_options options = o;
    reference::lion(b.param + begin, b.grad + begin, b.state + begin, end - begin, options);
  };
}

template <class T>
range_step<T> signum(const variant& v) {
  const signum_options o{.lr = v.option("lr"), .beta = v.option("beta")};
  return [o](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    const signum_options options = o;
    reference::signum(b.param + begin, b.grad + begin, b.state + begin, end - begin, options);
  };
}

// With more than one thread each chunk takes its own norms: the same two
// passes over the same bytes as one tensor's LARS (the speed is the point
// here), though not its numbers.
template <class T>
range_step<T> lars(const variant& v) {
  const lars_options o{.lr = v.option("lr"),
                       .momentum = v.option("momentum"),
                       .weight_decay = v.option("weight_decay"),
                       .eta = v.option("eta")};
  return [o](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    const lars_options options = o;
    reference::lars(b.param + begin, b.grad + begin, b.state + begin, end - begin, options);
  };
}

// The generic call's param is the model's weights (read), the average its
// state, in grad's slot (no gradient is read).
template <class T>
range_step<T> weight_ema(const variant& v) {
  const weight_ema_options o{.decay = v.option("decay"),
                             .warmup = flag(v, "warmup"),
                             .rounding = static_cast<weight_ema_rounding>(static_cast<int>(v.option("rounding")))};
  return [o, updates = v.step - 1](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    const weight_ema_options options = o;
    reference::weight_ema(/*average=*/b.grad + begin, /*param=*/b.param + begin, end - begin, options, updates);
  };
}

template <class T>
adam_tensor<T> moments(const step_buffers<T>& b, std::size_t begin, std::size_t end) {
  const std::size_t n = end - begin;
  return {{b.param + begin, n},
          {b.grad + begin, n},
          {b.state + begin, n},
          {b.extra_state[0] + begin, n},
          b.extra_state[1] ? std::span<T>(b.extra_state[1] + begin, n) : std::span<T>()};
}

adam_options adam_settings(const variant& v, bool decoupled) {
  return {.lr = v.option("lr"),
          .beta1 = v.option("betas[0]"),
          .beta2 = v.option("betas[1]"),
          .eps = v.option("eps"),
          .weight_decay = v.option("weight_decay"),
          .amsgrad = flag(v, "amsgrad"),
          .maximize = flag(v, "maximize"),
          .decoupled_weight_decay = decoupled};
}

template <class T>
range_step<T> adam_with(const adam_options& o, long long step) {
  return [o, step](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    const adam_options options = o;
    reference::adam(moments(b, begin, end), options, step);
  };
}
template <class T>
range_step<T> adam(const variant& v) {
  return adam_with<T>(adam_settings(v, flag(v, "decoupled_weight_decay")), v.step);
}
template <class T>
range_step<T> adamw(const variant& v) {
  return adam_with<T>(adam_settings(v, /*decoupled=*/true), v.step);
}

template <class T>
range_step<T> nadam(const variant& v) {
  const nadam_options o{.lr = v.option("lr"),
                        .beta1 = v.option("betas[0]"),
                        .beta2 = v.option("betas[1]"),
                        .eps = v.option("eps"),
                        .weight_decay = v.option("weight_decay"),
                        .momentum_decay = v.option("momentum_decay")};
  return [o, step = v.step, mu_product_before = static_cast<float>(v.option("mu_product"))](
             const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    const nadam_options options = o;
    float mu_product = mu_product_before;  // a copy: every call is the same step
    reference::nadam(moments(b, begin, end), options, step, mu_product);
  };
}

template <class T>
range_step<T> adagrad(const variant& v) {
  const adagrad_options o{.lr = v.option("lr"),
                          .lr_decay = v.option("lr_decay"),
                          .weight_decay = v.option("weight_decay"),
                          .initial_accumulator_value = v.option("initial_accumulator_value"),
                          .eps = v.option("eps"),
                          .maximize = flag(v, "maximize")};
  return [o, step = v.step](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    const adagrad_options options = o;
    const std::size_t n = end - begin;
    reference::adagrad(adagrad_tensor<T>{{b.param + begin, n}, {b.grad + begin, n}, {b.state + begin, n}}, options,
                       step);
  };
}

/// m, v, n and the previous gradient: state, extra_state[0..2].
template <class T>
range_step<T> adan(const variant& v) {
  const adan_options o{.lr = v.option("lr"), .b1 = v.option("b1"), .b2 = v.option("b2"), .b3 = v.option("b3"),
                       .eps = v.option("eps"), .eps_root = v.option("eps_root"),
                       .weight_decay = v.option("weight_decay")};
  return [o, step = v.step](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    const adan_options options = o;
    const std::size_t n = end - begin;
    reference::adan(adan_tensor<T>{{b.param + begin, n}, {b.grad + begin, n}, {b.state + begin, n},
                                   {b.extra_state[0] + begin, n}, {b.extra_state[1] + begin, n},
                                   {b.extra_state[2] + begin, n}},
                    options, step);
  };
}

/// mu and nu: state, extra_state[0]. As lars's peer: with more than one
/// thread each chunk takes its own norms (the same passes over the same bytes).
template <class T>
range_step<T> lamb(const variant& v) {
  const lamb_options o{.lr = v.option("lr"), .b1 = v.option("b1"), .b2 = v.option("b2"), .eps = v.option("eps"),
                       .eps_root = v.option("eps_root"), .weight_decay = v.option("weight_decay")};
  return [o, step = v.step](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    const lamb_options options = o;
    const std::size_t n = end - begin;
    reference::lamb(lamb_tensor<T>{{b.param + begin, n}, {b.grad + begin, n}, {b.state + begin, n},
                                   {b.extra_state[0] + begin, n}},
                    options, step);
  };
}

/// square_avg, then momentum_buffer and grad_avg where the options keep them (the handle's order).
template <class T>
range_step<T> rmsprop(const variant& v) {
  rmsprop_options o;
  o.lr = v.option("lr"), o.alpha = v.option("alpha"), o.eps = v.option("eps");
  o.weight_decay = v.option("weight_decay"), o.momentum = v.option("momentum");
  o.centered = flag(v, "centered"), o.maximize = flag(v, "maximize"), o.nesterov = flag(v, "nesterov");
  o.eps_in_sqrt = flag(v, "eps_in_sqrt");
  o.numerics = static_cast<rmsprop_numerics>(static_cast<int>(v.option("numerics")));
  return [o](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    const rmsprop_options options = o;
    const std::size_t n = end - begin;
    std::size_t next = 0;
    const auto following = [&] { return std::span<T>(b.extra_state[next++] + begin, n); };
    rmsprop_tensor<T> t{{b.param + begin, n}, {b.grad + begin, n}, {b.state + begin, n}};
    if (options.momentum > 0) t.momentum_buffer = following();
    if (options.centered) t.grad_avg = following();
    reference::rmsprop(t, options);
  };
}

/// The handle's lr_max and weight_sum before this step: a copy, so every call is the same step.
schedule_free_scalars schedule_free_scalars_of(const variant& v) {
  return {v.option("lr_max"), v.option("weight_sum")};
}

template <class T>
range_step<T> schedule_free_sgd(const variant& v) {
  const schedule_free_sgd_options o{.lr = v.option("lr"),
                                    .momentum = v.option("momentum"),
                                    .weight_decay = v.option("weight_decay"),
                                    .warmup_steps = v.option("warmup_steps"),
                                    .r = v.option("r"),
                                    .weight_lr_power = v.option("weight_lr_power")};
  return [o, step = v.step, before = schedule_free_scalars_of(v)](const step_buffers<T>& b, std::size_t begin,
                                                                   std::size_t end) {
    const schedule_free_sgd_options options = o;
    schedule_free_scalars scalars = before;
    const std::size_t n = end - begin;
    reference::schedule_free_sgd(
        schedule_free_sgd_tensor<T>{{b.param + begin, n}, {b.grad + begin, n}, {b.state + begin, n}}, options, step,
        scalars);
  };
}

template <class T>
range_step<T> schedule_free_adamw(const variant& v) {
  const schedule_free_adamw_options o{.lr = v.option("lr"),
                                      .beta1 = v.option("betas[0]"),
                                      .beta2 = v.option("betas[1]"),
                                      .eps = v.option("eps"),
                                      .weight_decay = v.option("weight_decay"),
                                      .warmup_steps = v.option("warmup_steps"),
                                      .r = v.option("r"),
                                      .weight_lr_power = v.option("weight_lr_power")};
  return [o, step = v.step, before = schedule_free_scalars_of(v)](const step_buffers<T>& b, std::size_t begin,
                                                                   std::size_t end) {
    const schedule_free_adamw_options options = o;
    schedule_free_scalars scalars = before;
    const std::size_t n = end - begin;
    reference::schedule_free_adamw(schedule_free_adamw_tensor<T>{{b.param + begin, n},
                                                                 {b.grad + begin, n},
                                                                 {b.state + begin, n},
                                                                 {b.extra_state[0] + begin, n}},
                                   options, step, scalars);
  };
}

template <class T>
range_step<T> ademamix(const variant& v) {
  const ademamix_options o{.lr = v.option("lr"),
                           .b1 = v.option("b1"),
                           .b2 = v.option("b2"),
                           .b3 = v.option("b3"),
                           .alpha = v.option("alpha"),
                           .eps = v.option("eps"),
                           .eps_root = v.option("eps_root"),
                           .weight_decay = v.option("weight_decay"),
                           .alpha_warmup = v.option("alpha_warmup"),
                           .b3_warmup = v.option("b3_warmup")};
  return [o, step = v.step](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    const ademamix_options options = o;
    const std::size_t n = end - begin;
    reference::ademamix(ademamix_tensor<T>{{b.param + begin, n},
                                           {b.grad + begin, n},
                                           {b.state + begin, n},
                                           {b.extra_state[0] + begin, n},
                                           {b.extra_state[1] + begin, n}},
                        options, step);
  };
}

/// m and n: state, extra_state[0].
template <class T>
range_step<T> simplified_ademamix(const variant& v) {
  const simplified_ademamix_options o{.lr = v.option("lr"), .b1 = v.option("b1"), .b2 = v.option("b2"),
                                      .alpha = v.option("alpha"), .eps = v.option("eps"),
                                      .eps_root = v.option("eps_root"), .weight_decay = v.option("weight_decay")};
  return [o, step = v.step](const step_buffers<T>& b, std::size_t begin, std::size_t end) {
    const simplified_ademamix_options options = o;
    const std::size_t n = end - begin;
    reference::simplified_ademamix(simplified_ademamix_tensor<T>{{b.param + begin, n}, {b.grad + begin, n},
                                                                 {b.state + begin, n}, {b.extra_state[0] + begin, n}},
                                   options, step);
  };
}

#define INERTIA_PEER_STEP(NAME) peer_entry{#NAME, &NAME<float>, &NAME<double>}
constexpr std::array steps{
    INERTIA_PEER_STEP(heavy_ball), INERTIA_PEER_STEP(sutskever),  INERTIA_PEER_STEP(ema),
    INERTIA_PEER_STEP(lookahead),  INERTIA_PEER_STEP(qhm),        INERTIA_PEER_STEP(aggmo),
    INERTIA_PEER_STEP(lion),       INERTIA_PEER_STEP(signum),     INERTIA_PEER_STEP(lars),
    INERTIA_PEER_STEP(weight_ema), INERTIA_PEER_STEP(adam),       INERTIA_PEER_STEP(adamw),
    INERTIA_PEER_STEP(nadam),      INERTIA_PEER_STEP(adagrad),    INERTIA_PEER_STEP(rmsprop),
    INERTIA_PEER_STEP(adan),       INERTIA_PEER_STEP(schedule_free_sgd), INERTIA_PEER_STEP(schedule_free_adamw),
    INERTIA_PEER_STEP(ademamix),   INERTIA_PEER_STEP(lamb),       INERTIA_PEER_STEP(simplified_ademamix)};
#undef INERTIA_PEER_STEP

}  // namespace

template <class T>
range_step<T> step_for(const variant& v) {
  return find_peer_step<T>(steps, v);
}

template range_step<float> step_for<float>(const variant&);
template range_step<double> step_for<double>(const variant&);

}  // namespace inertia::bench::INERTIA_BENCH_PEER
