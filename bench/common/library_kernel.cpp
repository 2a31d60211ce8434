#include "common/library_kernel.hpp"

#include <array>
#include <span>

#include "inertia/lookahead.hpp"

namespace inertia::bench {

template <class T>
void library_step(variant v, const step_buffers<T>& b, const execution& exec) {
  const std::span<T> param(b.param, b.size), state(b.state, b.size);
  const std::span<const T> grad(b.grad, b.size);
  const auto extra = [&](std::size_t k) { return std::span<T>(b.extra_state[k], b.size); };
  switch (v) {
    case variant::heavy_ball:
      heavy_ball_step(param, grad, state, heavy_ball_settings, /*step=*/2, {}, exec);
      return;
    case variant::heavy_ball_nesterov_wd:
      heavy_ball_step(param, grad, state, heavy_ball_nesterov_wd_settings, /*step=*/2, {}, exec);
      return;
    case variant::sutskever:
      sutskever_step(param, grad, state, sutskever_settings, /*step=*/1, {}, exec);
      return;
    case variant::ema:
      ema_step(param, grad, state, ema_settings, ema_step_count, {}, exec);
      return;
    case variant::lookahead:
      nesterov_lookahead(std::span<const T>(param), std::span<const T>(state), lookahead_momentum,
                         std::span<T>(b.grad, b.size), exec);
      return;
    case variant::qhm:
      qhm_step(param, grad, state, qhm_settings, /*step=*/1, {}, exec);
      return;
    case variant::aggmo: {
      const std::array<std::span<T>, 3> velocities = {state, extra(0), extra(1)};
      aggmo_step(param, grad, std::span<const std::span<T>>(velocities), aggmo_settings, /*step=*/1, {}, exec);
      return;
    }
    case variant::lion:
      lion_step(param, grad, state, lion_settings, /*step=*/1, {}, exec);
      return;
    case variant::signum:
      signum_step(param, grad, state, signum_settings, /*step=*/1, {}, exec);
      return;
    case variant::lars:
      lars_step(param, grad, state, lars_settings, /*step=*/1, {}, exec);
      return;
    case variant::weight_ema:  // the average in param's slot, the model's weights in grad's
      weight_ema_step(param, grad, weight_ema_settings, weight_ema_update_count + 1, {}, exec);
      return;
    case variant::adam:
    case variant::adamw:
      adam_step(adam_tensor<T>{param, grad, state, extra(0)}, v == variant::adam ? adam_settings : adamw_settings,
                adam_step_count, {}, exec);
      return;
    case variant::nadam: {
      float mu_product = nadam_mu_product_before;  // a copy: every call is the same step
      nadam_step(adam_tensor<T>{param, grad, state, extra(0)}, nadam_settings, adam_step_count, mu_product, {}, exec);
      return;
    }
  }
}

template void library_step<float>(variant, const step_buffers<float>&, const execution&);
template void library_step<double>(variant, const step_buffers<double>&, const execution&);

}  // namespace inertia::bench
