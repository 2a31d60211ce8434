// The scalar reference loops of tests/reference/ as a peer. This one source is
// compiled twice (bench/CMakeLists.txt) so the loops are not written again:
//   INERTIA_BENCH_PEER=naive    -O2 -march=native -fno-tree-vectorize -fno-tree-slp-vectorize
//   INERTIA_BENCH_PEER=autovec  -O3 -march=native
// Both with -ffp-contract=off, as libinertia: the same arithmetic, so only
// the code generation differs.
#include <cstddef>

#include "peers.hpp"
#include "reference/ema.hpp"
#include "reference/heavy_ball.hpp"
#include "reference/lookahead.hpp"
#include "reference/sutskever.hpp"

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
  }
}

template void step_range<float>(variant, const step_buffers<float>&, std::size_t, std::size_t);
template void step_range<double>(variant, const step_buffers<double>&, std::size_t, std::size_t);

}  // namespace inertia::bench::INERTIA_BENCH_PEER
