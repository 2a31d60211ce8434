// The scalar reference loops of tests/reference/ as a peer. This one source is
// compiled twice (bench/CMakeLists.txt) so the loops are not written again:
//   INERTIA_BENCH_PEER=naive    -O2 -march=native -fno-tree-vectorize -fno-tree-slp-vectorize
//   INERTIA_BENCH_PEER=autovec  -O3 -march=native
// Both with -ffp-contract=off, as libinertia: the same arithmetic, so only
// the code generation differs.
#include <cstddef>

#include <span>

#include "peers/peers.hpp"
#include "reference/adam.hpp"
#include "reference/aggmo.hpp"
#include "reference/ema.hpp"
#include "reference/heavy_ball.hpp"
#include "reference/lars.hpp"
#include "reference/lion.hpp"
#include "reference/lookahead.hpp"
#include "reference/qhm.hpp"
#include "reference/signum.hpp"
#include "reference/sutskever.hpp"
#include "reference/weight_ema.hpp"

#if !defined(INERTIA_BENCH_PEER)
#error "define INERTIA_BENCH_PEER (naive or autovec)"
#endif

namespace inertia::bench::INERTIA_BENCH_PEER {

template <class T>
void step_range(variant v, const step_buffers<T>& b, std::size_t begin, std::size_t end) {
  T* const param = b.param + begin;
  T* const grad = b.grad + begin;
  T* const state = b.state + begin;
  const std::size_t n = end - begin;
  const auto extra = [&](std::size_t k) { return b.extra_state[k] + begin; };
  // Local copies of the settings: a store through a double* could otherwise
  // alias the options, and the loops would reload them every element.
  switch (v) {
    case variant::heavy_ball: {
      const heavy_ball_options options = heavy_ball_settings;
      reference::heavy_ball(param, grad, state, n, options, /*first_step=*/false);
      return;
    }
    case variant::heavy_ball_nesterov_wd: {
      const heavy_ball_options options = heavy_ball_nesterov_wd_settings;
      reference::heavy_ball(param, grad, state, n, options, /*first_step=*/false);
      return;
    }
    case variant::sutskever: {
      const sutskever_options options = sutskever_settings;
      reference::sutskever(param, grad, state, n, options);
      return;
    }
    case variant::ema: {
      const ema_options options = ema_settings;
      reference::ema(param, grad, state, n, options, ema_step_count);
      return;
    }
    case variant::lookahead:
      reference::nesterov_lookahead(param, state, n, lookahead_momentum, /*lookahead=*/grad);
      return;
    case variant::qhm: {
      const qhm_options options = qhm_settings;
      reference::qhm(param, grad, state, n, options);
      return;
    }
    case variant::aggmo: {
      const aggmo_options options = aggmo_settings;
      T* const velocities[3] = {state, extra(0), extra(1)};
      reference::aggmo(param, grad, velocities, n, options);
      return;
    }
    case variant::lion: {
      const lion_options options = lion_settings;
      reference::lion(param, grad, state, n, options);
      return;
    }
    case variant::signum: {
      const signum_options options = signum_settings;
      reference::signum(param, grad, state, n, options);
      return;
    }
    case variant::lars: {
      // With more than one thread each chunk takes its own norms: the same two
      // passes over the same bytes as one tensor's LARS (the speed is the
      // point here), though not its numbers.
      const lars_options options = lars_settings;
      reference::lars(param, grad, state, n, options);
      return;
    }
    case variant::weight_ema: {
      const weight_ema_options options = weight_ema_settings;
      reference::weight_ema(param, grad, n, options, weight_ema_update_count);
      return;
    }
    case variant::adam:
    case variant::adamw: {
      const adam_options options = v == variant::adam ? adam_settings : adamw_settings;
      reference::adam(adam_tensor<T>{{param, n}, {grad, n}, {state, n}, {extra(0), n}}, options, adam_step_count);
      return;
    }
    case variant::nadam: {
      const nadam_options options = nadam_settings;
      float mu_product = nadam_mu_product_before;
      reference::nadam(adam_tensor<T>{{param, n}, {grad, n}, {state, n}, {extra(0), n}}, options, adam_step_count,
                       mu_product);
      return;
    }
  }
}

template void step_range<float>(variant, const step_buffers<float>&, std::size_t, std::size_t);
template void step_range<double>(variant, const step_buffers<double>&, std::size_t, std::size_t);

}  // namespace inertia::bench::INERTIA_BENCH_PEER
