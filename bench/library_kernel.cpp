#include "library_kernel.hpp"

#include <span>

#include "inertia/ema.hpp"
#include "inertia/heavy_ball.hpp"
#include "inertia/lookahead.hpp"
#include "inertia/sutskever.hpp"

namespace inertia::bench {

template <class T>
void library_step(variant v, const step_buffers<T>& b, const execution& exec) {
  const std::span<T> param(b.param, b.size), state(b.state, b.size);
  const std::span<const T> grad(b.grad, b.size);
  switch (v) {
    case variant::heavy_ball:
      heavy_ball_step(param, grad, state, heavy_ball_settings, /*first_step=*/false, exec);
      return;
    case variant::heavy_ball_nesterov_wd:
      heavy_ball_step(param, grad, state, heavy_ball_nesterov_wd_settings, /*first_step=*/false, exec);
      return;
    case variant::sutskever:
      sutskever_step(param, grad, state, sutskever_settings, exec);
      return;
    case variant::ema:
      ema_step(param, grad, state, ema_settings, ema_step_count, exec);
      return;
    case variant::lookahead:
      nesterov_lookahead(std::span<const T>(param), std::span<const T>(state), lookahead_momentum,
                         std::span<T>(b.grad, b.size), exec);
      return;
  }
}

template void library_step<float>(variant, const step_buffers<float>&, const execution&);
template void library_step<double>(variant, const step_buffers<double>&, const execution&);

}  // namespace inertia::bench
